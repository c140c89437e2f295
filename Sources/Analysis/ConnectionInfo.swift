import Packets
import RedisSemantics
import TCPReassembly

/// One TCP connection to a Redis server, as analyses see it. Lives from open to close; analyses may keep
/// what they need of it, not the object.
public final class ConnectionInfo {
    public let id: ConnectionID
    public let client: Endpoint
    public let server: Endpoint
    public let handshakeSeen: Bool
    public let openedNanos: Int64
    public internal(set) var lastActivityNanos: Int64
    public internal(set) var closedNanos: Int64?
    public internal(set) var closeReason: CloseReason?
    public internal(set) var closedBy: StreamDirection?
    public internal(set) var commands = 0
    public internal(set) var parseErrors = 0
    public internal(set) var clientBytes: Int64 = 0
    public internal(set) var serverBytes: Int64 = 0
    let session: ConnectionSession
    /// Replies seen before the connection proved to carry Redis requests (see `TrafficAnalyzer`). Bounded.
    var heldReplies: [UnpairedReply] = []
    var heldRepliesDropped = 0

    init(id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, openedNanos: Int64,
         session: ConnectionSession) {
        self.id = id
        self.client = client
        self.server = server
        self.handshakeSeen = handshakeSeen
        self.openedNanos = openedNanos
        self.lastActivityNanos = openedNanos
        self.session = session
    }

    public var protocolVersion: Int { session.protocolVersion }

    /// Bytes skipped by the decoders while looking for a message boundary.
    public var resyncSkippedBytes: Int64 { session.requestDecoder.skippedBytes + session.replyDecoder.skippedBytes }

    /// Traffic on the port that did not decode as RESP: no command at all, and either protocol errors or bytes
    /// in which no message boundary could be found (and no reply either).
    public var looksLikeNotRedis: Bool {
        commands == 0 && (parseErrors > 0 || (resyncSkippedBytes > 0 && heldReplies.isEmpty && heldRepliesDropped == 0))
    }
}
