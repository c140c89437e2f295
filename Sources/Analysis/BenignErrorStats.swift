import RedisSemantics

/// Error replies that are part of normal client behaviour, told apart from the others so that `error-rate` counts
/// only errors something should be done about. `errorsByPrefix` is unchanged: it stays what the server answered.
///
/// - A handshake probe refused by the server: a client announcing itself (CLIENT SETINFO, redis-py 5+), asking for
///   notifications (CLIENT MAINT_NOTIFICATIONS, redis-py 8) or for RESP3 (HELLO) while it sets a connection up,
///   before its first command that does work. Older servers answer `-ERR unknown subcommand`/`unknown command` and
///   the client carries on without the feature. A refused HELLO counts only when the connection goes on (the client
///   fell back to RESP2): one that ends there is a client that could not connect.
/// - A script-cache miss: EVALSHA answered `NOSCRIPT` and followed on the same connection by SCRIPT LOAD or EVAL
///   (the script sent in full) among the first `loadWindow` commands the client sent after it read the error: the
///   client's normal fallback, taken at once.
///
/// Memory: per connection a flag in `ConnectionInfo`, and a few counters once it has a NOSCRIPT or a refused HELLO;
/// one entry per (command, error code) seen benign.
public final class BenignErrorStats: TrafficAnalysis {
    /// Commands sent after a NOSCRIPT reply within which a SCRIPT LOAD or EVAL shows the client reloading the
    /// script. A client reloads at once; on a connection that concurrent callers share (node-redis, asyncio) one or
    /// two of theirs may go first. Commands already in flight when the error came back do not count.
    public let loadWindow: Int

    /// What this analysis needs of each command id, looked up by name once per id.
    enum Role: UInt8 {
        case other, setup, probe, protocolProbe, scriptBySHA, scriptInFull
    }

    /// Per-connection state, kept in `ConnectionInfo.Uncommon` (made by the first NOSCRIPT or refused HELLO);
    /// whether the connection's setup is over is a flag of `ConnectionInfo`'s (`benignErrorsPastSetup`).
    struct ConnectionState {
        /// NOSCRIPT replies not yet followed by a load, and commands left in which one may come.
        var pendingMisses = 0
        var missesByCommand: [Int32: Int] = [:]
        var commandsLeft = 0
        /// When the latest NOSCRIPT reached the client: commands sent before it were in flight.
        var missSeenNanos: Int64 = 0
        /// A refused HELLO, benign once the connection sends another command.
        var refusedHello: Key?
    }

    struct Key: Hashable {
        var command: Int32
        var code: ErrorCode
    }

    private var roles = CommandIDTable<Role>()
    private var counts: [Key: Int] = [:]

    /// Commands refused by older servers while a client sets a connection up.
    static let probeNames: Set<String> = ["client|setinfo", "client|maint_notifications"]
    /// Error codes a server gives a probe it does not know (NOPROTO: HELLO asked for a protocol it does not speak).
    static let probeCodes: Set<String> = ["ERR", "NOPROTO"]
    static let scriptBySHANames: Set<String> = ["evalsha", "evalsha_ro"]
    static let scriptInFullNames: Set<String> = ["script|load", "eval", "eval_ro"]

    public init(loadWindow: Int = 3) {
        self.loadWindow = loadWindow
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let role = self.role(of: record.command, registry: connection.registry)
        if let uncommon = connection.uncommonIfAllocated {
            if let hello = uncommon.benignErrors.refusedHello {
                counts[hello, default: 0] += 1
                uncommon.benignErrors.refusedHello = nil
            }
            if uncommon.benignErrors.pendingMisses > 0 {
                settleMisses(on: uncommon, loaded: role == .scriptInFull,
                             inFlight: record.requestStartNanos < uncommon.benignErrors.missSeenNanos)
            }
        }
        if !connection.benignErrorsPastSetup && role != .setup && role != .probe && role != .protocolProbe {
            connection.benignErrorsPastSetup = true
        }
        guard record.errorCode.isSet, record.outcome == .replied else { return }
        switch role {
        case .probe where !connection.benignErrorsPastSetup:
            guard let code = record.errorPrefix, Self.probeCodes.contains(code) else { return }
            counts[Key(command: record.command.rawValue, code: record.errorCode), default: 0] += 1
        case .protocolProbe where !connection.benignErrorsPastSetup:
            guard let code = record.errorPrefix, Self.probeCodes.contains(code) else { return }
            connection.uncommon.benignErrors.refusedHello = Key(command: record.command.rawValue, code: record.errorCode)
        case .scriptBySHA where record.errorPrefix == "NOSCRIPT":
            noteMiss(record.command, seenAt: record.replyStartNanos, on: connection)
        default:
            break
        }
    }

