import RedisSemantics

/// Blocking pops (BRPOP, BLPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN/MAX, BLMPOP, BZMPOP): how many keys each call names,
/// how the calls end (served, timed out, still blocked), how long they wait, and which keys serve them.
///
/// The key count per call matters because Redis checks every named key on each call and registers the client
/// on each of them when it blocks: the CPU cost grows with keys × calls (GitLab's 234-queue BRPOPs). The sum over
/// calls of keys named is reported as `keysScanned`.
///
/// Memory: one small counter per distinct key count and array length (at most `maxDistributionBuckets`), a set of
/// connection ids per key count (at most `maxClientsPerBucket`), a bounded counter of serving keys
/// (`maxTrackedKeys`), two histograms.
public final class BlockingPopStats: TrafficAnalysis {
    public let maxTrackedKeys: Int
    public let maxDistributionBuckets: Int
    public let maxClientsPerBucket: Int
    public let redactor: KeyRedactor?

    private var calls = 0
    private var byCommand: [Int32: Int] = [:]
    private var keyCounts: [Int: KeyCountAccumulator] = [:]
    private var arrayLengths: [Int: Int] = [:]
    private var timeouts: [Double: Int] = [:]
    private var distributionOverflow = 0
    private var served = 0, timedOut = 0, pendingAtEnd = 0, abandoned = 0, errors = 0, inTransaction = 0, lost = 0
    private var keysScanned: Int64 = 0
    private var keysScannedByTimedOut: Int64 = 0
    private var maxKeys = 0
    private var servedByKey: BoundedCounter
    private var wait = LatencyHistogram()
    private var timedOutWait = LatencyHistogram()
    private var connections = Set<UInt64>()
    /// Command id -> shape of the command (cached from its name).
    private var shapes = CommandIDTable<Shape>()

    /// Calls of connections whose calls named different key sets (`BlockingPopSummary.callsNamingVaryingKeySets`).
    private var callsNamingVaryingKeySets = 0

    /// Per connection (kept in `ConnectionInfo`): the keys seen in the kept positions (a call's first three keys)
    /// of its multi-key calls. A connection that names the same set each call, in whatever order, shows at most
    /// as many distinct keys there as one call names; more means the sets differ. One change of set (kombu's reply
    /// queue, then its task queue) brings in at most three more: past that, the sets vary from call to call (a sample).
    struct ConnectionState {
        static let maxKeys = 1024
        /// Kept keys of one call: what one change of key set can add.
        static let oneChange = 3
        var varies: Bool { calls > 1 && keysSeen.count > mostKeysPerCall + Self.oneChange }
        var calls = 0
        var mostKeysPerCall = 0
        var keysSeen = Set<UInt64>()
    }

    struct KeyCountAccumulator {
        var calls = 0
        var clients = Set<UInt64>()
        var clientsCapped = false
    }

    /// Where a blocking pop names its keys and its timeout.
    package enum Shape {
        /// BRPOP/BLPOP/BZPOPMIN/BZPOPMAX key [key ...] timeout: reply [key, element...].
        case keysThenTimeout
        /// BRPOPLPUSH/BLMOVE source destination ... timeout: waits on the source only; reply is the element.
        case sourceThenTimeout
        /// BLMPOP/BZMPOP timeout numkeys key [key ...] ...: reply [key, [elements]].
        case timeoutNumkeysKeys
        case notBlockingPop
    }

    public init(maxTrackedKeys: Int = 10_000, maxDistributionBuckets: Int = 4096, maxClientsPerBucket: Int = 100_000,
                redactor: KeyRedactor? = nil) {
        self.maxTrackedKeys = maxTrackedKeys
        self.maxDistributionBuckets = maxDistributionBuckets
        self.maxClientsPerBucket = maxClientsPerBucket
        self.redactor = redactor
        servedByKey = BoundedCounter(capacity: maxTrackedKeys)
    }

