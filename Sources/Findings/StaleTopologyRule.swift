import Analysis
import Formatting

/// A client keeps being redirected: it sent commands for a slot to a node that had already answered it, on the same
/// connection, that the slot lives elsewhere (`redirects.movedRepeated`). A client that updates its slot map on MOVED
/// is redirected once per slot (requests already in flight when the MOVED arrived are not counted); one that does not
/// pays the redirect on every command for that slot, or fails it.
///
/// Raised when a client's repeated MOVEDs are at least as many as its first ones: most of what the cluster told it,
/// it ignored. A race between a client's threads repeats a few; a client without a slot map repeats every one.
/// The cost: each MOVED is a round trip that did nothing (the client sends the command again, to the right node).
public struct StaleTopologyRule: FindingRule {
    public static let id = "stale-topology"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let cluster = report.cluster else { return nil }
        let stale = cluster.redirects.byClient.filter { $0.movedRepeated > 0 && $0.movedRepeated * 2 >= $0.moved }
            .sorted { ($0.movedRepeated, $1.client) > ($1.movedRepeated, $0.client) }
        guard let worst = stale.first else { return nil }
        let moved = stale.reduce(0) { $0 + $1.moved }
        let repeated = stale.reduce(0) { $0 + $1.movedRepeated }
        let wasted = stale.reduce(0) { $0 + ($1.movedRoundTripMicros ?? 0) }
        var evidence = ["\(worst.client): \(NumberFormatting.grouped(worst.moved)) MOVED replies, "
                        + "\(NumberFormatting.grouped(worst.movedRepeated)) of them for a slot the same connection had "
                        + "already been told had moved (threshold: as many as the first MOVEDs, "
                        + "\(NumberFormatting.grouped(worst.moved - worst.movedRepeated)))"]
        if stale.count > 1 {
            evidence.append("\(stale.count) clients in all: \(NumberFormatting.grouped(repeated)) repeated of "
                            + "\(NumberFormatting.grouped(moved)) MOVED")
        }
        evidence.append("each MOVED is a round trip that did nothing: \(NumberFormatting.micros(wasted)) in all at the "
                        + "capture point (request to reply), plus the command sent again to the right node")
        return Finding(
            id: Self.id, severity: .warning,
            title: "\(stale.count == 1 ? "A client keeps" : "\(stale.count) clients keep") being redirected (MOVED) for "
                + "slots it was already told had moved: its slot map is never refreshed",
            evidence: evidence,
            recommendation: "Use a cluster-aware client (redis-cli -c, RedisCluster, Lettuce/Jedis cluster, go-redis "
                + "ClusterClient) and let it refresh its slot map on MOVED (CLUSTER SLOTS or CLUSTER SHARDS); a client "
                + "that caches the map must reload it when a MOVED arrives, not only at start.",
            metrics: ["moved": Double(moved), "movedRepeated": Double(repeated), "clients": Double(stale.count),
                      "movedRoundTripMicros": wasted])
    }
}
