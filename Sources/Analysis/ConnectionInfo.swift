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
    /// The capture's first packet: per-second series count seconds from it, as the timeline does.
    public let captureStartNanos: Int64
    public internal(set) var lastActivityNanos: Int64
    public internal(set) var closedNanos: Int64?
    public internal(set) var closeReason: CloseReason?
    public internal(set) var closedBy: StreamDirection?
    public internal(set) var commands = 0
    public internal(set) var parseErrors = 0
    public internal(set) var serverParseErrors = 0
    public internal(set) var clientBytes: Int64 = 0
    public internal(set) var serverBytes: Int64 = 0
    /// Holes in either direction (lost packets, snaplen cuts) and their bytes: this connection's numbers are partial.
    public internal(set) var gaps = 0
    public internal(set) var gapBytes: Int64 = 0
    /// Names of the command ids in this connection's records.
    public let registry: CommandRegistry
    /// The RESP version the connection ended with (HELLO 3 switches it): set when it closes.
    public internal(set) var protocolVersion = 2
    /// Bytes skipped by the decoders while looking for a message boundary: set when it closes.
    public internal(set) var resyncSkippedBytes: Int64 = 0
    /// Until a connection shows a real Redis request (a known command, or any RESP array), text lines naming
    /// unknown commands and the server's replies are held rather than counted: they may be another protocol on
    /// the port. A client-side protocol error before that proof marks the connection not-Redis and drops them.
    var confirmedRedis = false
    var notRedis = false
    var heldCommands: [CommandRecord] = []
    var heldReplies: [UnpairedReply] = []
    /// Replies and commands not held because a hold limit was reached.
    var heldDropped = 0
    var heldCommandsDropped = 0
    var pendingLimitNoted = false
    var bufferLimitNoted = false
    /// Per-connection state of the analyses that follow each connection command by command, kept here rather than
    /// in a dictionary by connection id: two hash lookups fewer per command for each.
    var churn = ConnectionChurn.ConnectionState()
    var roundTripChain = LatencyStats.RoundTripChain()
    var benignErrors = BenignErrorStats.ConnectionState()
    var clientLibrary = ClientLibraryStats.ConnectionState()
    /// `FrameworkStats`: the framework key patterns this connection named, one bit per pattern.
    var frameworkMarks: UInt64 = 0
    var blockingPopKeys = BlockingPopStats.ConnectionState()

    init(id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, openedNanos: Int64,
         captureStartNanos: Int64? = nil, registry: CommandRegistry) {
        self.captureStartNanos = captureStartNanos ?? openedNanos
        self.id = id
        self.client = client
        self.server = server
        self.handshakeSeen = handshakeSeen
        self.openedNanos = openedNanos
        self.lastActivityNanos = openedNanos
        self.registry = registry
    }

    /// Traffic on the port that did not decode as RESP: flagged by a client protocol error before any real
    /// request, or no message at all and bytes in which no message boundary could be found.
    public var looksLikeNotRedis: Bool {
        notRedis || (commands == 0 && heldCommands.isEmpty && heldReplies.isEmpty && heldDropped == 0 && heldCommandsDropped == 0
                     && resyncSkippedBytes > 0)
    }
}
