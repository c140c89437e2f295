import RedisSemantics

/// Lists and streams used as queues: per key, what producers pushed and consumers popped (from the replies, so
/// only what really moved), the last length the server reported, and the same grouped by key prefix
/// (`resque:gitlab:queue:*`). A key is a queue when something consumes it in the capture (a pop, a blocking pop that
/// served it, a move out of it, XACK of its entries): keys only appended to (a log list, RQ's per-job result
/// streams) are counted apart (`queuesNotConsumed`), not listed. The JSON lists every queue tracked.
///
/// Pushes sent inside MULTI count when their EXEC succeeds (minus those EXEC reports as failed).
///
/// Memory: at most `maxTrackedKeys` keys and as many prefixes; beyond that new keys are counted only in
/// `untracked` totals and the report says the limit was hit. Per connection, at most `maxQueuedPerTransaction`
/// pushes wait for their EXEC.
public final class QueueStats: TrafficAnalysis {
    public let maxTrackedKeys: Int
    public let topN: Int
    public let maxQueuedPerTransaction: Int
    public let prefixRule: KeyPrefixRule
    public let redactor: KeyRedactor?

    private var queues: [UInt64: QueueAccumulator] = [:]
    private var prefixes: [UInt64: QueueAccumulator] = [:]
    private var untracked = QueueAccumulator(text: "")
    private var untrackedKeys = 0
    /// Key hash -> its prefix's hash.
    private var prefixHashes: [UInt64: UInt64] = [:]
    private var transactions: [UInt64: [QueuedPush]] = [:]
    /// Per command id, cached from its name (dense ids: an array).
    private var operations = CommandIDTable<Operation>()

    struct QueueAccumulator {
        var text: String
        var keys = 0
        var pushCommands = 0
        var elementsPushed = 0
        var popCommands = 0
        var emptyPops = 0
        var elementsPopped = 0
        var lastLength: Int64?
        var lastLengthNanos: Int64 = 0
        var isStream = false

        init(text: String) { self.text = text }

        /// Keeps the length from the latest reply (replies of several connections arrive interleaved).
        mutating func noteLength(_ length: Int64, at nanos: Int64) {
            guard nanos >= lastLengthNanos else { return }
            lastLength = length
            lastLengthNanos = nanos
        }
    }

    struct QueuedPush {
        var command: CommandID
        var key: [UInt8]
        var elements: Int
        var isStream: Bool
        var failed = false
    }

    /// What a command does to a queue.
    enum Operation {
        /// LPUSH/RPUSH key element...: reply is the new length.
        case push
        /// LPUSHX/RPUSHX: pushes only onto an existing list (reply 0 otherwise).
        case pushIfExists
        /// LINSERT key BEFORE|AFTER pivot element: reply is the new length, -1 or 0 when nothing was inserted.
        case insert
        /// XADD key ... : reply is the new entry's id, null with NOMKSTREAM on a missing stream.
        case streamAdd
        /// LPOP/RPOP key [count]: reply is the element, an array of them, or null.
        case pop
        /// BRPOP/BLPOP/LMPOP/BLMPOP: reply names the key it popped from.
        case popNamingKey
        /// RPOPLPUSH/LMOVE/BRPOPLPUSH/BLMOVE source destination: one element moves when the reply is not null.
        case move
        /// XACK key group id...: a consumer group acknowledged the reply's count of entries.
        case streamAck
        /// XREADGROUP GROUP g c ... STREAMS key... id...: a consumer group read the first stream (null when nothing
        /// came before its BLOCK timeout). Its entries count when acknowledged (XACK).
        case streamGroupRead
        /// LLEN/XLEN: the reply is the length.
        case length
        case none
    }

    public init(maxTrackedKeys: Int = 10_000, topN: Int = 50, maxQueuedPerTransaction: Int = 10_000,
                prefixRule: KeyPrefixRule = KeyPrefixRule(), redactor: KeyRedactor? = nil) {
        self.maxTrackedKeys = maxTrackedKeys
        self.topN = topN
        self.maxQueuedPerTransaction = maxQueuedPerTransaction
        self.prefixRule = prefixRule
        self.redactor = redactor
    }

