import Crypto
import RedisSemantics

/// Lua scripts and functions as the wire shows them: per EVALSHA sha, EVAL body and FCALL function, the calls, error
/// replies (NOSCRIPT apart), service time (its sum ranks them: what each script costs the server), the key it names
/// first (KEYS[1], by prefix) and the script's first line when its body was seen (EVAL, SCRIPT LOAD, FUNCTION LOAD).
/// The commands a script runs never cross the wire: their time is inside the script's.
///
/// Ids: EVALSHA's is its sha argument; FCALL's the function name; EVAL's `body:` and 12 hex digits of a SHA-256 of
/// the body's length and kept prefix (respcap has no SHA-1 and keeps at most `KeptArguments.maxBytes` of a body, so
/// it never claims the server's sha). A SCRIPT LOAD's reply is the sha of the body it loaded: that ties the body's
/// first line to the EVALSHA calls of that sha, whichever comes first in the capture.
///
/// Memory: at most `maxTrackedScripts` scripts (each with a latency histogram) and as many loaded first lines;
/// calls of scripts past the limit are counted together per kind (`untracked`) and the report says the limit was
/// hit. Per command, one array read by command id; scripts already tracked allocate nothing.
public final class ScriptStats: TrafficAnalysis {
    public let maxTrackedScripts: Int
    public let prefixRule: KeyPrefixRule
    public let redactor: KeyRedactor?

    /// What a command is to this analysis, decided once per command id.
    enum Role: UInt8 {
        case unknown, none, eval, evalsha, fcall, scriptLoad, functionLoad
    }

    struct Script {
        let kind: ScriptSummary.Kind
        let id: String
        /// `ScriptStats.hash` of its id: where loaded first lines are found.
        let hash: UInt64
        var calls = 0
        var errors = 0
        var noscript = 0
        var totalNanos: Int64 = 0
        var latency = LatencyHistogram()
        var firstLine: String?
        var keyedCalls = 0
        /// KEYS[1] by prefix: few per script, so a small counter.
        var keys = BoundedCounter(capacity: 8)
    }

    private var roles: [Role] = []
    /// Command-table index per command id (-1 for unknown names): where KEYS[1] is comes from its key specs.
    private var tableIndexes: [Int] = []
    private var scripts: [Script] = []
    private var indexByHash: [UInt64: Int] = [:]
    /// Calls past `maxTrackedScripts`, one accumulator per kind (`ScriptSummary.Kind.allCases` order), made when needed.
    private var untracked: [Script] = []
    private var untrackedCalls = 0
    /// First lines of bodies loaded with SCRIPT LOAD, by the hash of the sha the server replied; of functions
    /// registered by FUNCTION LOAD, by the hash of their name.
    private var loadedLines: [UInt64: String] = [:]
    private var functionLines: [UInt64: String] = [:]

    /// Longest first line shown, in characters.
    static let maxFirstLine = 80

    public init(maxTrackedScripts: Int = 1_000, prefixRule: KeyPrefixRule = KeyPrefixRule(), redactor: KeyRedactor? = nil) {
        self.maxTrackedScripts = maxTrackedScripts
        self.prefixRule = prefixRule
        self.redactor = redactor
    }

