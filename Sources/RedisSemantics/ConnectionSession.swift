import RESP

/// Named bounds on one connection's pairing state.
public struct SessionLimits: Sendable, Codable, Hashable {
    /// Commands awaiting replies on one connection; past it the oldest is given up (`.overflowed`).
    public var maxPendingCommands = 100_000
    /// Commands awaiting replies on all the connections sharing one `PendingBudget` (an owner's sessions): a pending
    /// command holds a whole record (~880 bytes), so this bounds the memory of unanswered pipelines however many
    /// connections carry them.
    public var maxPendingTotal = 100_000
    /// Commands remembered between MULTI and EXEC to attribute EXEC's nested errors.
    public var maxQueuedInTransaction = 100_000
    public var resp = RESPLimits()
    public init() {}
}

/// Decodes both directions of one Redis connection and pairs every command with its reply.
///
/// Pairing follows redis-server: replies come in request order; CLIENT REPLY OFF/SKIP suppress them; RESP3
/// pushes, RESP2 pub/sub messages and MONITOR output are not replies; SUBSCRIBE-family commands are answered by
/// one confirmation per channel; MULTI queues commands (+QUEUED) and EXEC's array carries their results.
/// A reply whose first byte was captured before its candidate request's last byte cannot be that request's
/// reply and is counted as unpaired (this keeps mid-stream starts and gaps from misattributing replies).
///
/// Output: `events` (and `records`), appended in order; the owner drains them (`eventBuffer.removeAll()`). An
/// owner of many sessions gives them one shared `SessionEventBuffer`: an event holds a whole record (~850 bytes),
/// and a buffer per connection would keep that much per connection for good.
public final class ConnectionSession {
    public let connection: UInt64
    public let registry: CommandRegistry
    /// `SessionLimits.maxQueuedInTransaction` (the other limits live in `pending` and the workspace pool).
    private let maxQueuedInTransaction: Int
    public private(set) var protocolVersion = 2
    public let eventBuffer: SessionEventBuffer
    /// Shared with the owner's other sessions, or nil: only `SessionLimits.maxPendingCommands` bounds this one.
    public let pendingBudget: PendingBudget?
    /// This session's commands as last counted in `pendingBudget`.
    private var pendingCounted = 0
    /// The events not drained yet (those of `eventBuffer`, which other sessions may share); a `.command` event's
    /// record is the next of `records`.
    public var events: [SessionEvent] { eventBuffer.events }
    public var records: [CommandRecord] { eventBuffer.records.all }
    /// The decoders and reply builder while the connection is inside a message; parked in `workspaces` between
    /// messages, leaving `requestPosition` and `replyPosition`.
    private var workspace: SessionWorkspace?
    private let workspaces: SessionWorkspacePool
    private var requestPosition = RESPDecoder.StreamPosition()
    private var replyPosition = RESPDecoder.StreamPosition()

    private enum ReplyMode { case on, off, skipNext }

    /// Commands awaiting replies, in slots of the store shared with the owner's other sessions.
    private var pending: PendingQueue
    private var replyMode = ReplyMode.on
    private var inTransaction = false
    private var monitoring = false
    /// The link's propagated stream is being read: messages from the server are commands, not replies.
    private var propagating = false
    /// The capture began inside this connection: a REPLCONF ACK is then the only sign of a link already synced.
    private let startedMidStream: Bool
    /// The slot of the request being read (see `request` below): -1 while none is. The one- to four-byte fields lie
    /// together, here and after each optional time, so that a session (one per connection) holds no padding.
    private var requestSlot: Int32 = -1
    private var queued: [CommandID] = []
    private var subscriptions = 0
    private var currentTime: Int64 = 0
    /// Set by a replica's PSYNC/SYNC: the server's bytes then go through `feedLinkReply` (one check per call).
    /// Held by reference: few connections are replication links, and inline the state cost ~90 bytes each.
    private var link: ReplicationLink? {
        get { linkStorage?.link }
        _modify {
            if linkStorage == nil { linkStorage = ReplicationLinkStorage() }
            yield &linkStorage.unsafelyUnwrapped.link
        }
    }
    private var linkStorage: ReplicationLinkStorage?

