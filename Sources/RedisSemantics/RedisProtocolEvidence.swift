/// Whether a connection on a Redis port carries Redis, decided from what its client sends.
///
/// Until a connection shows a real Redis request (a known command, or any RESP array), text lines naming unknown
/// commands and the server's replies are held rather than counted: they may be another protocol on the port (TLS,
/// HTTP, a health check). A client protocol error before that proof marks the connection not Redis: what it held
/// is given up, and later text lines are discarded as they come. The holder counts what it let go of; how much may
/// be held on all connections together is the caller's bound (`canHold`).
public struct RedisProtocolEvidence {
    public enum Verdict: Sendable {
        case undecided
        case redis
        case notRedis
    }

    /// What to do with a command record.
    public enum Decision: Sendable {
        /// A Redis command: count it (after anything held).
        case count
        /// Not known yet: hold it.
        case hold
        /// A text line on a connection known not to carry Redis: not a command.
        case discard
    }

    /// Most commands or replies held on one connection.
    public static let maxHeldPerConnection = 1000

    public private(set) var verdict = Verdict.undecided
    public private(set) var heldCommands: [CommandRecord] = []
    public private(set) var heldReplies: [UnpairedReply] = []
    /// Commands and replies not held because a bound was reached.
    public private(set) var commandsNotHeld = 0
    public private(set) var repliesNotHeld = 0

    public init() {}

    public var isHoldingAnything: Bool {
        !heldCommands.isEmpty || !heldReplies.isEmpty || commandsNotHeld > 0 || repliesNotHeld > 0
    }

    /// A command arrives: an inline line naming a command the table does not know proves nothing; anything else
    /// proves Redis (`.count`; the caller releases what was held first).
    public mutating func decide(_ record: CommandRecord, nameIsKnown: Bool) -> Decision {
        if verdict == .redis { return .count }
        if record.isInline && !nameIsKnown { return verdict == .notRedis ? .discard : .hold }
        verdict = .redis
        return .count
    }

    /// A reply without a request: held until the connection proves to be Redis.
    public var holdsReplies: Bool { verdict != .redis }

    /// Holds a command (`canHold`: the caller's total bound has room); past the bounds it is only counted.
    /// Returns whether it was held.
    @discardableResult
    public mutating func hold(_ record: CommandRecord, canHold: Bool) -> Bool {
        guard canHold && heldCommands.count < Self.maxHeldPerConnection else { commandsNotHeld += 1; return false }
        heldCommands.append(record)
        return true
    }

    @discardableResult
    public mutating func hold(_ reply: UnpairedReply, canHold: Bool) -> Bool {
        guard canHold && heldReplies.count < Self.maxHeldPerConnection else { repliesNotHeld += 1; return false }
        heldReplies.append(reply)
        return true
    }

    /// The client sent something that is not RESP before any real request: the connection is not Redis. Returns the
    /// commands it held (now text lines to discard) and how many more were not held.
    public mutating func clientProtocolError() -> (discarded: [CommandRecord], notHeld: Int)? {
        guard verdict == .undecided else { return nil }
        verdict = .notRedis
        defer { heldCommands.removeAll(); commandsNotHeld = 0 }
        return (heldCommands, commandsNotHeld)
    }

    /// Gives up the held replies (neither side spoke RESP: the server's bytes were not replies): how many there were,
    /// held or not.
    public mutating func dropReplies() -> Int {
        defer { heldReplies.removeAll(); repliesNotHeld = 0 }
        return heldReplies.count + repliesNotHeld
    }

    /// Everything held, to count now that the connection proved to be Redis or ended undecided; empties the holder.
    public mutating func release() -> (commands: [CommandRecord], replies: [UnpairedReply], commandsNotHeld: Int, repliesNotHeld: Int) {
        defer {
            heldCommands.removeAll()
            heldReplies.removeAll()
            commandsNotHeld = 0
            repliesNotHeld = 0
        }
        return (heldCommands, heldReplies, commandsNotHeld, repliesNotHeld)
    }
}
