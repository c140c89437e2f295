import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RedisSemantics

/// Writes one JSON object per command (`--format ndjson` / `--events FILE`), for SQL engines such as DuckDB:
/// `SELECT command, count(*), quantile_cont(latencyMicros, 0.99) FROM read_json_auto('events.ndjson') GROUP BY 1`.
///
/// Fields: ts (capture time of the request's last byte, ISO 8601), tsMicros, client, server, connection, command,
/// keys (number of keys named), key (first key; hashed with --redact-keys), requestBytes, replyBytes, replyType,
/// error (error code), latencyMicros (null without a reply), outcome, pipelineDepth, blocking.
/// Argument values are never written, so passwords (AUTH, HELLO, MIGRATE, CONFIG SET) cannot appear.
///
/// A command queued in MULTI is answered +QUEUED, and only EXEC's reply says whether it failed: its event is held
/// until the connection's next command that is not queued (EXEC, DISCARD, RESET), or its end, and then carries the error
/// of its element of EXEC's reply, as the report's error counts do. Held events are bounded (`maxHeldBytes`).
public final class NDJSONEventWriter: TrafficAnalysis {
    private let output: FileDescriptorOutput
    private var buffer: [UInt8] = []
    private let redactor: KeyRedactor?
    private var firstKeyPosition: [Int32: (position: Int, keys: (Int) -> Int)] = [:]
    public private(set) var eventsWritten = 0

    /// One connection's events of queued commands, rendered with `"error":null`, awaiting EXEC's reply.
    private struct HeldTransaction {
        var bytes: [UInt8] = []
        /// Each held event: where it ends in `bytes`, and where its error's `null` starts.
        var events: [(end: Int, errorAt: Int)] = []
        /// Held event of each command answered +QUEUED, by queued index (what EXEC's elements are numbered by).
        var queuedEvents: [Int] = []
        /// Error codes from EXEC's reply, by held event.
        var errors: [Int: String] = [:]
    }
    private var held: [UInt64: HeldTransaction] = [:]
    private var heldBytes = 0
    /// Past this many bytes of held events (all connections), queued commands are written at once, without the
    /// error EXEC may report for them (counted in `queuedEventsWrittenEarly`).
    public static let maxHeldBytes = 64 << 20
    public private(set) var queuedEventsWrittenEarly = 0

    public init(output: FileDescriptorOutput, redactKeys: Bool) {
        self.output = output
        self.redactor = redactKeys ? KeyRedactor() : nil
        buffer.reserveCapacity(1 << 16)
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        let registry = connection.registry
        let entry = registry[record.command]
        let (position, keyCount) = keyLayout(record.command, tableIndex: entry.tableIndex, argumentCount: record.argumentCount, record: record)
        var line = "{\"ts\":\"\(Timestamp.iso8601(record.requestEndNanos))\",\"tsMicros\":\(record.requestEndNanos / 1000)"
        line += ",\"client\":\"\(connection.client)\",\"server\":\"\(connection.server)\",\"connection\":\(connection.id.rawValue)"
        line += ",\"command\":" + Self.quote(entry.name)
        line += ",\"keys\":\(keyCount)"
        if position > 0, let key = record.arguments.bytes(ofArgument: position) {
            line += ",\"key\":" + Self.quote(redactor.map { $0.redact(key) } ?? KeyText.printable(key))
        } else {
            line += ",\"key\":null"
        }
        line += ",\"requestBytes\":\(record.requestBytes),\"replyBytes\":\(record.replyBytes)"
        line += ",\"replyType\":" + (record.replyKind.map { Self.quote($0.description) } ?? "null")
        line += ",\"error\":"
        let errorAt = line.utf8.count
        line += record.errorPrefix.map(Self.quote) ?? "null"
        line += ",\"latencyMicros\":" + (record.latencyNanos.map { String(Double($0 / 100) / 10) } ?? "null")
        line += ",\"outcome\":\"\(record.outcome.rawName)\",\"pipelineDepth\":\(record.pipelineDepth),\"blocking\":\(record.isBlocking)}\n"

        let id = connection.id.rawValue
        if record.isQueuedInTransaction {
            if heldBytes + line.utf8.count <= Self.maxHeldBytes {
                hold(line, errorAt: errorAt, queued: record.outcome == .replied && record.replyKind == .simpleString, on: id)
                return
            }
            queuedEventsWrittenEarly += 1
        }
        // WATCH and UNWATCH inside MULTI are answered at once (with an error) and the transaction goes on.
        if !held.isEmpty, held[id] != nil, entry.name != "watch", entry.name != "unwatch" { release(id) }
        buffer.append(contentsOf: line.utf8)
        eventWritten()
    }