    // Request being assembled: in a slot of the pending store (`requestSlot`), taken at its first token and, when a
    // reply is expected, linked into `pending` where it lies (no copy of the record).
    /// The record of `requestSlot`. Only valid while a request is being read; re-derived at each use because the
    /// store moves when it grows.
    private var request: CommandRecord {
        unsafeAddress { UnsafePointer(pending.store.slots + Int(requestSlot)).pointer(to: \.record)! }
        unsafeMutableAddress { (pending.store.slots + Int(requestSlot)).pointer(to: \.record)! }
    }
    /// Where `request` lies, for code that reaches it many times in a row: derived once, it stays valid until the
    /// store next grows (`pending.allocateSlot()`), which the per-request paths do only as a request begins. Through
    /// `request` each access loaded the store and its slots again.
    private var requestRecord: UnsafeMutablePointer<CommandRecord> {
        (pending.store.slots + Int(requestSlot)).pointer(to: \.record)!
    }
    private var requestArgumentIndex = 0
    private var requestStarted: Bool { requestSlot >= 0 }
    private var requestStartTime: Int64?
    private var requestSawBlockKeyword = false
    private var requestIsInline = false
    /// XREAD/XREADGROUP: the index of the STREAMS keyword (0 until seen), whose next argument is the first key.
    private var requestStreamsIndex = 0

    // Reply being assembled.
    private var replyStartTime: Int64?

    public init(connection: UInt64, registry: CommandRegistry, limits: SessionLimits = SessionLimits(),
                midStream: Bool = false, eventBuffer: SessionEventBuffer = SessionEventBuffer(),
                pendingBudget: PendingBudget? = nil, workspacePool: SessionWorkspacePool? = nil) {
        self.connection = connection
        self.eventBuffer = eventBuffer
        self.pendingBudget = pendingBudget
        self.registry = registry
        self.maxQueuedInTransaction = limits.maxQueuedInTransaction
        if let shared = workspacePool, shared.limits == limits.resp {
            self.workspaces = shared
        } else {
            self.workspaces = SessionWorkspacePool(limits: limits.resp)
        }
        self.pending = PendingQueue(store: pendingBudget?.store ?? PendingCommandStore(), maxCount: limits.maxPendingCommands)
        self.startedMidStream = midStream
        if midStream {
            // The first bytes may be the middle of a message: start at the first plausible message boundary.
            let workspace = takeWorkspace()
            workspace.requestDecoder.resynchronize(atLineStart: true)
            workspace.replyDecoder.resynchronize(atLineStart: true)
        }
    }

    deinit {
        releaseRequestSlot()
        pending.releaseAll()
        if let workspace { workspaces.park(workspace) }
    }

    /// Bytes the decoders skipped while resynchronising after errors or gaps.
    public var resyncSkippedBytes: Int64 {
        if let workspace { return workspace.requestDecoder.skippedBytes + workspace.replyDecoder.skippedBytes }
        return requestPosition.skippedBytes + replyPosition.skippedBytes
    }

    /// The workspace of the message being read: taken by every entry point (`feedRequest`, `feedReply`, `gap`)
    /// before anything reaches the decoders or the reply builder.
    private var active: SessionWorkspace { workspace.unsafelyUnwrapped }

