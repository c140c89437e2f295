/// Every connection busy back to back while the server answers quickly: the bottleneck is the client's pool, where
/// requests wait for a free connection (redis-py BlockingConnectionPool under gevent).
public struct PoolSaturationRule: FindingRule {
    public static let id = "pool-saturation"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        guard let u = c.utilisation, let per = u.perConnection, u.connections >= 1,
              Double(report.totals.commands) >= t.poolMinCommands else { return nil }
        let busy = u.busyShare * 100
        guard busy >= t.poolBusyPercent, per.p50 * 100 >= t.poolBusyPercent else { return nil }
        let service = report.latency?.allMicros ?? AnalysisReport.Latency()
        var evidence = [
            "\(u.connections) connections had a command outstanding \(FindingText.decimal(busy, 0))% of the time "
                + "(median connection \(FindingText.decimal(per.p50 * 100, 0))%; threshold \(FindingText.decimal(t.poolBusyPercent, 0))%)",
            "server service time stays low: p50 \(FindingText.micros(service.p50)), p99 \(FindingText.micros(service.p99))",
        ]
        if let gap = u.idleGapMicros, gap.count > 0 {
            evidence.append("a connection's next request follows its previous reply after \(FindingText.micros(gap.p50)) (p50): "
                            + "requests are queued in the client, waiting for a connection")
        }
        evidence.append("peak \(FindingText.count(c.peakConcurrent)) connections at once, "
                        + "\(FindingText.decimal(report.totals.commandsPerSecond, 0)) commands/s")
        return Finding(
            id: Self.id, severity: .warning,
            title: "Client connection pool saturated: all \(c.peakConcurrent) connections busy back to back while Redis answers in "
                + FindingText.micros(service.p50),
            evidence: evidence,
            recommendation: "Requests wait in the client for a free connection, not in Redis. Raise the pool size (max_connections) "
                + "or lower the client's concurrency; pipeline the commands of one request; with gevent, use a pool whose queue "
                + "is gevent-aware (redis-py BlockingConnectionPool(queue_class=gevent.queue.LifoQueue)).",
            metrics: ["busyPercent": busy, "medianConnectionBusyPercent": per.p50 * 100, "serviceP50Micros": service.p50])
    }
}
