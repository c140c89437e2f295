import RedisSemantics

/// Latency beyond the per-command table: a log-bucket histogram (pt-query-digest style), reads versus writes, the
/// slowest commands, pipeline depth and round trips; and a timeline of the capture, second by second.
///
/// Memory: fixed histograms, a top-N list, and at most `maxTimelineBuckets` timeline buckets (the bucket width
/// doubles when a long capture would need more).
public final class LatencyStats: TrafficAnalysis {
    public let slowestN: Int
    public let maxTimelineBuckets: Int

    /// Latencies of reads, of writes and of the other commands (flagged neither): each command's is recorded once,
    /// and all commands' histogram is the three added up when the report is written (the same counts and extremes).
    private var reads = LatencyHistogram()
    private var writes = LatencyHistogram()
    private var others = LatencyHistogram()
    private var readService = LatencyHistogram()
    private var writeService = LatencyHistogram()
    /// Counts per bucket of `bucketBounds` and of `depthBounds` (the last: above them all), inline in the analysis
    /// with the bounds: counted per command without an array's uniqueness check or a static's one-time check.
    private var logBuckets = InlineArray<8, Int>(repeating: 0)
    private var slowest: [SlowCommand] = []
    private var slowestThreshold: Int64 = 0
    private var depthBuckets = InlineArray<11, Int>(repeating: 0)
    private let logBounds = InlineArray<7, Int64> { LatencyStats.bucketBounds[$0] }
    private let depthLimits = InlineArray<10, Int> { LatencyStats.depthBounds[$0] }
    private var roundTrips = 0
    private var maxDepth = 0
    private var timeline: TimelineAccumulator

    /// Upper bounds (µs) of the log buckets; the last bucket is everything above.
    static let bucketBounds: [Int64] = [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    static let depthBounds: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024]

    public init(slowestN: Int = 10, maxTimelineBuckets: Int = 3600) {
        precondition(Self.bucketBounds.count == 7 && Self.depthBounds.count == 10, "bucket counts inline above")
        self.slowestN = slowestN
        self.maxTimelineBuckets = maxTimelineBuckets
        timeline = TimelineAccumulator(maxBuckets: maxTimelineBuckets)
    }

    public func connectionOpened(_ connection: ConnectionInfo) {
        timeline.begin(at: connection.captureStartNanos)
        if connection.handshakeSeen { timeline.connectionOpened(at: connection.openedNanos) }
    }

    /// Per open connection (kept in `ConnectionInfo.roundTripChain`): when its last reply ended and how long its
    /// current chain of round trips is.
    struct RoundTripChain {
        var lastReplyEnd: Int64 = 0
        var length = 0
        /// The end of the connection's latest reply of any kind: the server answers in order, so it could not start
        /// on the next reply before it.
        var serviceClock: Int64 = 0
        /// An open MULTI: its own service time and whether it queued a write (it is served with its EXEC).
        var transactionService: Int64?
        var transactionWrites = false
    }
    private var chainedRoundTrips = 0
    private var chains = 0
    private var chainedInChains = 0
    private var longestChain = 0
    /// Summed over chained commands: from the previous reply's end to the request's start (`chainedWaitMicros`).
    private var chainedWaitNanos: Int64 = 0
    /// A request sent this soon after the previous reply on its connection, alone, continues a chain of round trips.
    public let chainGapNanos: Int64 = 2_000_000

    public func connectionClosed(_ connection: ConnectionInfo) {
        endChain(connection.roundTripChain.length)
        connection.roundTripChain = RoundTripChain()
        if let reason = connection.closeReason, reason == .fin || reason == .reset, let at = connection.closedNanos {
            timeline.connectionClosed(at: at)
        }
    }

    private func endChain(_ length: Int) {
        guard length >= 2 else { return }
        chains += 1
        chainedInChains += length
        longestChain = max(longestChain, length)
    }

    /// How a command takes part in chains of round trips, looked up by name once per command id.
    enum ChainRole: UInt8 {
        case independent, setup, keyspaceCursor, collectionCursor, multi, exec, discard
    }
    private var chainRoles = CommandIDTable<ChainRole>()

    @inline(__always)
    private func chainRole(of id: CommandID, registry: CommandRegistry) -> ChainRole {
        chainRoles.value(of: id) { Self.chainRole(named: registry.name(of: $0)) }
    }