    /// `active` for the per-token calls: reached through `workspace`, it was retained and released around each.
    /// `workspace` keeps it alive meanwhile (the body must not park it).
    @inline(__always)
    private func withActive<R>(_ body: (SessionWorkspace) -> R) -> R {
        Unmanaged.passUnretained(workspace.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
    }

    @discardableResult
    private func takeWorkspace() -> SessionWorkspace {
        if let workspace { return workspace }
        let taken = workspaces.take(request: requestPosition, reply: replyPosition)
        workspace = taken
        return taken
    }

    /// `takeWorkspace()` for the per-segment entry points, which reach it through `withActive`: no reference to
    /// count on the way.
    @inline(__always)
    private func ensureWorkspace() {
        if workspace == nil { workspace = workspaces.take(request: requestPosition, reply: replyPosition) }
    }

    /// Between messages, with no request half read and no replication link, the workspace goes back to the pool
    /// (moved there, not copied: no retain and release).
    @inline(__always)
    private func parkWorkspaceIfIdle() {
        guard workspace != nil, requestSlot < 0, link == nil, replyStartTime == nil,
              withActive({ $0.isBetweenMessages }) else { return }
        withActive { workspace in
            requestPosition = workspace.requestDecoder.position
            replyPosition = workspace.replyDecoder.position
        }
        workspaces.park(workspace.take().unsafelyUnwrapped)
    }

    /// Commands awaiting a reply.
    public var pendingCount: Int { pending.count }

    // MARK: - Input

    /// Client-to-server bytes, in order. `bytes` is borrowed for the call.
    public func feedRequest(_ bytes: UnsafeRawBufferPointer, timestampNanos: Int64) {
        currentTime = timestampNanos
        // Callbacks run while `requestDecoder` is being modified: they must not touch it (exclusivity).
        ensureWorkspace()
        var handler = RequestHandler(session: self)
        let midMessage = withActive { workspace in
            workspace.requestDecoder.feed(bytes, handler: &handler)
            return !workspace.requestDecoder.isAtMessageBoundary && !workspace.requestDecoder.isResynchronizing
        }
        if requestStartTime == nil && midMessage {
            requestStartTime = timestampNanos
        }
        settlePendingBudget()
        parkWorkspaceIfIdle()
    }

    /// Server-to-client bytes, in order. `bytes` is borrowed for the call.
    public func feedReply(_ bytes: UnsafeRawBufferPointer, timestampNanos: Int64) {
        currentTime = timestampNanos
        ensureWorkspace()
        if link != nil {
            feedLinkReply(bytes)
            settlePendingBudget()
            return
        }
        var handler = ReplyHandler(session: self)
        let midMessage = withActive { workspace in
            workspace.replyDecoder.feed(bytes, handler: &handler)
            return !workspace.replyDecoder.isAtMessageBoundary && !workspace.replyDecoder.isResynchronizing
        }
        if replyStartTime == nil && midMessage {
            replyStartTime = timestampNanos
        }
        settlePendingBudget()
        parkWorkspaceIfIdle()
    }

    /// Bytes of one direction were lost. Replies can no longer be matched to what is pending, so pending commands
    /// are given up (`.lostInGap`) and the direction's decoder resynchronises on the next message boundary.
    public func gap(fromClient: Bool, timestampNanos: Int64) {
        currentTime = timestampNanos
        let workspace = takeWorkspace()
        if fromClient {
            workspace.requestDecoder.resynchronize()
            releaseRequestSlot()
            requestStartTime = nil
        } else {
            workspace.replyDecoder.resynchronize()
            workspace.reply = ReplyBuilder()
            replyStartTime = nil
            if link != nil {
                // Where the RDB or the stream resumes is unknown: decode what follows as the stream.
                link?.phase = .streaming
                propagating = true
            }
        }
        while let lost = pending.popFirst() {
            var record = lost.record
            record.outcome = .lostInGap
            eventBuffer.appendCommand(record)
        }
        settlePendingBudget()
    }

    /// The connection ended: commands still pending are unanswered.
    public func close(timestampNanos: Int64) {
        currentTime = timestampNanos
        while let open = pending.popFirst() {
            var record = open.record
            if record.replyBytes > 0 {
                // A SUBSCRIBE whose confirmations were partly seen still got its reply.
                record.outcome = .replied
            } else {
                record.outcome = .unanswered
            }
            eventBuffer.appendCommand(record)
        }
        settlePendingBudget()
    }

    /// Brings `pendingBudget` up to date with this session's pending commands (at the end of every call: sessions
    /// sharing a budget run one at a time).
    private func settlePendingBudget() {
        guard let budget = pendingBudget, pendingCounted != pending.count else { return }
        budget.held += pending.count - pendingCounted
        pendingCounted = pending.count
    }

    // MARK: - Requests

    fileprivate func requestToken(_ token: RESPToken) {
        if token.depth == 0 {
            requestBegins(argumentCount: token.length, isInline: token.isInline)
            return
        }
        guard requestStarted else { return }
        let index = requestArgumentIndex
        requestArgumentIndex &+= 1  // at most an array's length
        requestArgument(token.content, length: token.length, at: index, of: requestRecord)
    }

    /// A request whose array lay whole in the chunk: what its tokens and its end would have done, in one call. Past
    /// the first four arguments only the last is read when the others would only be counted
    /// (`requestCountsArgumentsOnly`).
    fileprivate func wholeRequest(_ array: RESPRequestArray) {
        requestBegins(argumentCount: array.count, isInline: false)
        // The record's place and the argument index held here for the whole array: written through the record, they
        // were loaded again for every argument. Nothing below grows the store.
        let record = requestRecord
        var position = array.firstElement
        var index = 0
        while index < array.count {
            let (element, next) = index < RESPRequestArray.leadingCount ? array.leadingElement(index) : array.element(at: position)
            requestArgument(element.content, length: element.length, at: index, of: record)
            index &+= 1
            position = next
            if index == 4 && array.count > 5 {
                requestArgumentIndex = index
                if requestCountsArgumentsOnly {
                    index = array.count &- 1
                    position = array.lastElement
                }
            }
        }
        requestArgumentIndex = array.count
        requestEnded(byteCount: array.byteCount)
    }

    /// A request's array header: its record starts in a slot of the pending store.
    @inline(__always)
    private func requestBegins(argumentCount: Int, isInline: Bool) {
        if requestSlot < 0 { requestSlot = pending.allocateSlot() }
        requestArgumentIndex = 0
        requestSawBlockKeyword = false
        requestStreamsIndex = 0
        requestIsInline = isInline
        requestRecord.pointee.restart(connection: connection, command: registry.otherID, argumentCount: argumentCount,
                                      requestStartNanos: requestStartTime ?? currentTime)
    }

    /// The request's argument `index` (0: the command name), `content` its kept bytes and `length` its full length,
    /// into `record` (`requestRecord`, derived by the caller).
    @inline(__always)
    private func requestArgument(_ content: UnsafeRawBufferPointer, length: Int, at index: Int,
                                 of record: UnsafeMutablePointer<CommandRecord>) {
        if index == 0 {
            record.pointee.command = registry.id(forName: content)
            return
        }
        if index == 1 && registry.isContainer(record.pointee.command) {
            record.pointee.command = registry.resolveSubcommand(parent: record.pointee.command, content)
        }
        if index <= 3 {
            record.pointee.arguments.keep(slot: index &- 1, argumentIndex: index, content: content, fullLength: length)
        } else if index == record.pointee.argumentCount - 1 {
            record.pointee.arguments.keep(slot: 3, argumentIndex: index, content: content, fullLength: length)
        }
        if length == 5 && content.count == 5 && Self.equalsLowercase(content, "block") {
            requestSawBlockKeyword = true
        }
        if requestStreamsIndex > 0 {
            if index == requestStreamsIndex + 1 { keepFirstStreamKey(content, length: length, at: index) }
        } else if length == 7 && content.count == 7 && Self.equalsLowercase(content, "streams") {
            noteStreamsKeyword(content, length: length, at: index)
        }
    }

    /// XREAD [COUNT n] [BLOCK ms] STREAMS k... id... and XREADGROUP GROUP g c [...] STREAMS k... id...: the keys
    /// follow the STREAMS keyword, mostly past the first three arguments that are kept. The keyword and the first
    /// key are kept in their place (in the slots of the second and third arguments: group and consumer names,
    /// BLOCK's milliseconds, which no analysis reads), so that key-spec resolution finds the first key.
    private func noteStreamsKeyword(_ content: UnsafeRawBufferPointer, length: Int, at index: Int) {
        guard registry.role(of: request.command) == .streamRead else { return }
        // XREADGROUP's group and consumer names (arguments 2 and 3) may be "streams"; its key spec searches from 4.
        if index <= 3 && request.arguments.argument(1, equalsLowercase: "group") { return }
        requestStreamsIndex = index
        if index > 3 && index < request.argumentCount - 1 {
            request.arguments.keep(slot: 1, argumentIndex: index, content: content, fullLength: length)
        }
    }

    private func keepFirstStreamKey(_ content: UnsafeRawBufferPointer, length: Int, at index: Int) {
        guard index > 3 && index < request.argumentCount - 1 else { return }
        request.arguments.keep(slot: requestStreamsIndex > 3 ? 2 : 1, argumentIndex: index, content: content,
                               fullLength: length)
    }

    /// Past the kept arguments (the first three), a request's arguments are only counted, except the last (never
    /// skipped by the decoder) and XREAD/XREADGROUP's, where a BLOCK keyword is looked for.
    fileprivate var requestCountsArgumentsOnly: Bool {
        requestStarted && requestArgumentIndex > 3 && registry.role(of: request.command) != .streamRead
    }

    fileprivate func requestArgumentsSkipped(_ count: Int) {
        requestArgumentIndex += count
    }

    /// Gives the slot of the request being read back to the store, unless it went into `pending`.
    private func releaseRequestSlot() {
        guard requestSlot >= 0 else { return }
        pending.store.release(requestSlot)
        requestSlot = -1
    }

    fileprivate func requestEnded(byteCount: Int) {
        defer {
            releaseRequestSlot()
            requestStartTime = nil
        }
        guard requestStarted, requestArgumentIndex > 0 else { return }
        // Finished where it lies: into the pending queue with its slot, or packed into the events from there.
        // Nothing below grows the store: the record stays where it is.
        let record = requestRecord
        record.pointee.requestBytes = byteCount
        record.pointee.isInline = requestIsInline
        record.pointee.requestEndNanos = currentTime
        if record.pointee.requestStartNanos > currentTime { record.pointee.requestStartNanos = currentTime }
        let role = registry.role(of: record.pointee.command)
        if registry.flags(of: record.pointee.command).contains(.blocking) {
            // XREAD and XREADGROUP block only with the BLOCK option.
            record.pointee.isBlocking = role == .streamRead ? requestSawBlockKeyword : true
        }

        // Reply expectations, in request order as redis-server applies them.
        var expectsReply: Bool
        switch replyMode {
        case .on: expectsReply = true
        case .off: expectsReply = false
        case .skipNext:
            expectsReply = false
            replyMode = .on
        }
        switch role {
        case .clientReply:
            if request.arguments.argument(2, equalsLowercase: "off") {
                replyMode = .off
                expectsReply = false
            } else if request.arguments.argument(2, equalsLowercase: "skip") {
                replyMode = .skipNext
                expectsReply = false
            } else if request.arguments.argument(2, equalsLowercase: "on") {
                replyMode = .on
                expectsReply = true
            }
        case .reset:
            replyMode = .on
            expectsReply = true
        case .replconf:
            // REPLCONF ACK <offset> and GETACK are never answered.
            if request.arguments.argument(1, equalsLowercase: "ack") || request.arguments.argument(1, equalsLowercase: "getack") {
                expectsReply = false
                if link == nil && startedMidStream && request.arguments.argument(1, equalsLowercase: "ack") {
                    // A replica synced before the capture: the master's messages from here on are its stream.
                    link = ReplicationLink(phase: .streaming, offset: 0)
                    propagating = true
                }
            }
        case .sync:
            if registry.name(of: request.command) == "sync" {
                // SYNC's answer is the RDB itself, with no reply line before it.
                expectsReply = false
                link = ReplicationLink(phase: .rdbHeader, offset: 0)
                link?.isFull = true
                link?.startNanos = currentTime
            } else {
                // PSYNC <replid> <offset>: a +CONTINUE streams from the offset the replica asked for.
                let asked = request.arguments.string(ofArgument: 2).flatMap { Int64($0) } ?? 0
                link = ReplicationLink(phase: .awaitingReply, offset: max(0, asked - 1))
            }
        case .hello:
            if let version = request.arguments.string(ofArgument: 1), let v = Int(version), v == 2 || v == 3 {
                protocolVersion = v
            }
        default:
            break
        }
        if inTransaction && !role.isTransactionControl {
            record.pointee.isQueuedInTransaction = true
        }
        switch role {
        case .multi: inTransaction = true; queued.removeAll(keepingCapacity: true)
        case .exec, .discard, .reset: inTransaction = false
        default: break
        }

        record.pointee.pipelineDepth = pending.count + 1
        guard expectsReply else {
            record.pointee.outcome = .noReplyExpected
            appendRequestToEvents()
            return
        }
        var repliesExpected = 1
        let subscription = role.subscription
        if let subscription, !record.pointee.isQueuedInTransaction {
            let channels = record.pointee.argumentCount - 1
            if channels > 0 {
                repliesExpected = channels
            } else if subscription.isUnsubscribe {
                // UNSUBSCRIBE with no channel confirms each current subscription, or once with none.
                repliesExpected = max(1, subscriptions)
            }
        }
        let pendingSubscription = record.pointee.isQueuedInTransaction ? nil : subscription
        if let budget = pendingBudget, budget.held - pendingCounted + pending.count >= budget.limit {
            // All connections together hold as many as they may: this one gives up its oldest command, as at its own
            // limit; holding none, it cannot hold this one either.
            budget.overflows += 1
            if let oldest = pending.popFirst() {
                var lost = oldest.record
                lost.outcome = .overflowed
                eventBuffer.appendCommand(lost)
            } else {
                request.outcome = .overflowed
                appendRequestToEvents()
                return
            }
        }
        // At its own limit the connection gives up its oldest.
        if pending.count == pending.maxCount {
            pendingBudget?.connectionOverflows += 1
            pending.removeFirst { oldest in
                oldest.record.outcome = .overflowed
                eventBuffer.appendCommand(oldest.record)
            }
        }
        let slot = requestSlot
        pending.store.slots[Int(slot)].repliesExpected = repliesExpected
        pending.store.slots[Int(slot)].subscriptionKind = pendingSubscription
        pending.append(slot: slot)
        requestSlot = -1
    }

    private func appendRequestToEvents() {
        eventBuffer.appendCommand(copying: UnsafePointer(pending.store.slots + Int(requestSlot)).pointer(to: \.record)!)
    }


    // MARK: - Replies

    @inline(__always)
    fileprivate func replyToken(_ token: RESPToken) {
        if replyStartTime == nil { replyStartTime = currentTime }
        withActive { $0.reply.observe(token) }
    }

    /// A reply that is one scalar: its token and its end in one call.
    fileprivate func replyValue(_ token: RESPToken, byteCount: Int) {
        replyToken(token)
        replyEnded(byteCount: byteCount)
    }

    fileprivate var replyCountsStringElementsOnly: Bool { withActive { $0.reply.countsStringElementsOnly } }

    fileprivate func replyStringElementsSkipped(_ count: Int) {
        withActive { $0.reply.stringElementsSkipped(count) }
    }

    fileprivate func replyEnded(byteCount: Int) {
        let start = replyStartTime ?? currentTime
        replyStartTime = nil
        if propagating {
            propagated(bytes: byteCount, start: start)
            active.reply.reset()
            return
        }
        // Classified from `reply` in place, then reset in place: the builder holds an inline element copy, and
        // copying it out and re-initialising it per reply showed in profiles.
        classify(bytes: byteCount, start: start)
        active.reply.reset()
    }

    private func classify(bytes: Int, start: Int64) {
        let kind = active.reply.kind ?? .null
        // Pub/sub messages and confirmations: RESP3 pushes, or RESP2 arrays while subscribed.
        let pubsubHead = active.reply.pubsubHead
        let isPush = kind == .push
        if isPush || (kind == .array && pubsubHead != nil && (subscriptions > 0 || pendingSubscriptionHead)) {
            if let head = pubsubHead, let confirmation = SubscriptionKind(messageName: head) {
                if let count = active.reply.lastInteger { subscriptions = Int(clamping: count) }
                if var first = pending.first, first.subscriptionKind == confirmation, start >= first.record.requestEndNanos {
                    if first.record.replyBytes == 0 {
                        first.record.replyStartNanos = start
                        first.record.replyKind = kind
                    }
                    first.record.replyBytes += bytes
                    first.record.replyEndNanos = currentTime
                    first.repliesExpected -= 1
                    if first.repliesExpected <= 0 {
                        _ = pending.popFirst()
                        first.record.outcome = .replied
                        eventBuffer.appendCommand(first.record)
                    } else {
                        pending.replaceFirst(first)
                    }
                    return
                }
                eventBuffer.events.append(.push(PushRecord(connection: connection, kind: .subscription, bytes: bytes, timestampNanos: start)))
                return
            }
            if isPush || pubsubHead != nil {
                eventBuffer.events.append(.push(PushRecord(connection: connection, kind: active.reply.pushKind, bytes: bytes, timestampNanos: start)))
                return
            }
        }
        if monitoring && kind == .simpleString && pending.isEmpty {
            eventBuffer.events.append(.push(PushRecord(connection: connection, kind: .monitor, bytes: bytes, timestampNanos: start)))
            return
        }
        // Completed where it lies in the pending queue, then handed straight to `events`: the entry is a whole
        // record, and each copy of it showed in profiles.
        guard let requestEnd = pending.withFirst({ $0.record.requestEndNanos }), start >= requestEnd else {
            eventBuffer.events.append(.unpairedReply(UnpairedReply(connection: connection, kind: kind, bytes: bytes,
                                                       errorPrefix: active.reply.errorCode.string, timestampNanos: start)))
            return
        }
        let currentTime = currentTime
        let (role, command, isQueued) = pending.withFirst { first -> (PairingRole, CommandID, Bool) in
            first.record.replyBytes += bytes
            first.record.replyStartNanos = first.record.replyStartNanos == 0 ? start : first.record.replyStartNanos
            first.record.replyEndNanos = currentTime
            first.record.replyKind = kind
            first.record.errorCode = active.reply.errorCode
            if active.reply.unknownCommand {
                // The table holds commands of several servers; this one has not got it, so it counts nothing and
                // the command is named as any unknown one (`commandlog`, not `commandlog|get`).
                first.record.command = registry.unknownToServer(first.record.command)
            }
            first.record.replyCount = active.reply.count
            // Most replies keep no first element, and the record's is empty since its request began: the copy
            // (~140 bytes) only when there is one.
            if active.reply.firstElement.isSet { first.record.replyFirstElement = active.reply.firstElement }
            first.record.replySecondElementCount = active.reply.secondElementCount
            first.record.outcome = .replied
            return (registry.role(of: first.record.command), first.record.command, first.record.isQueuedInTransaction)
        }!
        if isQueued, kind == .simpleString, queued.count < maxQueuedInTransaction {
            queued.append(command)
        }
        if role == .exec {
            for (index, prefix) in active.reply.elementErrors where index < queued.count {
                eventBuffer.events.append(.transactionError(connection: connection, command: queued[index], errorPrefix: prefix,
                                                            queuedIndex: index))
            }
            queued.removeAll(keepingCapacity: true)
        } else if role == .monitor && kind == .simpleString {
            monitoring = true
        } else if role == .reset {
            monitoring = false
            subscriptions = 0
        }
        pending.removeFirst { first in withUnsafePointer(to: &first.record) { eventBuffer.appendCommand(copying: $0) } }
    }

    // MARK: - Replication links

    private func feedReplyDecoder(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var handler = ReplyHandler(session: self)
        active.replyDecoder.feed(bytes, handler: &handler)
        if replyStartTime == nil && !active.replyDecoder.isAtMessageBoundary && !active.replyDecoder.isResynchronizing {
            replyStartTime = currentTime
        }
    }

    /// The server's bytes on a link: replies a line at a time until the sync reply, the RDB skipped, then the
    /// propagated stream decoded whole.
    private func feedLinkReply(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty, let phase = link?.phase {
            switch phase {
            case .streaming:
                feedReplyDecoder(rest)
                return
            case .awaitingReply:
                let newline = rest.firstIndex(of: 10)
                let end = newline.map { $0 + 1 } ?? rest.count
                let chunk = UnsafeRawBufferPointer(rebasing: rest[0..<end])
                if active.replyDecoder.isAtMessageBoundary { link?.line.removeAll(keepingCapacity: true) }
                link?.appendToLine(chunk)
                feedReplyDecoder(chunk)
                rest = UnsafeRawBufferPointer(rebasing: rest[end...])
                if newline != nil && active.replyDecoder.isAtMessageBoundary { syncReplyLineEnded() }
            case .rdbHeader, .rdbBody, .rdbEndMark:
                guard let step = link?.skipRDB(rest) else { return }
                switch step {
                case .skipped(let n):
                    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                case .finished(let n):
                    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                    syncEnded()
                case .notRDB(let n, let held):
                    rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                    propagating = true
                    held.withUnsafeBytes { feedReplyDecoder($0) }
                }
            }
        }
    }

    /// A whole reply line ended while the link awaits PSYNC's answer.
    private func syncReplyLineEnded() {
        guard let l = link else { return }
        link?.line.removeAll(keepingCapacity: true)
        if l.lineStarts(with: "+FULLRESYNC ") {
            link?.isFull = true
            link?.offset = l.lineTrailingNumber ?? 0
            link?.startNanos = currentTime
            link?.phase = .rdbHeader
        } else if l.lineStarts(with: "+CONTINUE") {
            link?.startNanos = currentTime
            syncEnded()
        } else if l.lineStarts(with: "-") && pending.isEmpty {
            // PSYNC refused: an ordinary connection again.
            link = nil
        }
    }

    private func syncEnded() {
        guard let l = link else { return }
        link?.phase = .streaming
        propagating = true
        eventBuffer.events.append(.replicationSync(ReplicationSync(
            connection: connection, isFull: l.isFull, rdbBytes: l.rdbBytes, startNanos: l.startNanos,
            endNanos: currentTime, offset: l.offset)))
    }

    private func propagated(bytes: Int, start: Int64) {
        var command = registry.otherID
        if active.reply.kind == .array && active.reply.firstElement.isSet {
            command = active.reply.firstElement.withUnsafeBytes { registry.id(forName: $0) }
        }
        eventBuffer.events.append(.propagated(PropagatedCommand(connection: connection, command: command, bytes: bytes,
                                                                timestampNanos: start)))
    }

    /// A SUBSCRIBE-family command is waiting for its first confirmation (so a RESP2 array naming one is not a reply).
    private var pendingSubscriptionHead: Bool { pending.withFirst { $0.subscriptionKind != nil } ?? false }

    fileprivate func protocolError(_ error: RESPProtocolError, fromClient: Bool) {
        eventBuffer.events.append(.protocolError(connection: connection, fromClient: fromClient, error: error))
        if fromClient {
            releaseRequestSlot()
            requestStartTime = nil
        } else {
            active.reply = ReplyBuilder()
            replyStartTime = nil
        }
    }

    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<bytes.count {
            var b = bytes[i]
            if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { b |= 0x20 }
            if b != w[i] { return false }
        }
        return true
    }
}

