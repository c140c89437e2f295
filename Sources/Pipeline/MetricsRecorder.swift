import Analysis
import Findings
import RedisSemantics
import Synchronization

/// Running counters for a metrics endpoint (`respcap live --metrics`): the analysis thread records into them, and
/// any other thread may take a `MetricsSnapshot` at any time. Unlike the other analyses it writes nothing into the
/// report; it exists so a scraper sees the traffic while the capture runs.
///
/// Counting matches the report: every command counts once (`CommandStats`), an error reply or an error inside an
/// EXEC result counts as an error of its command, and latency is service time (blocking commands' waits are left
/// out, as in the report's latency).
public final class MetricsRecorder: TrafficAnalysis, Sendable {
    /// Upper bounds of the latency buckets, in seconds (Prometheus' usual spread, refined below a millisecond
    /// where Redis lives).
    public static let latencyBounds: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Upper bounds of the keys-per-call buckets of blocking pops (Sidekiq-style BRPOPs over hundreds of queues).
    public static let blockingKeyBounds: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    /// Error prefixes tracked separately; further distinct prefixes count as `other`.
    public static let maxErrorPrefixes = 64

    private let state = Mutex(MetricsSnapshot())

    public init() {}

    // MARK: TrafficAnalysis (analysis thread)

    public func connectionOpened(_ connection: ConnectionInfo) {
        state.withLock { $0.connectionsOpened += 1 }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        state.withLock { $0.connectionsClosed += 1 }
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        let index = Int(record.command.rawValue)
        state.withLock { s in
            if index >= s.commands.count {
                s.commands.append(contentsOf: repeatElement(MetricsSnapshot.Command(), count: index + 1 - s.commands.count))
            }
            if s.commands[index].name == nil {
                // Read on the analysis thread, the only one that touches the registry (it interns unknown names).
                let name = connection.registry.name(of: record.command)
                s.commands[index].name = name
                s.commands[index].blockingPopShape = BlockingPopStats.shape(of: name)
            }
            s.commands[index].calls += 1
            s.commands[index].requestBytes += Int64(record.requestBytes)
            s.commands[index].replyBytes += Int64(record.replyBytes)
            if let prefix = record.errorPrefix {
                s.commands[index].errors += 1
                s.countError(prefix: prefix)
            }
            if let nanos = record.latencyNanos, !record.isBlocking, !record.isQueuedInTransaction {
                s.commands[index].latency.record(Double(nanos) / 1e9, bounds: Self.latencyBounds)
            }
            if let keys = BlockingPopStats.keys(of: record, shape: s.commands[index].blockingPopShape) {
                s.commands[index].blockingKeys.record(Double(keys), bounds: Self.blockingKeyBounds)
            }
        }
    }

    public func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo) {
        let index = Int(command.rawValue)
        state.withLock { s in
            if index < s.commands.count { s.commands[index].errors += 1 }
            s.countError(prefix: errorPrefix)
        }
    }

    public func unpairedReply(_ reply: UnpairedReply, on connection: ConnectionInfo) {
        guard let prefix = reply.errorPrefix else { return }
        state.withLock { $0.countError(prefix: prefix) }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {}

    // MARK: Capture side

    /// Packet and drop counts, which the analyses do not see: set by the live loop about twice a second.
    public func update(from status: LiveAnalyzer.Status) {
        state.withLock { s in
            s.packetsAnalysed = status.packetsAnalysed
            s.packetsNotAnalysed = status.packetsNotAnalysed
            s.bytesAnalysed = status.bytesAnalysed
            s.droppedByKernel = status.capture.droppedByKernel
            s.droppedByInterface = status.capture.droppedByInterface
        }
    }

    // MARK: Any thread

    public func snapshot() -> MetricsSnapshot {
        state.withLock { $0 }
    }
}

/// The counters of a `MetricsRecorder` at one moment.
public struct MetricsSnapshot: Sendable {
    /// A fixed-bucket histogram; `counts[i]` counts values ≤ bounds[i] and above bounds[i-1], the last entry those
    /// above every bound.
    public struct Histogram: Sendable {
        public var counts: [Int] = []
        public var sum = 0.0
        public var count = 0

        mutating func record(_ value: Double, bounds: [Double]) {
            if counts.isEmpty { counts = Array(repeating: 0, count: bounds.count + 1) }
            var bucket = bounds.count
            for (i, bound) in bounds.enumerated() where value <= bound {
                bucket = i
                break
            }
            counts[bucket] += 1
            sum += value
            count += 1
        }
    }

    public struct Command: Sendable {
        /// Nil until the command is first seen.
        public var name: String?
        public var calls = 0
        public var errors = 0
        public var requestBytes: Int64 = 0
        public var replyBytes: Int64 = 0
        public var latency = Histogram()
        /// Keys per call, for blocking pops only.
        public var blockingKeys = Histogram()
        var blockingPopShape = BlockingPopStats.Shape.notBlockingPop

        public init() {}
    }

    /// Indexed by `CommandID.rawValue`; entries never seen have no name.
    public var commands: [Command] = []
    public var errorsByPrefix: [String: Int] = [:]
    public var connectionsOpened = 0
    public var connectionsClosed = 0
    public var packetsAnalysed = 0
    public var packetsNotAnalysed = 0
    public var bytesAnalysed: Int64 = 0
    public var droppedByKernel = 0
    public var droppedByInterface = 0

    public init() {}

    mutating func countError(prefix: String) {
        if errorsByPrefix[prefix] != nil || errorsByPrefix.count < MetricsRecorder.maxErrorPrefixes {
            errorsByPrefix[prefix, default: 0] += 1
        } else {
            errorsByPrefix["other", default: 0] += 1
        }
    }
}
