// Placeholder: the BlockingPopStats analysis is being written (issue: workload analyses).
public struct BlockingPopSummary: Codable, Sendable {}

public final class BlockingPopStats: TrafficAnalysis {
    public init() {}
    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
