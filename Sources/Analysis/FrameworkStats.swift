import RedisSemantics

/// Which job frameworks the traffic comes from, recognised by the keys they name (the kept arguments: a command's
/// first three, which hold the keys of a blocking pop and the first key of an EVAL/EVALSHA): Sidekiq, Resque,
/// Celery (kombu), RQ, BullMQ, Dramatiq, arq. Knowing the framework lets advice name its settings. Client
/// libraries are `ClientLibraryStats`'s; this names only what runs on top of them.
///
/// A framework is recognised when one of its distinctive marks is seen (Sidekiq's generic `queue:*` lists need one
/// of its bookkeeping keys too); its connections are those that named one of its marks, with all their commands.
///
/// Memory: a bit set per connection, one counter pair per framework. Per command: a prefix comparison of at most
/// three kept arguments, no allocation.
public final class FrameworkStats: TrafficAnalysis {
    /// A key pattern that tells a framework: exact key, or a prefix (or, for kombu's priority lists, a suffix).
    struct Mark {
        enum Match { case exact, prefix, kombuPrioritySuffix }
        let framework: Framework
        let bytes: [UInt8]
        let match: Match
        /// Only as the command's first argument (generic words such as `processes` are keys only there).
        let firstArgumentOnly: Bool
        /// Not enough alone: Sidekiq's `queue:*` lists.
        let needsCorroboration: Bool
        /// As the report shows it.
        let label: String

        init(_ framework: Framework, _ text: String, _ match: Match, label: String? = nil, firstArgumentOnly: Bool = false,
             needsCorroboration: Bool = false) {
            self.framework = framework
            bytes = Array(text.utf8)
            self.match = match
            self.firstArgumentOnly = firstArgumentOnly
            self.needsCorroboration = needsCorroboration
            self.label = label ?? (match == .prefix ? text + "*" : text)
        }
    }

    /// The frameworks recognised, by the name the report uses.
    public enum Framework: String, CaseIterable, Sendable {
        case sidekiq, resque, celery, rq, bullmq, dramatiq, arq
    }

    /// Checked in order; at most 64. A command can carry marks of several frameworks (each is counted).
    static let marks: [Mark] = [
        Mark(.sidekiq, "queue:", .prefix, firstArgumentOnly: true, needsCorroboration: true),
        Mark(.sidekiq, "processes", .exact, firstArgumentOnly: true),
        Mark(.sidekiq, "stat:processed", .prefix, firstArgumentOnly: true),
        Mark(.sidekiq, "stat:failed", .prefix, firstArgumentOnly: true),
        Mark(.sidekiq, "schedule", .exact, firstArgumentOnly: true),
        Mark(.sidekiq, "retry", .exact, firstArgumentOnly: true),
        Mark(.resque, "resque:", .prefix),
        Mark(.celery, "_kombu.binding.", .prefix),
        Mark(.celery, "unacked_index", .exact),
        Mark(.celery, "unacked_mutex", .exact),
        Mark(.celery, "celery-task-meta-", .prefix),
        Mark(.celery, "\u{06}\u{16}", .kombuPrioritySuffix, label: "<queue>\\x06\\x16<n> (kombu priority lists)"),
        Mark(.rq, "rq:queue:", .prefix),
        Mark(.rq, "rq:job:", .prefix),
        Mark(.rq, "rq:workers", .prefix),
        Mark(.rq, "rq:worker:", .prefix),
        Mark(.rq, "rq:results:", .prefix),
        Mark(.bullmq, "bull:", .prefix, label: "bull:<queue>:*"),
        Mark(.dramatiq, "dramatiq", .exact, label: "dramatiq (script namespace)"),
        Mark(.dramatiq, "dramatiq:", .prefix),
        Mark(.arq, "arq:queue", .prefix),
        Mark(.arq, "arq:job:", .prefix),
        Mark(.arq, "arq:in-progress:", .prefix),
        Mark(.arq, "arq:result:", .prefix),
        Mark(.arq, "arq:retry:", .prefix),
    ]

    struct Usage {
        var connections = 0
        var commands = 0
    }

    /// Marks seen anywhere, one bit per entry of `marks`.
    private var seen: UInt64 = 0
    private var usage = [Usage](repeating: Usage(), count: Framework.allCases.count)

    private let finder = FrameworkMarkFinder()

