import Analysis
import Formatting
/// The capture itself is damaged: numbers below are partial, and by how much is stated.
public struct CaptureQualityRule: FindingRule {
    public static let id = "capture-quality"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let q = report.quality
        var evidence: [String] = []
        if q.truncated { evidence.append("the capture file is truncated: \(q.truncationMessage ?? "")") }
        if q.gaps > 0 { evidence.append("\(NumberFormatting.grouped(q.gaps)) gaps: \(NumberFormatting.bytes(Double(q.bytesLostInGaps))) missing from TCP streams") }
        if q.snaplenCutBytes > 0 { evidence.append("\(NumberFormatting.bytes(Double(q.snaplenCutBytes))) cut by the snapshot length: capture with `-s 0`") }
        if let drops = q.packetsSkipped["droppedByKernel"], drops > 0 { evidence.append("\(NumberFormatting.grouped(drops)) packets dropped by the kernel") }
        let commands = max(report.totals.commands, 1)
        let lost = q.commandsLostInGaps + q.unpairedReplies
        if Double(lost) * 100 / Double(commands) >= t.captureLossPercent {
            evidence.append("\(NumberFormatting.grouped(q.commandsLostInGaps)) commands lost in gaps and \(NumberFormatting.grouped(q.unpairedReplies)) "
                            + "unpaired replies (\(NumberFormatting.percent(Double(lost), of: Double(commands))) of commands; threshold "
                            + "\(NumberFormatting.decimal(t.captureLossPercent, 1))%)")
        }
        if q.notRedisConnections > 0 {
            evidence.append("\(NumberFormatting.grouped(q.notRedisConnections)) connections on the Redis port are not RESP (TLS or another protocol)")
        }
        guard !evidence.isEmpty else { return nil }
        let severe = q.truncated || q.gaps > 0 || q.snaplenCutBytes > 0 || (q.packetsSkipped["droppedByKernel"] ?? 0) > 0
        return Finding(
            id: Self.id, severity: severe ? .warning : .info,
            title: "The capture is incomplete: treat counts as lower bounds",
            evidence: evidence,
            recommendation: "Capture whole packets (`tcpdump -s 0`), on the Redis host, with a larger buffer (`-B 65536`) and a BPF "
                + "filter on the Redis port; check 'packets dropped by kernel' when tcpdump stops.")
    }
}
