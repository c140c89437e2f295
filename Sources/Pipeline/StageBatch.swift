import Analysis
import Findings
import Packets
import RedisSemantics
import TCPReassembly

/// What the stream stage saw of one connection, in order, for the analysis stage. `sessionEvents` counts the
/// session events the call produced: they are next in the batch's `sessionEvents`, and follow this event.
enum StreamEvent {
    /// A command name the stream stage's registry interned (ids are given in order): mirrored before any command
    /// that uses it.
    case commandName(CommandRegistry.Entry)
    /// The capture's first packet, before any other event: the origin of every per-second series.
    case captureStarted(timestampNanos: Int64)
    case opened(ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, timestampNanos: Int64)
    case data(ConnectionID, toServer: Bool, byteCount: Int, timestampNanos: Int64, sessionEvents: Int)
    case gap(ConnectionID, toServer: Bool, byteCount: Int, timestampNanos: Int64, sessionEvents: Int)
    case bufferLimit(ConnectionID, toServer: Bool)
    /// The connection's handshake was timed (`TCPStreamHandler.handshakeTimed`); after its `.opened`.
    case handshakeTimed(ConnectionID, confirmNanos: Int64)
    /// The session's last events (commands left unanswered) come with it; the decoders' final state too.
    case closed(ConnectionID, reason: CloseReason, by: StreamDirection?, timestampNanos: Int64, sessionEvents: Int,
                protocolVersion: Int, resyncSkippedBytes: Int64)
}

/// Events handed from the stream stage to the analysis stage in one go. Reused: cleared with its capacity kept,
/// unless one burst (a long pipeline flushed at once) made it unusually large.
final class StageBatch {
    var streamEvents: [StreamEvent] = []
    var sessionEvents: [SessionEvent] = []
    /// The records of the `.command` session events, in order.
    var records = PackedRecords(capacity: StageBatch.keptRecordBytes)
    /// The stream stage has finished: nothing follows this batch.
    var isLast = false

    /// Capacities kept across uses: a batch is handed over at 512 session events or 1,024 stream events (plus what
    /// the packet that crossed the line brought), so these cover the usual batch; a larger one is let go.
    static let keptRecords = 2_048
    static let keptRecordBytes = 1 << 20
    static let keptStreamEvents = 2_048

    /// Made with the capacities kept, so that a batch allocates nothing the first time round the ring either (the
    /// memory is only touched as it is used).
    init() {
        streamEvents.reserveCapacity(Self.keptStreamEvents)
        sessionEvents.reserveCapacity(Self.keptRecords)
    }

    func clear() {
        streamEvents.removeAll(keepingCapacity: streamEvents.capacity <= Self.keptStreamEvents)
        sessionEvents.removeAll(keepingCapacity: sessionEvents.capacity <= Self.keptRecords)
        records.removeAll(keepingCapacityUpTo: Self.keptRecordBytes)
        isLast = false
    }
}