    static func role(of name: String) -> Role {
        switch name {
        case "eval", "eval_ro": .eval
        case "evalsha", "evalsha_ro": .evalsha
        case "fcall", "fcall_ro": .fcall
        case "script|load": .scriptLoad
        case "function|load": .functionLoad
        default: .none
        }
    }

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        let index = Int(id.rawValue)
        if index < roles.count, roles[index] != .unknown { return roles[index] }
        return lookUpRole(of: id, registry: registry)
    }

    /// A command id's first time: its role and table index.
    @inline(never)
    private func lookUpRole(of id: CommandID, registry: CommandRegistry) -> Role {
        let index = Int(id.rawValue)
        let role = Self.role(of: registry.name(of: id))
        if index >= roles.count {
            roles += repeatElement(.unknown, count: index + 1 - roles.count)
            tableIndexes += repeatElement(-1, count: index + 1 - tableIndexes.count)
        }
        roles[index] = role
        tableIndexes[index] = registry.tableIndex(of: id) ?? -1
        return role
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        switch role(of: record.command, registry: connection.registry) {
        case .unknown, .none: return
        case .eval: call(record, kind: .eval)
        case .evalsha: call(record, kind: .evalsha)
        case .fcall: call(record, kind: .fcall)
        case .scriptLoad: scriptLoaded(record)
        case .functionLoad: functionLoaded(record)
        }
    }

    // MARK: calls

    private static let noscript = ErrorCode("NOSCRIPT")

    private func call(_ record: CommandRecord, kind: ScriptSummary.Kind) {
        let hash = record.arguments.withArgument(1) { Self.hash(kind: kind, $0, fullLength: record.arguments.fullLength(ofArgument: 1) ?? 0) }
            ?? Self.missingHash(kind)
        if let index = indexByHash[hash] {
            note(record, in: &scripts[index])
            return
        }
        guard scripts.count < maxTrackedScripts else {
            untrackedCalls += 1
            if untracked.isEmpty { untracked = ScriptSummary.Kind.allCases.map { Script(kind: $0, id: "(untracked)", hash: 0) } }
            note(record, in: &untracked[kind.seed - 1])
            return
        }
        var script = Script(kind: kind, id: Self.id(kind: kind, record.arguments), hash: hash)
        if kind == .eval { script.firstLine = Self.firstLine(of: 1, in: record.arguments) }
        indexByHash[hash] = scripts.count
        note(record, in: &script)
        scripts.append(script)
    }

    private func note(_ record: CommandRecord, in script: inout Script) {
        script.calls += 1
        if record.outcome == .replied && record.errorCode.isSet {
            if record.errorCode == Self.noscript { script.noscript += 1 } else { script.errors += 1 }
        }
        if let latency = record.latencyNanos, !record.isBlocking, !record.isQueuedInTransaction {
            script.latency.record(nanos: latency)
            script.totalNanos += latency
        }
        let tableIndex = tableIndexes[Int(record.command.rawValue)]
        guard tableIndex >= 0 else { return }
        let position = record.arguments.withArguments { argument in
            CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: record.argumentCount, argument: argument)
        } ?? 0
        guard position > 0 else { return }
        _ = record.arguments.withArgument(position) { key in
            script.keyedCalls += 1
            let prefix = UnsafeRawBufferPointer(rebasing: key[..<prefixRule.prefixLength(of: key)])
            let isPrefix = prefix.count < key.count
            let redactor = self.redactor
            script.keys.add(hash: keyHash(prefix, seed: 1), bytes: 0) {
                KeyText.display(Array(prefix), redactor: redactor, asPrefix: isPrefix)
            }
        }
    }

    // MARK: bodies

    private func scriptLoaded(_ record: CommandRecord) {
        // SCRIPT LOAD body: the reply is the body's sha (40 hex digits).
        guard record.outcome == .replied, !record.errorCode.isSet, record.replyFirstElement.isSet,
              record.replyFirstElement.fullLength == 40 else { return }
        let hash = record.replyFirstElement.withUnsafeBytes { Self.hash(kind: .evalsha, $0, fullLength: 40) }
        guard loadedLines[hash] == nil, loadedLines.count < maxTrackedScripts,
              let line = Self.firstLine(of: 2, in: record.arguments) else { return }
        loadedLines[hash] = line
    }

    private func functionLoaded(_ record: CommandRecord) {
        // FUNCTION LOAD [REPLACE] body: the body is the last argument; its first line names the library.
        guard record.outcome == .replied, !record.errorCode.isSet, record.argumentCount >= 3 else { return }
        guard let line = Self.firstLine(of: record.argumentCount - 1, in: record.arguments) else { return }
        _ = record.arguments.withArgument(record.argumentCount - 1) { body in
            for name in Self.registeredFunctions(body) where functionLines.count < maxTrackedScripts {
                let hash = name.withUnsafeBytes { Self.hash(kind: .fcall, $0, fullLength: $0.count) }
                if functionLines[hash] == nil { functionLines[hash] = line }
            }
        }
    }

    // MARK: report

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        guard !scripts.isEmpty else { return }
        var summaries: [ScriptSummary] = []
        for script in scripts {
            var line = script.firstLine
            if line == nil, script.kind != .eval {
                line = script.kind == .evalsha ? loadedLines[script.hash] : functionLines[script.hash]
            }
            summaries.append(summary(script, firstLine: line))
        }
        summaries.sort { ($0.totalLatencyMicros, $1.kind.rawValue, $1.id) > ($1.totalLatencyMicros, $0.kind.rawValue, $0.id) }
        for script in untracked where script.calls > 0 {
            var row = summary(script, firstLine: nil)
            row.untracked = true
            summaries.append(row)
        }
        if untrackedCalls > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-scripts", value: maxTrackedScripts, scope: "scripts", count: untrackedCalls,
                effect: "calls of scripts past the limit are counted together per kind, as `(untracked)`"))
        }
        report.scripts = summaries
    }

    private func summary(_ script: Script, firstLine: String?) -> ScriptSummary {
        var s = ScriptSummary(kind: script.kind, id: script.id)
        s.calls = script.calls
        s.errors = script.errors
        s.noscript = script.noscript
        s.latencyMicros = script.latency.summaryMicros
        s.latencyHistogram = script.latency.buckets
        s.totalLatencyMicros = (Double(script.totalNanos) / 100).rounded() / 10
        s.firstLine = firstLine
        if script.keyedCalls > 0 {
            s.keyedCalls = script.keyedCalls
            if let top = script.keys.top(1).first {
                s.topKey = top.item
                s.topKeyCalls = top.count
            }
            s.keyPrefixes = script.keys.distinctTracked
            if script.keys.pruned { s.keyPrefixesCapped = true }
        }
        return s
    }

    // MARK: ids and lines

    /// A script's identity within the run: kind, then its id bytes (EVALSHA's sha folded to lowercase, as the
    /// server reads it) and, for an EVAL body, its full length (the bytes are only its kept prefix).
    static func hash(kind: ScriptSummary.Kind, _ bytes: UnsafeRawBufferPointer, fullLength: Int) -> UInt64 {
        let seed = UInt64(kind.seed) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: fullLength)
        guard kind == .evalsha, bytes.count <= 64 else { return keyHash(bytes, seed: seed) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { folded in
            for i in 0..<bytes.count {
                let b = bytes[i]
                folded[i] = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
            }
            return keyHash(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(folded)[0..<bytes.count]), seed: seed)
        }
    }

    private static func missingHash(_ kind: ScriptSummary.Kind) -> UInt64 { UInt64(kind.seed) &* 0xA24B_AED4_963E_E407 }

    static func id(kind: ScriptSummary.Kind, _ arguments: KeptArguments) -> String {
        guard let bytes = arguments.bytes(ofArgument: 1) else { return "(none)" }
        switch kind {
        case .evalsha: return KeyText.printable(bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 })
        case .fcall: return KeyText.printable(bytes)
        case .eval:
            var hasher = SHA256()
            hasher.update(bigEndian: UInt64(arguments.fullLength(ofArgument: 1) ?? bytes.count))
            hasher.update(data: bytes)
            return "body:" + SHA256.hex(hasher.finalize(), count: 6)
        }
    }

    /// The first line of a script body that holds a letter or a digit (so not a bare `--[[` opening a comment),
    /// trimmed and cut to `maxFirstLine` characters; nil when the kept bytes hold none. Ends with `…` when cut,
    /// here or by the kept prefix (`cut`: the body is longer than its kept bytes).
    static func firstLine(of argument: Int, in arguments: KeptArguments) -> String? {
        arguments.withArgument(argument) { body in
            firstLine(body, cut: body.count < arguments.fullLength(ofArgument: argument) ?? 0)
        } ?? nil
    }

    static func firstLine(_ body: UnsafeRawBufferPointer, cut: Bool) -> String? {
        var start = 0
        while start < body.count {
            var end = start
            while end < body.count && body[end] != UInt8(ascii: "\n") { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: body[start..<end])
            if line.contains(where: { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }) {
                let text = String(decoding: line, as: UTF8.self).trimmingWhitespace
                let runsOn = end == body.count && cut
                guard text.count > maxFirstLine || runsOn else { return text }
                return String(text.prefix(maxFirstLine)) + (text.count > maxFirstLine || runsOn ? "…" : "")
            }
            start = end + 1
        }
        return nil
    }

    /// Names of the functions a library registers within its kept bytes: `redis.register_function('name', ...)`
    /// and `redis.register_function{function_name='name', ...}`.
    static func registeredFunctions(_ body: UnsafeRawBufferPointer) -> [[UInt8]] {
        let bytes = Array(body)
        let marker = Array("register_function".utf8)
        var names: [[UInt8]] = []
        var i = 0
        while i + marker.count <= bytes.count {
            guard bytes[i..<(i + marker.count)].elementsEqual(marker) else { i += 1; continue }
            var j = i + marker.count
            func skip(_ set: Set<UInt8>) { while j < bytes.count && set.contains(bytes[j]) { j += 1 } }
            skip([32, 9, 10, 13])
            if j < bytes.count && bytes[j] == UInt8(ascii: "{") {
                j += 1
                skip([32, 9, 10, 13])
                let key = Array("function_name".utf8)
                guard j + key.count <= bytes.count, bytes[j..<(j + key.count)].elementsEqual(key) else { i = j; continue }
                j += key.count
                skip([32, 9, 10, 13])
                guard j < bytes.count, bytes[j] == UInt8(ascii: "=") else { i = j; continue }
                j += 1
            } else if j < bytes.count && bytes[j] == UInt8(ascii: "(") {
                j += 1
            } else { i = j; continue }
            skip([32, 9, 10, 13])
            guard j < bytes.count, bytes[j] == UInt8(ascii: "'") || bytes[j] == UInt8(ascii: "\"") else { i = j; continue }
            let quote = bytes[j]
            let nameStart = j + 1
            guard let nameEnd = bytes[nameStart...].firstIndex(of: quote) else { break }
            names.append(Array(bytes[nameStart..<nameEnd]))
            i = nameEnd + 1
        }
        return names
    }
}