    public init() {}

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        guard record.argumentCount > 1 else { return }
        // Here rather than in the record's digest, on the stream thread: that thread sets the pace of a run.
        let found = finder.marks(of: location)
        if found != 0 {
            seen |= found
            connection.frameworkMarks |= found
        }
    }

    /// Per first byte, the prefix and exact marks (bits of `marks`) whose pattern starts with it.
    static let candidatesByFirstByte: [UInt64] = {
        var table = [UInt64](repeating: 0, count: 256)
        for (index, mark) in marks.enumerated() where mark.match != .kombuPrioritySuffix {
            table[Int(mark.bytes[0])] |= 1 << UInt64(index)
        }
        return table
    }()

    static let kombuSuffixMarks: UInt64 = marks.enumerated().reduce(0) { bits, entry in
        entry.element.match == .kombuPrioritySuffix ? bits | 1 << UInt64(entry.offset) : bits
    }

    static let firstArgumentOnlyMarks: UInt64 = marks.enumerated().reduce(0) { bits, entry in
        entry.element.firstArgumentOnly ? bits | 1 << UInt64(entry.offset) : bits
    }

    /// Indexed loops, no `elementsEqual`: generic sequence iteration allocates in unoptimised builds.
    static func matches(_ mark: Mark, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let pattern = mark.bytes
        switch mark.match {
        case .exact:
            return bytes.count == pattern.count && startsWith(bytes, pattern)
        case .prefix:
            return bytes.count >= pattern.count && startsWith(bytes, pattern)
        case .kombuPrioritySuffix:
            // kombu's priority lists: `<queue>` + separator + the priority step's digits (`celery\x06\x163`).
            var end = bytes.count
            while end > 0, bytes[end - 1] >= 0x30, bytes[end - 1] <= 0x39 { end -= 1 }
            guard end < bytes.count, end > pattern.count else { return false }
            return bytes[end - 2] == pattern[0] && bytes[end - 1] == pattern[1]
        }
    }

    private static func startsWith(_ bytes: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool {
        var index = 0
        while index < pattern.count {
            if bytes[index] != pattern[index] { return false }
            index += 1
        }
        return true
    }

    /// Frameworks recognised from a set of marks.
    static func recognised(_ marksSeen: UInt64) -> [Framework] {
        Framework.allCases.filter { framework in
            marks.enumerated().contains { index, mark in
                mark.framework == framework && !mark.needsCorroboration && marksSeen & (1 << UInt64(index)) != 0
            }
        }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        let found = connection.frameworkMarks
        guard found != 0 else { return }
        var counted = Set<Framework>()
        for (index, mark) in Self.marks.enumerated() where found & (1 << UInt64(index)) != 0 && !counted.contains(mark.framework) {
            counted.insert(mark.framework)
            let slot = Framework.allCases.firstIndex(of: mark.framework) ?? 0
            usage[slot].connections += 1
            usage[slot].commands += connection.commands
        }
        connection.frameworkMarks = 0
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        let frameworks = Self.recognised(seen)
        guard !frameworks.isEmpty else { return }
        report.frameworks = frameworks.map { framework in
            let labels = Self.marks.enumerated().filter { $0.element.framework == framework && seen & (1 << UInt64($0.offset)) != 0 }
                .map(\.element.label)
            let slot = Framework.allCases.firstIndex(of: framework) ?? 0
            return FrameworkSummary(name: framework.rawValue, evidence: "keys " + labels.joined(separator: ", "),
                                    connections: usage[slot].connections, commands: usage[slot].commands)
        }.sorted(by: FrameworkSummary.ranking)
    }
}

/// A job framework recognised from the keys on the wire, and the connections that named its keys.
public struct FrameworkSummary: Codable, Sendable, Equatable {
    /// `sidekiq`, `resque`, `celery`, `rq`, `bullmq`, `dramatiq`, `arq`.
    public var name: String
    /// The key patterns seen, e.g. `keys rq:queue:*, rq:job:*`.
    public var evidence: String
    /// Connections that named one of its keys (with commands in the capture).
    public var connections: Int
    /// All the commands of those connections.
    public var commands: Int

    public init(name: String, evidence: String, connections: Int, commands: Int) {
        self.name = name
        self.evidence = evidence
        self.connections = connections
        self.commands = commands
    }

    /// Most commands first, then by name.
    public static func ranking(_ a: FrameworkSummary, _ b: FrameworkSummary) -> Bool {
        (a.commands, a.connections, b.name) > (b.commands, b.connections, a.name)
    }
}

extension FrameworkStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