/// Hands the client side's tokens to its session. Lives only for one `feed` call, so the reference needs no
/// counting: `Unmanaged`, called through `_withUnsafeGuaranteedRef` (an `unowned(unsafe)` reference was still
/// retained and released around each call, once per token). Two handler types rather than one with a side: one
/// type with a stored flag cost 1 % of the decoding thread's instructions, one generic over the side 7 %.
private struct RequestHandler: RESPTokenHandler {
    let session: Unmanaged<ConnectionSession>
    init(session: ConnectionSession) { self.session = Unmanaged.passUnretained(session) }
    mutating func token(_ token: RESPToken) { session._withUnsafeGuaranteedRef { $0.requestToken(token) } }
    static var takesWholeRequests: Bool { true }
    mutating func wholeRequest(_ request: RESPRequestArray) { session._withUnsafeGuaranteedRef { $0.wholeRequest(request) } }
    var countsBulkStringsOnly: Bool { session._withUnsafeGuaranteedRef { $0.requestCountsArgumentsOnly } }
    mutating func bulkStringsSkipped(_ count: Int) { session._withUnsafeGuaranteedRef { $0.requestArgumentsSkipped(count) } }
    mutating func messageEnd(byteCount: Int) { session._withUnsafeGuaranteedRef { $0.requestEnded(byteCount: byteCount) } }
    mutating func protocolError(_ error: RESPProtocolError) {
        session._withUnsafeGuaranteedRef { $0.protocolError(error, fromClient: true) }
    }
}