    @inline(never)
    private static func chainRole(named name: String) -> ChainRole {
        name == "multi" ? .multi : name == "exec" ? .exec : name == "discard" ? .discard
            : name == "scan" ? .keyspaceCursor
            : ["sscan", "hscan", "zscan"].contains(name) ? .collectionCursor
            : ConnectionChurn.setupCommandNames.contains(name) ? .setup : .independent
    }

    /// A command that could not have gone out with the one before it: the next step of a cursor (SCAN c, SSCAN k c
    /// with c ≠ 0 needs the previous reply's cursor), or a command setting the connection up (the client library's
    /// handshake, not the application's loop). Such a command neither extends nor breaks a chain. Inlined: asked
    /// per command, and the call cost more than its few comparisons.
    @inline(__always)
    private func isOutsideChains(_ location: UnsafePointer<CommandRecord>, registry: CommandRegistry) -> Bool {
        var record: CommandRecord { location.pointee }
        switch chainRole(of: record.command, registry: registry) {
        case .setup: return true
        case .keyspaceCursor: return !record.arguments.argument(1, equalsLowercase: "0")
        case .collectionCursor: return !record.arguments.argument(2, equalsLowercase: "0")
        case .independent, .multi, .exec, .discard: return false
        }
    }

    /// Chains of round trips: commands sent one at a time, each right after the previous reply — what a loop of
    /// single commands looks like where a pipeline or MGET would send them together. Only commands that could
    /// have been sent together count (`isOutsideChains`).
    /// `state` is the connection's, edited where it lies (as in `noteService`).
    @inline(__always)
    private func noteChain(_ location: UnsafePointer<CommandRecord>, registry: CommandRegistry, networkNanos: Int64,
                           state: inout RoundTripChain) {
        var record: CommandRecord { location.pointee }
        guard !record.isBlocking, record.outcome == .replied else { return }
        if isOutsideChains(location, registry: registry) {
            state.lastReplyEnd = record.replyEndNanos
            return
        }
        let gap = record.requestStartNanos - state.lastReplyEnd
        // The gap seen here holds the network's part of the client's turn (a round trip when captured at the server).
        if record.pipelineDepth == 1, state.lastReplyEnd > 0, gap >= 0, gap <= chainGapNanos + networkNanos {
            chainedRoundTrips += 1
            chainedWaitNanos += gap
            state.length += 1
        } else {
            endChain(state.length)
            state.length = record.pipelineDepth == 1 ? 1 : 0
        }
        state.lastReplyEnd = record.replyEndNanos
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let depth = record.pipelineDepth
        if depth == 1 { roundTrips += 1 }
        let registry = connection.registry
        noteService(location, registry: registry, state: &connection.roundTripChain)
        noteChain(location, registry: registry, networkNanos: connection.handshakeConfirmNanos, state: &connection.roundTripChain)
        maxDepth = max(maxDepth, depth)
        depthBuckets[Self.bucket(of: depth, bounds: depthLimits) { $0 <= $1 }] += 1
        var latency: Int64?
        if !record.isBlocking && !record.isQueuedInTransaction, let l = record.latencyNanos {
            latency = l
            let flags = connection.registry.flags(of: record.command)
            if flags.contains(.write) {
                writes.record(nanos: l)
            } else if flags.contains(.readonly) {
                reads.record(nanos: l)
            } else {
                others.record(nanos: l)
            }
            let micros = l / 1000
            logBuckets[Self.bucket(of: micros, bounds: logBounds) { $0 < $1 }] += 1
            if slowest.count < slowestN || l > slowestThreshold { noteSlow(location, latency: l, connection: connection) }
        }
        timeline.command(at: record.requestEndNanos, requestBytes: record.requestBytes, replyBytes: record.replyBytes,
                         isError: record.errorCode.isSet, latencyNanos: latency)
    }

