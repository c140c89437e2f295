import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Formatting

/// One node of a cluster, or one hash slot, takes a disproportionate share of the commands. Every node serves its
/// slots with one thread, so the busiest node saturates first: the cluster can carry `1/share` nodes' worth of load,
/// not one per node. A slot cannot be split: once one slot takes more than a node's even share (`1/nodes`), no
/// resharding can balance it.
///
/// Raised, on a capture that shows a cluster (redirects, ASKING, CLUSTER or READONLY commands), when:
/// - the busiest node's calls exceed an even share by more than sampling noise (3 standard deviations of a
///   binomial count) and the imbalance costs at least one whole node (`1/share <= nodes - 1`); or
/// - the busiest slot's keyed calls exceed a node's even share of them by more than sampling noise.
public struct UnevenClusterLoadRule: FindingRule {
    public static let id = "uneven-cluster-load"
    public init() {}

    /// `count` of `total` is beyond what an even spread over `ways` would give by chance.
    static func beyondNoise(_ count: Int, of total: Int, ways: Int) -> Bool {
        let p = 1 / Double(ways), n = Double(total)
        return Double(count) - n * p > 3 * (n * p * (1 - p)).squareRoot()
    }

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let cluster = report.cluster, cluster.nodes.count >= 2 else { return nil }
        let r = cluster.redirects
        let isCluster = r.moved + r.ask + r.tryagain + r.clusterdown + r.crossslot + r.asking > 0
            || (cluster.clusterCommands ?? 0) > 0
        guard isCluster else { return nil }
        let nodes = cluster.nodes.count
        let calls = cluster.nodes.reduce(0) { $0 + $1.calls }
        guard calls > 0, let busiest = cluster.nodes.max(by: { ($0.calls, $1.address) < ($1.calls, $0.address) }) else { return nil }
        let share = Double(busiest.calls) / Double(calls)
        let worth = 1 / share
        let unevenNode = Self.beyondNoise(busiest.calls, of: calls, ways: nodes) && worth <= Double(nodes - 1)
        let keyed = cluster.slots.reduce(0) { $0 + $1.calls }
        let hottest = cluster.slots.max { ($0.calls, $1.slot) < ($1.calls, $0.slot) }
        let hotSlot = hottest.map { Self.beyondNoise($0.calls, of: keyed, ways: nodes) } ?? false
        guard unevenNode || hotSlot else { return nil }
        var evidence: [String] = []
        var metrics: [String: Double] = ["nodes": Double(nodes), "busiestNodeShare": share, "nodesWorth": worth]
        if unevenNode {
            evidence.append("\(busiest.address) took \(NumberFormatting.grouped(busiest.calls)) of "
                            + "\(NumberFormatting.grouped(calls)) commands (\(NumberFormatting.percent(share * 100, of: 100)); "
                            + "even: \(NumberFormatting.percent(100 / Double(nodes), of: 100))): it saturates first, when the "
                            + "cluster carries \(NumberFormatting.decimal(worth, 1)) nodes' worth of load of \(nodes) "
                            + "(threshold: one node lost, \(nodes - 1))")
        }
        if let slot = hottest, hotSlot {
            let slotShare = Double(slot.calls) / Double(max(keyed, 1))
            metrics["hottestSlot"] = Double(slot.slot)
            metrics["hottestSlotShare"] = slotShare
            evidence.append("slot \(slot.slot)\(slot.node.map { " (on \($0))" } ?? "") took "
                            + "\(NumberFormatting.grouped(slot.calls)) of \(NumberFormatting.grouped(keyed)) keyed commands "
                            + "(\(NumberFormatting.percent(slotShare * 100, of: 100))), more than a node's even share "
                            + "(\(NumberFormatting.percent(100 / Double(nodes), of: 100))): no resharding can balance one slot")
        }
        return Finding(
            id: Self.id, severity: .warning,
            title: hotSlot
                ? "One hash slot, \(hottest?.slot ?? 0), takes more than a node's even share of the cluster's keyed commands"
                : "One node, \(busiest.address), takes \(NumberFormatting.percent(share * 100, of: 100)) of the cluster's "
                    + "commands: the cluster has the capacity of \(NumberFormatting.decimal(worth, 1)) of its \(nodes) nodes",
            evidence: evidence,
            recommendation: hotSlot
                ? "Spread the hot slot's keys: a hash tag (`{...}`) that many keys share puts them all in one slot; "
                    + "tag by a finer id, or split a hot key into N keys and pick one per request."
                : "Move slots from the busiest node to the others (`redis-cli --cluster rebalance`, or "
                    + "`--cluster reshard`), weighting by traffic rather than by slot count when a few slots are hot.",
            metrics: metrics)
    }
}
