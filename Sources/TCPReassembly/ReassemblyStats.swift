/// Counters of a `TCPReassembler` since it was created.
public struct ReassemblyStats: Sendable, Hashable, Codable {
    /// Segments passed to `process`, including those on other ports.
    public var segments = 0
    /// Segments where neither port is a server port (ignored).
    public var segmentsNotRedisPort = 0
    /// Segments that arrived ahead of a hole and were buffered.
    public var outOfOrderSegments = 0
    /// Segments whose bytes had all been delivered before.
    public var retransmittedSegments = 0
    /// Bytes received more than once (retransmissions, overlaps), delivered once.
    public var duplicateBytes: Int64 = 0
    /// `streamGap` events delivered, and their bytes (holes, snaplen cuts, skips forced by buffer limits).
    public var gaps = 0
    public var gapBytes: Int64 = 0
    /// Payload bytes announced by IP but not captured (snaplen), counted as segments arrive.
    public var snaplenCutBytes: Int64 = 0
    /// Holes skipped because out-of-order data exceeded a buffer limit.
    public var bufferLimitDrops = 0
    /// Connections closed to stay within `ReassemblyLimits.maxConnections`.
    public var connectionsEvicted = 0
    /// Connections closed by the idle timeout.
    public var idleClosed = 0
    /// Connections opened (`connectionOpened` events).
    public var connectionsOpened = 0
    /// Segments that could not open a connection: stragglers on a recently closed 4-tuple, or a RST on an unknown one.
    public var ignoredSegments = 0
    /// Connections the handler abandoned (`TCPReassembler.abandon`), and the segments of theirs that came after.
    public var connectionsAbandoned = 0
    public var segmentsAbandoned = 0

    public init() {}
}
