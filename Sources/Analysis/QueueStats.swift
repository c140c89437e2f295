// Placeholder: the QueueStats analysis is being written (issue: workload analyses).
public struct QueueSummary: Codable, Sendable {}
public struct QueuePrefixSummary: Codable, Sendable {}

public final class QueueStats: TrafficAnalysis {
    public init() {}
    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
