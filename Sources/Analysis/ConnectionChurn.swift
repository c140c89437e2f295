// Placeholder: the ConnectionChurn analysis is being written (issue: workload analyses).
public struct ShortLivedConnections: Codable, Sendable {}
public struct SetupCommands: Codable, Sendable {}
public struct ClientConnections: Codable, Sendable {}
public struct ConnectionUtilisation: Codable, Sendable {}

public final class ConnectionChurn: TrafficAnalysis {
    public init() {}
    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}
