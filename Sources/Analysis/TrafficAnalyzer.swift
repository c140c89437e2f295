import Capture
import Packets
import RESP
import RedisSemantics
import TCPReassembly

/// The pipeline from captured packets to a report: link/IP/TCP decoding, reassembly, RESP decoding and pairing
/// per connection, then every registered analysis.
///
/// Feed packets in capture order with `process(_:)`, then call `finish()` once. Time is capture time throughout
/// (idle connections are flushed by it). Memory is bounded by `AnalysisOptions`' limits, not by capture length.
public final class TrafficAnalyzer {
    public let options: AnalysisOptions
    public let registry: CommandRegistry
    private let decoder = PacketDecoder()
    private let reassembler: TCPReassembler
    private let filter: PacketFilter?
    private var connections: [ConnectionID: ConnectionInfo] = [:]
    /// Where every connection's session puts its events; drained after each call into a session.
    private let sessionEvents = SessionEventBuffer()
    /// Commands and replies held on all connections (`AnalysisOptions.maxHeldTotal`), and held commands given up.
    private var heldTotal = 0
    private var heldCommandsNotAnalysed = 0
    /// Commands awaiting replies on all connections together (`SessionLimits.maxPendingTotal`).
    private let pendingBudget: PendingBudget
    private var analyses: [any TrafficAnalysis]
    /// The built-in analyses again, by type, for the per-command call: direct calls, no existential retain and
    /// release per analysis. `analyses` (built-ins first, in this order, then the extra ones) serves everything else.
    private let commandStats: CommandStats
    private let connectionStats: ConnectionStats
    private let pushStats: PushStats
    private let blockingPopStats: BlockingPopStats
    private let queueStats: QueueStats
    private let connectionChurn: ConnectionChurn
    private let keyStats: KeyStats
    private let latencyStats: LatencyStats
    private let extraAnalyses: [any TrafficAnalysis]
    private var lastConnection: ConnectionInfo?
    private var reorderBuffer: PacketReorderBuffer

    // Capture-level counters.
    public private(set) var packets = 0
    private var skipped: [SkipReason: Int] = [:]
    private var filteredOut = 0
    private var firstTimestamp: Int64?
    private var lastTimestamp: Int64?
    private var linkTypes = Set<UInt32>()
    /// The previous packet's link type: the set is only consulted when it changes.
    private var lastLinkType: UInt32?
    private var clientBytes: Int64 = 0
    private var serverBytes: Int64 = 0
    private var unpairedReplies = 0
    private var unansweredCommands = 0
    private var lostInGaps = 0
    private var overflowed = 0
    private var parseErrorsByCode: [String: Int] = [:]
    private var resyncSkipped: Int64 = 0
    private var notRedisConnections = 0
    private var notRedisServerMessages = 0
    private var discardedCommands = 0
    private var connectionsWithGaps = 0
    private var gapDetails: [AnalysisReport.GapDetail] = []
    static let maxGapDetails = 20
    private var problems: [AnalysisReport.QualityEvent] = []
    private var problemsNotListed = 0

    /// Records where a parse error or a limit hit happened (the first `maxGapDetails`; the rest are counted).
    private func noteProblem(on info: ConnectionInfo, kind: String, detail: String) {
        guard problems.count < Self.maxGapDetails else { problemsNotListed += 1; return }
        problems.append(AnalysisReport.QualityEvent(kind: kind, connection: info.id.rawValue, client: info.client.description,
                                                    server: info.server.description, timestamp: Timestamp.iso8601(info.lastActivityNanos),
                                                    detail: detail))
    }

