import Analysis
import Findings
import Packets
import RESP
import RedisSemantics
import TCPReassembly

/// The second half of `TrafficAnalyzer`: takes the stream stage's batches, in order, and runs every analysis over
/// them. Owns the connections as analyses see them (`ConnectionInfo`), the holding of lines from connections not yet
/// shown to carry Redis, and the counts of what was paired, lost or given up.
final class AnalysisStage {
    let options: AnalysisOptions
    /// The stream stage's registry, mirrored from `.commandName` events: analyses read names from it.
    let registry: CommandRegistry
    private var connections = ConnectionTable<ConnectionInfo>()
    /// The capture's first packet (nil before it, or where events arrive without one).
    private var captureStartNanos: Int64?
    /// The connection of the last event, unretained (the table holds it; closing clears this): consecutive events
    /// of one connection find it without a look-up, and none of them retains it.
    private var lastConnection: Unmanaged<ConnectionInfo>?
    /// Commands and replies held on all connections (`AnalysisOptions.maxHeldTotal`), and held commands given up.
    private var heldTotal = 0
    private(set) var heldCommandsNotAnalysed = 0
    /// Every analysis, built-ins first (`BuiltInAnalyses`' order), then the extra ones, for every event but a
    /// command; commands go to `builtIn` directly, then to the extra ones.
    let analyses: [any TrafficAnalysis]
    private let builtIn: BuiltInAnalyses
    private let extraAnalyses: [any TrafficAnalysis]

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

    init(options: AnalysisOptions, analyses extra: [any TrafficAnalysis]) {
        self.options = options
        registry = CommandRegistry(maxUnknownNames: options.maxUnknownCommandNames)
        builtIn = BuiltInAnalyses(setup: AnalysisSetup(maxTrackedKeys: options.maxTrackedKeys, maxTrackedClients: options.maxTrackedClients,
                                                        maxTrackedScripts: options.maxTrackedScripts, redactKeys: options.redactKeys, keyDelimiters: options.keyDelimiters))
        extraAnalyses = extra
        analyses = builtIn.list + extra
    }

    /// Handles a batch's events in order. Session events and records are read where they lie in the batch; indexed
    /// loops and no capturing closures, for the same reason as `forEachAnalysis`.
    func consume(_ batch: StageBatch) {
        batch.sessionEvents.withUnsafeBufferPointer { sessionEvents in
            var cursor = SessionEventCursor(event: sessionEvents.baseAddress, records: batch.records)
            var index = 0
            while index < batch.streamEvents.count {
                switch batch.streamEvents[index] {
                case .commandName(let entry):
                    registry.mirror(entry)
                case .captureStarted(let time):
                    captureStartNanos = time
                case .opened(let id, let client, let server, let handshakeSeen, let time):
                    opened(id, client: client, server: server, handshakeSeen: handshakeSeen, at: time)
                case .data(let id, let toServer, let byteCount, let time, let count):
                    // The most frequent event: its connection is used without a retain and a release.
                    if let connection = unretainedConnection(id) {
                        connection._withUnsafeGuaranteedRef { info in
                            noteData(on: info, toServer: toServer, byteCount: byteCount, at: time)
                            handle(count, from: &cursor, on: info)
                        }
                    } else {
                        handle(count, from: &cursor, on: nil)
                    }
                case .gap(let id, let toServer, let byteCount, let time, let count):
                    let info = gap(id, toServer: toServer, bytes: byteCount, at: time)
                    handle(count, from: &cursor, on: info)
                case .bufferLimit(let id, let toServer):
                    bufferLimitReached(id, toServer: toServer)
                case .handshakeTimed(let id, let confirmNanos):
                    connections[id]?.handshakeConfirmNanos = confirmNanos
                case .closed(let id, let reason, let by, let time, let count, let protocolVersion, let skipped):
                    let info = closing(id, reason: reason, by: by, at: time, protocolVersion: protocolVersion,
                                       resyncSkipped: skipped)
                    handle(count, from: &cursor, on: info)
                    if let info { closed(info) }
                }
                index += 1
            }
        }
    }

    /// The next session event of a batch, and where the next record (that of the next `.command` event) starts in
    /// the batch's packed records.
    private struct SessionEventCursor {
        var event: UnsafePointer<SessionEvent>?
        let records: PackedRecords
        var recordOffset = 0
        /// Where the record after the next one starts, when `lookAhead` worked it out (each record's end is read
        /// once, not again when it comes).
        var followingOffset: Int?

        init(event: UnsafePointer<SessionEvent>?, records: PackedRecords) {
            self.event = event
            self.records = records
        }

        /// The next record, where it lies in the batch (not copied: each copy of a record showed in profiles).
        mutating func nextRecord() -> UnsafePointer<CommandRecord> {
            let record = records.record(at: recordOffset)
            recordOffset = followingOffset ?? records.offset(after: recordOffset)
            followingOffset = nil
            return record
        }
    }