    /// Service time of reads and writes: from when the server could start on a command — its request's last byte,
    /// or the previous reply on its connection when that came later — to its reply's first byte. Inside a pipeline a
    /// reply's latency also holds the time spent serving the commands before it; this does not. A transaction is
    /// served as one: MULTI's and EXEC's service times together, a write when it queued one. `state` is the
    /// connection's, edited where it lies: a copy of it out and back per command cost more than the work.
    @inline(__always)
    private func noteService(_ location: UnsafePointer<CommandRecord>, registry: CommandRegistry, state: inout RoundTripChain) {
        var record: CommandRecord { location.pointee }
        guard record.outcome == .replied else { return }
        let ready = max(record.requestEndNanos, state.serviceClock)
        let service = max(0, record.replyStartNanos - ready)
        state.serviceClock = max(state.serviceClock, record.replyEndNanos)
        guard !record.isBlocking else { return }
        let flags = registry.flags(of: record.command)
        if record.isQueuedInTransaction {
            if flags.contains(.write) { state.transactionWrites = true }
            return
        }
        switch chainRole(of: record.command, registry: registry) {
        case .multi:
            state.transactionService = service
            state.transactionWrites = false
        case .exec:
            if let opened = state.transactionService, state.transactionWrites { writeService.record(nanos: opened + service) }
            state.transactionService = nil
        case .discard:
            state.transactionService = nil
        default:
            if flags.contains(.write) {
                writeService.record(nanos: service)
            } else if flags.contains(.readonly) {
                readService.record(nanos: service)
            }
        }
    }

    /// The index of the first bound `value` fits under, or `bounds.count`. A plain loop rather than `firstIndex`:
    /// generic collection algorithms allocate a coroutine frame per element in unoptimised builds.
    @inline(__always)
    private static func bucket<let n: Int, T>(of value: T, bounds: InlineArray<n, T>, _ fits: (T, T) -> Bool) -> Int {
        var index = 0
        while index < bounds.count && !fits(value, bounds[index]) { index += 1 }
        return index
    }

    private func noteSlow(_ location: UnsafePointer<CommandRecord>, latency: Int64, connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        slowest.append(SlowCommand(command: connection.registry.name(of: record.command),
                                   latencyMicros: Double(latency / 100) / 10,
                                   client: connection.client.description, connection: connection.id.rawValue,
                                   timestamp: Timestamp.iso8601(record.requestEndNanos),
                                   requestBytes: record.requestBytes, replyBytes: record.replyBytes,
                                   pipelineDepth: record.pipelineDepth))
        slowest.sort { $0.latencyMicros > $1.latencyMicros }
        if slowest.count > slowestN { slowest.removeLast() }
        slowestThreshold = slowest.count == slowestN ? Int64((slowest.last?.latencyMicros ?? 0) * 1000) : 0
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        var summary = LatencySummary()
        var all = others
        all.add(reads)
        all.add(writes)
        summary.allMicros = all.summaryMicros
        summary.readsMicros = reads.summaryMicros
        summary.writesMicros = writes.summaryMicros
        if readService.count > 0 || writeService.count > 0 {
            summary.readServiceMicros = readService.summaryMicros
            summary.writeServiceMicros = writeService.summaryMicros
            summary.readServiceHistogram = readService.buckets
            summary.writeServiceHistogram = writeService.buckets
        }
        var lower: Int64 = 0
        for index in logBuckets.indices {
            let count = logBuckets[index]
            let upper = index < Self.bucketBounds.count ? Self.bucketBounds[index] : nil
            summary.histogram.append(LatencyBucket(fromMicros: lower, toMicros: upper, count: count))
            lower = upper ?? lower
        }
        summary.slowest = slowest
        for index in depthBuckets.indices {
            let count = depthBuckets[index]
            let from = index == 0 ? 1 : Self.depthBounds[index - 1] + 1
            let to: Int? = index < Self.depthBounds.count ? Self.depthBounds[index] : nil
            if count > 0 { summary.pipelineDepth.append(DepthBucket(fromDepth: from, toDepth: to, commands: count)) }
        }
        summary.maxPipelineDepth = maxDepth
        summary.roundTrips = roundTrips
        let duration = context.durationSeconds
        summary.roundTripsPerSecond = duration > 0 ? (Double(roundTrips) / duration * 10).rounded() / 10 : 0
        summary.chainedRoundTrips = chainedRoundTrips
        summary.roundTripChains = chains
        summary.longestRoundTripChain = longestChain
        summary.meanRoundTripChain = chains > 0 ? (Double(chainedInChains) / Double(chains) * 10).rounded() / 10 : 0
        summary.chainGapMicros = Double(chainGapNanos / 1000)
        summary.chainedWaitMicros = chainedRoundTrips > 0 ? Double(chainedWaitNanos / 1000) : nil
        report.latency = summary
        report.timeline = timeline.summary(start: context.firstTimestampNanos)
    }
}

public struct LatencyBucket: Codable, Sendable {
    public var fromMicros: Int64
    /// nil for the last, open bucket.
    public var toMicros: Int64?
    public var count: Int
}