    public init(options: AnalysisOptions, analyses extra: [any TrafficAnalysis] = []) throws(CaptureError) {
        self.options = options
        self.registry = CommandRegistry(maxUnknownNames: options.maxUnknownCommandNames)
        self.pendingBudget = PendingBudget(limit: options.session.maxPendingTotal)
        self.reassembler = TCPReassembler(serverPorts: options.serverPorts, limits: options.reassembly)
        self.reorderBuffer = PacketReorderBuffer(capacity: options.reorderWindow)
        self.filter = try options.filter.map { expression throws(CaptureError) in try PacketFilter(expression: expression) }
        // Order matters where analyses share a report object: ConnectionStats writes `connections`, ConnectionChurn adds to it.
        // One redactor for every analysis, so a key gets the same token wherever it appears.
        let redactor = options.redactKeys ? KeyRedactor() : nil
        let prefixRule = KeyPrefixRule(delimiters: options.keyDelimiters)
        commandStats = CommandStats()
        connectionStats = ConnectionStats()
        pushStats = PushStats()
        // Key-count buckets follow the key limit; connection ids per bucket, ten times the client limit.
        blockingPopStats = BlockingPopStats(maxTrackedKeys: options.maxTrackedKeys, maxDistributionBuckets: options.maxTrackedKeys,
                                            maxClientsPerBucket: Self.saturatingTimesTen(options.maxTrackedClients), redactor: redactor)
        queueStats = QueueStats(maxTrackedKeys: options.maxTrackedKeys, prefixRule: prefixRule, redactor: redactor)
        connectionChurn = ConnectionChurn(maxTrackedClients: options.maxTrackedClients)
        keyStats = KeyStats(maxTrackedKeys: options.maxTrackedKeys, prefixRule: prefixRule, redactor: redactor)
        latencyStats = LatencyStats()
        extraAnalyses = extra
        self.analyses = [commandStats, connectionStats, pushStats, blockingPopStats, queueStats, connectionChurn, keyStats,
                         latencyStats] + extra
    }

    static func saturatingTimesTen(_ value: Int) -> Int {
        let (product, overflow) = value.multipliedReportingOverflow(by: 10)
        return overflow ? Int.max : product
    }

    /// Analyses one packet. Its bytes are only borrowed for the call.
    public func process(_ captured: CapturedPacket) {
        // Clamped once here, every later difference of two timestamps fits in Int64 (pcapng ticks and if_tsoffset
        // can say anything).
        var packet = captured
        packet.timestampNanos = min(max(captured.timestampNanos, 0), Timestamp.maxNanos)
        packets += 1
        if firstTimestamp == nil { firstTimestamp = packet.timestampNanos }
        if let last = lastTimestamp {
            if packet.timestampNanos > last { lastTimestamp = packet.timestampNanos }
        } else {
            lastTimestamp = packet.timestampNanos
        }
        if packet.linkType.rawValue != lastLinkType {
            lastLinkType = packet.linkType.rawValue
            linkTypes.insert(packet.linkType.rawValue)
        }
        if let filter, !filter.matches(packet) {
            filteredOut += 1
            return
        }
        reorderBuffer.insert(packet) { processInOrder($0) }
    }

    private func processInOrder(_ packet: CapturedPacket) {
        switch decoder.decode(packet) {
        case .skipped(let reason):
            skipped[reason, default: 0] += 1
        case .tcp(let segment):
            var router = StreamEventRouter(analyzer: self)
            reassembler.process(segment, handler: &router)
        }
    }

    /// Analyses the packets held for reordering that were captured at or before `timestampNanos` (live capture:
    /// packets older than the capture's own delivery delay cannot be overtaken any more).
    public func releaseBuffered(capturedUpTo timestampNanos: Int64) {
        reorderBuffer.release(upTo: timestampNanos) { processInOrder($0) }
    }

