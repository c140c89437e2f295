import Analysis
import Findings
import RESP
import RedisSemantics
import TCPReassembly
import TLSDecryption

/// What to analyse and within which bounds. Every limit is named, has a documented default and a CLI option.
public struct AnalysisOptions: Sendable {
    /// TCP ports on which Redis servers listen; a connection with one end on one of them is Redis.
    public var serverPorts: Set<UInt16> = [6379]
    /// Also look for Redis on every other TCP port, by what each connection carries (the command line's default,
    /// without `--port`): a connection there is analysed once its bytes show Redis, and skipped once they show not.
    public var searchesEveryPort = false
    /// A BPF expression applied (through libpcap) before anything else.
    public var filter: String?
    public var reassembly = ReassemblyLimits()
    public var session = SessionLimits()
    /// Packets held to restore timestamp order (captures of per-CPU rings store some packets late).
    public var reorderWindow = 64
    /// Distinct unknown command names tracked before they are lumped under `(other)`.
    public var maxUnknownCommandNames = 1000
    /// Commands and replies held, on all connections together, while their connections are not yet known to carry
    /// Redis (text lines naming unknown commands); a held command holds a whole record (~850 bytes).
    public var maxHeldTotal = 10_000

    /// Thresholds of the finding rules.
    public var thresholds = FindingThresholds()
    /// Replace keys by stable hashes in every output (`--redact-keys`).
    public var redactKeys = false
    /// Characters that separate the parts of a key, for prefixes.
    public var keyDelimiters = ":"
    /// Distinct keys each key analysis (keys, queues, blocking pops) tracks; past it counts become approximate
    /// (top-k) and the report says so.
    public var maxTrackedKeys = 10_000
    /// Distinct client addresses tracked by the connection analyses.
    public var maxTrackedClients = 10_000
    /// Distinct Lua scripts and functions tracked (each with a latency histogram, ~30 KB); past it their calls are
    /// counted together per kind.
    public var maxTrackedScripts = 1_000
    /// Secrets to decrypt TLS connections with (`--tls-keylog`); nil: TLS connections are named, not decrypted.
    public var tlsKeys: TLSKeyStore?
    /// Work out each command's argument digest (first key, its hashes and slot, framework marks) on the stream
    /// stage's thread as its record is packed; off, the analyses work it out themselves with the same function. Not
    /// a command-line option: the tests hold the reports of both equal.
    package var digestsArgumentsWhilePacking = true

    public init() {}
}
