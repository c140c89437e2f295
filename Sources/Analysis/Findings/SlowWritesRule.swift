import Formatting
/// Writes much slower than reads on the same server: the reply of a write waits for something reads do not —
/// `appendfsync always` (an fsync per write), a slow disk, or replication waits.
public struct SlowWritesRule: FindingRule {
    public static let id = "slow-writes"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let latency = report.latency, latency.readsMicros.count >= 10, latency.writesMicros.count >= 10 else { return nil }
        let reads = max(latency.readsMicros.p50, 1), writes = latency.writesMicros.p50
        guard writes >= t.slowWritesMinMicros, writes / reads >= t.slowWritesRatio else { return nil }
        let ratio = writes / reads
        return Finding(
            id: Self.id, severity: ratio >= 4 * t.slowWritesRatio ? .critical : .warning,
            title: "Writes take \(NumberFormatting.decimal(ratio, 0))× longer than reads — every write waits on the disk",
            evidence: [
                "write p50 \(NumberFormatting.micros(writes)), p99 \(NumberFormatting.micros(latency.writesMicros.p99)) over "
                    + "\(NumberFormatting.grouped(latency.writesMicros.count)) writes; read p50 \(NumberFormatting.micros(latency.readsMicros.p50)) over "
                    + "\(NumberFormatting.grouped(latency.readsMicros.count)) reads (threshold: ×\(NumberFormatting.decimal(t.slowWritesRatio, 0)) and ≥ "
                    + "\(NumberFormatting.micros(t.slowWritesMinMicros)))",
                "the server replies to a write only after it is durable: with `appendfsync always` that is one fsync per write "
                    + "(redis-server's own commandstats `usec` does not show it; the wire does)",
            ],
            recommendation: "Check `CONFIG GET appendfsync`: `everysec` keeps at most 1 s of writes at risk and removes the per-write fsync; "
                + "otherwise look at the disk (iostat await) and at WAIT/replication in the write path.",
            metrics: ["writeP50Micros": writes, "readP50Micros": latency.readsMicros.p50, "ratio": ratio])
    }
}
