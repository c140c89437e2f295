import Analysis

/// What changed between two reports (`respcap diff BEFORE AFTER`), as a JSON document (`"schema": "respcap.diff/1"`).
///
/// Counts of captures of different lengths are compared as rates (per second) and costs per call; latencies as
/// percentiles. `headlines` lists the biggest changes first (findings raised or cleared, then the largest ratios),
/// so the cause of a difference is read before the evidence. Field names are a contract: add, never rename.
public struct ReportDiff: Encodable, Sendable {
    public var schema = "respcap.diff/1"
    public var generator = "respcap \(RespcapVersion.string)"
    public var before: Side
    public var after: Side
    /// True when no figure and no finding differs.
    public var unchanged = true
    /// The biggest changes, most important first: what a reader should see before any table.
    public var headlines: [Headline] = []
    public var findings = FindingChanges()
    /// One entry per command seen on either side, busiest first.
    public var commands: [CommandChange] = []
    /// Each section's figures (`ReportSection.compare`), in the report's order; each group is a field of the JSON
    /// document named after it: `summary` (throughput: commands, bytes, duration), `scripts` (empty when neither
    /// report has script calls), `errors`, `blockingPops` (empty when neither report has blocking pops),
    /// `connections`, `clients` (connections per client library and version declared on either side), `latency`,
    /// `quality`.
    public var metricGroups: [MetricGroup] = []

    /// The figures of one section, by the name of its JSON field.
    public struct MetricGroup: Sendable, Equatable {
        public var name: String
        public var metrics: [Metric]
    }

    /// The figures of the group `name` (empty when no section wrote it).
    public func metrics(_ name: String) -> [Metric] { metricGroups.first { $0.name == name }?.metrics ?? [] }

    /// Sets the figures of the group `name`, appending it when new.
    public mutating func setMetrics(_ name: String, _ metrics: [Metric]) {
        if let index = metricGroups.firstIndex(where: { $0.name == name }) {
            metricGroups[index].metrics = metrics
        } else {
            metricGroups.append(MetricGroup(name: name, metrics: metrics))
        }
    }

    public var summary: [Metric] { metrics("summary") }
    public var latency: [Metric] { metrics("latency") }
    public var connections: [Metric] { metrics("connections") }
    public var blockingPops: [Metric] { metrics("blockingPops") }
    public var errors: [Metric] { metrics("errors") }
    public var clients: [Metric] { metrics("clients") }
    public var quality: [Metric] { metrics("quality") }

    /// One report as the diff sees it.
    public struct Side: Codable, Sendable, Equatable {
        public var label: String
        public var files: [String]
        public var firstTimestamp: String?
        public var lastTimestamp: String?
        public var durationSeconds: Double
        public var commands: Int
        public var commandsPerSecond: Double
        public var connections: Int
        public var verdict: String
        /// The capture's span to the nanosecond (nil in diffs of older versions): `durationSeconds` is rounded to the ms.
        public var firstTimestampNanos: Int64?
        public var lastTimestampNanos: Int64?
    }

    /// One figure on both sides. `ratio` is after / before, nil when either side is missing or before is 0.
    public struct Metric: Codable, Sendable, Equatable {
        public enum Unit: String, Codable, Sendable {
            case count, perSecond, micros, bytes, bytesPerSecond, share, number, seconds
        }

        public var id: String
        public var label: String
        public var unit: Unit
        public var before: Double?
        public var after: Double?
        public var ratio: Double?
        public var changed: Bool

        public init(id: String, label: String, unit: Unit, before: Double?, after: Double?) {
            self.id = id
            self.label = label
            self.unit = unit
            self.before = before
            self.after = after
            if let before, let after, before != 0 { ratio = after / before } else { ratio = nil }
            changed = before != after && !((before ?? 0) == 0 && (after ?? 0) == 0)
        }
    }

    public struct CommandChange: Codable, Sendable, Equatable {
        public var name: String
        public var blocking: Bool
        public var calls: Metric
        public var perSecond: Metric
        /// Service latency, or the wait of a blocking command.
        public var p50: Metric
        public var p99: Metric
        public var errors: Metric
    }

    public struct FindingRef: Codable, Sendable, Equatable {
        public var id: String
        public var severity: String
        public var title: String
    }

    public struct FindingChange: Codable, Sendable, Equatable {
        public var id: String
        public var before: FindingRef
        public var after: FindingRef
    }

    public struct FindingChanges: Codable, Sendable, Equatable {
        /// In AFTER only.
        public var raised: [FindingRef] = []
        /// In BEFORE only.
        public var cleared: [FindingRef] = []
        /// In both (the severity or the title may differ).
        public var persisting: [FindingChange] = []
    }

    /// A line of the "biggest changes" list: a finding raised, cleared or changed, or a metric (by `metric` id).
    public struct Headline: Codable, Sendable, Equatable {
        public var kind: String
        public var text: String
        public var metric: String?
        public var finding: String?
    }

    private struct FieldName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The fixed fields, then each metric group as a field of its own.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldName.self)
        try container.encode(schema, forKey: FieldName("schema"))
        try container.encode(generator, forKey: FieldName("generator"))
        try container.encode(before, forKey: FieldName("before"))
        try container.encode(after, forKey: FieldName("after"))
        try container.encode(unchanged, forKey: FieldName("unchanged"))
        try container.encode(headlines, forKey: FieldName("headlines"))
        try container.encode(findings, forKey: FieldName("findings"))
        try container.encode(commands, forKey: FieldName("commands"))
        for group in metricGroups { try container.encode(group.metrics, forKey: FieldName(group.name)) }
    }
}
