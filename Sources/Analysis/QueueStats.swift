// Placeholder: the QueueStats analysis is being written (issue: workload analyses).
public struct QueueSummary: Codable, Sendable {}
public struct QueuePrefixSummary: Codable, Sendable {}