    /// Handles the `count` session events at `cursor` on `info` (skips them without one), moving `cursor` past them.
    private func handle(_ count: Int, from cursor: inout SessionEventCursor, on info: ConnectionInfo?) {
        guard count > 0, let first = cursor.event else { return }
        var index = 0
        while index < count {
            if case .command = first[index] {
                let record = cursor.nextRecord()
                lookAhead(from: &cursor)
                if let info { handle(command: record, on: info) }
            } else if let info {
                handle(first + index, on: info)
            }
            index += 1
        }
        cursor.event = first + count
    }

    /// Asks for the table entries the next two records will touch (their digests lie in the batch: they were worked
    /// out as the records were packed), while this one is counted: the key counter's index slot two records ahead,
    /// its entry and the cluster slot's counters one ahead. With many keys those tables outgrow the caches.
    @inline(__always)
    private func lookAhead(from cursor: inout SessionEventCursor) {
        guard let next = cursor.records.digest(at: cursor.recordOffset) else { return }
        let following = cursor.records.offset(after: cursor.recordOffset)
        cursor.followingOffset = following
        builtIn.prefetch(next: next, afterNext: cursor.records.digest(at: following))
    }

    /// This stage's part of the capture quality: gaps and problems per connection, and what became of commands and
    /// replies that could not be paired.
    func noteQuality(in quality: inout AnalysisReport.QualitySummary) {
        quality.connectionsWithGaps = connectionsWithGaps
        quality.gapDetails = gapDetails
        quality.events = problems
        quality.eventsNotListed = problemsNotListed
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
    }

    // MARK: - Connection events

