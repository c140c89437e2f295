import Analysis
import Formatting
/// Writes much slower than reads on the same server: the reply of a write waits for something reads do not —
/// `appendfsync always` (an fsync per write), a slow disk, or replication waits.
public struct SlowWritesRule: FindingRule {
    public static let id = "slow-writes"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let latency = report.latency else { return nil }
        // Service times where the report has them: a write deep in a pipeline is not slow for waiting its turn.
        let readLatency = latency.readServiceMicros ?? latency.readsMicros
        let writeLatency = latency.writeServiceMicros ?? latency.writesMicros
        guard readLatency.count >= 10, writeLatency.count >= 10 else { return nil }
        let reads = max(readLatency.p50, 1), writes = writeLatency.p50
        guard writes >= t.slowWritesMinMicros, writes / reads >= t.slowWritesRatio else { return nil }
        let ratio = writes / reads
        return Finding(
            id: Self.id, severity: ratio >= 4 * t.slowWritesRatio ? .critical : .warning,
            title: "Writes take \(NumberFormatting.decimal(ratio, 0))× longer than reads — every write waits on the disk",
            evidence: [
                "write service time p50 \(NumberFormatting.micros(writes)), p99 \(NumberFormatting.micros(writeLatency.p99)) over "
                    + "\(NumberFormatting.grouped(writeLatency.count)) writes; read p50 \(NumberFormatting.micros(readLatency.p50)) over "
                    + "\(NumberFormatting.grouped(readLatency.count)) reads (threshold: ×\(NumberFormatting.decimal(t.slowWritesRatio, 0)) and ≥ "
                    + "\(NumberFormatting.micros(t.slowWritesMinMicros)))",
                "the server replies to a write only after it is durable: with `appendfsync always` that is one fsync per write "
                    + "(redis-server's own commandstats `usec` does not show it; the wire does)",
            ],
            recommendation: "Check `CONFIG GET appendfsync`: `everysec` keeps at most 1 s of writes at risk and removes the per-write fsync; "
                + "otherwise look at the disk (iostat await) and at WAIT/replication in the write path.",
            metrics: ["writeP50Micros": writes, "readP50Micros": readLatency.p50, "ratio": ratio])
    }
}