extension ScriptStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init(maxTrackedScripts: setup.maxTrackedScripts, prefixRule: setup.prefixRule, redactor: setup.redactor)
    }
}

private extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

/// One script of the `scripts` array: an EVALSHA sha, an EVAL body or an FCALL function.
public struct ScriptSummary: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case eval, evalsha, fcall

        /// 1, 2, 3 in `allCases` order: seeds of the ids' hashes, and the index of the kind's `(untracked)` row.
        var seed: Int {
            switch self {
            case .eval: 1
            case .evalsha: 2
            case .fcall: 3
            }
        }
    }

    public var kind: Kind
    /// EVALSHA: the sha as sent; FCALL/FCALL_RO: the function name; EVAL/EVAL_RO: `body:` and 12 hex digits of a
    /// SHA-256 of the body's length and first 120 bytes (not the server's SHA-1). `(untracked)` for the calls of
    /// scripts past `--max-tracked-scripts`, `(none)` for calls that named none.
    public var id: String
    /// Calls of EVAL and EVAL_RO, EVALSHA and EVALSHA_RO, or FCALL and FCALL_RO: they add up to those in `commands`.
    public var calls = 0
    /// Error replies other than NOSCRIPT (a script error, OOM, a wrong argument count...). Errors inside an EXEC
    /// are not attributed to a script.
    public var errors = 0
    /// NOSCRIPT replies: the script was not in the server's cache (clients load it and call again).
    public var noscript = 0
    /// Service time per call (request's last byte to reply's first byte): the script's whole run, with the commands
    /// it ran.
    public var latencyMicros = AnalysisReport.Latency()
    public var latencyHistogram: [[UInt64]]?
    /// The sum of the service times: the server time this script took, which ranks the list.
    public var totalLatencyMicros: Double = 0
    /// The first line of the body holding a letter or digit, trimmed, at most 80 characters (`…` when cut), when
    /// the body was seen: EVAL's own, SCRIPT LOAD's whose reply was this sha, FUNCTION LOAD's library that
    /// registers this function (its first line, `#!lua name=...`).
    public var firstLine: String?
    /// Calls that named a key (numkeys > 0), their most frequent KEYS[1] prefix (hashed with `--redact-keys`) and
    /// its calls, and the distinct KEYS[1] prefixes seen (at most 8 tracked: `keyPrefixesCapped` past them).
    public var keyedCalls: Int?
    public var topKey: String?
    public var topKeyCalls: Int?
    public var keyPrefixes: Int?
    public var keyPrefixesCapped: Bool?
    /// True for the row of a kind's scripts past `--max-tracked-scripts`.
    public var untracked: Bool?

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }
}
