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
    public package(set) var lastActivityNanos: Int64
    public package(set) var closedNanos: Int64?
    public package(set) var closeReason: CloseReason?
    public package(set) var closedBy: StreamDirection?
    public package(set) var commands = 0
    public package(set) var parseErrors = 0
    public package(set) var serverParseErrors = 0
    public package(set) var clientBytes: Int64 = 0
    public package(set) var serverBytes: Int64 = 0
    /// Holes in either direction (lost packets, snaplen cuts) and their bytes: this connection's numbers are partial.
    public package(set) var gaps = 0
    public package(set) var gapBytes: Int64 = 0
    /// Names of the command ids in this connection's records.
    public let registry: CommandRegistry
    /// The RESP version the connection ended with (HELLO 3 switches it): set when it closes.
    public package(set) var protocolVersion = 2
    /// Bytes skipped by the decoders while looking for a message boundary: set when it closes.
    public package(set) var resyncSkippedBytes: Int64 = 0
    /// Whether the connection carries Redis; what it holds until it is known.
    package var protocolEvidence = RedisProtocolEvidence()
    /// The pending-commands limit and the reassembly buffer limit, noted once per connection.
    package var pendingLimitNoted = false
    package var bufferLimitNoted = false
    /// Per-connection state of the analyses that follow each connection command by command, kept here rather than
    /// in a dictionary by connection id: two hash lookups fewer per command for each.
    var churn = ConnectionChurn.ConnectionState()
    var roundTripChain = LatencyStats.RoundTripChain()
    /// From the server's SYN/ACK to the client's ACK as seen at the capture (0 when the handshake was not timed): the
    /// network's part of the gap between a reply and the client's next request at this capture point — a round trip
    /// at the server, next to nothing at the client.
    public package(set) var handshakeConfirmNanos: Int64 = 0
    var benignErrors = BenignErrorStats.ConnectionState()
    var clientLibrary: ClientLibraryStats.ConnectionState?
    /// `FrameworkStats`: the framework key patterns this connection named, one bit per pattern.
    var frameworkMarks: UInt64 = 0
    var blockingPopKeys = BlockingPopStats.ConnectionState()
    /// `SentinelMonitoringStats`: whether this is a Sentinel's link to the server it watches.
    var sentinelMonitoring = SentinelMonitoringStats.ConnectionState()
    /// `ClusterStats`: the node this connection talks to, and the slots it was told had moved.
    var cluster = ClusterStats.ConnectionState()

    package init(id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, openedNanos: Int64,
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
        protocolEvidence.verdict == .notRedis || (commands == 0 && !protocolEvidence.isHoldingAnything && resyncSkippedBytes > 0)
    }
}
