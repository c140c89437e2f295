/// Everything respcap learned from a capture, in the shape of the JSON report (`"schema": "respcap.report/1"`).
///
/// Field names are a contract with other tools: add fields freely, never rename these.
public struct AnalysisReport: Codable, Sendable {
    public var schema = "respcap.report/1"
    public var generator = Generator()
    public var capture = CaptureSummary()
    /// What is wrong, most severe first (see `FindingRules`); empty when nothing crossed a threshold.
    public var findings: [Finding] = []
    public var totals = Totals()
    public var commands: [CommandSummary] = []
    public var errorsByPrefix: [String: Int] = [:]
    /// Error replies that are normal client behaviour (handshake probes an older server refuses, script-cache
    /// misses followed by a load), by command and code: included in `errorsByPrefix`, left out of the `error-rate`
    /// finding. Nil when there were none.
    public var benignErrors: [BenignErrorSummary]?
    public var connections = ConnectionSummary()
    public var pushes = PushSummary()
    /// Client libraries the connections declared (CLIENT SETINFO LIB-NAME/LIB-VER), most connections first; nil
    /// when none did.
    public var clientLibraries: [ClientLibrarySummary]?
    /// Connections with commands that declared no library (set with `clientLibraries`).
    public var connectionsWithoutClientLibrary: Int?
    /// Client names (CLIENT SETNAME, HELLO SETNAME), most connections first, at most 50; nil when none was set.
    public var clientNames: [ClientNameSummary]?
    /// Connections whose client name is not in `clientNames` (too many distinct names); nil when all are listed.
    public var connectionsWithNamesNotListed: Int?
    /// Job frameworks recognised from their keys (Sidekiq, Resque, Celery, RQ, BullMQ, Dramatiq, arq), most commands
    /// first; nil when none was.
    public var frameworks: [FrameworkSummary]?
    /// BRPOP, BLPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN/MAX, BLMPOP, BZMPOP (nil when the capture has none).
    public var blockingPops: BlockingPopSummary?
    /// Lists and streams used as queues (consumed in the capture), every one tracked, sorted by `elementsPushed`,
    /// and grouped by key prefix (the top 50 prefixes).
    public var queues: [QueueSummary]?
    public var queuePrefixes: [QueuePrefixSummary]?
    /// Keys only appended to, counted apart from the queues (nil when there were none).
    public var queuesNotConsumed: QueuesNotConsumed?
    /// Lua scripts and functions (EVALSHA shas, EVAL bodies, FCALL names), most server time first; nil when the
    /// capture has no script calls.
    public var scripts: [ScriptSummary]?
    /// Redis Sentinel's own links to the servers it watches (PING, INFO, PUBLISH `__sentinel__:hello`), apart from the
    /// application's; nil when the capture has none.
    public var sentinelMonitoring: SentinelMonitoringSummary?
    /// Replication links on the port (a replica's PSYNC/SYNC, its RDB, the propagated stream, its ACKs); nil when
    /// the capture has none.
    public var replication: ReplicationSummary?
    /// Redis Cluster: hash slots and nodes, MOVED/ASK redirects and the other cluster errors (ClusterSummary.swift).
    public var cluster: ClusterSummary?
    /// Keys and prefixes, full-keyspace commands, big values.
    public var keys: KeySummary?
    /// Latency detail, pipelining, slowest commands.
    public var latency: LatencySummary?
    /// Per-second timeline of commands, bytes, errors, connections and p99.
    public var timeline: TimelineSummary?
    /// TLS connections and their decryption; absent when there was none and no key log (AnalysisReport+TLS.swift).
    public var tls: TLSSummary?
    /// Network round trips per client host and where the capture was taken (NetworkSummary.swift).
    public var network: NetworkSummary?
    public var quality = QualitySummary()
    public var warnings: [String] = []

    public init() {}

    public struct Generator: Codable, Sendable {
        public var name = "respcap"
        public var version = RespcapVersion.string
        public var commandTable = ""
    }

    public struct CaptureSummary: Codable, Sendable {
        public var files: [String] = []
        public var formats: [String] = []
        public var linkTypes: [String] = []
        public var packets = 0
        /// Bytes of the capture files read.
        public var bytes: Int64 = 0
        /// ISO 8601 capture times of the first and last packet (UTC), nil when there were none.
        public var firstTimestamp: String?
        public var lastTimestamp: String?
        public var firstTimestampNanos: Int64?
        public var lastTimestampNanos: Int64?
        public var durationSeconds: Double = 0
        public var ports: [Int] = []
        /// With Redis looked for on every port (no `--port`): the server ports of the connections analysed as Redis,
        /// and the connections on other ports that carried something else (skipped, never decoded). Nil otherwise.
        public var serverPortsFound: [Int]?
        public var otherProtocolConnections: Int?
        public var filter: String?
        public var servers: [String] = []
        /// Identifies the capture whatever its file is called: a SHA-256 (32 hex digits) of its packet count, first
        /// and last timestamps and the bytes of its first packets. `merge` counts reports with equal ones once.
        /// For a merged report, one over the fingerprints it was merged from. Nil in reports of older versions.
        public var fingerprint: String?
        /// How keys were hashed (`--redact-keys`), without giving the salt away: `salt:` and an identifier of the
        /// shared `--redact-salt`, or `per-run:` and one of the run's random seed. Nil when keys are not hashed.
        public var keyRedaction: String?
    }