    @inline(never)
    static func operation(of name: String) -> Operation {
        switch name {
        case "lpush", "rpush": .push
        case "lpushx", "rpushx": .pushIfExists
        case "linsert": .insert
        case "xadd": .streamAdd
        case "lpop", "rpop": .pop
        case "brpop", "blpop", "lmpop", "blmpop": .popNamingKey
        case "rpoplpush", "lmove", "brpoplpush", "blmove": .move
        case "xack": .streamAck
        case "xreadgroup": .streamGroupRead
        case "llen", "xlen": .length
        default: .none
        }
    }

    @inline(__always)
    private func operation(of id: CommandID, registry: CommandRegistry) -> Operation {
        operations.value(of: id) { Self.operation(of: registry.name(of: $0)) }
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let registry = connection.registry
        let operation = operation(of: record.command, registry: registry)
        if case .none = operation {
            if record.outcome == .replied, record.isQueuedInTransaction == false { transactionControl(location, registry: registry) }
            return
        }
        if record.isQueuedInTransaction {
            queueInTransaction(location, operation: operation)
            return
        }
        guard record.outcome == .replied, !record.repliedError else { return }
        let argc = record.argumentCount
        switch operation {
        case .push, .pushIfExists, .insert:
            guard record.replyKind == .integer else { return }
            let inserted = record.replyCount > 0
            let elements = operation == .insert ? (inserted ? 1 : 0) : (inserted ? max(0, argc - 2) : 0)
            _ = location.keptArguments.withArgument(1) { key in
                update(key) { q in
                    q.pushCommands += 1
                    q.elementsPushed += elements
                    if inserted { q.noteLength(record.replyCount, at: record.replyStartNanos) }
                }
            }
        case .streamAdd:
            let added = !record.repliedNull
            _ = location.keptArguments.withArgument(1) { key in
                update(key) { q in
                    q.isStream = true
                    q.pushCommands += 1
                    q.elementsPushed += added ? 1 : 0
                }
            }
        case .pop:
            let popped: Int
            if record.repliedNull { popped = 0 } else if record.replyKind?.isAggregate == true {
                popped = Int(clamping: max(0, record.replyCount))
            } else { popped = 1 }
            _ = location.keptArguments.withArgument(1) { key in update(key) { q in notePop(&q, popped) } }
        case .popNamingKey:
            // BRPOP/BLPOP reply [key, element]; LMPOP/BLMPOP reply [key, [elements]]. A timeout names no key.
            guard !record.repliedNull, !record.errorCode.isSet, record.replyFirstElement.isSet else { return }
            let popped = record.replySecondElementCount >= 0 ? Int(clamping: record.replySecondElementCount) : 1
            location.replyFirstElement.withUnsafeBytes { key in update(key) { q in notePop(&q, popped) } }
        case .move:
            let moved = record.repliedNull ? 0 : 1
            _ = location.keptArguments.withArgument(1) { key in update(key) { q in notePop(&q, moved) } }
            if moved > 0 {
                _ = location.keptArguments.withArgument(2) { key in update(key) { q in q.elementsPushed += 1 } }
            }
        case .streamAck:
            guard record.replyKind == .integer else { return }
            _ = location.keptArguments.withArgument(1) { key in
                update(key) { q in
                    q.isStream = true
                    notePop(&q, Int(clamping: max(0, record.replyCount)))
                }
            }
        case .streamGroupRead:
            // The first stream's key, past the STREAMS keyword (the command table's key spec, on the kept arguments).
            guard let tableIndex = registry.tableIndex(of: record.command) else { return }
            let position = location.keptArguments.withArguments { argument in
                CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: argc, argument: argument)
            } ?? 0
            guard position > 0 else { return }
            let empty = record.repliedNull
            _ = location.keptArguments.withArgument(position) { key in
                update(key) { q in
                    q.isStream = true
                    q.popCommands += 1
                    if empty { q.emptyPops += 1 }
                }
            }
        case .length:
            guard record.replyKind == .integer else { return }
            // Only for keys already seen as queues: LLEN on other lists is not queue traffic.
            _ = location.keptArguments.withArgument(1) { key in
                let hash = keyHash(key)
                queues[hash]?.noteLength(record.replyCount, at: record.replyStartNanos)
            }
        case .none:
            break
        }
    }

    private func notePop(_ q: inout QueueAccumulator, _ popped: Int) {
        q.popCommands += 1
        q.elementsPopped += popped
        if popped == 0 { q.emptyPops += 1 }
    }

    // MARK: transactions

    private func queueInTransaction(_ location: UnsafePointer<CommandRecord>, operation: Operation) {
        var record: CommandRecord { location.pointee }
        let elements: Int
        switch operation {
        case .push, .pushIfExists: elements = max(0, record.argumentCount - 2)
        case .insert, .streamAdd: elements = 1
        default: return  // pops inside MULTI: their result is in EXEC's reply, which is not kept element by element
        }
        guard let key = record.arguments.bytes(ofArgument: 1) else { return }
        var pending = transactions[record.connection] ?? []
        guard pending.count < maxQueuedPerTransaction else { return }
        pending.append(QueuedPush(command: record.command, key: key, elements: elements, isStream: operation == .streamAdd))
        transactions[record.connection] = pending
    }

    public func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo) {
        let id = connection.id.rawValue
        guard var pending = transactions[id],
              let index = pending.firstIndex(where: { $0.command == command && !$0.failed }) else { return }
        pending[index].failed = true
        transactions[id] = pending
    }

    private func transactionControl(_ location: UnsafePointer<CommandRecord>, registry: CommandRegistry) {
        var record: CommandRecord { location.pointee }
        guard !transactions.isEmpty, transactions[record.connection] != nil else { return }
        switch registry.name(of: record.command) {
        case "exec":
            // An array: the transaction ran. Null (WATCH) or an error (EXECABORT): nothing ran.
            if record.replyKind == .array || record.replyKind == .set, let pending = transactions[record.connection] {
                for push in pending where !push.failed {
                    push.key.withUnsafeBytes { key in
                        update(key) { q in
                            q.isStream = q.isStream || push.isStream
                            q.pushCommands += 1
                            q.elementsPushed += push.elements
                        }
                    }
                }
            }
            transactions[record.connection] = nil
        case "discard", "reset":
            transactions[record.connection] = nil
        default:
            break
        }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        transactions[connection.id.rawValue] = nil
    }

    // MARK: accumulation

    private func update(_ key: UnsafeRawBufferPointer, _ body: (inout QueueAccumulator) -> Void) {
        let hash = keyHash(key)
        // Through the index: `queues[hash]!` in place is a dictionary coroutine that allocates in unoptimised builds.
        if let index = queues.index(forKey: hash) {
            body(&queues.values[index])
            return
        }
        if queues.count >= maxTrackedKeys {
            untrackedKeys += 1
            body(&untracked)
            return
        }
        var queue = QueueAccumulator(text: KeyText.display(Array(key), redactor: redactor))
        body(&queue)
        queues[hash] = queue
        let prefix = queuePrefix(of: Array(key))
        let prefixHash = prefix.withUnsafeBytes { keyHash($0, seed: 1) }
        if prefixes[prefixHash] == nil && prefixes.count < maxTrackedKeys {
            prefixes[prefixHash] = QueueAccumulator(text: KeyText.display(prefix, redactor: redactor,
                                                                          asPrefix: prefix.count < key.count))
        }
        if prefixes[prefixHash] != nil {
            prefixes[prefixHash]!.keys += 1
            prefixHashes[hash] = prefixHash
        }
    }

    /// The group of a queue key: the prefix rule's, or, for a key with no id-like part, what precedes its last
    /// delimiter (`queue:default` -> `queue:`), so the queues of one application group together.
    func queuePrefix(of key: [UInt8]) -> [UInt8] {
        let prefix = prefixRule.prefix(of: key)
        if prefix.count < key.count { return prefix }
        if let last = key.dropLast().lastIndex(where: { prefixRule.delimiters.contains($0) }) {
            return Array(key[...last])
        }
        return key
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        guard !queues.isEmpty else { return }
        // Only consumed keys are queues; the prefix totals are the sums of their keys' (each key counted once).
        var appended = QueuesNotConsumed()
        var prefixTotals: [UInt64: QueueAccumulator] = [:]
        var consumed: [QueueAccumulator] = []
        for (hash, q) in queues {
            guard q.popCommands > 0 else {
                appended.keys += 1
                if q.isStream { appended.streams += 1 }
                appended.pushCommands += q.pushCommands
                appended.elementsPushed += q.elementsPushed
                continue
            }
            consumed.append(q)
            guard let prefixHash = prefixHashes[hash], let prefix = prefixes[prefixHash] else { continue }
            var total = prefixTotals[prefixHash] ?? QueueAccumulator(text: prefix.text)
            total.keys += 1
            total.pushCommands += q.pushCommands
            total.elementsPushed += q.elementsPushed
            total.popCommands += q.popCommands
            total.emptyPops += q.emptyPops
            total.elementsPopped += q.elementsPopped
            if let length = q.lastLength { total.lastLength = (total.lastLength ?? 0) + length }
            prefixTotals[prefixHash] = total
        }
        if appended.keys > 0 { report.queuesNotConsumed = appended }
        guard !consumed.isEmpty else { return }
        let ranking: (QueueAccumulator, QueueAccumulator) -> Bool = {
            ($0.elementsPushed, $0.elementsPopped, $1.text) > ($1.elementsPushed, $1.elementsPopped, $0.text)
        }
        report.queues = consumed.sorted(by: ranking).map(QueueSummary.init)
        report.queuePrefixes = prefixTotals.values.sorted(by: ranking).prefix(topN).map(QueuePrefixSummary.init)
        if untrackedKeys > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-keys", value: maxTrackedKeys, scope: "queues", count: untrackedKeys,
                effect: "pushes and pops on queues past the limit are counted in the totals only"))
        }
    }
}

