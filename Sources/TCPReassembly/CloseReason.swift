/// Why a connection's stream ended.
public enum CloseReason: String, Sendable, Codable, CaseIterable {
    /// Both sides sent FIN, or one did and the connection then ended otherwise (a half-closed connection).
    case fin
    /// A RST was seen.
    case reset
    /// No segment for `ReassemblyLimits.idleTimeoutNanos` of capture time, or the 4-tuple was reused by a new SYN
    /// before the old connection's end was seen.
    case idle
    /// The capture ended with the connection still open.
    case endOfCapture
    /// Dropped to stay within `ReassemblyLimits.maxConnections`.
    case evicted
}