    public func transactionError(command: CommandID, errorPrefix: String, queuedIndex: Int, on connection: ConnectionInfo) {
        let id = connection.id.rawValue
        guard let transaction = held[id], queuedIndex < transaction.queuedEvents.count else { return }
        held[id]?.errors[transaction.queuedEvents[queuedIndex]] = errorPrefix
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        release(connection.id.rawValue)
    }

    private func eventWritten() {
        eventsWritten += 1
        if buffer.count >= 1 << 16 { flush() }
    }

    private func hold(_ line: String, errorAt: Int, queued: Bool, on id: UInt64) {
        var transaction = held.removeValue(forKey: id) ?? HeldTransaction()
        let start = transaction.bytes.count
        transaction.bytes.append(contentsOf: line.utf8)
        if queued { transaction.queuedEvents.append(transaction.events.count) }
        transaction.events.append((end: transaction.bytes.count, errorAt: start + errorAt))
        heldBytes += line.utf8.count
        held[id] = transaction
    }

    /// Writes the connection's held events, in order, each with the error EXEC reported for it.
    private func release(_ id: UInt64) {
        guard let transaction = held.removeValue(forKey: id) else { return }
        heldBytes -= transaction.bytes.count
        var start = 0
        for (index, event) in transaction.events.enumerated() {
            if let error = transaction.errors[index] {
                buffer.append(contentsOf: transaction.bytes[start..<event.errorAt])
                buffer.append(contentsOf: Self.quote(error).utf8)
                buffer.append(contentsOf: transaction.bytes[(event.errorAt + "null".utf8.count)..<event.end])
            } else {
                buffer.append(contentsOf: transaction.bytes[start..<event.end])
            }
            start = event.end
            eventWritten()
        }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        for id in held.keys.sorted() { release(id) }
        flush()
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        output.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Position of the first key and the number of keys, from the command table's key layout.
    private func keyLayout(_ id: CommandID, tableIndex: Int?, argumentCount: Int, record: CommandRecord) -> (Int, Int) {
        guard let tableIndex else { return (0, 0) }
        let spec = CommandTable.spec(at: tableIndex)
        if spec.flags.contains(.movableKeys) {
            switch spec.name {
            case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
                let n = record.arguments.string(ofArgument: 2).flatMap { Int($0) } ?? 0
                return (n > 0 ? 3 : 0, max(0, min(n, argumentCount - 3)))
            case "blmpop", "bzmpop", "lmpop", "zmpop", "sintercard", "zintercard":
                let n = record.arguments.string(ofArgument: spec.name.hasPrefix("b") ? 2 : 1).flatMap { Int($0) } ?? 0
                return (spec.name.hasPrefix("b") ? 3 : 2, max(0, n))
            default:
                break
            }
        }
        guard spec.firstKey > 0, argumentCount > spec.firstKey else { return (0, 0) }
        let last = spec.lastKey >= 0 ? min(spec.lastKey, argumentCount - 1) : argumentCount + spec.lastKey
        let step = max(1, spec.keyStep)
        let count = last >= spec.firstKey ? (last - spec.firstKey) / step + 1 : 0
        return (spec.firstKey, count)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension CommandOutcome {
    var rawName: String {
        switch self {
        case .replied: return "replied"
        case .noReplyExpected: return "noReply"
        case .unanswered: return "unanswered"
        case .lostInGap: return "lostInGap"
        case .overflowed: return "overflowed"
        }
    }
}