/// Lists and streams that were only appended to in the capture (`queuesNotConsumed`): not queues as far as the
/// capture shows (log lists, per-job result streams), or queues whose consumers it did not see.
public struct QueuesNotConsumed: Codable, Sendable {
    public var keys = 0
    /// Of `keys`, streams.
    public var streams = 0
    public var pushCommands = 0
    public var elementsPushed = 0
}

/// One key of the `queues` array.
public struct QueueSummary: Codable, Sendable {
    public var key: String
    /// `list` or `stream`.
    public var type: String
    public var pushCommands: Int
    public var elementsPushed: Int
    public var popCommands: Int
    /// Pops that found the queue empty (null reply): polling.
    public var emptyPops: Int
    public var elementsPopped: Int
    /// Length the server last reported (push or LLEN reply), nil when never seen.
    public var lastLength: Int64?
    /// Pushed minus popped during the capture: positive when the queue grew.
    public var netGrowth: Int

    init(_ q: QueueStats.QueueAccumulator) {
        key = q.text
        type = q.isStream ? "stream" : "list"
        pushCommands = q.pushCommands
        elementsPushed = q.elementsPushed
        popCommands = q.popCommands
        emptyPops = q.emptyPops
        elementsPopped = q.elementsPopped
        lastLength = q.lastLength
        netGrowth = q.elementsPushed - q.elementsPopped
    }
}

/// Queues grouped by key prefix (`queuePrefixes`).
public struct QueuePrefixSummary: Codable, Sendable {
    public var prefix: String
    public var keys: Int
    public var pushCommands: Int
    public var elementsPushed: Int
    public var popCommands: Int
    public var emptyPops: Int
    public var elementsPopped: Int
    /// Sum of the last reported lengths of its keys.
    public var lastLength: Int64?

    init(_ q: QueueStats.QueueAccumulator) {
        prefix = q.text
        keys = q.keys
        pushCommands = q.pushCommands
        elementsPushed = q.elementsPushed
        popCommands = q.popCommands
        emptyPops = q.emptyPops
        elementsPopped = q.elementsPopped
        lastLength = q.lastLength
    }
}

extension QueueStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init(maxTrackedKeys: setup.maxTrackedKeys, prefixRule: setup.prefixRule, redactor: setup.redactor)
    }
}