    public struct Totals: Codable, Sendable {
        public var commands = 0
        public var errorReplies = 0
        /// TCP payload bytes to the server, each byte counted once (retransmissions and overlaps excluded).
        public var clientBytes: Int64 = 0
        /// TCP payload bytes from the server, each byte counted once.
        public var serverBytes: Int64 = 0
        public var commandsPerSecond: Double = 0
        public var replies = 0
    }

    public struct Latency: Codable, Sendable, Equatable {
        public var count = 0
        public var p50: Double = 0
        public var p90: Double = 0
        public var p99: Double = 0
        public var p999: Double = 0
        public var max: Double = 0
        public var mean: Double = 0
    }

    public struct CommandSummary: Codable, Sendable {
        public var name: String
        public var calls = 0
        public var errors = 0
        public var requestBytes: Int64 = 0
        public var replyBytes: Int64 = 0
        /// Service time: reply's first byte minus request's last byte, in microseconds. For blocking commands
        /// (BRPOP...) this is waiting time and is reported under `blockingWaitMicros` instead.
        public var latencyMicros = Latency()
        public var blockingWaitMicros: Latency?
        /// Mergeable distributions behind the percentiles: [nanoseconds, count] pairs.
        public var latencyHistogram: [[UInt64]]?
        public var blockingWaitHistogram: [[UInt64]]?
        public var known = true
        public var blocking = false
        public var flags: [String] = []
        public var unanswered = 0
        public var noReply = 0
        public var lostInGap = 0
        public var queuedInTransaction = 0
        public init(name: String) { self.name = name }
    }

    public struct ConnectionSummary: Codable, Sendable {
        public var total = 0
        public var withHandshake = 0
        public var withoutHandshake = 0
        public var closedByFin = 0
        public var closedByReset = 0
        public var closedByIdle = 0
        public var evicted = 0
        public var openAtEnd = 0
        public var closedByClient = 0
        public var closedByServer = 0
        public var clients = 0
        public var resp3 = 0
        // Churn (ConnectionChurn analysis).
        public var opened = 0
        public var closed = 0
        public var peakConcurrent = 0
        public var averageConcurrent: Double = 0
        /// Connections opened in each second of the capture: index i covers [i, i+1) s from its first packet, the
        /// timeline's buckets.
        public var openedPerSecond: [Int] = []
        public var closedPerSecond: [Int] = []
        /// Of `closedPerSecond`, those ended by a RST.
        public var resetPerSecond: [Int] = []
        /// Closes in the capture by how and by which side: `finByClient`, `finByServer`, `resetByClient`,
        /// `resetByServer` (`...ByUnknown` when the side could not be told).
        public var closes: [String: Int] = [:]
        /// Most connections open at once in each second: growth of a pool shows here. A connection open before the
        /// capture (no handshake) counts from its first second, one still open at its end up to its last.
        public var concurrentPerSecond: [Int] = []
        public var openedPerSecondAverage: Double = 0
        /// Connections whose whole life is in the capture (handshake and close seen): the base of lifetimes.
        public var completeConnections = 0
        public var lifetimeSeconds: Percentiles?
        public var commandsPerConnection: Percentiles?
        public var shortLived: ShortLivedConnections?
        public var setupCommands: SetupCommands?
        public var byClient: [ClientConnections] = []
        /// Connections per server (each node of a cluster).
        public var byServer: [ClientConnections] = []
        /// Connections from client addresses beyond `--max-tracked-clients` (counted only in totals).
        public var clientsUntracked: Int?
        public var utilisation: ConnectionUtilisation?
    }

    /// A parse error or a limit hit, and the connection it happened on.
    public struct QualityEvent: Codable, Sendable, Equatable {
        public var kind: String
        public var connection: UInt64
        public var client: String
        public var server: String
        public var timestamp: String
        public var detail: String

        package init(kind: String, connection: UInt64, client: String, server: String, timestamp: String, detail: String) {
            self.kind = kind
            self.connection = connection
            self.client = client
            self.server = server
            self.timestamp = timestamp
            self.detail = detail
        }
    }

    /// A configured limit that was reached, and what it cost: past a limit an analysis degrades (counts what it
    /// no longer tracks one by one), the process does not.
    public struct LimitHit: Codable, Sendable, Equatable {
        /// The command-line option that sets it (`--max-tracked-keys`).
        public var limit: String
        /// Its value in this run.
        public var value: Int
        /// Where it bit: `reassembly`, `requests`, `replies`, `commands`, `keys`, `queues`, `blockingPops` (served per
        /// key), `blockingPopKeyCounts`, `blockingPopConnections`, `clients`, `scripts`. One entry per (limit, scope):
        /// merges add counts of the same pair.
        public var scope: String
        /// How many things went past it (connections evicted, commands dropped, keys not tracked one by one...).
        public var count: Int
        /// What that means for the numbers, in one line.
        public var effect: String

