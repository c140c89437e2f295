import Analysis
import Formatting
/// A replica that stopped acknowledging while its master kept sending: a replica that keeps up sends REPLCONF ACK
/// with its offset every second (`replicationCron`), so a last ACK more than two of those periods before the capture's
/// end, with bytes sent after it, means the replica is not applying the stream (stalled, swapping, blocked by a slow
/// command or its disk). The bytes sent since are writes a failover to it would lose, and what WAIT waits for.
public struct ReplicaLagRule: FindingRule {
    public static let id = "replica-lag"
    /// Redis replicas acknowledge once per `replicationCron` run: every second.
    static let ackPeriodSeconds = 1.0
    /// The master's default `repl-timeout`: after that long without an ACK it drops the link, and the replica resyncs.
    static let replTimeoutSeconds = 60.0
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        let stalled = (report.replication?.replicas ?? []).filter {
            ($0.secondsSinceAck ?? 0) > 2 * Self.ackPeriodSeconds && ($0.lagBytes ?? 0) > 0
        }
        guard let worst = stalled.max(by: { ($0.secondsSinceAck ?? 0) < ($1.secondsSinceAck ?? 0) }),
              let silence = worst.secondsSinceAck, let lag = worst.lagBytes else { return nil }
        var evidence = stalled.map { replica in
            "replica \(replica.address): last REPLCONF ACK \(NumberFormatting.decimal(replica.secondsSinceAck ?? 0, 1)) s before the "
                + "capture's end, at offset \(NumberFormatting.grouped(replica.ackedOffset ?? 0)); the master had sent up to "
                + "\(NumberFormatting.grouped(replica.masterOffset ?? 0)): \(NumberFormatting.bytes(replica.lagBytes ?? 0)) not acknowledged"
        }
        evidence.append("a replica that keeps up acknowledges its offset every second; these missed at least "
                        + "\(Int(silence / Self.ackPeriodSeconds) - 1) acknowledgements while the stream went on")
        evidence.append("those writes are not known to be on the replica: a failover to it would lose them, and WAIT for it blocks; "
                        + "past repl-timeout (\(Int(Self.replTimeoutSeconds)) s by default) the master drops the link and the replica "
                        + "needs a new sync")
        return Finding(
            id: Self.id, severity: silence >= Self.replTimeoutSeconds ? .critical : .warning,
            title: stalled.count == 1
                ? "A replica stopped acknowledging the replication stream \(NumberFormatting.decimal(silence, 1)) s before the end"
                : "\(stalled.count) replicas stopped acknowledging the replication stream",
            evidence: evidence,
            recommendation: "Look at the replica at that time: its log, latency (`LATENCY LATEST`), a slow command or a stalled disk "
                + "(`INFO persistence`), swapping, and `INFO replication` on the master (`slaveN: lag=`).",
            metrics: ["secondsSinceAck": silence, "lagBytes": Double(lag), "replicas": Double(stalled.count)])
    }
}