    /// EVALSHA queued in MULTI gets its NOSCRIPT in EXEC's reply: the client reloads the script just the same.
    public func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo) {
        guard errorPrefix == "NOSCRIPT", role(of: command, registry: connection.registry) == .scriptBySHA else { return }
        noteMiss(command, seenAt: connection.lastActivityNanos, on: connection)
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        guard !counts.isEmpty else { return }
        report.benignErrors = counts.map { key, count in
            let name = context.registry.name(of: CommandID(rawValue: key.command))
            let code = key.code.string ?? ""
            let isMiss = Self.scriptBySHANames.contains(name)
            return BenignErrorSummary(
                command: name, code: code, count: count,
                kind: isMiss ? BenignErrorSummary.scriptCacheMiss : BenignErrorSummary.handshakeProbe,
                why: isMiss ? "the script was not in the server's script cache; the client loaded it (SCRIPT LOAD or EVAL) "
                                + "on the same connection right after"
                            : "a probe sent while setting up the connection, which this server does not support; the "
                                + "client carries on without the feature")
        }.sorted { ($0.count, $1.command, $1.code) > ($1.count, $0.command, $0.code) }
    }

    // MARK: - Script-cache misses

    private func noteMiss(_ command: CommandID, seenAt time: Int64, on connection: ConnectionInfo) {
        let uncommon = connection.uncommon
        uncommon.benignErrors.pendingMisses += 1
        uncommon.benignErrors.missesByCommand[command.rawValue, default: 0] += 1
        uncommon.benignErrors.commandsLeft = loadWindow
        uncommon.benignErrors.missSeenNanos = time
    }

    /// A command after pending misses: a load makes them benign; past the window they stay errors.
    private func settleMisses(on uncommon: ConnectionInfo.Uncommon, loaded: Bool, inFlight: Bool) {
        if loaded {
            for (command, count) in uncommon.benignErrors.missesByCommand {
                counts[Key(command: command, code: ErrorCode("NOSCRIPT")), default: 0] += count
            }
        } else {
            guard !inFlight else { return }
            uncommon.benignErrors.commandsLeft -= 1
            guard uncommon.benignErrors.commandsLeft <= 0 else { return }
        }
        uncommon.benignErrors.pendingMisses = 0
        uncommon.benignErrors.missesByCommand.removeAll()
    }

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        roles.value(of: id) { Self.role(named: registry.name(of: $0)) }
    }

    @inline(never)
    private static func role(named name: String) -> Role {
        let role: Role
        if Self.probeNames.contains(name) {
            role = .probe
        } else if name == "hello" {
            role = .protocolProbe
        } else if Self.scriptBySHANames.contains(name) {
            role = .scriptBySHA
        } else if Self.scriptInFullNames.contains(name) {
            role = .scriptInFull
        } else if ConnectionChurn.setupCommandNames.contains(name) {
            role = .setup
        } else {
            role = .other
        }
        return role
    }
}

/// Error replies of one command and code that were expected (see `BenignErrorStats`): counted in `errorsByPrefix`
/// like every error the server sent, left out of the `error-rate` finding.
public struct BenignErrorSummary: Codable, Sendable, Equatable {
    public static let handshakeProbe = "handshake-probe"
    public static let scriptCacheMiss = "script-cache-miss"

    /// As `commands[].name` (`client|setinfo`, `evalsha`).
    public var command: String
    /// As `errorsByPrefix` (`ERR`, `NOSCRIPT`).
    public var code: String
    public var count: Int
    /// `handshake-probe` or `script-cache-miss`.
    public var kind: String
    /// Why these errors are expected, in one line.
    public var why: String

    public init(command: String, code: String, count: Int, kind: String, why: String) {
        self.command = command
        self.code = code
        self.count = count
        self.kind = kind
        self.why = why
    }
}

extension BenignErrorStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
