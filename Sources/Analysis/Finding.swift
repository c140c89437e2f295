/// Something wrong in the traffic, stated for an operator: what, how sure (the evidence with its thresholds), and
/// what to change. Findings come first in the report.
public struct Finding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case info, warning, critical

        var rank: Int { self == .critical ? 2 : self == .warning ? 1 : 0 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var id: String
    public var severity: Severity
    /// One line: the cause, in the operator's words.
    public var title: String
    /// The numbers from this capture that triggered the rule, each with the threshold it crossed.
    public var evidence: [String]
    /// What to change, concretely, in the client or the server configuration.
    public var recommendation: String
    /// The figures behind the evidence, for machines (`respcap diff`, dashboards).
    public var metrics: [String: Double] = [:]

    public init(id: String, severity: Severity, title: String, evidence: [String], recommendation: String,
                metrics: [String: Double] = [:]) {
        self.id = id
        self.severity = severity
        self.title = title
        self.evidence = evidence
        self.recommendation = recommendation
        self.metrics = metrics
    }
}
