/// A one-line statement of how far a report's numbers can be trusted.
public enum QualityVerdict {
    public static func verdict(for report: AnalysisReport) -> String {
        let q = report.quality
        var problems: [String] = []
        if q.truncated { problems.append("capture file truncated") }
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
