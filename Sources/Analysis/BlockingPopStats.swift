// Placeholder: the BlockingPopStats analysis is being written (issue: workload analyses).
public struct BlockingPopSummary: Codable, Sendable {}