    /// Ends the analysis: open connections are closed as `endOfCapture`, and every analysis writes its results.
    public func finish() -> AnalysisReport {
        reorderBuffer.drain { processInOrder($0) }
        var router = StreamEventRouter(analyzer: self)
        reassembler.finish(timestampNanos: lastTimestamp ?? 0, handler: &router)
        var report = AnalysisReport()
        report.generator.commandTable = "redis \(CommandTable.redisVersion)"
        report.capture.packets = packets
        report.capture.firstTimestampNanos = firstTimestamp
        report.capture.lastTimestampNanos = lastTimestamp
        report.capture.firstTimestamp = firstTimestamp.map(Timestamp.iso8601)
        report.capture.lastTimestamp = lastTimestamp.map(Timestamp.iso8601)
        if let first = firstTimestamp, let last = lastTimestamp {
            report.capture.durationSeconds = (Double(last - first) / 1e6).rounded() / 1e3
        }
        report.capture.linkTypes = linkTypes.sorted().map { LinkType(rawValue: $0).description }
        report.capture.ports = options.serverPorts.sorted().map(Int.init)
        report.capture.filter = options.filter
        report.totals.clientBytes = clientBytes
        report.totals.serverBytes = serverBytes

        let context = AnalysisContext(registry: registry, firstTimestampNanos: firstTimestamp, lastTimestampNanos: lastTimestamp)
        for analysis in analyses { analysis.finish(into: &report, context: context) }

        var quality = report.quality
        let stats = reassembler.stats
        for (reason, count) in skipped { quality.packetsSkipped[reason.rawValue] = count }
        if stats.segmentsNotRedisPort > 0 { quality.packetsSkipped["notRedisPort"] = stats.segmentsNotRedisPort }
        if filteredOut > 0 { quality.packetsSkipped["filteredOut"] = filteredOut }
        quality.tcpSegments = stats.segments - stats.segmentsNotRedisPort
        quality.packetsOutOfTimestampOrder = reorderBuffer.outOfOrderPackets
        quality.packetsLateBeyondReorderWindow = reorderBuffer.lateByMoreThanWindow
        quality.outOfOrderSegments = stats.outOfOrderSegments
        quality.retransmittedSegments = stats.retransmittedSegments
        quality.duplicateBytes = stats.duplicateBytes
        quality.gaps = stats.gaps
        quality.bytesLostInGaps = stats.gapBytes
        quality.connectionsWithGaps = connectionsWithGaps
        quality.gapDetails = gapDetails
        quality.events = problems
        quality.eventsNotListed = problemsNotListed
        quality.snaplenCutBytes = stats.snaplenCutBytes
        quality.connectionsEvicted = stats.connectionsEvicted
        quality.bufferLimitDrops = stats.bufferLimitDrops
        quality.unpairedReplies = unpairedReplies
        quality.unansweredCommands = unansweredCommands
        quality.commandsLostInGaps = lostInGaps
        quality.pendingOverflows = overflowed
        quality.parseErrorsByCode = parseErrorsByCode
        quality.parseErrors = parseErrorsByCode.values.reduce(0, +)
        quality.resyncSkippedBytes = resyncSkipped
        quality.notRedisConnections = notRedisConnections
        quality.notRedisServerMessages = notRedisServerMessages
        quality.notRedisCommandLines = discardedCommands
        let hits = reassemblyAndSessionLimitsHit(quality) + (quality.limitsHit ?? [])
        quality.limitsHit = hits.isEmpty ? nil : hits
        report.quality = quality
        return report
    }

    /// The transport and protocol limits reached (the analyses add their own tracking limits).
    private func reassemblyAndSessionLimitsHit(_ q: AnalysisReport.QualitySummary) -> [AnalysisReport.LimitHit] {
        typealias Hit = AnalysisReport.LimitHit
        var hits: [Hit] = []
        let reassembly = options.reassembly
        if q.connectionsEvicted > 0 {
            hits.append(Hit(limit: "--max-connections", value: reassembly.maxConnections, scope: "reassembly", count: q.connectionsEvicted,
                            effect: "least recently active connections were closed early; later packets of one start it again mid-stream"))
        }
        if q.bufferLimitDrops > 0 {
            hits.append(Hit(limit: "--max-buffered-bytes", value: reassembly.maxBufferedBytesPerConnection, scope: "reassembly",
                            count: q.bufferLimitDrops,
                            effect: "out-of-order data held past the per-connection or total (--max-buffered-total "
                                + "\(reassembly.maxBufferedBytesTotal)) bound was given up as gaps"))
        }
        if pendingBudget.connectionOverflows > 0 {
            hits.append(Hit(limit: "--max-pending", value: options.session.maxPendingCommands, scope: "commands",
                            count: pendingBudget.connectionOverflows,
                            effect: "commands past the bound on one connection were counted, not paired with replies"))
        }
        if pendingBudget.overflows > 0 {
            hits.append(Hit(limit: "--max-pending-total", value: pendingBudget.limit, scope: "commands", count: pendingBudget.overflows,
                            effect: "commands past the bound on all connections together were counted, not paired with replies"))
        }
        if heldCommandsNotAnalysed > 0 {
            hits.append(Hit(limit: "--max-held", value: options.maxHeldTotal, scope: "commands", count: heldCommandsNotAnalysed,
                            effect: "inline commands with unknown names, held until their connection proved to carry Redis, "
                                + "were not analysed past the bound"))
        }
        if registry.unknownNamesDropped > 0 {
            hits.append(Hit(limit: "--max-command-names", value: options.maxUnknownCommandNames, scope: "commands",
                            count: registry.unknownNamesDropped,
                            effect: "commands with unknown names past the limit are counted together as (other)"))
        }
        let resp = options.session.resp
        for side in ["client", "server"] {
            let scope = side == "client" ? "requests" : "replies"
            let counts = { (code: RESPProtocolError.Code) in q.parseErrorsByCode["\(side):\(code.rawValue)"] ?? 0 }
            if counts(.depthLimitExceeded) > 0 {
                hits.append(Hit(limit: "--max-depth", value: resp.maxDepth, scope: scope, count: counts(.depthLimitExceeded),
                                effect: "the message was skipped as a parse error; the decoder resynchronised after it"))
            }
            if counts(.lengthLimitExceeded) > 0 {
                hits.append(Hit(limit: "--max-elements / --max-bulk", value: resp.maxAggregateElements, scope: scope,
                                count: counts(.lengthLimitExceeded),
                                effect: "a length above --max-elements (\(resp.maxAggregateElements)) or --max-bulk "
                                    + "(\(resp.maxBulkLength)) was a parse error; the decoder resynchronised after it"))
            }
            if counts(.inlineTooLong) > 0 {
                hits.append(Hit(limit: "--max-inline", value: resp.maxInlineLength, scope: scope, count: counts(.inlineTooLong),
                                effect: "the inline line was skipped as a parse error"))
            }
        }
        return hits
    }

