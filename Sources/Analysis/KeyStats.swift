// Placeholder: the KeyStats analysis is being written (issue: workload analyses).
public struct KeySummary: Codable, Sendable {}

public final class KeyStats: TrafficAnalysis {
    public init() {}
    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
