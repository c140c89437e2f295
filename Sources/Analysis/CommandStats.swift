import RedisSemantics

/// Per-command calls, errors, bytes and latency; errors by code; totals. Memory: one accumulator per distinct
/// command name (bounded by the command table plus `maxUnknownCommandNames`).
public final class CommandStats: TrafficAnalysis {
    struct Accumulator {
        var calls = 0
        var errors = 0
        var requestBytes: Int64 = 0
        var replyBytes: Int64 = 0
        var unanswered = 0
        var noReply = 0
        var lostInGap = 0
        var queued = 0
        var blockingCalls = 0
        var latency: LatencyHistogram?
        var blockingWait: LatencyHistogram?
    }

    private var accumulators: [Accumulator] = []
    private var errorsByPrefix: [String: Int] = [:]
    private var replies = 0

    public init() {}

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let index = Int(record.command.rawValue)
        if index >= accumulators.count {
            accumulators.append(contentsOf: repeatElement(Accumulator(), count: index + 1 - accumulators.count))
        }
        if record.outcome == .replied { replies += 1 }
        var errorPrefix: String?
        // One access to the array for the command's whole update: each subscript of a class's array property checked
        // uniqueness and bounds again.
        accumulators.withUnsafeMutableBufferPointer { accumulators in
            Self.count(location, into: &accumulators[index], errorPrefix: &errorPrefix)
        }
        if let errorPrefix { errorsByPrefix[errorPrefix, default: 0] += 1 }
    }

    @inline(__always)
    private static func count(_ location: UnsafePointer<CommandRecord>, into accumulator: inout Accumulator,
                              errorPrefix: inout String?) {
        var record: CommandRecord { location.pointee }
        accumulator.calls += 1
        accumulator.requestBytes += Int64(record.requestBytes)
        accumulator.replyBytes += Int64(record.replyBytes)
        switch record.outcome {
        case .replied:
            if let prefix = record.errorPrefix {
                accumulator.errors += 1
                errorPrefix = prefix
            }
            if let latency = record.latencyNanos {
                if record.isBlocking {
                    accumulator.blockingCalls += 1
                    if accumulator.blockingWait == nil { accumulator.blockingWait = LatencyHistogram() }
                    accumulator.blockingWait?.record(nanos: latency)
                } else if !record.isQueuedInTransaction {
                    if accumulator.latency == nil { accumulator.latency = LatencyHistogram() }
                    accumulator.latency?.record(nanos: latency)
                }
            }
        case .noReplyExpected: accumulator.noReply += 1
        case .unanswered, .overflowed: accumulator.unanswered += 1
        case .lostInGap: accumulator.lostInGap += 1
        }
        if record.isQueuedInTransaction { accumulator.queued += 1 }
    }

    public func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo) {
        let index = Int(command.rawValue)
        if index < accumulators.count { accumulators[index].errors += 1 }
        errorsByPrefix[errorPrefix, default: 0] += 1
    }

    public func unpairedReply(_ reply: UnpairedReply, on connection: ConnectionInfo) {
        if let prefix = reply.errorPrefix { errorsByPrefix[prefix, default: 0] += 1 }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        var summaries: [AnalysisReport.CommandSummary] = []
        var total = 0
        for (index, acc) in accumulators.enumerated() where acc.calls > 0 {
            let id = CommandID(rawValue: Int32(index))
            let entry = context.registry[id]
            var summary = AnalysisReport.CommandSummary(name: entry.name)
            summary.calls = acc.calls
            summary.errors = acc.errors
            summary.requestBytes = acc.requestBytes
            summary.replyBytes = acc.replyBytes
            summary.latencyMicros = acc.latency?.summaryMicros ?? AnalysisReport.Latency()
            summary.blockingWaitMicros = acc.blockingWait?.summaryMicros
            summary.latencyHistogram = acc.latency?.buckets
            summary.blockingWaitHistogram = acc.blockingWait?.buckets
            summary.known = entry.tableIndex != nil
            summary.blocking = entry.flags.contains(.blocking)
            summary.flags = entry.flags.names
            summary.unanswered = acc.unanswered
            summary.noReply = acc.noReply
            summary.lostInGap = acc.lostInGap
            summary.queuedInTransaction = acc.queued
            summaries.append(summary)
            total += acc.calls
        }
        summaries.sort { ($0.calls, $1.name) > ($1.calls, $0.name) }
        report.commands = summaries
        report.errorsByPrefix = errorsByPrefix
        report.totals.commands = total
        report.totals.errorReplies = errorsByPrefix.values.reduce(0, +)
        report.totals.replies = replies
        let duration = context.durationSeconds
        report.totals.commandsPerSecond = duration > 0 ? (Double(total) / duration * 10).rounded() / 10 : 0
    }
}

extension CommandStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