public struct DepthBucket: Codable, Sendable {
    public var fromDepth: Int
    public var toDepth: Int?
    public var commands: Int
}

public struct SlowCommand: Codable, Sendable {
    public var command: String
    public var latencyMicros: Double
    public var client: String
    public var connection: UInt64
    public var timestamp: String
    public var requestBytes: Int
    public var replyBytes: Int
    public var pipelineDepth: Int
}

public struct LatencySummary: Codable, Sendable {
    /// Service latency of every non-blocking command (µs).
    public var allMicros = AnalysisReport.Latency()
    /// Commands flagged `readonly` / `write` in the command table.
    public var readsMicros = AnalysisReport.Latency()
    public var writesMicros = AnalysisReport.Latency()
    /// Service time of reads and writes (µs): from when the server could start on a command (its request's last
    /// byte, or the previous reply on its connection when later) to its reply's first byte, so that commands deep
    /// in a pipeline do not look slow for waiting behind the others. A MULTI/EXEC that queued a write counts as one
    /// write. With their histograms ([nanoseconds, count] pairs) for merging; nil in older reports.
    public var readServiceMicros: AnalysisReport.Latency?
    public var writeServiceMicros: AnalysisReport.Latency?
    public var readServiceHistogram: [[UInt64]]?
    public var writeServiceHistogram: [[UInt64]]?
    public var histogram: [LatencyBucket] = []
    public var slowest: [SlowCommand] = []
    /// Commands by how many commands of their connection were awaiting replies when they were sent (themselves included).
    public var pipelineDepth: [DepthBucket] = []
    public var maxPipelineDepth = 0
    /// Commands sent with nothing else outstanding on their connection: one network round trip each.
    public var roundTrips = 0
    public var roundTripsPerSecond: Double = 0
    /// Commands sent alone within `chainGapMicros` of the previous reply on their connection (plus the network's part
    /// of that gap, `ConnectionInfo.handshakeConfirmNanos`): the next step of a loop of single commands.
    public var chainedRoundTrips = 0
    /// Runs of at least two such commands, their mean and longest length.
    public var roundTripChains = 0
    public var meanRoundTripChain: Double = 0
    public var longestRoundTripChain = 0
    public var chainGapMicros: Double = 0
    /// The chained commands' waits, summed: from the previous reply's end to the request's start, as seen at the
    /// capture point (the network round trip where the capture is the server's, and the client's turnaround). One
    /// pipeline per chain sends its commands without them: what pipelining would save. Nil without chained commands
    /// (and in older reports).
    public var chainedWaitMicros: Double?
}

public struct TimelineBucket: Codable, Sendable {
    /// Seconds from the start of the capture.
    public var offsetSeconds: Double
    public var commands: Int
    public var errors: Int
    public var requestBytes: Int64
    public var replyBytes: Int64
    public var connectionsOpened: Int
    public var connectionsClosed: Int
    /// Approximate p99 service latency in the bucket (log buckets, within ~10%), µs; nil without replies.
    public var p99Micros: Double?
}

public struct TimelineSummary: Codable, Sendable {
    public var bucketSeconds: Double
    public var buckets: [TimelineBucket]
}

/// Per-interval counters with a coarse latency histogram each (64 log buckets): bounded whatever the length.
struct TimelineAccumulator {
    struct Bucket {
        var commands = 0, errors = 0, opened = 0, closed = 0
        var requestBytes: Int64 = 0, replyBytes: Int64 = 0
        /// Inline: counted per command, and an array in an array paid two uniqueness checks for it.
        var latency = InlineArray<64, UInt32>(repeating: 0)
    }

    let maxBuckets: Int
    private var start: Int64?
    private var width: Int64 = 1_000_000_000
    private var buckets: [Bucket] = []
    /// The bucket the latest time fell in and the times it covers, [from, to): most commands fall in the same
    /// bucket as the one before, found without a division.
    private var latest = (index: -1, from: Int64(0), to: Int64(0))

    init(maxBuckets: Int) { self.maxBuckets = max(2, maxBuckets) }

    /// Inlined for the common case, the latest bucket again; finding another is out of line.
    @inline(__always)
    private mutating func bucket(at time: Int64) -> Int {
        if time >= latest.from && time < latest.to { return latest.index }
        return findBucket(at: time)
    }

