import Analysis
import Findings
import Pipeline
import ArgumentParser
import TLSDecryption
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How captures are analysed, for every subcommand that reads one (`analyze`, `live`, and `diff` and `merge` for
/// their capture inputs): what is Redis, the limits, thresholds and key redaction.
struct CaptureOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Redis server ports, comma-separated: only these are analysed. Default: Redis is found on any port by what "
            + "each connection carries (6379 is taken as Redis without looking).", valueName: "port[,port...]"))
    var port: String?

    @Option(name: .long, help: ArgumentHelp("BPF filter applied before analysis (libpcap syntax).", valueName: "expression"))
    var filter: String?

    @Flag(name: [.short, .long], help: "No progress and no warnings on stderr (errors only); the report still carries its warnings.")
    var quiet = false

    @Option(name: .customLong("max-connections"), help: "Connections tracked at once; the least recently active is evicted past it.")
    var maxConnections = 100_000

    @Option(name: .customLong("max-buffered-bytes"), help: "Out-of-order bytes held per connection.")
    var maxBufferedBytes = 4 << 20

    @Option(name: .customLong("max-buffered-total"), help: "Out-of-order bytes held across all connections.")
    var maxBufferedTotal = 256 << 20

    @Option(name: .customLong("idle-timeout"), help: "Seconds of capture time after which a silent connection is closed.")
    var idleTimeout = 600.0

    @Option(name: .customLong("kept-prefix"), help: "Bytes kept of each RESP string (keys, names); the rest is counted and skipped.")
    var keptPrefix = 256

    @Option(name: .customLong("max-pending"), help: "Commands awaiting replies per connection.")
    var maxPending = 100_000

    @Option(name: .customLong("max-pending-total"), help: "Commands awaiting replies on all connections together.")
    var maxPendingTotal = 100_000

    @Option(name: .customLong("max-depth"), help: "Deepest RESP aggregate nesting accepted.")
    var maxDepth = 64

    @Option(name: .customLong("max-inline"), help: "Longest inline request line, in bytes.")
    var maxInline = 64 << 10

    @Option(name: .customLong("max-elements"), help: "Most elements in one RESP aggregate.")
    var maxElements = 16 << 20

    @Option(name: .customLong("max-bulk"), help: "Largest RESP bulk string accepted, in bytes.")
    var maxBulk = 512 << 20

    @Option(name: .customLong("reorder-window"), help: "Packets held to put a capture back in timestamp order.")
    var reorderWindow = 64

    @Option(name: .customLong("threshold"), help: ArgumentHelp("Change a finding threshold (repeatable), e.g. blockingPopKeysWarning=50.", valueName: "name=value"))
    var thresholds: [String] = []

    @Flag(name: .customLong("redact-keys"), help: "Show keys as stable hashes (key#1f3a9c2e) in every output.")
    var redactKeys = false

    @Option(name: .customLong("redact-salt"),
            help: ArgumentHelp("Hash keys with this shared secret (implies --redact-keys), so that reports of several hosts "
                               + "give a key the same hash and merge; without it the hashes differ per run.", valueName: "secret"))
    var redactSalt: String?

    @Option(name: .customLong("redact-salt-file"),
            help: ArgumentHelp("As --redact-salt, the secret read from FILE (one line; not visible in the process list).",
                               valueName: "FILE"))
    var redactSaltFile: String?

    @Option(name: .customLong("key-delimiters"), help: "Characters that separate the parts of a key, for prefixes.")
    var keyDelimiters = ":"

    @Option(name: .customLong("max-tracked-keys"),
            help: "Distinct keys each key analysis tracks (top-k past it), and distinct blocking-pop key counts.")
    var maxTrackedKeys = 10_000

    @Option(name: .customLong("max-tracked-clients"),
            help: "Distinct client addresses tracked by the connection analyses (x10: connections per blocking-pop key count).")
    var maxTrackedClients = 10_000

    @Option(name: .customLong("max-tracked-scripts"),
            help: "Distinct Lua scripts and functions tracked (EVALSHA shas, EVAL bodies, FCALL names); past it their calls count together.")
    var maxTrackedScripts = 1_000

    @Option(name: .customLong("max-held"),
            help: "Inline commands and replies held, on all connections, until their connection is known to carry Redis.")
    var maxHeld = 10_000

    @Option(name: .customLong("max-command-names"), help: "Distinct unknown command names counted apart; the rest count as (other).")
    var maxCommandNames = 1000

    @Option(name: .customLong("tls-keylog"),
            help: ArgumentHelp("NSS key log (what SSLKEYLOGFILE makes clients write) to decrypt TLS connections with.",
                               valueName: "file"))
    var tlsKeyLog: String?

    func validate() throws {
        var t = FindingThresholds()
        for assignment in thresholds {
            do { try t.set(assignment) } catch { throw ValidationError(error.description) }
            try Self.checkThresholdValue(assignment)
        }
        if redactSalt != nil && redactSaltFile != nil {
            throw ValidationError("give the salt once: --redact-salt or --redact-salt-file")
        }
        if let redactSalt, redactSalt.isEmpty { throw ValidationError("--redact-salt is empty") }
        // The salt file is read when the command runs (analysisOptions()), not while parsing.
        _ = try ports()
        // Lower bounds, and upper ones where a value sizes an allocation: an absurd value is a usage error, not a crash.
        let bounds: [(String, Int, Int, Int)] = [
            ("--max-connections", maxConnections, 1, .max), ("--max-pending", maxPending, 1, .max),
            ("--max-pending-total", maxPendingTotal, 1, .max), ("--max-held", maxHeld, 0, .max),
            ("--max-depth", maxDepth, 1, 1_000_000), ("--reorder-window", reorderWindow, 1, 1_000_000),
            ("--kept-prefix", keptPrefix, 16, 1 << 20), ("--max-inline", maxInline, 1, .max),
            ("--max-elements", maxElements, 1, .max), ("--max-bulk", maxBulk, 1, .max),
        ]
        for (name, value, least, most) in bounds {
            if value < least { throw ValidationError("\(name) must be at least \(least)") }
            if value > most { throw ValidationError("\(name) must be at most \(most)") }
        }
        if maxBufferedBytes < 0 || maxBufferedTotal < 0 { throw ValidationError("buffer limits cannot be negative") }
        if !(idleTimeout > 0) || idleTimeout > 31_536_000 { throw ValidationError("--idle-timeout must be greater than 0 and at most 31536000 seconds") }
    }

    /// Keys are hashed: --redact-keys, or a shared salt given.
    var hashesKeys: Bool { redactKeys || redactSalt != nil || redactSaltFile != nil }

    /// A threshold of NaN disables its rule without a word (every comparison with it is false), infinity does the
    /// same, and no threshold counts something negative: each is a usage error naming the threshold.
    static func checkThresholdValue(_ assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]) else { return }
        if !value.isFinite || value < 0 {
            throw ValidationError("--threshold \(parts[0]): '\(parts[1])' is not a threshold; give a finite number, 0 or more")
        }
    }

    /// The shared redaction salt, from --redact-salt or the first line of --redact-salt-file; nil when none is given.
    /// Never echoed: messages about it name the option or the file, not the value.
    func salt() throws -> [UInt8]? {
        var bytes: [UInt8]
        if let redactSalt {
            bytes = Array(redactSalt.utf8)
        } else if let redactSaltFile {
            guard let file = fopen(redactSaltFile, "rb") else {
                throw ValidationError("--redact-salt-file \(redactSaltFile): cannot read the file")
            }
            defer { fclose(file) }
            bytes = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count <= 1 << 20 {
                let n = fread(&chunk, 1, chunk.count, file)
                if n <= 0 { break }
                bytes += chunk[..<n]
            }
            // The file's line, not its line ending: `echo secret > salt` and `printf secret > salt` are one salt.
            if let end = bytes.firstIndex(where: { $0 == 10 || $0 == 13 }) { bytes = Array(bytes[..<end]) }
        } else {
            return nil
        }
        if bytes.isEmpty { throw ValidationError(redactSalt != nil ? "--redact-salt is empty" : "--redact-salt-file \(redactSaltFile ?? ""): the salt is empty") }
        return bytes
    }

    /// Without `--port`, 6379, and Redis is looked for on every other port.
    static let defaultPorts: Set<UInt16> = [6379]

    func ports() throws -> Set<UInt16> {
        guard let port else { return Self.defaultPorts }
        var result = Set<UInt16>()
        for part in port.split(separator: ",", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: " ")
            guard let value = UInt16(text), value > 0 else {
                throw ValidationError("--port: '\(text)' is not a TCP port (1-65535); use e.g. --port 6379,7000")
            }
            result.insert(value)
        }
        return result
    }

    func analysisOptions() throws -> AnalysisOptions {
        var options = AnalysisOptions()
        options.serverPorts = try ports()
        options.searchesEveryPort = port == nil
        options.filter = filter
        options.reassembly.maxConnections = maxConnections
        options.reassembly.maxBufferedBytesPerConnection = maxBufferedBytes
        options.reassembly.maxBufferedBytesTotal = maxBufferedTotal
        options.reassembly.idleTimeoutNanos = Int64(idleTimeout * 1e9)
        options.session.maxPendingCommands = maxPending
        options.session.maxPendingTotal = maxPendingTotal
        options.reorderWindow = reorderWindow
        options.redactKeys = hashesKeys
        // Set for the whole process: the report's analyses and the event writer hash keys alike.
        if let salt = try salt() { KeyRedactor.useSharedSalt(salt) }
        options.keyDelimiters = keyDelimiters
        // Clamped: past 2^32 entries memory runs out long before, and products of these must not overflow.
        options.maxTrackedKeys = min(max(1, maxTrackedKeys), 1 << 32)
        options.maxTrackedClients = min(max(1, maxTrackedClients), 1 << 32)
        options.maxTrackedScripts = min(max(1, maxTrackedScripts), 1 << 32)
        options.maxUnknownCommandNames = min(max(1, maxCommandNames), 1 << 32)
        options.maxHeldTotal = maxHeld
        for assignment in thresholds { try options.thresholds.set(assignment) }
        options.session.resp.keptPrefix = keptPrefix
        options.session.resp.maxDepth = maxDepth
        options.session.resp.maxInlineLength = maxInline
        options.session.resp.maxAggregateElements = maxElements
        options.session.resp.maxBulkLength = maxBulk
        if let tlsKeyLog {
            do {
                options.tlsKeys = try TLSKeyStore(path: tlsKeyLog)
            } catch {
                throw ValidationError("--tls-keylog: \(error.description)")
            }
        }
        return options
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
