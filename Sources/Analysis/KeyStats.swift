// Placeholder: the KeyStats analysis is being written (issue: workload analyses).
public struct KeySummary: Codable, Sendable {}
