import Analysis
/// The registered finding rules, most specific first. Findings are sorted by severity, then in this order.
public enum FindingRules {
    public static let all: [any FindingRule] = [
        ConnectionChurnRule(), ConnectionGrowthRule(), PoolSaturationRule(), BlockingPopManyKeysRule(), SlowWritesRule(),
        StaleTopologyRule(), UnevenClusterLoadRule(),
        KeyspaceScanRule(), UnpipelinedRoundTripsRule(), ErrorRateRule(), BigValuesRule(), HotKeyRule(), KeyCostRule(),
        ReplicaLagRule(),
        CaptureQualityRule(),
    ]

    public static func evaluate(_ report: AnalysisReport, thresholds: FindingThresholds = FindingThresholds()) -> [Finding] {
        let found = all.compactMap { $0.evaluate(report, thresholds) }
        return found.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }
}