    // MARK: - Stream events

    fileprivate func opened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, at time: Int64) {
        let info = ConnectionInfo(id: id, client: client, server: server, handshakeSeen: handshakeSeen,
                                  openedNanos: time, registry: registry, sessionLimits: options.session, eventBuffer: sessionEvents,
                                  pendingBudget: pendingBudget)
        connections[id] = info
        forEachAnalysis { $0.connectionOpened(info) }
    }

    fileprivate func data(_ id: ConnectionID, _ direction: StreamDirection, _ bytes: UnsafeRawBufferPointer, at time: Int64) {
        guard let info = connection(id) else { return }
        info.lastActivityNanos = time
        if direction == .toServer {
            clientBytes += Int64(bytes.count)
            info.clientBytes += Int64(bytes.count)
            info.session.feedRequest(bytes, timestampNanos: time)
        } else {
            serverBytes += Int64(bytes.count)
            info.serverBytes += Int64(bytes.count)
            info.session.feedReply(bytes, timestampNanos: time)
        }
        drain(info)
    }

    fileprivate func gap(_ id: ConnectionID, _ direction: StreamDirection, bytes: Int, at time: Int64) {
        guard let info = connection(id) else { return }
        if info.gaps == 0 { connectionsWithGaps += 1 }
        info.gaps += 1
        info.gapBytes += Int64(bytes)
        if gapDetails.count < Self.maxGapDetails {
            gapDetails.append(AnalysisReport.GapDetail(
                connection: id.rawValue, client: info.client.description, server: info.server.description,
                direction: direction == .toServer ? "request" : "reply", timestamp: Timestamp.iso8601(time),
                bytesLost: bytes, commandsBefore: info.commands))
        }
        info.session.gap(fromClient: direction == .toServer, timestampNanos: time)
        drain(info)
    }

    fileprivate func bufferLimitReached(_ id: ConnectionID, _ direction: StreamDirection) {
        guard let info = connection(id), !info.bufferLimitNoted else { return }
        info.bufferLimitNoted = true
        let limits = options.reassembly
        noteProblem(on: info, kind: "bufferLimit",
                    detail: "\(direction == .toServer ? "request" : "reply") stream: out-of-order bytes past --max-buffered-bytes "
                        + "(\(limits.maxBufferedBytesPerConnection)) or --max-buffered-total (\(limits.maxBufferedBytesTotal)); "
                        + "stopped waiting for the missing bytes (a gap)")
    }

    fileprivate func closed(_ id: ConnectionID, reason: CloseReason, by: StreamDirection?, at time: Int64) {
        guard let info = connection(id) else { return }
        // Set first: analyses see how the connection ended when its last commands arrive (e.g. pending at the
        // end of the capture versus abandoned by a client that went away).
        info.closedNanos = time
        info.closeReason = reason
        info.closedBy = by
        info.existingSession?.close(timestampNanos: time)
        drain(info)
        resyncSkipped += info.resyncSkippedBytes
        if !info.confirmedRedis {
            if info.notRedis && info.serverParseErrors > 0 {
                // Neither side spoke RESP (TLS, another protocol): the server's bytes are not Redis replies.
                notRedisServerMessages += info.heldReplies.count + info.heldDropped
                heldTotal -= info.heldReplies.count
                info.heldReplies.removeAll()
                info.heldDropped = 0
            }
            // Otherwise a real server answered (e.g. errors to garbage requests): its replies count, unpaired.
            releaseHeld(info)
        }
        if info.looksLikeNotRedis {
            notRedisConnections += 1
            noteProblem(on: info, kind: "notRedis", detail: "the traffic does not decode as RESP; no commands taken from it")
        }
        if reason == .evicted {
            noteProblem(on: info, kind: "connectionLimit",
                        detail: "evicted (least recently active) to stay within \(options.reassembly.maxConnections) tracked connections")
        }
        forEachAnalysis { $0.connectionClosed(info) }
        connections[id] = nil
        if lastConnection === info { lastConnection = nil }
    }

    static let maxHeld = 1000

    private func count(_ record: CommandRecord, on info: ConnectionInfo) {
        info.commands += 1
        switch record.outcome {
        case .unanswered: unansweredCommands += 1
        case .lostInGap: lostInGaps += 1
        case .overflowed:
            overflowed += 1
            if !info.pendingLimitNoted {
                info.pendingLimitNoted = true
                noteProblem(on: info, kind: "pendingLimit",
                            detail: "more commands awaiting replies than --max-pending (\(options.session.maxPendingCommands)) on this "
                                + "connection or --max-pending-total (\(options.session.maxPendingTotal)) on all; the excess is counted, not paired")
            }
        default: break
        }
        // The same order as `analyses`.
        commandStats.command(record, on: info)
        connectionStats.command(record, on: info)
        pushStats.command(record, on: info)
        blockingPopStats.command(record, on: info)
        queueStats.command(record, on: info)
        connectionChurn.command(record, on: info)
        keyStats.command(record, on: info)
        latencyStats.command(record, on: info)
        var index = 0
        while index < extraAnalyses.count {
            extraAnalyses[index].command(record, on: info)
            index += 1
        }
    }

    /// A text line that was not a Redis request: not a command. A reply the server sent to it is still a reply
    /// on the wire, now without a request.
    private func discard(_ record: CommandRecord, on info: ConnectionInfo) {
        discardedCommands += 1
        guard record.outcome == .replied, let kind = record.replyKind else { return }
        let reply = UnpairedReply(connection: record.connection, kind: kind, bytes: record.replyBytes,
                                  errorPrefix: record.errorPrefix, timestampNanos: record.replyStartNanos)
        holdReply(reply, on: info)
    }

    private func unpaired(_ reply: UnpairedReply, on info: ConnectionInfo) {
        unpairedReplies += 1
        forEachAnalysis { $0.unpairedReply(reply, on: info) }
    }

    /// The connection proved to be Redis (or ended without proof either way): count what was held.
    private func releaseHeld(_ info: ConnectionInfo) {
        for record in info.heldCommands { count(record, on: info) }
        for reply in info.heldReplies { unpaired(reply, on: info) }
        unpairedReplies += info.heldDropped
        heldCommandsNotAnalysed += info.heldCommandsDropped
        heldTotal -= info.heldCommands.count + info.heldReplies.count
        info.heldCommands.removeAll()
        info.heldReplies.removeAll()
        info.heldDropped = 0
        info.heldCommandsDropped = 0
    }

    /// Holds a command or reply until its connection proves to carry Redis, within the per-connection and total
    /// bounds; past them it is only counted in `dropped`.
    private func hold<Item>(_ item: Item, in held: inout [Item], dropped: inout Int) {
        if held.count < Self.maxHeld && heldTotal < options.maxHeldTotal {
            held.append(item)
            heldTotal += 1
        } else {
            dropped += 1
        }
    }

    private func holdCommand(_ record: CommandRecord, on info: ConnectionInfo) {
        hold(record, in: &info.heldCommands, dropped: &info.heldCommandsDropped)
    }

    private func holdReply(_ reply: UnpairedReply, on info: ConnectionInfo) {
        hold(reply, in: &info.heldReplies, dropped: &info.heldDropped)
    }

    /// Calls `body` with every analysis in registration order. An indexed loop: `for in` over an array goes through
    /// generic iterator accessors that allocate a coroutine frame per element in unoptimised (test) builds.
    @inline(__always)
    private func forEachAnalysis(_ body: (any TrafficAnalysis) -> Void) {
        var index = 0
        while index < analyses.count {
            body(analyses[index])
            index += 1
        }
    }

    private func connection(_ id: ConnectionID) -> ConnectionInfo? {
        if let last = lastConnection, last.id == id { return last }
        let info = connections[id]
        lastConnection = info
        return info
    }

    /// Handles the events `info`'s session just produced (the buffer is shared, and drained after every call into a
    /// session, so all it holds is theirs).
    private func drain(_ info: ConnectionInfo) {
        guard !sessionEvents.events.isEmpty else { return }
        // Borrowed in place (an event holds a whole record, ~850 bytes) and indexed for the same reason as
        // `forEachAnalysis`. Nothing below calls into a session.
        sessionEvents.events.withUnsafeBufferPointer { events in
            guard let first = events.baseAddress else { return }
            var index = 0
            while index < events.count {
                handle(first + index, on: info)
                index += 1
            }
        }
        sessionEvents.events.removeAll(keepingCapacity: true)
    }

    /// Takes the event by address: matched where it lies, its record is not copied out of the buffer first.
    private func handle(_ event: UnsafePointer<SessionEvent>, on info: ConnectionInfo) {
        switch event.pointee {
        case .command(let record):
            if record.isInline && !registry.isKnown(record.command) && !info.confirmedRedis {
                if info.notRedis {
                    discard(record, on: info)
                } else {
                    holdCommand(record, on: info)
                }
                return
            }
            if !info.confirmedRedis {
                info.confirmedRedis = true
                releaseHeld(info)
            }
            count(record, on: info)
        case .push(let push):
            forEachAnalysis { $0.push(push, on: info) }
        case .unpairedReply(let reply):
            if info.confirmedRedis {
                unpaired(reply, on: info)
            } else {
                holdReply(reply, on: info)
            }
        case .transactionError(_, let command, let prefix):
            forEachAnalysis { $0.transactionError(command: command, errorPrefix: prefix, on: info) }
        case .protocolError(_, let fromClient, let error):
            info.parseErrors += 1
            if !fromClient { info.serverParseErrors += 1 }
            if fromClient && !info.confirmedRedis && !info.notRedis {
                info.notRedis = true
                heldTotal -= info.heldCommands.count
                for record in info.heldCommands { discard(record, on: info) }
                info.heldCommands.removeAll()
                // Lines not held for lack of room were text lines too.
                discardedCommands += info.heldCommandsDropped
                info.heldCommandsDropped = 0
            }
            parseErrorsByCode[(fromClient ? "client:" : "server:") + error.code.rawValue, default: 0] += 1
            noteProblem(on: info, kind: "parseError",
                        detail: "\(fromClient ? "request" : "reply") stream: \(error.code.rawValue) at byte \(error.streamOffset)")
        }
    }
}

/// Routes reassembler callbacks to the analyzer without allocating. Lives for one call of the analyzer's, so the
/// reference is not counted.
private struct StreamEventRouter: TCPStreamHandler {
    unowned(unsafe) let analyzer: TrafficAnalyzer

    mutating func connectionOpened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool,
                                   timestampNanos: Int64) {
        analyzer.opened(id, client: client, server: server, handshakeSeen: handshakeSeen, at: timestampNanos)
    }

    mutating func streamData(_ id: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer,
                             timestampNanos: Int64) {
        analyzer.data(id, direction, bytes, at: timestampNanos)
    }

    mutating func streamGap(_ id: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64) {
        analyzer.gap(id, direction, bytes: byteCount, at: timestampNanos)
    }

    mutating func bufferLimitReached(_ id: ConnectionID, direction: StreamDirection, timestampNanos: Int64) {
        analyzer.bufferLimitReached(id, direction)
    }

    mutating func connectionClosed(_ id: ConnectionID, reason: CloseReason, closedBy: StreamDirection?,
                                   timestampNanos: Int64) {
        analyzer.closed(id, reason: reason, by: closedBy, at: timestampNanos)
    }
}
