import Analysis
import Formatting
/// One key takes most of the traffic: in a cluster its slot's node is the bottleneck; anywhere it is a contention point.
public struct HotKeyRule: FindingRule {
    public static let id = "hot-key"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let keys = report.keys, Double(keys.commandsWithKeys) >= t.hotKeyMinCommands,
              let top = keys.topKeysByCalls.first else { return nil }
        let share = Double(top.calls) * 100 / Double(keys.commandsWithKeys)
        guard share >= t.hotKeySharePercent else { return nil }
        return Finding(
            id: Self.id, severity: .info,
            title: "One key, `\(top.key)`, takes \(NumberFormatting.percent(Double(top.calls), of: Double(keys.commandsWithKeys))) of keyed commands",
            evidence: ["\(NumberFormatting.grouped(top.calls)) of \(NumberFormatting.grouped(keys.commandsWithKeys)) commands with a key "
                       + "(threshold \(NumberFormatting.decimal(t.hotKeySharePercent, 0))%)"],
            recommendation: "Expected for a single work queue; otherwise spread the load (shard the key, cache it client-side with "
                + "CLIENT TRACKING), since one key lives on one node and is served by one thread.",
            metrics: ["sharePercent": share, "calls": Double(top.calls)])
    }
}
