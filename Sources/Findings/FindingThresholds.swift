import Analysis
/// Every threshold a finding rule uses, with its default. Each can be changed with `--threshold NAME=VALUE`.
public struct FindingThresholds: Sendable, Codable, Equatable {
    /// blocking-pop-many-keys: keys named by one blocking pop call (warning / critical).
    public var blockingPopKeysWarning = 20.0
    public var blockingPopKeysCritical = 100.0
    /// slow-writes: write p50 latency over read p50 latency, and the least write p50 (µs) worth reporting.
    public var slowWritesRatio = 5.0
    public var slowWritesMinMicros = 200.0
    /// keyspace-scan-in-request-path: full-keyspace commands per second (SCAN, KEYS, SMEMBERS, HGETALL...).
    public var keyspaceScansPerSecond = 5.0
    /// error-rate: share of replies that are errors (percent), and the least number of errors.
    public var errorRatePercent = 1.0
    public var errorRateMinErrors = 10.0
    /// big-values: largest request or reply (bytes); or at least this many commands whose bytes take longer to cross
    /// a 1 Gbit/s link than their service time, carrying this share (percent) of the bytes on the wire (warning when
    /// they fill this share (percent) of the link).
    public var bigValueBytes = 1_000_000.0
    public var bigValueMinCommands = 10.0
    public var bigValueBytesSharePercent = 50.0
    public var bigValueLinkPercent = 10.0
    /// hot-key: one key's share of keyed commands (percent), or the share of keyed commands (percent) that re-read
    /// one key's unchanged value (a third: one node's balanced share in a three-master cluster), with at least this
    /// many keyed commands.
    public var hotKeySharePercent = 50.0
    public var hotKeyRereadSharePercent = 100.0 / 3
    public var hotKeyMinCommands = 1000.0
    /// key-cost: the share (percent) of all server time, or of all bytes on the wire, that the top one to three keys
    /// take; and what makes that share matter: their server time per second of capture as a share (percent) of the
    /// server's one thread (a warning from the second), or their bytes as a share (percent) of a 1 Gbit/s link; the
    /// largest value (bytes) from which the advice is to split or compress it; and the shortest capture (seconds) whose
    /// rates say anything (over milliseconds, a handful of commands is a large share of a thread).
    public var keyCostSharePercent = 50.0
    public var keyCostMinSeconds = 1.0
    public var keyCostThreadPercent = 10.0
    public var keyCostThreadWarningPercent = 50.0
    public var keyCostLinkPercent = 10.0
    public var keyCostBigValueBytes = 100_000.0
    /// unpipelined-round-trips: this share of commands (percent) chained one after another's reply, in chains of at
    /// least this length; a warning when one pipeline per chain would save the time of this many connections
    /// waiting at once (0.1: a tenth of one connection's time), otherwise information.
    public var chainedRoundTripPercent = 50.0
    public var roundTripChainLength = 5.0
    public var pipelineSavingWarning = 0.1
    /// connection-churn: least number of replaced connections whose handshake round trips (TCP connect, setup,
    /// QUIT) were at least their round trips of work; critical when their work is this share (percent) of all round
    /// trips with work, or when their closes keep this share (percent) of the client's ephemeral ports in TIME_WAIT.
    public var churnMinConnections = 20.0
    public var churnCriticalWorkPercent = 50.0
    public var churnTimeWaitPortsPercent = 50.0
    /// connection-growth: concurrent connections at the end over the start of the capture.
    public var growthRatio = 2.0
    public var growthMinConnections = 10.0
    /// pool-saturation: share of their time pooled connections are in use (percent), least commands, and the
    /// highest median service time (µs) at which the pool rather than Redis is the bottleneck (server time: a capture
    /// taken at the clients has the measured network round trip taken off).
    public var poolBusyPercent = 80.0
    public var poolMinCommands = 1000.0
    public var poolMaxServiceMicros = 1000.0
    /// ... and the longest gap (µs) between a reply and the connection's next request, nine times in ten, for a
    /// request to have been waiting for the connection (the client's hand-off, not its think time; a capture taken at
    /// the server has the measured network round trip taken off).
    public var poolMaxHandOffMicros = 1000.0
    /// capture-quality: share of commands lost or unpaired (percent) before the report warns about trust.
    public var captureLossPercent = 1.0

    public init() {}

    /// Applies `name=value` (names as the properties above).
    public mutating func set(_ assignment: String) throws(FindingThresholdError) {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]) else { throw FindingThresholdError(assignment) }
        guard let path = Self.paths[parts[0]] else { throw FindingThresholdError(assignment) }
        self[keyPath: path] = value
    }

    public static var paths: [String: WritableKeyPath<FindingThresholds, Double>] { [
        "blockingPopKeysWarning": \.blockingPopKeysWarning, "blockingPopKeysCritical": \.blockingPopKeysCritical,
        "slowWritesRatio": \.slowWritesRatio, "slowWritesMinMicros": \.slowWritesMinMicros,
        "keyspaceScansPerSecond": \.keyspaceScansPerSecond, "errorRatePercent": \.errorRatePercent,
        "errorRateMinErrors": \.errorRateMinErrors, "bigValueBytes": \.bigValueBytes,
        "bigValueMinCommands": \.bigValueMinCommands, "bigValueBytesSharePercent": \.bigValueBytesSharePercent,
        "bigValueLinkPercent": \.bigValueLinkPercent,
        "hotKeySharePercent": \.hotKeySharePercent, "hotKeyRereadSharePercent": \.hotKeyRereadSharePercent, "hotKeyMinCommands": \.hotKeyMinCommands,
        "pipelineSavingWarning": \.pipelineSavingWarning,
        "keyCostSharePercent": \.keyCostSharePercent, "keyCostThreadPercent": \.keyCostThreadPercent,
        "keyCostThreadWarningPercent": \.keyCostThreadWarningPercent, "keyCostLinkPercent": \.keyCostLinkPercent,
        "keyCostBigValueBytes": \.keyCostBigValueBytes, "keyCostMinSeconds": \.keyCostMinSeconds,
        "chainedRoundTripPercent": \.chainedRoundTripPercent, "roundTripChainLength": \.roundTripChainLength,
        "churnCriticalWorkPercent": \.churnCriticalWorkPercent, "churnTimeWaitPortsPercent": \.churnTimeWaitPortsPercent,
        "churnMinConnections": \.churnMinConnections, "growthRatio": \.growthRatio, "growthMinConnections": \.growthMinConnections,
        "poolBusyPercent": \.poolBusyPercent, "poolMaxServiceMicros": \.poolMaxServiceMicros, "poolMaxHandOffMicros": \.poolMaxHandOffMicros, "poolMinCommands": \.poolMinCommands, "captureLossPercent": \.captureLossPercent,
    ] }
}

public struct FindingThresholdError: Error, CustomStringConvertible, Sendable {
    public let assignment: String
    init(_ assignment: String) { self.assignment = assignment }
    public var description: String {
        "--threshold \(assignment): expected NAME=NUMBER with NAME one of \(FindingThresholds.paths.keys.sorted().joined(separator: ", "))"
    }
}
