import Analysis
import Formatting
/// A new connection for (almost) every request: each pays a TCP handshake, the setup commands (AUTH, SELECT, HELLO,
/// CLIENT SETINFO...) and Redis's per-client allocation, typically a client or pool created per request
/// (redis-py `Sentinel.master_for` called in the request path).
///
/// The cost model, per connection: one round trip for the TCP connect plus one per round trip of setup or teardown
/// commands, against the round trips that carried work. A connection whose handshake is at least its work
/// (`ConnectionHandshakes`) at least doubles the time that work waits on Redis; it is churn when its client
/// replaced it with another (connections closed at a client's shutdown are not). Severity follows how much of the
/// traffic pays it, and whether the rate of closes threatens the client's ephemeral ports (TIME_WAIT).
public struct ConnectionChurnRule: FindingRule {
    public static let id = "connection-churn"
    public init() {}

    /// Linux's default ephemeral port range (32768–60999) and how long a closed socket holds its port in TIME_WAIT
    /// on the side that closed first.
    static let ephemeralPorts = 28_232.0
    static let timeWaitSeconds = 60.0

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let c = report.connections
        guard let setup = c.setupCommands, let h = setup.handshakes, Double(h.handshakeBound) >= t.churnMinConnections,
              h.workRoundTrips > 0 else { return nil }
        let duration = report.capture.durationSeconds
        let ratio = Double(h.handshakeRoundTrips) / Double(h.workRoundTrips)
        let workShare = h.allWorkRoundTrips > 0 ? Double(h.workRoundTrips) * 100 / Double(h.allWorkRoundTrips) : 100
        let rate = duration > 0 ? Double(h.handshakeBound) / duration : 0
        // Each close by the client holds a port for TIME_WAIT: at this rate, this many ports at once.
        let timeWaitPorts = duration > 0 ? Double(h.closedByClient) / duration * Self.timeWaitSeconds : 0
        let portsShare = timeWaitPorts * 100 / Self.ephemeralPorts
        let everyRequest = workShare >= t.churnCriticalWorkPercent
        let portsAtRisk = portsShare >= t.churnTimeWaitPortsPercent
        let names = setup.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
            .map { "\($0.key) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
        var evidence = [
            "\(NumberFormatting.grouped(h.handshakeBound)) connections (\(NumberFormatting.decimal(rate, 1))/s) were each replaced by a new one after "
                + "\(NumberFormatting.decimal(Double(h.workRoundTrips) / Double(h.handshakeBound), 1)) round trips of work and "
                + "\(NumberFormatting.decimal(Double(h.handshakeRoundTrips) / Double(h.handshakeBound), 1)) of handshake (TCP connect, setup "
                + "and QUIT): the handshake is \(NumberFormatting.decimal(ratio, 1))× the work, so their work waited on Redis "
                + "\(NumberFormatting.decimal(1 + ratio, 1))× as long as it needed (threshold: handshake ≥ work on a connection, "
                + "≥ \(NumberFormatting.decimal(t.churnMinConnections, 0)) such connections)",
            "their work is \(NumberFormatting.decimal(workShare, 0))% of the round trips with work in the capture ("
                + "\(NumberFormatting.grouped(h.workRoundTrips)) of \(NumberFormatting.grouped(h.allWorkRoundTrips)))"
                + (everyRequest ? "; critical at ≥ \(NumberFormatting.decimal(t.churnCriticalWorkPercent, 0))%: most requests pay it" : ""),
        ]
        if h.setupCommands > 0 {
            evidence.append("the server ran \(NumberFormatting.grouped(h.setupCommands)) setup commands for them besides their "
                            + "\(NumberFormatting.grouped(h.commands - h.setupCommands)) others; setup commands are "
                            + "\(NumberFormatting.decimal(setup.share * 100, 0))% of all commands (\(names))")
        }
        if h.closedByClient > 0 {
            evidence.append("closed by the client, each holds a client port in TIME_WAIT for \(NumberFormatting.decimal(Self.timeWaitSeconds, 0)) s: "
                            + "about \(NumberFormatting.grouped(Int(timeWaitPorts.rounded()))) ports at this rate, "
                            + "\(NumberFormatting.decimal(portsShare, 1))% of Linux's default \(NumberFormatting.grouped(Int(Self.ephemeralPorts))) "
                            + "ephemeral ports per server address"
                            + (portsAtRisk ? " (critical at ≥ \(NumberFormatting.decimal(t.churnTimeWaitPortsPercent, 0))%: new connections start to fail)" : ""))
        }
        if h.closedAtShutdown > 0 {
            evidence.append("\(NumberFormatting.grouped(h.closedAtShutdown)) more \(h.closedAtShutdown == 1 ? "was" : "were") closed after "
                            + "their client's last new connection (its shutdown), not counted")
        }
        // RQ and Resque fork a process per job, and the process opens its own connection: that churn is how they run,
        // a trade-off the framework offers a knob for, not a client built per request. Producers that connect per
        // enqueue are the anti-pattern: they push.
        let forkPerJob = ClientSoftware(report).framework(among: ["rq", "resque"])
        let byDesign = forkPerJob != nil && h.enqueued == 0
        if byDesign, let name = forkPerJob {
            evidence.append("none of them pushed a job onto a queue: they are \(name == "rq" ? "RQ" : "Resque")'s per-job worker "
                            + "processes, each forked for one job and opening its own connection (information: how the framework runs)")
        }
        if let life = c.lifetimeSeconds, life.count > 0, let per = c.commandsPerConnection {
            evidence.append("median lifetime \(NumberFormatting.micros(life.p50 * 1e6)), median \(NumberFormatting.decimal(per.p50, 0)) commands per connection")
        }
        return Finding(
            id: Self.id, severity: portsAtRisk ? .critical : byDesign ? .info : everyRequest ? .critical : .warning,
            title: (byDesign ? "A worker process per job: " : "Clients connect per request: ")
                + "\(NumberFormatting.grouped(h.handshakeBound)) connections spent "
                + "\(NumberFormatting.decimal(ratio, 1))× their work's round trips on the handshake "
                + "(\(NumberFormatting.decimal(rate, 1))/s)",
            evidence: evidence,
            recommendation: Self.advice(ClientSoftware(report)),
            metrics: ["handshakeBoundConnections": Double(h.handshakeBound), "handshakePerWorkRoundTrip": ratio,
                      "workSharePercent": workShare, "perSecond": rate, "setupCommandPercent": setup.share * 100,
                      "timeWaitPortsPercent": portsShare])
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
