/// What one key (or prefix) cost the server: reads and writes, request and reply bytes, server time, the client
/// hosts that named it and the largest request or reply. Held inline in each `BoundedCounter` entry, so adding to it
/// allocates nothing; an entry tracked again after a prune starts from zero (a lower bound, unlike its calls).
public struct KeyCost: Sendable, BitwiseCopyable {
    /// One command's part, as `KeyStats` reads it from the record.
    public struct Sample: Sendable {
        public var isRead: Bool
        public var isWrite: Bool
        public var requestBytes: Int
        public var replyBytes: Int
        /// Service time of a non-blocking command (reply start − request end), 0 when unknown.
        public var serverNanos: Int64
        /// A hash of the client's IP address (never 0).
        public var host: UInt32

        public init(isRead: Bool, isWrite: Bool, requestBytes: Int, replyBytes: Int, serverNanos: Int64, host: UInt32) {
            self.isRead = isRead
            self.isWrite = isWrite
            self.requestBytes = requestBytes
            self.replyBytes = replyBytes
            self.serverNanos = serverNanos
            self.host = host
        }
    }

    /// Distinct hosts counted exactly up to this many, then "at least" (a fixed tuple: no allocation per key).
    public static let hostLimit = 8

    public var reads = 0
    public var writes = 0
    public var requestBytes: Int64 = 0
    public var replyBytes: Int64 = 0
    public var serverNanos: Int64 = 0
    public var maxValueBytes = 0
    private var hosts: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Distinct hosts seen, at most `hostLimit`; `hostsCapped` once a further one was seen.
    public private(set) var clients = 0
    public private(set) var hostsCapped = false

    public init() {}

    @inline(__always)
    public mutating func add(_ sample: Sample) {
        if sample.isRead { reads += 1 }
        if sample.isWrite { writes += 1 }
        requestBytes += Int64(sample.requestBytes)
        replyBytes += Int64(sample.replyBytes)
        serverNanos += sample.serverNanos
        maxValueBytes = max(maxValueBytes, sample.requestBytes, sample.replyBytes)
        noteHost(sample.host)
    }

    @inline(__always)
    private mutating func noteHost(_ host: UInt32) {
        guard !hostsCapped else { return }
        withUnsafeMutableBytes(of: &hosts) { raw in
            let seen = raw.bindMemory(to: UInt32.self)
            var index = 0
            while index < clients {
                if seen[index] == host { return }
                index += 1
            }
            if clients < Self.hostLimit {
                seen[clients] = host
                clients += 1
            } else {
                hostsCapped = true
            }
        }
    }

    /// A hash of a client address for `Sample.host`: the two words mixed (no `Hasher`: per command, and seeded).
    @inline(__always)
    public static func hostHash(high: UInt64, low: UInt64, isIPv6: Bool) -> UInt32 {
        var h = (high &* 0x9E37_79B9_7F4A_7C15) ^ low ^ (isIPv6 ? 0xC4CE_B9FE_1A85_EC53 : 0)
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        let folded = UInt32(truncatingIfNeeded: h ^ (h >> 32))
        return folded == 0 ? 1 : folded
    }
}
