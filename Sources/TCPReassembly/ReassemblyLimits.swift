/// Named bounds on the memory and state a `TCPReassembler` keeps. Exceeding one is counted in `ReassemblyStats`
/// and handled (gap skipped, connection evicted), never a crash.
public struct ReassemblyLimits: Sendable, Hashable, Codable {
    /// Out-of-order bytes held per connection (both directions). Each held chunk also costs
    /// `HalfStream.chunkOverhead` bytes, so floods of tiny segments are bounded too. When exceeded, the lowest hole
    /// is skipped (reported as a gap) until the data fits.
    public var maxBufferedBytesPerConnection: Int = 4 << 20
    /// Out-of-order bytes held by all connections together; handled like the per-connection limit.
    public var maxBufferedBytesTotal: Int = 256 << 20
    /// Connections tracked at once; the least recently active is evicted (`CloseReason.evicted`).
    public var maxConnections: Int = 100_000
    /// Connections with no segment for this long, by capture time, are closed (`CloseReason.idle`).
    public var idleTimeoutNanos: Int64 = 600 * 1_000_000_000
    /// 4-tuples closed by FIN or RST remembered at most, so stragglers (final ACKs, retransmissions) do not open
    /// a new connection.
    public var maxRememberedClosedConnections: Int = 65_536
    /// How long, by capture time, a closed 4-tuple is remembered (TIME_WAIT is 2 MSL: 60-240 s).
    public var closedConnectionMemoryNanos: Int64 = 240 * 1_000_000_000

    public init() {}
}