/// As `RequestHandler`, for the server's side.
private struct ReplyHandler: RESPTokenHandler {
    let session: Unmanaged<ConnectionSession>
    init(session: ConnectionSession) { self.session = Unmanaged.passUnretained(session) }
    mutating func token(_ token: RESPToken) { session._withUnsafeGuaranteedRef { $0.replyToken(token) } }
    mutating func wholeValue(_ token: RESPToken, byteCount: Int) {
        session._withUnsafeGuaranteedRef { $0.replyValue(token, byteCount: byteCount) }
    }
    var countsBulkStringsOnly: Bool { session._withUnsafeGuaranteedRef { $0.replyCountsStringElementsOnly } }
    mutating func bulkStringsSkipped(_ count: Int) { session._withUnsafeGuaranteedRef { $0.replyStringElementsSkipped(count) } }
    mutating func messageEnd(byteCount: Int) { session._withUnsafeGuaranteedRef { $0.replyEnded(byteCount: byteCount) } }
    mutating func protocolError(_ error: RESPProtocolError) {
        session._withUnsafeGuaranteedRef { $0.protocolError(error, fromClient: false) }
    }
}

/// Where sessions put their events until their owner drains them; shared by all the sessions of one owner.
///
/// Records are kept apart from the other events, packed (`PackedRecords`): most events are commands, and a record
/// is ~850 bytes in memory, most of it argument room it does not fill; an enum case carrying it would be built,
/// then copied in, then copied out again to be matched.
public final class SessionEventBuffer {
    /// In order; each `.command` stands for the next record of `records`.
    public var events: [SessionEvent] = []
    public var records = PackedRecords()
    /// Works out each packed record's `digest` (none: records are packed as they are). A constant: read from a
    /// variable, the per-record call was retained and released around.
    public let digester: (any ArgumentDigesting)?

