import RESP

/// What became of a command.
public enum CommandOutcome: UInt8, Sendable, Codable, BitwiseCopyable {
    /// A reply was paired with it.
    case replied
    /// The client asked for no reply (CLIENT REPLY OFF / SKIP).
    case noReplyExpected
    /// The connection closed, or the capture ended, before its reply.
    case unanswered
    /// Its reply was lost in a gap of the capture (or it was pending when bytes went missing).
    case lostInGap
    /// Dropped because the connection had more commands in flight than `SessionLimits.maxPendingCommands`.
    case overflowed
}

/// One request and, where there was one, its reply. Produced when complete: at its reply, when sent if no reply
/// will come (CLIENT REPLY OFF/SKIP), or when the connection ends.
public struct CommandRecord: Sendable, BitwiseCopyable {
    public var connection: UInt64
    public var command: CommandID
    /// Arguments including the command name (RESP array length).
    public var argumentCount: Int
    public var requestBytes: Int
    /// Capture time of the request's first and last byte.
    public var requestStartNanos: Int64
    public var requestEndNanos: Int64
    /// Total bytes of the reply messages (several for SUBSCRIBE a b c); 0 when there was none.
    public var replyBytes: Int = 0
    /// Capture time of the reply's first and last byte; 0 when there was no reply.
    public var replyStartNanos: Int64 = 0
    public var replyEndNanos: Int64 = 0
    public var replyKind: RESPKind? = nil
    /// The error code of an error reply (`ERR`, `WRONGTYPE`...), as INFO errorstats names it; not set otherwise.
    public var errorCode = ErrorCode()
    /// `errorCode` as text, nil when the reply was not an error.
    public var errorPrefix: String? {
        get { errorCode.string }
        set { errorCode = ErrorCode(newValue) }
    }
    public var outcome: CommandOutcome = .unanswered
    /// Commands of this connection awaiting replies when this one was sent, itself included.
    public var pipelineDepth: Int = 1
    /// The command blocks by design (BRPOP, BLPOP, XREAD BLOCK, WAIT...): its reply time is waiting, not service.
    public var isBlocking: Bool = false
    /// Sent as an inline (telnet-style) line rather than a RESP array.
    public var isInline: Bool = false
    /// Sent between MULTI and EXEC/DISCARD (its immediate reply is +QUEUED).
    public var isQueuedInTransaction: Bool = false
    /// Top-level element count of an aggregate reply (-1 for a null array / bulk), integer value of an integer reply.
    public var replyCount: Int64 = 0
    /// The reply's first top-level element when it is a string (the key that served a BRPOP/BLPOP/BZPOPMIN/BLMPOP),
    /// the reply itself when it is a bulk string of 40 bytes (the sha SCRIPT LOAD replies), or the text of a cluster
    /// redirect (`MOVED 3999 127.0.0.1:6381`, `ASK ...`; `errorCode` is set then).
    public var replyFirstElement = KeptBytes()
    /// Element count of the reply's second top-level element when it is an aggregate (LMPOP/BLMPOP/BZMPOP), else -1.
    public var replySecondElementCount: Int64 = -1
    /// What the analyses derive from the kept arguments, when the record was packed with a digester (right before
    /// `arguments`: `PackedRecords` writes it there).
    public var digest = ArgumentDigest()
    /// Request arguments kept for analyses (at most `KeptArguments.slots`, each a prefix of at most `KeptArguments.maxBytes`).
    public var arguments: KeptArguments = KeptArguments()

    /// Becomes a new request, every field as the initialiser sets it, without rewriting the inline argument and
    /// reply-element storage (about 600 bytes that only their lengths make visible): this runs per command.
    /// A field added to the record must be reset here too.
    mutating func restart(connection: UInt64, command: CommandID, argumentCount: Int, requestStartNanos: Int64) {
        self.connection = connection
        self.command = command
        self.argumentCount = argumentCount
        requestBytes = 0
        self.requestStartNanos = requestStartNanos
        requestEndNanos = 0
        replyBytes = 0
        replyStartNanos = 0
        replyEndNanos = 0
        replyKind = nil
        errorCode.clear()
        outcome = .unanswered
        pipelineDepth = 1
        isBlocking = false
        isInline = false
        isQueuedInTransaction = false
        replyCount = 0
        replyFirstElement.clear()
        replySecondElementCount = -1
        digest = ArgumentDigest()
        arguments.reset()
    }

    /// A record of no request: what a record written or unpacked into starts as.
    public static var empty: CommandRecord {
        CommandRecord(connection: 0, command: CommandID(rawValue: 0), argumentCount: 0, requestBytes: 0, requestStartNanos: 0,
                      requestEndNanos: 0)
    }

    /// Service latency in nanoseconds: reply's first byte minus request's last byte.
    public var latencyNanos: Int64? {
        guard outcome == .replied, replyStartNanos >= requestEndNanos else { return nil }
        return replyStartNanos - requestEndNanos
    }
}

extension UnsafePointer where Pointee == CommandRecord {
    /// The record's kept arguments where they lie, to be read without copying them.
    @inline(__always)
    public var keptArguments: UnsafePointer<KeptArguments> {
        (UnsafeRawPointer(self) + PackedRecords.argumentsOffset).assumingMemoryBound(to: KeptArguments.self)
    }

    /// The reply's kept first element where it lies.
    @inline(__always)
    public var replyFirstElement: UnsafePointer<KeptBytes> {
        (UnsafeRawPointer(self) + MemoryLayout<CommandRecord>.offset(of: \.replyFirstElement)!).assumingMemoryBound(to: KeptBytes.self)
    }
}

/// A server message that is not a reply: a RESP3 push, a RESP2 pub/sub message, MONITOR output.
public struct PushRecord: Sendable {
    public enum Kind: String, Sendable, Codable {
        case message, pmessage, smessage, subscription, invalidate, monitor, other
    }
    public var connection: UInt64
    public var kind: Kind
    public var bytes: Int
    public var timestampNanos: Int64
}

/// A reply with no command to pair it with (capture started mid-connection, or the request was lost).
public struct UnpairedReply: Sendable {
    public var connection: UInt64
    public var kind: RESPKind
    public var bytes: Int
    public var errorPrefix: String?
    public var timestampNanos: Int64

    public init(connection: UInt64, kind: RESPKind, bytes: Int, errorPrefix: String?, timestampNanos: Int64) {
        self.connection = connection
        self.kind = kind
        self.bytes = bytes
        self.errorPrefix = errorPrefix
        self.timestampNanos = timestampNanos
    }
}

public enum SessionEvent: Sendable {
    /// A command completed: its record is the next of the buffer's `records` (`SessionEventBuffer`).
    case command
    case push(PushRecord)
    case unpairedReply(UnpairedReply)
    /// An error reply nested in an EXEC result, attributed to the queued command that caused it: the
    /// `queuedIndex`th of the connection's commands answered +QUEUED since its MULTI (the element's index).
    case transactionError(connection: UInt64, command: CommandID, errorPrefix: String, queuedIndex: Int)
    case protocolError(connection: UInt64, fromClient: Bool, error: RESPProtocolError)
    /// A command a master sent down a replication link: not a reply, not a command of this connection's client.
    case propagated(PropagatedCommand)
    /// A replica's sync finished (the RDB read past, or +CONTINUE).
    case replicationSync(ReplicationSync)
}
