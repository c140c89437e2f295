import Analysis

/// One diagnosis. A rule reads the finished report (every analysis has written its part) and raises at most one
/// finding. Adding a rule touches its own file and one line in `FindingRules.all`.
public protocol FindingRule: Sendable {
    static var id: String { get }
    func evaluate(_ report: AnalysisReport, _ thresholds: FindingThresholds) -> Finding?
}