        public init(limit: String, value: Int, scope: String, count: Int, effect: String) {
            self.limit = limit
            self.value = value
            self.scope = scope
            self.count = count
            self.effect = effect
        }
    }

    /// One hole in a connection's byte stream.
    public struct GapDetail: Codable, Sendable, Equatable {
        public var connection: UInt64
        public var client: String
        public var server: String
        /// `request` (client to server) or `reply`.
        public var direction: String
        public var timestamp: String
        public var bytesLost: Int
        /// Commands of the connection completed before the gap.
        public var commandsBefore: Int

        package init(connection: UInt64, client: String, server: String, direction: String, timestamp: String, bytesLost: Int,
                     commandsBefore: Int) {
            self.connection = connection
            self.client = client
            self.server = server
            self.direction = direction
            self.timestamp = timestamp
            self.bytesLost = bytesLost
            self.commandsBefore = commandsBefore
        }
    }

    public struct PushSummary: Codable, Sendable {
        public var total = 0
        public var byKind: [String: Int] = [:]
        public var bytes: Int64 = 0
    }

    public struct QualitySummary: Codable, Sendable {
        /// Packets not analysed, by reason (`notRedisPort`, `notTCP`, `ipFragment`, `truncatedIPHeader`...).
        public var packetsSkipped: [String: Int] = [:]
        public var tcpSegments = 0
        /// Packets stored in the file after a later-timestamped one; put back in order (`--reorder-window`).
        public var packetsOutOfTimestampOrder = 0
        /// Of those, packets later than the reorder window could repair.
        public var packetsLateBeyondReorderWindow = 0
        public var outOfOrderSegments = 0
        public var retransmittedSegments = 0
        public var duplicateBytes: Int64 = 0
        public var gaps = 0
        public var bytesLostInGaps: Int64 = 0
        /// Connections with at least one gap: the others' numbers are exact.
        public var connectionsWithGaps = 0
        /// Where the first gaps were (at most 20).
        public var gapDetails: [GapDetail] = []
        /// Where the first parse errors and limits hit happened (`parseError`, `pendingLimit`, `connectionLimit`,
        /// `bufferLimit`, `notRedis`), at most 20; `eventsNotListed` counts the rest.
        public var events: [QualityEvent] = []
        public var eventsNotListed = 0
        /// Every configured limit reached during the run; absent when none was (and in reports of older versions).
        public var limitsHit: [LimitHit]?
        public var snaplenCutBytes: Int64 = 0
        public var unpairedReplies = 0
        public var unansweredCommands = 0
        public var commandsLostInGaps = 0
        public var parseErrors = 0
        public var parseErrorsByCode: [String: Int] = [:]
        public var resyncSkippedBytes: Int64 = 0
        public var truncated = false
        public var truncationMessage: String?
        /// True when reading stopped early on a signal (^C, SIGTERM): the report covers what was read before it.
        /// Absent otherwise (and in reports of older versions).
        public var interrupted: Bool?
        public var connectionsEvicted = 0
        public var bufferLimitDrops = 0
        public var pendingOverflows = 0
        /// Connections whose traffic did not look like RESP (TLS, another protocol): no commands were taken from them.
        public var notRedisConnections = 0
        /// Server messages on such connections, not counted as replies.
        public var notRedisServerMessages = 0
        /// Text lines on such connections that would have named unknown commands; not counted as commands.
        public var notRedisCommandLines = 0
        /// Live capture only (nil for files): packets dropped because the kernel's capture buffer was full, and by
        /// the interface or its driver, as `pcap_stats` counted them.
        public var captureDropsKernel: Int?
        public var captureDropsInterface: Int?
        /// Live capture only: packets captured but not analysed because analysis fell behind (its queue was full).
        public var packetsNotAnalysed: Int?
        /// One-line verdict: `complete`, what makes the numbers partial (`partial: ...`), or `unusable: ` and `reason`.
        public var verdict = "complete"
        /// Connections that began with a TLS handshake (absent when none did), and them by version and the server name
        /// the client asked for (SNI), with how many were decrypted (`--tls-keylog`); `tls` has the details.
        public var tlsConnections: Int?
        public var tls: [TLSConnections]?
        /// Why nothing could be read from the capture and what to do (no packets, none on the Redis ports, every one
        /// cut before its payload); nil when Redis traffic was read. Exit code 6 when set.
        public var reason: String?

        public mutating func noteLimitHit(_ hit: LimitHit) {
            limitsHit = (limitsHit ?? []) + [hit]
        }
    }
}

/// TLS connections of one version to one server name (`quality.tls`).
public struct TLSConnections: Codable, Sendable, Equatable {
    public var version: String
    /// The ClientHello's server name; nil when the client sent none.
    public var sni: String?
    public var connections: Int
    public var decrypted: Int

    public init(version: String, sni: String?, connections: Int, decrypted: Int) {
        self.version = version
        self.sni = sni
        self.connections = connections
        self.decrypted = decrypted
    }
}

public enum RespcapVersion {
    public static let string = "0.1.0"
}