    /// A blocking command's argument layout from its key specs (the command table's, not a list of names): keys
    /// then a timeout (BRPOP, BZPOPMIN), one source key then a destination or timeout (BRPOPLPUSH, BLMOVE), or a
    /// timeout, a key count and the keys (BLMPOP, BZMPOP). Blocking commands whose keys follow a keyword (XREAD
    /// BLOCK) or that name none (WAIT) are not blocking pops.
    package static func shape(of spec: CommandSpec) -> Shape {
        guard spec.flags.contains(.blocking), let first = spec.keySpecs.first(where: { !$0.flags.contains(.notKey) }),
              case .index(let begin) = first.beginSearch else { return .notBlockingPop }
        switch (begin, first.findKeys) {
        case (1, .range(lastKey: -2, step: 1, limit: 0)): return .keysThenTimeout
        case (1, .range(lastKey: 0, step: 1, limit: 0)): return .sourceThenTimeout
        case (2, .keyNum(keyNumIndex: 0, firstKey: 1, step: 1)): return .timeoutNumkeysKeys
        default: return .notBlockingPop
        }
    }

    /// The shape of the command named `name` in the command table (`.notBlockingPop` for unknown names).
    package static func shape(of name: String) -> Shape {
        CommandTable.index(named: name).map { shape(of: CommandTable.spec(at: $0)) } ?? .notBlockingPop
    }

    @inline(__always)
    private func shape(of id: CommandID, registry: CommandRegistry) -> Shape {
        shapes.value(of: id) { Self.shape(tableIndex: registry.tableIndex(of: $0)) }
    }

    @inline(never)
    private static func shape(tableIndex: Int?) -> Shape {
        tableIndex.map { shape(of: CommandTable.spec(at: $0)) } ?? .notBlockingPop
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let shape = shape(of: record.command, registry: connection.registry)
        if case .notBlockingPop = shape { return }
        calls += 1
        byCommand[record.command.rawValue, default: 0] += 1
        if connections.count < maxClientsPerBucket { connections.insert(record.connection) }

        guard let (keys, timeout) = Self.keysAndTimeout(of: location, shape: shape) else { return }
        let argc = record.argumentCount
        keysScanned += Int64(keys)
        maxKeys = max(maxKeys, keys)
        noteDistribution(keys: keys, arrayLength: argc, timeout: timeout, connection: record.connection)
        noteKeySet(location, keys: keys, shape: shape, on: connection)

        if record.isQueuedInTransaction {
            // Inside MULTI a blocking pop does not block: it runs at EXEC like its non-blocking twin.
            inTransaction += 1
            return
        }
        switch record.outcome {
        case .replied:
            if record.errorCode.isSet {
                errors += 1
            } else if record.repliedNull {
                timedOut += 1
                keysScannedByTimedOut += Int64(keys)
                if let l = record.latencyNanos { timedOutWait.record(nanos: l) }
            } else {
                served += 1
                if let l = record.latencyNanos { wait.record(nanos: l) }
                noteServingKey(location, shape: shape)
            }
        case .unanswered, .overflowed:
            if connection.closeReason == .endOfCapture || connection.closeReason == nil { pendingAtEnd += 1 } else { abandoned += 1 }
        case .lostInGap:
            lost += 1
        case .noReplyExpected:
            break
        }
    }

    private func noteKeySet(_ location: UnsafePointer<CommandRecord>, keys: Int, shape: Shape, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        guard keys >= 2 else { return }
        connection.blockingPopKeys.calls += 1
        connection.blockingPopKeys.mostKeysPerCall = max(connection.blockingPopKeys.mostKeysPerCall, keys)
        guard !connection.blockingPopKeys.varies,
              connection.blockingPopKeys.keysSeen.count < ConnectionState.maxKeys else { return }
        let first: Int
        switch shape {
        case .keysThenTimeout: first = 1
        case .timeoutNumkeysKeys: first = 3
        case .sourceThenTimeout, .notBlockingPop: return
        }
        var index = first
        while index <= 3 && index < first + keys {
            if let hash = location.keptArguments.withArgument(index, { keyHash($0) }) {
                connection.blockingPopKeys.keysSeen.insert(hash)
            }
            index += 1
        }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        let state = connection.blockingPopKeys
        if state.varies { callsNamingVaryingKeySets += state.calls }
        connection.blockingPopKeys = ConnectionState()
    }