    public init() {
        digester = nil
    }

    public init(digester: (any ArgumentDigesting)?) {
        self.digester = digester
    }

    func appendCommand(_ record: CommandRecord) {
        withUnsafePointer(to: record) { appendCommand(copying: $0) }
    }

    /// As `appendCommand(_:)`, packing straight from where the record lies.
    @inline(__always)
    func appendCommand(copying record: UnsafePointer<CommandRecord>) {
        // Through `records` itself the call was retained and released around, once per command.
        let digest = digester?.digest(of: record)
        Unmanaged.passUnretained(records)._withUnsafeGuaranteedRef { $0.append(record, digest: digest) }
        events.append(.command)
    }

    public func removeAll(keepingCapacity: Bool = true) {
        events.removeAll(keepingCapacity: keepingCapacity)
        records.removeAll(keepingCapacityUpTo: keepingCapacity ? .max : 0)
    }
}

/// Commands awaiting replies on all the sessions that share it, bounded by `limit`, and what the bounds cost.
public final class PendingBudget {
    public let limit: Int
    /// Pending commands of all sharing sessions, as of the end of each one's last call.
    public internal(set) var held = 0
    /// Commands given up because the total reached `limit`.
    public internal(set) var overflows = 0
    /// Commands given up because their own connection reached `SessionLimits.maxPendingCommands`.
    public internal(set) var connectionOverflows = 0

    /// The slots of the sharing sessions' pending commands.
    let store = PendingCommandStore()

    public init(limit: Int) {
        self.limit = max(1, limit)
    }
}

/// Where a session keeps its replication link's state, allocated with the link.
private final class ReplicationLinkStorage {
    var link: ReplicationLink?
}
