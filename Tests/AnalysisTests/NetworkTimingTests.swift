import Analysis
import Foundation
import Pipeline
import Report
import Testing

/// Captures of a real redis-server over a network delayed by a known amount (scripts/delayed-network/), taken at
/// the client's and at the server's end: respcap must find the configured round trip per client host within 10%
/// and say which end each capture was taken at.
@Suite struct NetworkTimingTests {
    /// `fixtures/network-delay/rtt-*`: one configured round trip each, captured at both ends.
    static let delays = ["rtt-0.5ms", "rtt-2ms", "rtt-20ms"]
    static let cases: [(String, String)] = delays.flatMap { [($0, "client"), ($0, "server")] }

    struct Truth: Decodable {
        struct Client: Decodable {
            var connections: Int
        }

        var configuredRoundTripMicros: Double
        var measuredRoundTripMicros: Double
        var clients: [String: Client]
    }

    static func directory(_ delay: String) -> URL {
        TestPaths.fixtures.appendingPathComponent("network-delay").appendingPathComponent(delay)
    }

    static func truth(_ delay: String) throws -> Truth {
        try JSONDecoder().decode(Truth.self, from: Data(contentsOf: directory(delay).appendingPathComponent("truth.json")))
    }

    static func analyze(_ delay: String, side: String) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [6379]
        let path = directory(delay).appendingPathComponent("\(side)-side.pcap").path
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    static func document(_ report: AnalysisReport) throws -> ReportDocument {
        try ReportDocument(jsonData: Data(JSONReportRenderer.render(report).utf8), label: report.capture.files.joined())
    }

    @Test(arguments: cases)
    func roundTripPerHostIsTheConfiguredDelay(delay: String, side: String) throws {
        let truth = try Self.truth(delay)
        let report = try Self.analyze(delay, side: side)
        let network = try #require(report.network)
        #expect(network.vantage == side, "\(delay): captured at the \(side)")
        #expect(Set(network.hosts.map(\.host)) == Set(truth.clients.keys))
        for host in network.hosts {
            let expected = try #require(truth.clients[host.host])
            #expect(host.connections == expected.connections, "\(delay) \(side) \(host.host): connections")
            let rtt = try #require(host.rttMicros, "\(delay) \(side) \(host.host): no round trip")
            let configured = truth.configuredRoundTripMicros
            #expect(abs(rtt.p50 - configured) <= 0.1 * configured,
                    "\(delay) \(side) \(host.host): p50 \(rtt.p50) µs, configured \(configured) µs (\(host.rttBasis ?? "-"))")
            #expect(rtt.p50 <= rtt.p90 && rtt.p90 <= rtt.p99)
        }
    }

    /// 10.0.3.3 opened one connection and sent 100 SET/GET pairs on it: its round trip is mostly data samples, the
    /// bytes sent from the capture's end to the far end's ACK, which must measure the network too.
    @Test(arguments: cases)
    func dataSamplesMeasureTheRoundTrip(delay: String, side: String) throws {
        let truth = try Self.truth(delay)
        let report = try Self.analyze(delay, side: side)
        let host = try #require(report.network?.hosts.first { $0.host == "10.0.3.3" })
        #expect(host.handshakes == 1)
        #expect(host.dataSamples >= 10)
        #expect(host.rttBasis == "handshakes and data")
        let data = host.dataSampleHistogram.summaryMicros
        #expect(abs(data.p50 - truth.configuredRoundTripMicros) <= 0.1 * truth.configuredRoundTripMicros,
                "\(delay) \(side): data samples p50 \(data.p50) µs")
    }

    /// The capture taken at the server sees Redis's own service time; the one at the client sees it plus the round
    /// trip. The section separates the two: server time plus network is what the client waits.
    @Test(arguments: delays)
    func waitSplitsIntoServerAndNetwork(delay: String) throws {
        let truth = try Self.truth(delay)
        let atServer = try Self.analyze(delay, side: "server"), atClient = try Self.analyze(delay, side: "client")
        let serverTime = try #require(atServer.latency?.allMicros.p50)
        let seenAtClient = try #require(atClient.latency?.allMicros.p50)
        #expect(serverTime < 0.2 * truth.configuredRoundTripMicros + 500)
        #expect(abs(seenAtClient - serverTime - truth.configuredRoundTripMicros) <= 0.1 * truth.configuredRoundTripMicros)
        for report in [atServer, atClient] {
            let markdown = MarkdownReportRenderer.render(report)
            #expect(markdown.contains("## Network"))
            #expect(markdown.contains("network round trip p50"))
            #expect(markdown.contains("from 2 hosts in `10.0.3.0/24`"))
            #expect(markdown.contains("% of it network."))
        }
        #expect(MarkdownReportRenderer.render(atServer).contains("Captured at the server"))
        #expect(MarkdownReportRenderer.render(atClient).contains("Captured at the clients"))
    }

    /// Merging keeps each host's samples bucket by bucket: the merged histograms hold exactly both reports' samples.
    @Test func mergeIsExactPerHost() throws {
        let a = try Self.analyze("rtt-2ms", side: "server"), b = try Self.analyze("rtt-20ms", side: "server")
        let merged = try ReportMerger().merge([Self.document(a), Self.document(b)])
        let network = try #require(merged.network)
        #expect(network.vantage == "server")
        for name in ["10.0.3.2", "10.0.3.3"] {
            let host = try #require(network.hosts.first { $0.host == name })
            let parts = [a, b].compactMap { $0.network?.hosts.first { $0.host == name } }
            var handshakes = LatencyHistogram(), data = LatencyHistogram()
            for part in parts {
                handshakes.add(part.handshakeSamples)
                data.add(part.dataSampleHistogram)
            }
            #expect(host.connections == parts.reduce(0) { $0 + $1.connections })
            #expect(host.handshakeHistogram == handshakes.buckets)
            #expect(host.dataHistogram == data.buckets)
            #expect(host.handshakes == handshakes.count && host.dataSamples == data.count)
        }
        let mixed = try ReportMerger().merge([Self.document(a), Self.document(Self.analyze("rtt-2ms", side: "client"))])
        #expect(mixed.network?.vantage == "unknown")
        // Each report's data samples stay in the merge: the section does not say handshakes alone.
        let markdown = MarkdownReportRenderer.render(mixed)
        #expect(markdown.contains("place it at the server") && !markdown.contains("Round trips are from handshakes only"))
    }

    @Test func diffComparesTheRoundTrip() throws {
        let before = try Self.document(Self.analyze("rtt-2ms", side: "server"))
        let after = try Self.document(Self.analyze("rtt-20ms", side: "server"))
        let diff = ReportDiff(before: before, after: after)
        let p50 = try #require(diff.metrics("network").first { $0.id == "network.rttP50Micros" })
        let ratio = try #require(p50.ratio)
        #expect(abs(ratio - 10) <= 1)
        #expect(MarkdownDiffRenderer.render(diff).contains("## Network"))
    }
}