    private func noteDistribution(keys: Int, arrayLength: Int, timeout: Double?, connection: UInt64) {
        if keyCounts[keys] != nil || keyCounts.count < maxDistributionBuckets {
            keyCounts[keys, default: KeyCountAccumulator()].calls += 1
            if keyCounts[keys]!.clients.count < maxClientsPerBucket {
                keyCounts[keys]!.clients.insert(connection)
            } else if !keyCounts[keys]!.clients.contains(connection) {
                keyCounts[keys]!.clientsCapped = true
            }
        } else {
            distributionOverflow += 1
        }
        if arrayLengths[arrayLength] != nil || arrayLengths.count < maxDistributionBuckets {
            arrayLengths[arrayLength, default: 0] += 1
        }
        if let timeout, timeouts[timeout] != nil || timeouts.count < maxDistributionBuckets {
            timeouts[timeout, default: 0] += 1
        }
    }

    private func noteServingKey(_ location: UnsafePointer<CommandRecord>, shape: Shape) {
        var record: CommandRecord { location.pointee }
        let add: (UnsafeRawBufferPointer) -> Void = { key in
            let hash = keyHash(key)
            self.servedByKey.add(hash: hash, bytes: 1) { KeyText.display(Array(key), redactor: self.redactor) }
        }
        switch shape {
        case .keysThenTimeout, .timeoutNumkeysKeys:
            if record.replyFirstElement.isSet && !record.errorCode.isSet { location.replyFirstElement.withUnsafeBytes(add) }
        case .sourceThenTimeout:
            _ = location.keptArguments.withArgument(1, add)
        case .notBlockingPop:
            break
        }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        guard calls > 0 else { return }
        var summary = BlockingPopSummary()
        summary.calls = calls
        // Two ids may share a name (a command one server knows and another does not): added up.
        summary.byCommand = Dictionary(byCommand.map { (context.registry.name(of: CommandID(rawValue: $0.key)), $0.value) }, uniquingKeysWith: +)
        summary.keyCountDistribution = keyCounts.sorted { $0.key < $1.key }.map {
            BlockingPopSummary.KeyCountBucket(keys: $0.key, calls: $0.value.calls, clients: $0.value.clients.count,
                                              clientsCapped: $0.value.clientsCapped ? true : nil)
        }
        summary.arrayLengthDistribution = arrayLengths.sorted { $0.key < $1.key }.map {
            BlockingPopSummary.ArrayLengthBucket(length: $0.key, calls: $0.value)
        }
        summary.timeoutDistribution = timeouts.sorted { $0.key < $1.key }.map {
            BlockingPopSummary.TimeoutBucket(timeoutSeconds: $0.key, calls: $0.value)
        }
        summary.served = served
        summary.timedOut = timedOut
        summary.pendingAtEnd = pendingAtEnd
        summary.abandoned = abandoned
        summary.errors = errors
        summary.inTransaction = inTransaction
        summary.lostInGap = lost
        summary.keysScanned = keysScanned
        summary.keysScannedByTimedOut = keysScannedByTimedOut
        summary.keysPerCall = (Double(keysScanned) / Double(calls) * 10).rounded() / 10
        summary.maxKeysPerCall = maxKeys
        summary.callsNamingVaryingKeySets = callsNamingVaryingKeySets > 0 ? callsNamingVaryingKeySets : nil
        summary.clients = connections.count
        let duration = context.durationSeconds
        if duration > 0 {
            summary.callsPerSecond = (Double(calls) / duration * 10).rounded() / 10
            summary.keysScannedPerSecond = (Double(keysScanned) / duration).rounded()
        }
        let decided = served + timedOut
        summary.timedOutShare = decided > 0 ? (Double(timedOut) / Double(decided) * 1000).rounded() / 1000 : 0
        summary.waitMicros = wait.summaryMicros
        summary.waitHistogram = wait.buckets
        summary.timedOutWaitMicros = timedOutWait.count > 0 ? timedOutWait.summaryMicros : nil
        var byKey: [String: Int] = [:]
        for entry in servedByKey.top(maxTrackedKeys) { byKey[entry.item] = entry.count }
        summary.servedByKey = byKey
        summary.servedByKeyApproximate = servedByKey.pruned
        summary.distributionLimitHit = distributionOverflow > 0
        let cappedBuckets = keyCounts.values.filter(\.clientsCapped).count
        if distributionOverflow > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-keys", value: maxDistributionBuckets, scope: "blockingPopKeyCounts", count: distributionOverflow,
                effect: "calls with a key count past the limit of distinct key counts are in the totals, not in the distribution"))
        }
        if cappedBuckets > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-clients", value: maxClientsPerBucket, scope: "blockingPopConnections", count: cappedBuckets,
                effect: "distinct connections per key count (x10 the client limit) stopped counting in this many buckets"))
        }
        if servedByKey.pruned {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-keys", value: maxTrackedKeys, scope: "blockingPops", count: servedByKey.droppedItems,
                effect: "pops served per key are approximate (top keys kept)"))
        }
        report.blockingPops = summary
    }
}

