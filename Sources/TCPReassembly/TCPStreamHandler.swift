import Packets

/// Receives the ordered events of reassembled connections.
///
/// Per connection: `connectionOpened` first, then `streamData`/`streamGap` per direction in stream order, then
/// `connectionClosed` exactly once. Events of the two directions interleave in capture order. Handlers must not
/// call back into the `TCPReassembler` that drives them.
public protocol TCPStreamHandler {
    /// A connection was seen for the first time. `handshakeSeen` is false for a connection picked up mid-stream.
    mutating func connectionOpened(
        _ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, timestampNanos: Int64)
    /// The next bytes of one direction. `bytes` is BORROWED: valid during the call only. Never empty.
    mutating func streamData(
        _ id: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer, timestampNanos: Int64)
    /// `byteCount` bytes of this direction are missing (lost, or cut by snaplen) just before the next data.
    mutating func streamGap(_ id: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64)
    /// Exactly once per opened connection, after its last data and gaps. `closedBy`: the side that sent the first
    /// FIN or the RST (nil for idle, end of capture and eviction, unless a FIN had been seen: a half-closed
    /// connection that ends otherwise reports `.fin`, except on eviction). Idle closes carry the time of the
    /// connection's last segment.
    mutating func connectionClosed(
        _ id: ConnectionID, reason: CloseReason, closedBy: StreamDirection?, timestampNanos: Int64)
    /// Out-of-order bytes held for this direction passed the per-connection or total buffer limit: the reassembler
    /// stops waiting for the missing bytes, and a `streamGap` for them follows.
    mutating func bufferLimitReached(_ id: ConnectionID, direction: StreamDirection, timestampNanos: Int64)
    /// The handshake completed, seen whole and once each way: `confirmNanos` is the time from the server's SYN/ACK
    /// to the client's ACK at the capture point — a network round trip when the capture was taken at the server,
    /// next to nothing at the client.
    mutating func handshakeTimed(_ id: ConnectionID, confirmNanos: Int64)
}

extension TCPStreamHandler {
    public mutating func bufferLimitReached(_ id: ConnectionID, direction: StreamDirection, timestampNanos: Int64) {}
    public mutating func handshakeTimed(_ id: ConnectionID, confirmNanos: Int64) {}
}
