/// Commands sent one network round trip at a time at a high rate: the client waits a round trip per command where
/// a pipeline, MGET/MSET or a script would send them together.
public struct UnpipelinedRoundTripsRule: FindingRule {
    public static let id = "unpipelined-round-trips"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let latency = report.latency, report.totals.commands >= 100 else { return nil }
        let share = Double(latency.roundTrips) * 100 / Double(report.totals.commands)
        guard share >= t.roundTripSharePercent, latency.roundTripsPerSecond >= t.roundTripsPerSecond else { return nil }
        let p50 = latency.allMicros.p50
        return Finding(
            id: Self.id, severity: .warning,
            title: "\(FindingText.percent(Double(latency.roundTrips), of: Double(report.totals.commands))) of commands wait a full round trip each "
                + "(\(FindingText.count(Int(latency.roundTripsPerSecond)))/s, no pipelining)",
            evidence: [
                "\(FindingText.count(latency.roundTrips)) of \(FindingText.count(report.totals.commands)) commands were sent with nothing else "
                    + "in flight on their connection (threshold \(FindingText.decimal(t.roundTripSharePercent, 0))% at ≥ "
                    + "\(FindingText.count(Int(t.roundTripsPerSecond)))/s); deepest pipeline \(latency.maxPipelineDepth)",
                "each costs at least a network round trip plus \(FindingText.micros(p50)) (median service time seen here)",
            ],
            recommendation: "Batch the commands of one request: a pipeline (redis-py `pipeline(transaction=False)`), MGET/MSET/HMGET, "
                + "or a Lua script; in a cluster, group keys by hash tag so a batch stays on one node.",
            metrics: ["roundTripSharePercent": share, "roundTripsPerSecond": latency.roundTripsPerSecond])
    }
}