/// The `blockingPops` section of the JSON report.
public struct BlockingPopSummary: Codable, Sendable {
    public struct KeyCountBucket: Codable, Sendable, Equatable {
        /// Keys waited on per call (BRPOP a b c 5 -> 3; BLMOVE -> 1, its source).
        public var keys: Int
        public var calls: Int
        /// Distinct connections that made such calls.
        public var clients: Int
        /// Set when `clients` stopped counting at the limit.
        public var clientsCapped: Bool?
    }

    public struct ArrayLengthBucket: Codable, Sendable, Equatable {
        /// RESP array length of the request (`*236` on the wire for BRPOP with 234 keys).
        public var length: Int
        public var calls: Int
    }

    public struct TimeoutBucket: Codable, Sendable, Equatable {
        public var timeoutSeconds: Double
        public var calls: Int
    }

    public var calls = 0
    public var byCommand: [String: Int] = [:]
    public var keyCountDistribution: [KeyCountBucket] = []
    public var arrayLengthDistribution: [ArrayLengthBucket] = []
    public var timeoutDistribution: [TimeoutBucket] = []
    /// Replied with an element.
    public var served = 0
    /// Replied with a null: the timeout expired on empty keys.
    public var timedOut = 0
    /// Still blocked when the capture ended.
    public var pendingAtEnd = 0
    /// Unanswered when their connection closed (client gone, or killed).
    public var abandoned = 0
    public var errors = 0
    /// Sent inside MULTI (they do not block there).
    public var inTransaction = 0
    public var lostInGap = 0
    /// Sum over calls of keys named: the quantity whose CPU cost grows with the number of queues.
    public var keysScanned: Int64 = 0
    /// Of those, keys named by calls that then timed out (work that found nothing).
    public var keysScannedByTimedOut: Int64 = 0
    public var keysPerCall: Double = 0
    public var maxKeysPerCall = 0
    public var callsPerSecond: Double = 0
    public var keysScannedPerSecond: Double = 0
    /// Share of decided calls (served + timed out) that timed out.
    public var timedOutShare: Double = 0
    /// Distinct connections making blocking pops.
    public var clients = 0
    /// Wait of served calls (request's end to reply), microseconds.
    public var waitMicros = AnalysisReport.Latency()
    public var waitHistogram: [[UInt64]] = []
    public var timedOutWaitMicros: AnalysisReport.Latency?
    /// Pops served per key (the key in the reply, or the source of BLMOVE/BRPOPLPUSH).
    public var servedByKey: [String: Int] = [:]
    /// Set when more keys served pops than are tracked: counts of the tracked ones may be overestimates.
    public var servedByKeyApproximate = false
    /// Set when more distinct key counts were seen than are tracked.
    public var distributionLimitHit = false
    /// Multi-key calls from connections whose calls named different key sets (more distinct keys across their calls
    /// than one call names): clients that already pass each call a sample of the queues. Nil when there were none.
    public var callsNamingVaryingKeySets: Int?

    /// Most multi-key calls name varying key sets: the clients already sample the queues.
    public var clientsSample: Bool {
        guard let varying = callsNamingVaryingKeySets else { return false }
        let multiKey = keyCountDistribution.filter { $0.keys >= 2 }.reduce(0) { $0 + $1.calls }
        return multiKey > 0 && 2 * varying >= multiKey
    }
}

extension BlockingPopStats: BuiltInAnalysis {
    /// Key-count buckets follow the key limit; connection ids per bucket, ten times the client limit.
    package convenience init(setup: AnalysisSetup) {
        let (clients, overflow) = setup.maxTrackedClients.multipliedReportingOverflow(by: 10)
        self.init(maxTrackedKeys: setup.maxTrackedKeys, maxDistributionBuckets: setup.maxTrackedKeys,
                  maxClientsPerBucket: overflow ? Int.max : clients, redactor: setup.redactor)
    }
}
