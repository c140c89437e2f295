import Analysis
import Formatting
/// Every connection of a fixed pool in use back to back while the server answers quickly: the bottleneck is the
/// client's pool, where requests wait for a free connection (redis-py BlockingConnectionPool under gevent).
///
/// On the wire: a steady set of at least two connections (not opened per request, not growing), each sending its
/// next request as soon as it has its reply, with no pauses longer than the pause threshold (the client always had
/// work waiting), one command at a time, while Redis's service time stays low. Both figures are taken less the
/// measured network round trip where the capture's vantage puts it in them (`MeasuredRoundTrip`).
public struct PoolSaturationRule: FindingRule {
    public static let id = "pool-saturation"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        guard let u = c.utilisation, let inUse = u.inUsePerConnection, u.connections >= 2,
              Double(report.totals.commands) >= t.poolMinCommands, let latency = report.latency else { return nil }
        let share = u.inUseShare * 100
        guard share >= t.poolBusyPercent, inUse.p50 * 100 >= t.poolBusyPercent else { return nil }
        // Request by request: most commands go alone (a request's short pipeline, INCR+EXPIRE, is still one
        // checkout); a bulk client that sends most of its commands in batches keeps connections busy by design.
        guard 2 * latency.roundTrips >= report.totals.commands else { return nil }
        // Always a request waiting for the connection: its next request follows the previous reply within the
        // client's hand-off time, nine times in ten (a client that thinks between requests leaves gaps).
        // The measured round trip is taken off the figures that hold it at this vantage (MeasuredRoundTrip).
        let network = MeasuredRoundTrip(report)
        let inGap = network?.inReplyToRequestGap ?? 0, inService = network?.inServiceTime ?? 0
        guard let handOff = u.idleGapMicros, handOff.count > 0, handOff.p90 - inGap <= t.poolMaxHandOffMicros else { return nil }
        guard latency.allMicros.p50 - inService <= t.poolMaxServiceMicros else { return nil }
        // A steady pool: connections are not opened per request, nor growing (those are other findings).
        guard c.opened <= 2 * c.peakConcurrent + 1,
              ConnectionGrowthRule().evaluate(report, t) == nil else { return nil }
        let service = latency.allMicros
        var evidence = [
            "\(u.connections) connections were in use \(NumberFormatting.decimal(share, 1))% of the time from their first request to "
                + "their last reply (median connection \(NumberFormatting.decimal(inUse.p50 * 100, 1))%; no pause over "
                + "\(NumberFormatting.decimal(u.pauseThresholdMillis, 0)) ms counts as use; threshold \(NumberFormatting.decimal(t.poolBusyPercent, 0))%)",
            "server service time stays low: p50 \(NumberFormatting.micros(service.p50 - inService)), p99 "
                + "\(NumberFormatting.micros(service.p99 - inService)) (threshold p50 ≤ \(NumberFormatting.micros(t.poolMaxServiceMicros)))"
                + (inService > 0 ? "; the request-to-reply times seen at the clients less \(network!.phrase)" : ""),
        ]
        evidence.append("between a reply and the connection's next request: p50 \(NumberFormatting.micros(handOff.p50 - inGap)), p90 "
                        + "\(NumberFormatting.micros(handOff.p90 - inGap)) (threshold p90 ≤ \(NumberFormatting.micros(t.poolMaxHandOffMicros))), p99 "
                        + "\(NumberFormatting.micros(handOff.p99 - inGap)) — time spent in the client handing the connection on, not in Redis"
                        + (inGap > 0 ? " (the gaps seen at the server less \(network!.phrase))" : ""))
        evidence.append("never more than \(NumberFormatting.grouped(c.peakConcurrent)) connections at once; "
                        + "\(NumberFormatting.decimal(report.totals.commandsPerSecond, 0)) commands/s, one at a time per connection")
        return Finding(
            id: Self.id, severity: .warning,
            title: "Connection pool saturated: \(c.peakConcurrent) connections in use back to back while Redis answers in "
                + NumberFormatting.micros(service.p50),
            evidence: evidence,
            recommendation: Self.advice(ClientSoftware(report), connections: c.peakConcurrent),
            metrics: ["inUsePercent": share, "medianConnectionInUsePercent": inUse.p50 * 100, "serviceP50Micros": service.p50 - inService,
                      "connections": Double(u.connections)])
    }

    /// redis-py's pool settings when the connections declared redis-py; otherwise the generic advice, saying so.
    static func advice(_ software: ClientSoftware, connections: Int) -> String {
        if software.usesRedisPy {
            return "Requests wait in the client for a free connection, not in Redis. redis-py: size the pool to the client's "
                + "concurrency — `max_connections` of the `ConnectionPool`, or of a `BlockingConnectionPool(max_connections=..., "
                + "timeout=...)`, at least the threads or greenlets that use it at once (\(connections) here were all busy) — or "
                + "lower that concurrency; pipeline the commands of one request; with gevent, give the BlockingConnectionPool a "
                + "gevent queue (queue_class=gevent.queue.LifoQueue) so waiting greenlets wake promptly."
        }
        return "Requests wait in the client for a free connection, not in Redis. The client library is not known from the "
            + "wire (it declared none); the advice is generic. Raise the pool size (redis-py `max_connections` of the "
            + "pool or of a `BlockingConnectionPool`) or lower the client's concurrency; pipeline the commands of one request; "
            + "with gevent, give redis-py's BlockingConnectionPool a gevent queue (queue_class=gevent.queue.LifoQueue) so "
            + "waiting greenlets wake promptly."
    }
}
