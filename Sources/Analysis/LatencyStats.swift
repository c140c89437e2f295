// Placeholder: the LatencyStats and Timeline analyses are being written (issue: workload analyses).
public struct LatencySummary: Codable, Sendable {}
public struct TimelineSummary: Codable, Sendable {}

public final class LatencyStats: TrafficAnalysis {
    public init() {}
    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
