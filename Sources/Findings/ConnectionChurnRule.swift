import Analysis
import Formatting
/// A new connection for (almost) every request: each pays a TCP handshake, the setup commands (AUTH, SELECT, HELLO,
/// CLIENT SETNAME...) and Redis's per-client allocation, typically a client or pool created per request
/// (redis-py `Sentinel.master_for` called in the request path).
public struct ConnectionChurnRule: FindingRule {
    public static let id = "connection-churn"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        let commands = report.totals.commands
        guard Double(c.opened) >= t.churnMinConnections, commands > 0 else { return nil }
        let short = c.shortLived
        let shortShare = short.map { $0.ofConnections > 0 ? Double($0.count) * 100 / Double($0.ofConnections) : 0 } ?? 0
        // The cost of churn is a handshake and setup per connection for the work that connection carries: measured on
        // the short-lived connections themselves, so long-lived workers' commands beside them do not hide it, and
        // connections opened and closed without a command are no work to weigh it against.
        let churned: (connections: Int, commands: Int, ofShortLived: Bool)
        if let withCommands = short?.withCommands, let carried = short?.commands {
            guard Double(withCommands) >= t.churnMinConnections, carried > 0 else { return nil }
            churned = (withCommands, carried, true)
        } else {
            churned = (c.opened, commands, false)
        }
        let per100 = Double(churned.connections) * 100 / Double(churned.commands)
        guard per100 >= t.churnConnectionsPer100Commands, shortShare >= t.churnShortLivedPercent else { return nil }
        let setup = c.setupCommands
        let setupShare = (setup?.share ?? 0) * 100
        let threshold = "threshold \(NumberFormatting.decimal(t.churnConnectionsPer100Commands, 0))"
        var evidence = [
            churned.ofShortLived
                ? "\(NumberFormatting.grouped(churned.connections)) connections lasted under \(NumberFormatting.decimal(short?.thresholdSeconds ?? 1, 0)) s "
                    + "and carried \(NumberFormatting.grouped(churned.commands)) commands: \(NumberFormatting.decimal(per100, 1)) connections per 100 "
                    + "commands (\(threshold)); \(NumberFormatting.grouped(c.opened)) opened in all (\(NumberFormatting.decimal(c.openedPerSecondAverage, 1))/s) "
                    + "for \(NumberFormatting.grouped(commands)) commands (\(NumberFormatting.decimal(report.totals.commandsPerSecond, 1))/s)"
                : "\(NumberFormatting.grouped(c.opened)) connections opened (\(NumberFormatting.decimal(c.openedPerSecondAverage, 1))/s) for "
                    + "\(NumberFormatting.grouped(commands)) commands (\(NumberFormatting.decimal(report.totals.commandsPerSecond, 1))/s): "
                    + "\(NumberFormatting.decimal(per100, 1)) connections per 100 commands (\(threshold))",
            "\(NumberFormatting.decimal(shortShare, 0))% of the connections opened and closed in the capture lasted under "
                + "\(NumberFormatting.decimal(short?.thresholdSeconds ?? 1, 0)) s (threshold \(NumberFormatting.decimal(t.churnShortLivedPercent, 0))%)",
        ]
        if let life = c.lifetimeSeconds, life.count > 0, let per = c.commandsPerConnection {
            evidence.append("median lifetime \(NumberFormatting.micros(life.p50 * 1e6)), median \(NumberFormatting.decimal(per.p50, 0)) commands per connection")
        }
        if let setup, setup.total > 0 {
            let names = setup.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
                .map { "\($0.key) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
            evidence.append("setup commands are \(NumberFormatting.decimal(setupShare, 0))% of all commands (\(names))")
        }
        let critical = per100 >= 3 * t.churnConnectionsPer100Commands || setupShare >= 30
        return Finding(
            id: Self.id, severity: critical ? .critical : .warning,
            title: "A new connection every \(NumberFormatting.decimal(100 / per100, 1)) commands: clients connect per request "
                + "(\(NumberFormatting.decimal(c.openedPerSecondAverage, 0)) connections/s)",
            evidence: evidence,
            recommendation: Self.advice(ClientSoftware(report)),
            metrics: ["connectionsPer100Commands": per100, "shortLivedPercent": shortShare, "setupCommandPercent": setupShare,
                      "openedPerSecond": c.openedPerSecondAverage])
    }

    static let reuse = "Create the Redis client (and its connection pool) once per process and reuse it across requests; with "
        + "Sentinel, call `master_for` once and keep the returned client rather than calling it per request. "
        + "Check that connections are returned to the pool, not closed, after each request."

    /// The framework's or library's own way to keep connections, where one is recognised.
    static func advice(_ software: ClientSoftware) -> String {
        switch software.framework(among: ["rq", "bullmq"]) {
        case "rq":
            return "RQ: create the producers' Redis connection and `Queue` once per process, not per enqueue. An RQ worker forks "
                + "a work horse per job, which opens its own connection: that is how RQ runs; if that rate is the problem, "
                + "`SimpleWorker` runs jobs in the worker process on its connection (no fork, no isolation between jobs)."
        case "bullmq":
            return "BullMQ: create each `Queue` and `Worker` once and reuse it (one connection each, or one shared connection), "
                + "not a `Queue` per job; enqueue many jobs at once with `addBulk`."
        default:
            if software.usesRedisPy {
                return "redis-py: create the `Redis` client (and its `ConnectionPool`) once per process and share it across "
                    + "requests; with Sentinel, call `master_for` once and keep the returned client. Check that connections are "
                    + "returned to the pool, not closed, after each request."
            }
            return (software.frameworks.isEmpty ? ClientSoftware.notRecognised : "") + reuse
        }
    }
}