    @inline(never)
    private mutating func findBucket(at time: Int64) -> Int {
        if start == nil { start = time }
        let origin = start ?? time
        let offset = max(0, time - origin)
        var index = Int(offset / width)
        while index >= maxBuckets {
            merge()
            index = Int(offset / width)
        }
        if index >= buckets.count { buckets.append(contentsOf: repeatElement(Bucket(), count: index + 1 - buckets.count)) }
        // Times before the origin fall in the first bucket too, but are not remembered as its.
        let from = origin + Int64(index) * width
        latest = time >= from ? (index, from, from + width) : (-1, 0, 0)
        return index
    }

    /// Doubles the width: pairs of buckets become one.
    private mutating func merge() {
        var merged: [Bucket] = []
        var i = 0
        while i < buckets.count {
            var b = buckets[i]
            if i + 1 < buckets.count {
                let o = buckets[i + 1]
                b.commands += o.commands; b.errors += o.errors; b.opened += o.opened; b.closed += o.closed
                b.requestBytes += o.requestBytes; b.replyBytes += o.replyBytes
                for k in 0..<64 { b.latency[k] += o.latency[k] }
            }
            merged.append(b)
            i += 2
        }
        buckets = merged
        width *= 2
    }

    /// Log bucket of a latency: 4 buckets per power of two from 1 µs. Inlined: per command.
    @inline(__always)
    static func latencyBucket(_ nanos: Int64) -> Int {
        let micros = max(1, Double(nanos) / 1000)
        return min(63, max(0, Int(micros.exponentBitPattern(quarters: true))))
    }

    static func latencyValue(_ bucket: Int) -> Double {
        var v = 1.0
        for _ in 0..<bucket { v *= 1.189_207_115 }  // 2^(1/4)
        return v
    }

    mutating func command(at time: Int64, requestBytes: Int, replyBytes: Int, isError: Bool, latencyNanos: Int64?) {
        let i = bucket(at: time)
        // One access to the array: each subscript checked uniqueness and bounds again.
        buckets.withUnsafeMutableBufferPointer { buckets in
            buckets[i].commands += 1
            if isError { buckets[i].errors += 1 }
            buckets[i].requestBytes += Int64(requestBytes)
            buckets[i].replyBytes += Int64(replyBytes)
            if let latencyNanos { buckets[i].latency[Self.latencyBucket(latencyNanos)] &+= 1 }
        }
    }

    /// Buckets count from `origin` (the capture's first packet), as the connection series do; the first call wins.
    mutating func begin(at origin: Int64) {
        if start == nil { start = origin }
    }

    mutating func connectionOpened(at time: Int64) { buckets[bucket(at: time)].opened += 1 }
    mutating func connectionClosed(at time: Int64) { buckets[bucket(at: time)].closed += 1 }

    func summary(start captureStart: Int64?) -> TimelineSummary {
        let origin = captureStart ?? start ?? 0
        let shift = (start ?? origin) - origin
        return TimelineSummary(bucketSeconds: Double(width) / 1e9, buckets: buckets.enumerated().map { index, b in
            var total = 0
            for k in 0..<64 { total += Int(b.latency[k]) }
            var p99: Double?
            if total > 0 {
                var seen = 0
                for k in 0..<64 {
                    seen += Int(b.latency[k])
                    if Double(seen) >= 0.99 * Double(total) { p99 = (Self.latencyValue(k + 1) * 10).rounded() / 10; break }
                }
            }
            return TimelineBucket(offsetSeconds: Double(Int64(index) * width + shift) / 1e9, commands: b.commands, errors: b.errors,
                                  requestBytes: b.requestBytes, replyBytes: b.replyBytes, connectionsOpened: b.opened,
                                  connectionsClosed: b.closed, p99Micros: p99)
        })
    }
}

private extension Double {
    /// floor(4 * log2(self)) for self >= 1, without a math library. Inlined: a few bit operations, per command.
    @inline(__always)
    func exponentBitPattern(quarters: Bool) -> Int {
        // From the bits: `exponent` and `significand` are calls into the standard library (subnormals, NaN), and
        // this runs per command on values of at least 1.
        precondition(isNormal && self > 0)
        let e = Int((bitPattern >> 52) & 0x7FF) - 1023
        let s = Double(bitPattern: bitPattern & 0x000F_FFFF_FFFF_FFFF | 0x3FF0_0000_0000_0000)  // [1, 2)
        let q = s < 1.189_207_115 ? 0 : s < 1.414_213_562 ? 1 : s < 1.681_792_831 ? 2 : 3
        return e * 4 + q
    }
}

extension LatencyStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
