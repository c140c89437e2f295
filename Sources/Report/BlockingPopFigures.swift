/// The figures of a report's `blockingPops` section that `respcap diff` compares, read by field name from the JSON
/// tree so that a report without the section (or with fewer fields) still compares: every figure is optional.
public struct BlockingPopFigures: Sendable, Equatable {
    public struct KeyCountBucket: Sendable, Equatable {
        public var keys: Int
        public var calls: Int
        public var clients: Int?
    }

    public var calls: Int?
    public var keysScanned: Int64?
    /// Calls by command name (`brpop`, `blmove`...).
    public var byCommand: [String: Int] = [:]
    public var keyCountDistribution: [KeyCountBucket] = []
    public var served: Int?
    public var timedOut: Int?

    public init() {}

    /// Nil when the report has no `blockingPops` section (or it is null).
    public init?(_ section: JSONValue?) {
        guard let section, case .object = section else { return nil }
        calls = section["calls"]?.int.map { Int($0) }
        keysScanned = section["keysScanned"]?.int
        if let byCommand = section["byCommand"]?.object {
            for (name, value) in byCommand {
                // Calls, or an object holding them (`{"calls": n, ...}`).
                if let n = value.int ?? value["calls"]?.int { self.byCommand[name] = Int(n) }
            }
        }
        for bucket in section["keyCountDistribution"]?.array ?? [] {
            guard let keys = bucket["keys"]?.int, let calls = bucket["calls"]?.int else { continue }
            keyCountDistribution.append(KeyCountBucket(keys: Int(keys), calls: Int(calls), clients: bucket["clients"]?.int.map { Int($0) }))
        }
        served = section["served"]?.int.map { Int($0) }
        timedOut = section["timedOut"]?.int.map { Int($0) }
        if keysScanned == nil, !keyCountDistribution.isEmpty {
            keysScanned = keyCountDistribution.reduce(0) { $0 + Int64($1.keys) * Int64($1.calls) }
        }
        if calls == nil, !keyCountDistribution.isEmpty { calls = keyCountDistribution.reduce(0) { $0 + $1.calls } }
    }

    /// Keys named per call, averaged over calls: the server's scan cost per blocking pop.
    public var keysScannedPerCall: Double? {
        guard let calls, calls > 0, let keysScanned else { return nil }
        return Double(keysScanned) / Double(calls)
    }

    /// The most common key count, with its calls.
    public var typicalKeyCount: KeyCountBucket? {
        keyCountDistribution.max { ($0.calls, -$0.keys) < ($1.calls, -$1.keys) }
    }

    /// Of the calls that ended (served or timed out), the share that timed out.
    public var timedOutShare: Double? {
        guard let served, let timedOut, served + timedOut > 0 else { return nil }
        return Double(timedOut) / Double(served + timedOut)
    }
}
