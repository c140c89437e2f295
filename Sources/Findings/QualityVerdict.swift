import Analysis
/// A one-line statement of how far a report's numbers can be trusted: `complete`, `partial: ...`, or `unusable: ...`
/// when nothing could be read from the capture (no packets, none on the Redis ports, all cut before their payload).
public enum QualityVerdict {
    public static func verdict(for report: AnalysisReport) -> String {
        let q = report.quality
        if let reason = q.reason ?? (hasRedisData(report) ? nil : "no Redis commands or replies were read") {
            return "unusable: " + reason
        }
        var problems: [String] = []
        if q.truncated { problems.append("capture file truncated") }
        if q.interrupted == true { problems.append("reading interrupted") }
        if let n = q.captureDropsKernel, n > 0 { problems.append("\(n) packets dropped by the kernel") }
        if let n = q.captureDropsInterface, n > 0 { problems.append("\(n) packets dropped by the interface") }
        if let n = q.packetsNotAnalysed, n > 0 { problems.append("\(n) packets captured but not analysed (analysis fell behind)") }
        if let n = q.packetsSkipped["filterNotApplicable"], n > 0 {
            problems.append("\(n) packets of a link type --filter cannot apply to")
        }
        if q.gaps > 0 { problems.append("\(q.gaps) gaps (\(q.bytesLostInGaps) bytes lost)") }
        if q.snaplenCutBytes > 0 { problems.append("\(q.snaplenCutBytes) bytes cut by snaplen") }
        if q.parseErrors > 0 { problems.append("\(q.parseErrors) parse errors") }
        if q.notRedisConnections > 0 {
            problems.append("\(q.notRedisConnections) " + (q.notRedisConnections == 1 ? "connection" : "connections") + " not RESP")
        }
        if let tls = report.tls, tls.connections > tls.decrypted {
            let n = tls.connections - tls.decrypted
            problems.append("\(n) TLS " + (n == 1 ? "connection" : "connections") + " not decrypted")
        }
        if q.unpairedReplies > 0 { problems.append("\(q.unpairedReplies) unpaired replies") }
        if q.commandsLostInGaps > 0 { problems.append("\(q.commandsLostInGaps) commands lost in gaps") }
        if q.connectionsEvicted > 0 { problems.append("\(q.connectionsEvicted) connections evicted at the limit") }
        if report.connections.withoutHandshake > 0 {
            let n = report.connections.withoutHandshake
            problems.append("\(n) " + (n == 1 ? "connection" : "connections") + " joined mid-stream")
        }
        return problems.isEmpty ? "complete" : "partial: " + problems.joined(separator: ", ")
    }
}

extension QualityVerdict {
    /// What the capture held besides Redis traffic, for saying why none was read.
    public struct CaptureEvidence: Sendable {
        /// TCP on other ports than `--port`'s (or, without it, of connections found not to carry Redis), most segments
        /// first, by the port that looks like the server's (a SYN's destination, else the lower port). At most a few.
        public var otherTCPPorts: [(port: UInt16, segments: Int)] = []
        /// The longest packet captured, in bytes (the snaplen, when every packet was cut).
        public var largestCapturedLength = 0

        public init() {}
    }

    /// True when some Redis traffic was read: a command, a reply (even unpaired), or a push.
    static func hasRedisData(_ report: AnalysisReport) -> Bool {
        report.totals.commands > 0 || report.quality.unpairedReplies > 0 || report.pushes.total > 0
    }

    /// Why nothing could be read from the capture, and what to do about it; nil when Redis traffic was read.
    public static func unusableReason(for report: AnalysisReport, evidence: CaptureEvidence) -> String? {
        guard !hasRedisData(report) else { return nil }
        let q = report.quality
        let packets = report.capture.packets
        guard packets > 0 else {
            return "the capture holds no packets: check the interface, ports and filter it was captured with"
        }
        let portList = report.capture.ports.map(String.init).joined(separator: ", ")
        let onPorts = (report.capture.ports.count == 1 ? "port " : "ports ") + portList
        // Redis was looked for on every port (no --port): what the other ports carried was not Redis.
        let searchedEveryPort = report.capture.serverPortsFound != nil
        let otherPorts = evidence.otherTCPPorts.map { "\($0.port) (\($0.segments) \($0.segments == 1 ? "packet" : "packets"))" }
        let skipped = q.packetsSkipped
        let filtered = (skipped["filteredOut"] ?? 0) + (skipped["filterNotApplicable"] ?? 0)
        let cutBeforeTCP = ["truncatedLinkHeader", "truncatedIPHeader", "truncatedTCPHeader"].reduce(0) { $0 + (skipped[$1] ?? 0) }
        let cut = "every packet was cut before its TCP payload (snaplen \(evidence.largestCapturedLength)): capture with -s 0"
        if q.tcpSegments == 0 {
            if filtered == packets, let filter = report.capture.filter {
                return "--filter '\(filter)' kept none of the \(packets) packets: widen or drop it"
            }
            if cutBeforeTCP > 0 && cutBeforeTCP + filtered == packets { return cut }
            if searchedEveryPort && otherPorts.isEmpty {
                return "no Redis traffic: none of the \(packets) packets was TCP"
            }
            if searchedEveryPort { return notFoundOnAnyPort(report, otherPorts) }
            var reason = "no Redis traffic: 0 of \(packets) packets were TCP on \(onPorts)"
            if let top = evidence.otherTCPPorts.first {
                reason += "; the capture has TCP on " + (otherPorts.count == 1 ? "port " : "ports ") + otherPorts.joined(separator: ", ")
                    + ": try --port \(top.port)"
            } else {
                let reasons = skipped.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                    .map { "\($0.key) \($0.value)" }
                reason += " and none was TCP on another port" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: ", ") + ")")
            }
            return reason
        }
        if q.snaplenCutBytes > 0 && report.totals.clientBytes == 0 && report.totals.serverBytes == 0 {
            return cut
        }
        if let tls = report.tls, tls.connections > tls.decrypted {
            let n = tls.connections - tls.decrypted
            let advice = tls.keyLog == nil && tls.secretsInCapture == nil ? "pass the clients' key log (SSLKEYLOGFILE) with --tls-keylog"
                : "see the TLS lines of the capture quality for why"
            return "the traffic on \(onPorts) is TLS (\(n) " + (n == 1 ? "connection" : "connections")
                + " not decrypted): " + advice
        }
        if q.notRedisConnections > 0 {
            return "the traffic on \(onPorts) is not RESP (\(q.notRedisConnections) "
                + (q.notRedisConnections == 1 ? "connection" : "connections")
                + "): TLS or another protocol; capture where Redis traffic is in plain text"
        }
        if searchedEveryPort { return notFoundOnAnyPort(report, otherPorts) }
        return "no Redis commands or replies: the \(q.tcpSegments) TCP segments on \(onPorts) carried no RESP data"
    }

    /// Nothing on any port looked like Redis: say what the TCP was, and how to insist on a port.
    private static func notFoundOnAnyPort(_ report: AnalysisReport, _ otherPorts: [String]) -> String {
        let connections = report.capture.otherProtocolConnections ?? 0
        var reason = "no Redis traffic found on any port"
        if connections > 0 {
            reason += ": \(connections) " + (connections == 1 ? "connection" : "connections") + " carried another protocol"
            if !otherPorts.isEmpty { reason += " (" + (otherPorts.count == 1 ? "port " : "ports ") + otherPorts.joined(separator: ", ") + ")" }
        }
        return reason + "; if Redis is on a port whose bytes respcap cannot read as RESP (TLS), name it with --port"
    }
}
