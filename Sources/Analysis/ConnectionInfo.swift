import Packets
import RedisSemantics
import TCPReassembly

/// One TCP connection to a Redis server, as analyses see it. Lives from open to close; analyses may keep
/// what they need of it, not the object.
public final class ConnectionInfo {
    // Every tracked connection holds one of these, so the layout is kept tight: fields in an order that leaves no
    // padding, and what most connections never need in `Uncommon`, allocated on first use.
    public let id: ConnectionID
    public let client: Endpoint
    // The one-byte fields fill the padding after the 20-byte endpoints.
    public let handshakeSeen: Bool
    public package(set) var closeReason: CloseReason?
    public package(set) var closedBy: StreamDirection?
    private var flags = Flags()
    public let server: Endpoint
    var churnFlags = ConnectionChurn.ConnectionFlags()
    public let openedNanos: Int64
    /// The capture's first packet: per-second series count seconds from it, as the timeline does.
    public let captureStartNanos: Int64
    public package(set) var lastActivityNanos: Int64
    /// `closedNanos` when `flags` has `.closed`.
    private var closedAt: Int64 = 0
    public package(set) var commands = 0
    public package(set) var clientBytes: Int64 = 0
    public package(set) var serverBytes: Int64 = 0
    /// Names of the command ids in this connection's records.
    public let registry: CommandRegistry
    /// From the server's SYN/ACK to the client's ACK as seen at the capture (0 when the handshake was not timed): the
    /// network's part of the gap between a reply and the client's next request at this capture point — a round trip
    /// at the server, next to nothing at the client.
    public package(set) var handshakeConfirmNanos: Int64 = 0
    /// `FrameworkStats`: the framework key patterns this connection named, one bit per pattern.
    var frameworkMarks: UInt64 = 0
    private var uncommonStorage: Uncommon?
    /// Whether the connection carries Redis; what it holds until it is known.
    package var protocolEvidence = RedisProtocolEvidence()
    /// Per-connection state of the analyses that follow each connection command by command, kept here rather than
    /// in a dictionary by connection id: two hash lookups fewer per command for each.
    var churn = ConnectionChurn.ConnectionState()
    var roundTripChain = LatencyStats.RoundTripChain()
    /// `SentinelMonitoringStats`: whether this is a Sentinel's link to the server it watches. Aligned to 4, it
    /// fills the padding after `roundTripChain`.
    var sentinelMonitoring = SentinelMonitoringStats.ConnectionState()
    /// `ClusterStats`: the node this connection talks to, and the slots it was told had moved.
    var cluster = ClusterStats.ConnectionState()

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let closed = Flags(rawValue: 1 << 0)
        static let pendingLimitNoted = Flags(rawValue: 1 << 1)
        static let bufferLimitNoted = Flags(rawValue: 1 << 2)
        static let pastSetup = Flags(rawValue: 1 << 3)
    }

    /// State few connections need (damage, parse errors, RESP3, a script-cache miss, a declared client library,
    /// blocking pops on several keys): one reference on every connection instead of about 180 bytes.
    final class Uncommon {
        var parseErrors = 0
        var serverParseErrors = 0
        var gaps = 0
        var gapBytes: Int64 = 0
        var resyncSkippedBytes: Int64 = 0
        var protocolVersion = 2
        var benignErrors = BenignErrorStats.ConnectionState()
        var clientLibrary: ClientLibraryStats.ConnectionState?
        var blockingPopKeys = BlockingPopStats.ConnectionState()
    }

    /// The uncommon state, allocated now if it was not.
    var uncommon: Uncommon {
        if let existing = uncommonStorage { return existing }
        let created = Uncommon()
        uncommonStorage = created
        return created
    }

    /// The uncommon state if any was needed so far.
    var uncommonIfAllocated: Uncommon? { uncommonStorage }

    public package(set) var closedNanos: Int64? {
        get { flags.contains(.closed) ? closedAt : nil }
        set {
            closedAt = newValue ?? 0
            if newValue == nil { flags.remove(.closed) } else { flags.insert(.closed) }
        }
    }

    public package(set) var parseErrors: Int {
        get { uncommonStorage?.parseErrors ?? 0 }
        set { uncommon.parseErrors = newValue }
    }

    public package(set) var serverParseErrors: Int {
        get { uncommonStorage?.serverParseErrors ?? 0 }
        set { uncommon.serverParseErrors = newValue }
    }

    /// Holes in either direction (lost packets, snaplen cuts) and their bytes: this connection's numbers are partial.
    public package(set) var gaps: Int {
        get { uncommonStorage?.gaps ?? 0 }
        set { uncommon.gaps = newValue }
    }

    public package(set) var gapBytes: Int64 {
        get { uncommonStorage?.gapBytes ?? 0 }
        set { uncommon.gapBytes = newValue }
    }

    /// The RESP version the connection ended with (HELLO 3 switches it): set when it closes.
    public package(set) var protocolVersion: Int {
        get { uncommonStorage?.protocolVersion ?? 2 }
        set { if newValue != 2 || uncommonStorage != nil { uncommon.protocolVersion = newValue } }
    }

    /// Bytes skipped by the decoders while looking for a message boundary: set when it closes.
    public package(set) var resyncSkippedBytes: Int64 {
        get { uncommonStorage?.resyncSkippedBytes ?? 0 }
        set { if newValue != 0 || uncommonStorage != nil { uncommon.resyncSkippedBytes = newValue } }
    }

    /// The pending-commands limit and the reassembly buffer limit, noted once per connection.
    package var pendingLimitNoted: Bool {
        get { flags.contains(.pendingLimitNoted) }
        set { if newValue { flags.insert(.pendingLimitNoted) } else { flags.remove(.pendingLimitNoted) } }
    }

    package var bufferLimitNoted: Bool {
        get { flags.contains(.bufferLimitNoted) }
        set { if newValue { flags.insert(.bufferLimitNoted) } else { flags.remove(.bufferLimitNoted) } }
    }

    /// `BenignErrorStats`: a command that does work was seen, the connection's setup is over.
    var benignErrorsPastSetup: Bool {
        get { flags.contains(.pastSetup) }
        set { if newValue { flags.insert(.pastSetup) } else { flags.remove(.pastSetup) } }
    }

    /// `BlockingPopStats`: the key sets of the connection's blocking pops naming several keys. Reset on every
    /// connection when it closes, which allocates nothing while it is still empty.
    var blockingPopKeys: BlockingPopStats.ConnectionState {
        get { uncommonStorage?.blockingPopKeys ?? BlockingPopStats.ConnectionState() }
        set {
            let isEmpty = newValue.calls == 0 && newValue.mostKeysPerCall == 0 && newValue.keysSeen.isEmpty
            if !isEmpty || uncommonStorage != nil { uncommon.blockingPopKeys = newValue }
        }
        _modify { yield &uncommon.blockingPopKeys }
    }

    /// `ClientLibraryStats`: what the connection declared, once it declares anything.
    var clientLibrary: ClientLibraryStats.ConnectionState? {
        get { uncommonStorage?.clientLibrary }
        set { if newValue != nil || uncommonStorage != nil { uncommon.clientLibrary = newValue } }
    }

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