    private func opened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, at time: Int64) {
        let info = ConnectionInfo(id: id, client: client, server: server, handshakeSeen: handshakeSeen, openedNanos: time,
                                  captureStartNanos: min(captureStartNanos ?? time, time), registry: registry)
        connections[id] = info
        forEachAnalysis { $0.connectionOpened(info) }
    }

    @inline(__always)
    private func noteData(on info: ConnectionInfo, toServer: Bool, byteCount: Int, at time: Int64) {
        info.lastActivityNanos = time
        if toServer {
            info.clientBytes += Int64(byteCount)
        } else {
            info.serverBytes += Int64(byteCount)
        }
    }

    private func gap(_ id: ConnectionID, toServer: Bool, bytes: Int, at time: Int64) -> ConnectionInfo? {
        guard let info = connection(id) else { return nil }
        if info.gaps == 0 { connectionsWithGaps += 1 }
        info.gaps += 1
        info.gapBytes += Int64(bytes)
        if gapDetails.count < Self.maxGapDetails {
            gapDetails.append(AnalysisReport.GapDetail(
                connection: id.rawValue, client: info.client.description, server: info.server.description,
                direction: toServer ? "request" : "reply", timestamp: Timestamp.iso8601(time),
                bytesLost: bytes, commandsBefore: info.commands))
        }
        return info
    }

    private func bufferLimitReached(_ id: ConnectionID, toServer: Bool) {
        guard let info = connection(id), !info.bufferLimitNoted else { return }
        info.bufferLimitNoted = true
        let limits = options.reassembly
        noteProblem(on: info, kind: "bufferLimit",
                    detail: "\(toServer ? "request" : "reply") stream: out-of-order bytes past --max-buffered-bytes "
                        + "(\(limits.maxBufferedBytesPerConnection)) or --max-buffered-total (\(limits.maxBufferedBytesTotal)); "
                        + "stopped waiting for the missing bytes (a gap)")
    }

    /// Set before the session's last events are handled: analyses see how the connection ended when its last
    /// commands arrive (e.g. pending at the end of the capture versus abandoned by a client that went away).
    private func closing(_ id: ConnectionID, reason: CloseReason, by: StreamDirection?, at time: Int64, protocolVersion: Int,
                         resyncSkipped skipped: Int64) -> ConnectionInfo? {
        guard let info = connection(id) else { return nil }
        info.closedNanos = time
        info.closeReason = reason
        info.closedBy = by
        info.protocolVersion = protocolVersion
        info.resyncSkippedBytes = skipped
        return info
    }

    private func closed(_ info: ConnectionInfo) {
        resyncSkipped += info.resyncSkippedBytes
        if info.protocolEvidence.verdict != .redis {
            if info.protocolEvidence.verdict == .notRedis && info.serverParseErrors > 0 {
                // Neither side spoke RESP (TLS, another protocol): the server's bytes are not Redis replies.
                heldTotal -= info.protocolEvidence.heldReplies.count
                notRedisServerMessages += info.protocolEvidence.dropReplies()
            }
            // Otherwise a real server answered (e.g. errors to garbage requests): its replies count, unpaired.
            releaseHeld(info)
        }
        if info.looksLikeNotRedis {
            notRedisConnections += 1
            noteProblem(on: info, kind: "notRedis", detail: "the traffic does not decode as RESP; no commands taken from it")
        }
        if info.closeReason == .evicted {
            noteProblem(on: info, kind: "connectionLimit",
                        detail: "evicted (least recently active) to stay within \(options.reassembly.maxConnections) tracked connections")
        }
        forEachAnalysis { $0.connectionClosed(info) }
        connections[info.id] = nil
        if lastConnection?.toOpaque() == Unmanaged.passUnretained(info).toOpaque() { lastConnection = nil }
    }

    private func count(_ address: UnsafePointer<CommandRecord>, on info: ConnectionInfo) {
        info.commands += 1
        switch address.pointee.outcome {
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
        builtIn.command(at: address, on: info)
        var index = 0
        while index < extraAnalyses.count {
            extraAnalyses[index].command(at: address, on: info)
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
        guard info.protocolEvidence.isHoldingAnything else { return }
        let held = info.protocolEvidence.release()
        heldTotal -= held.commands.count + held.replies.count
        for var record in held.commands { count(&record, on: info) }
        for reply in held.replies { unpaired(reply, on: info) }
        unpairedReplies += held.repliesNotHeld
        heldCommandsNotAnalysed += held.commandsNotHeld
    }

    /// Holds a command or reply until its connection proves to carry Redis, within the per-connection and total
    /// (`--max-held`) bounds; past them it is only counted.
    private func holdCommand(_ record: CommandRecord, on info: ConnectionInfo) {
        if info.protocolEvidence.hold(record, canHold: heldTotal < options.maxHeldTotal) { heldTotal += 1 }
    }

    private func holdReply(_ reply: UnpairedReply, on info: ConnectionInfo) {
        if info.protocolEvidence.hold(reply, canHold: heldTotal < options.maxHeldTotal) { heldTotal += 1 }
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
        unretainedConnection(id)?.takeUnretainedValue()
    }

    @inline(__always)
    private func unretainedConnection(_ id: ConnectionID) -> Unmanaged<ConnectionInfo>? {
        if let last = lastConnection, last._withUnsafeGuaranteedRef({ $0.id == id }) { return last }
        guard let info = connections.unretained(id), info._withUnsafeGuaranteedRef({ $0.id == id }) else { return nil }
        lastConnection = info
        return info
    }

    /// Takes the record by address: read where it lies in the batch, not copied out first.
    private func handle(command pointer: UnsafePointer<CommandRecord>, on info: ConnectionInfo) {
        let record = pointer
        switch info.protocolEvidence.decide(record.pointee, nameIsKnown: registry.isKnown(record.pointee.command)) {
        case .count:
            // Tested here: a call per command that mostly finds nothing held cost more than the test.
            if info.protocolEvidence.isHoldingAnything { releaseHeld(info) }
            count(record, on: info)
        case .hold:
            holdCommand(record.pointee, on: info)
        case .discard:
            discard(record.pointee, on: info)
        }
    }

    /// Every session event but a command's.
    private func handle(_ event: UnsafePointer<SessionEvent>, on info: ConnectionInfo) {
        switch event.pointee {
        case .command:
            preconditionFailure("commands are handled by handle(command:on:)")
        case .push(let push):
            forEachAnalysis { $0.push(push, on: info) }
        case .unpairedReply(let reply):
            if info.protocolEvidence.holdsReplies {
                holdReply(reply, on: info)
            } else {
                unpaired(reply, on: info)
            }
        case .propagated(let command):
            forEachAnalysis { $0.propagated(command, on: info) }
        case .replicationSync(let sync):
            forEachAnalysis { $0.replicationSync(sync, on: info) }
        case .transactionError(_, let command, let prefix, let index):
            forEachAnalysis { $0.transactionError(command: command, errorPrefix: prefix, queuedIndex: index, on: info) }
        case .protocolError(_, let fromClient, let error):
            info.parseErrors += 1
            if !fromClient { info.serverParseErrors += 1 }
            if fromClient, let given = info.protocolEvidence.clientProtocolError() {
                heldTotal -= given.discarded.count
                for record in given.discarded { discard(record, on: info) }
                // Lines not held for lack of room were text lines too.
                discardedCommands += given.notHeld
            }
            parseErrorsByCode[(fromClient ? "client:" : "server:") + error.code.rawValue, default: 0] += 1
            noteProblem(on: info, kind: "parseError",
                        detail: "\(fromClient ? "request" : "reply") stream: \(error.code.rawValue) at byte \(error.streamOffset)")
        }
    }
}
