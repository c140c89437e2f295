import Analysis
import Formatting

/// The network apart from the server: where the capture was taken, the round trip per client host, and how much
/// of a client's wait per command is network.
enum NetworkSection: ReportSection {
    /// Hosts listed in the Markdown table; the JSON has all.
    static let hostsShown = 20

    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let network = report.network, network.hosts.contains(where: { $0.rttMicros != nil }) else { return }
        out.line("## Network")
        out.blank()
        out.line(vantageSentence(network))
        out.blank()
        if let sentence = waitSentence(report, network) {
            out.line(sentence)
            out.blank()
        }
        let hosts = network.hosts.filter { $0.rttMicros != nil }
        out.table(header: ["client host", "connections", "handshakes", "data samples", "RTT p50", "p90", "p99"],
                  alignRight: [false, true, true, true, true, true, true],
                  rows: hosts.prefix(hostsShown).map { h in
                      let rtt = h.rttMicros!
                      return [MarkdownText.code(h.host), NumberFormatting.grouped(h.connections),
                              NumberFormatting.grouped(h.handshakes), NumberFormatting.grouped(h.dataSamples),
                              NumberFormatting.micros(rtt.p50), NumberFormatting.micros(rtt.p90), NumberFormatting.micros(rtt.p99)]
                  })
        out.blank()
        if hosts.count > hostsShown {
            out.line("\(NumberFormatting.grouped(hosts.count - hostsShown)) more hosts in the JSON report.")
            out.blank()
        }
        out.line("A handshake sample is SYN to the ACK completing it: one round trip wherever the capture was taken. A data "
                 + "sample is the shortest of up to 8 times from bytes sent at the capture's end to the far end's ACK: a "
                 + "round trip plus the far end's quickest turnaround. A host's round trip is from its handshakes when it "
                 + "has \(NetworkSummary.Host.minHandshakesAlone) or more, otherwise from both.")
        out.blank()
    }

    static func vantageSentence(_ network: NetworkSummary) -> String {
        let e = network.vantageEvidence
        let total = e.serverSide + e.clientSide + e.unclear
        switch network.vantage {
        case "server":
            return "Captured at the server: in \(NumberFormatting.grouped(e.serverSide)) of \(NumberFormatting.grouped(total)) "
                + "handshakes the SYN/ACK followed the SYN at once and the ACK came a round trip later."
        case "client":
            return "Captured at the clients: in \(NumberFormatting.grouped(e.clientSide)) of \(NumberFormatting.grouped(total)) "
                + "handshakes the SYN/ACK came a round trip after the SYN and the ACK followed at once."
        default:
            // A merge of reports taken at different ends keeps each one's data samples.
            let basis = network.hosts.allSatisfy { $0.dataSamples == 0 } ? " Round trips are from handshakes only." : ""
            if total == 0 {
                return "Where the capture was taken is unknown: it holds no complete handshake." + basis
            }
            if e.unclear == total {
                return "Where the capture was taken is unknown: in "
                    + (total == 1 ? "its one handshake no gap was" : "none of \(NumberFormatting.grouped(total)) handshakes was one gap")
                    + " four times the other (client and server on one host, or a capture midway)." + basis
            }
            return "Where the capture was taken is unknown: of \(NumberFormatting.grouped(total)) handshakes "
                + "\(NumberFormatting.grouped(e.serverSide)) place it at the server, \(NumberFormatting.grouped(e.clientSide)) at "
                + "the clients, \(NumberFormatting.grouped(e.unclear)) neither." + basis
        }
    }

    /// "server time p50 80 µs; network round trip p50 1.90 ms from 10.0.3.0/24; clients wait ≈ 1.98 ms per command,
    /// 96% of it network". At the server, its service time is seen as it is and the round trip comes on top; at the
    /// clients, the request-to-reply time seen is their wait and holds the round trip.
    static func waitSentence(_ report: AnalysisReport, _ network: NetworkSummary) -> String? {
        guard let rtt = network.roundTripP50Micros else { return nil }
        let network = "network round trip p50 \(NumberFormatting.micros(rtt)) \(origin(network.hosts))"
        guard let latency = report.latency, latency.allMicros.count > 0 else { return "N" + network.dropFirst() + "." }
        let seen = latency.allMicros.p50
        guard let summary = report.network, let server = summary.serverTimeMicros(seen: seen) else {
            return "N" + network.dropFirst() + "; request to reply p50 \(NumberFormatting.micros(seen)) as seen at the "
                + "capture (it holds the round trip if the capture was taken at the clients)."
        }
        let atClients = summary.vantage == "client"
        let wait = atClients ? seen : seen + rtt
        let share = wait > 0 ? min(rtt, wait) / wait * 100 : 0
        return "Server time p50 \(server.isUpperBound ? "under " : "")\(NumberFormatting.micros(server.micros))"
            + (atClients ? " (request to reply less the round trip)" : "") + "; "
            + network + "; clients wait ≈ \(NumberFormatting.micros(wait)) per command, "
            + "\(NumberFormatting.decimal(share, 0))% of it network."
    }

    /// "from 10.0.3.2", "from 12 hosts in 10.0.3.0/24", or "from 40 client hosts".
    static func origin(_ hosts: [NetworkSummary.Host]) -> String {
        let measured = hosts.filter { $0.rttMicros != nil }.map(\.host)
        if measured.count == 1 { return "from \(MarkdownText.code(measured[0]))" }
        let prefixes = Set(measured.map { host -> String in
            let octets = host.split(separator: ".")
            return octets.count == 4 ? octets.prefix(3).joined(separator: ".") + ".0/24" : host
        })
        if prefixes.count == 1, let prefix = prefixes.first, prefix.hasSuffix("/24") {
            return "from \(measured.count) hosts in \(MarkdownText.code(prefix))"
        }
        return "from \(NumberFormatting.grouped(measured.count)) client hosts"
    }

    /// Hosts add by address (connections and samples add, round-trip histograms merge bucket by bucket: exact); the
    /// vantage is kept when every report has the same, otherwise unknown.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.network)
        guard !parts.isEmpty else { return }
        let vantages = Set(parts.map(\.vantage))
        var summary = NetworkSummary(vantage: vantages.count == 1 ? vantages.first! : "unknown")
        for p in parts {
            summary.vantageEvidence.serverSide += p.vantageEvidence.serverSide
            summary.vantageEvidence.clientSide += p.vantageEvidence.clientSide
            summary.vantageEvidence.unclear += p.vantageEvidence.unclear
            if let untracked = p.connectionsFromUntrackedHosts {
                summary.connectionsFromUntrackedHosts = (summary.connectionsFromUntrackedHosts ?? 0) + untracked
            }
        }
        var byHost: [String: (connections: Int, handshakes: LatencyHistogram, data: LatencyHistogram)] = [:]
        for host in parts.flatMap(\.hosts) {
            var entry = byHost[host.host] ?? (0, LatencyHistogram(), LatencyHistogram())
            entry.connections += host.connections
            entry.handshakes.add(host.handshakeSamples)
            entry.data.add(host.dataSampleHistogram)
            byHost[host.host] = entry
        }
        summary.hosts = NetworkSummary.ordered(byHost.map { host, e in
            NetworkSummary.Host(host: host, connections: e.connections, handshakes: e.handshakes, data: e.data)
        })
        merged.network = summary
    }

    // MARK: - Diff

    /// The round trip over all hosts (p50, p90) and the hosts measured; only when either report has a network section.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard b.network != nil || a.network != nil else { return }
        func rtt(_ r: AnalysisReport, _ pick: (AnalysisReport.Latency) -> Double) -> Double? {
            guard let all = r.network?.roundTrips, all.count > 0 else { return nil }
            return pick(all.summaryMicros)
        }
        func hosts(_ r: AnalysisReport) -> Double? { r.network.map { Double($0.hosts.filter { $0.rttMicros != nil }.count) } }
        diff.setMetrics("network", [
            ReportDiff.Metric(id: "network.rttP50Micros", label: "network round trip p50", unit: .micros,
                              before: rtt(b, \.p50), after: rtt(a, \.p50)),
            ReportDiff.Metric(id: "network.rttP90Micros", label: "network round trip p90", unit: .micros,
                              before: rtt(b, \.p90), after: rtt(a, \.p90)),
            ReportDiff.Metric(id: "network.hosts", label: "client hosts with round trips", unit: .count,
                              before: hosts(b), after: hosts(a)),
        ])
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Network", diff.metrics("network"), into: &out,
                                         note: "Round trips from TCP timing: handshakes, and data to its acknowledgment.")
    }
}
