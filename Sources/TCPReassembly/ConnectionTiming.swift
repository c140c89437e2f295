/// One connection's round-trip timing in progress (a field of the tracked connection, so a segment costs no
/// look-up): its handshake, and per direction one probe, the first byte range sent and not yet acknowledged, in
/// the manner of TCP's own RTT timer (Karn: a probe whose bytes are sent again is dropped).
public struct ConnectionTiming: Sendable {
    enum Handshake: UInt8, Sendable {
        case none, syn, synAck, done, void
    }

    // Every tracked connection holds one: the narrow fields fill the padding after the first probe's (75 bytes laid
    // out so, 128 in the order of meaning).
    var fromClient = DataProbe()
    var handshake = Handshake.none
    /// Index of the client's host in the sampler's table; `unresolved` until the first segment, `untracked` past the
    /// host limit.
    var hostSlot: Int32 = ConnectionTiming.unresolved
    var synNanos: Int64 = 0
    var synAckNanos: Int64 = 0
    var fromServer = DataProbe()

    static let unresolved: Int32 = -1
    static let untracked: Int32 = -2

    public init() {}
}

/// Data sent one way until the other end acknowledges it, and the smallest such time of the current window.
struct DataProbe: Sendable {
    // Widest fields first (32 bytes laid out so, 48 in the order of meaning).
    /// The capture time the outstanding probe's bytes were first seen.
    var sentNanos: Int64 = 0
    var windowMin: Int64 = .max
    var probeEnd = SequenceNumber(0)
    /// One past the highest byte seen this way: bytes before it are sent again (or reordered), never probed.
    var highestEnd = SequenceNumber(0)
    /// Whether a probe is out.
    var outstanding = false
    var started = false
    var windowCount: UInt8 = 0

    /// Starts a probe at new bytes when none is out; a resend of probed bytes cancels it.
    @inline(__always)
    mutating func sent(sequence: SequenceNumber, length: Int, at time: Int64) {
        let end = sequence.advanced(by: length)
        if started && sequence < highestEnd {
            if outstanding && sequence < probeEnd { outstanding = false }
            if highestEnd < end { highestEnd = end }
            return
        }
        started = true
        highestEnd = end
        if !outstanding {
            outstanding = true
            sentNanos = time
            probeEnd = end
        }
    }

    /// The time from the probe to `acknowledgment` when that covers it (nil otherwise, or when time went backwards).
    @inline(__always)
    mutating func acknowledged(_ acknowledgment: SequenceNumber, at time: Int64) -> Int64? {
        guard outstanding, !(acknowledgment < probeEnd) else { return nil }
        let elapsed = time &- sentNanos
        outstanding = false
        return elapsed >= 0 ? elapsed : nil
    }
}
