import RedisSemantics

/// How keys are grouped into prefixes: split on `delimiters`; the prefix is what precedes the last segment that
/// looks like an id (digits, hex of 8+ characters, a UUID); a key without such a segment is its own prefix.
public struct KeyPrefixRule: Sendable {
    public var delimiters: Set<UInt8> = [UInt8(ascii: ":")] {
        didSet { (tallies, digitIsDelimiter, onlyDelimiter) = Self.tables(delimiters) }
    }
    /// Per byte value, what it adds to a segment's tallies (`Tally`), or `Tally.delimiter`: one look-up and one
    /// addition per key byte, no branch on the byte's kind.
    private var tallies: [UInt64] = Self.tallies([UInt8(ascii: ":")])
    /// A digit is one of the delimiters: then `prefixLength(of:)` cannot take its short way.
    private var digitIsDelimiter = false
    /// The delimiter when there is one only (the usual `:`): a key without it is its own prefix, which a word-at-a-time
    /// search tells for less than the backward pass (keys such as `mylist` are common).
    private var onlyDelimiter: UInt8? = UInt8(ascii: ":")

    public init(delimiters: String = ":") {
        self.delimiters = Set(delimiters.utf8)
        (tallies, digitIsDelimiter, onlyDelimiter) = Self.tables(self.delimiters)
    }

    private static func tables(_ delimiters: Set<UInt8>) -> ([UInt64], Bool, UInt8?) {
        (tallies(delimiters), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains { delimiters.contains($0) },
         delimiters.count == 1 ? delimiters.first : nil)
    }

    /// A segment's tallies in one word, 16 bits each: digits, hex digits (decimal ones included), dashes, others.
    /// A segment is at most `Tally.maxSegment` bytes for the fields not to overflow into each other.
    private enum Tally {
        static let digit: UInt64 = 1, hex: UInt64 = 1 << 16, dash: UInt64 = 1 << 32, other: UInt64 = 1 << 48
        static let delimiter = UInt64.max
        static let maxSegment = 0xFFFF

        static func digits(_ t: UInt64) -> Int { Int(t & 0xFFFF) }
        static func hexDigits(_ t: UInt64) -> Int { Int((t >> 16) & 0xFFFF) }
        static func dashes(_ t: UInt64) -> Int { Int((t >> 32) & 0xFFFF) }
        static func others(_ t: UInt64) -> Int { Int(t >> 48) }
    }

    private static func tallies(_ delimiters: Set<UInt8>) -> [UInt64] {
        (0...255).map { (value: Int) -> UInt64 in
            let b = UInt8(value)
            // A delimiter ends a segment whatever else it could be.
            if delimiters.contains(b) { return Tally.delimiter }
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { return Tally.digit | Tally.hex }
            if (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F")) {
                return Tally.hex
            }
            return b == UInt8(ascii: "-") ? Tally.dash : Tally.other
        }
    }

    /// The prefix of `key`, e.g. `uuid:5b2e76cc-06ac-11e9-92c7-0242ac110002` -> `uuid:`,
    /// `user:1234:profile` -> `user:`, `resque:gitlab:queue:web_hook` -> itself.
    public func prefix(of key: [UInt8]) -> [UInt8] {
        let n = key.withUnsafeBytes { prefixLength(of: $0) }
        return n == key.count ? key : Array(key[..<n])
    }

    /// The length of the prefix of `key` (its whole length when it has no id-like part): up to the last delimiter
    /// followed by a segment that looks like an id (all digits; or hex digits and dashes, 8+ hex digits, some of
    /// them decimal: hex ids, UUIDs). The first segment is never an id. One backward pass, one table lookup per
    /// byte; allocates nothing. A key of more than 65,535 bytes is its own prefix (its tallies could overflow; the
    /// analyses keep at most `KeptArguments.maxBytes` of a key).
    ///
    /// A key that ends in a delimiter then digits (`key:000000012345`, most generated keys) is measured from that run
    /// of digits alone, found a word at a time: digits not being delimiters, its last segment is the run, which looks
    /// like an id and is not the key's first segment, so the prefix is everything up to it.
    public func prefixLength(of key: UnsafeRawBufferPointer) -> Int {
        guard key.count <= Tally.maxSegment else { return key.count }
        if !digitIsDelimiter, key.count > 1, key[key.count - 1] >= UInt8(ascii: "0"), key[key.count - 1] <= UInt8(ascii: "9") {
            let digitsStart = ASCIIDigits.trailingRunStart(key)
            if digitsStart > 0 && tallies[Int(key[digitsStart - 1])] == Tally.delimiter { return digitsStart }
        }
        if let only = onlyDelimiter, ByteSearch.firstIndex(of: only, in: key) == key.count { return key.count }
        return prefixLengthByTallies(of: key)
    }

    /// `prefixLength(of:)` by its backward pass over every byte, for keys of at most `Tally.maxSegment` bytes.
    func prefixLengthByTallies(of key: UnsafeRawBufferPointer) -> Int {
        tallies.withUnsafeBufferPointer { tallies in
            var tally: UInt64 = 0
            var length = 0
            var index = key.count - 1
            while index >= 0 {
                let add = tallies[Int(key[index])]
                if add == Tally.delimiter {
                    if length > 0 && Self.looksLikeID(tally, length: length) { return index + 1 }
                    tally = 0
                    length = 0
                } else {
                    tally &+= add
                    length += 1
                }
                index -= 1
            }
            return key.count
        }
    }

    /// All digits; or hex digits and dashes, 8+ hex digits, some of them decimal.
    private static func looksLikeID(_ tally: UInt64, length: Int) -> Bool {
        guard Tally.others(tally) == 0 else { return false }
        let digits = Tally.digits(tally), hex = Tally.hexDigits(tally)
        return digits == length || (hex + Tally.dashes(tally) == length && hex >= 8 && digits > 0)
    }
}

/// Top keys and prefixes by calls and bytes (overall and per command), what each tracked key and prefix cost
/// (`KeyCost`: reads, writes, bytes, server time, client hosts, largest value), a distinct-key estimate,
/// full-keyspace commands (SCAN, KEYS, SMEMBERS, HGETALL...) and the biggest requests and replies.
///
/// Memory: two bounded counters (`maxTrackedKeys` each, a `KeyCost` inline per entry), one small counter per
/// command seen, a 16 KiB HyperLogLog and a top-N list. Only the first key of each command is tracked (multi-key commands count once, under
/// their first key).
public final class KeyStats: TrafficAnalysis {
    public let maxTrackedKeys: Int
    public let topN: Int
    public let prefixRule: KeyPrefixRule
    public let redactor: KeyRedactor?

    /// Constants, so that counting through them takes no retain and release per command.
    private let keys: BoundedCounter
    private let prefixes: BoundedCounter
    /// Per command id (dense ids: an array, not a dictionary, on the per-command path), held here and counted
    /// through `perCommandKeyCounters` (unretained: a retain and release per command otherwise).
    private var perCommandKeys: [BoundedCounter?] = []
    private var perCommandKeyCounters: [Unmanaged<BoundedCounter>?] = []
    private var distinct = HyperLogLog()
    private var keyedCommands = 0
    /// Request plus reply bytes and server time of the commands that named a key; server time of all commands.
    private var keyedBytes: Int64 = 0
    private var keyedServerNanos: Int64 = 0
    private var serverNanos: Int64 = 0
    private var fullKeyspace: [Int32: Int] = [:]
    private var fullKeyspaceConnections = Set<UInt64>()
    private var biggest: [BigValue] = []
    /// The size a command's request or reply must exceed to enter `biggest` (-1 while it has room): the check made
    /// per command reads one integer.
    private var biggestFloor = -1
    private var transferBound = TransferBoundCommands(linkBitsPerSecond: KeyStats.referenceLinkBitsPerSecond)

    /// The link speed a command's bytes are timed at: a common server NIC (1 Gbit/s). Faster links shorten the
    /// transfer in proportion; the capture's own timings (often loopback) do not show it.
    public static let referenceLinkBitsPerSecond = 1e9

    public init(maxTrackedKeys: Int = 10_000, topN: Int = 20, prefixRule: KeyPrefixRule = KeyPrefixRule(),
                redactor: KeyRedactor? = nil) {
        self.maxTrackedKeys = maxTrackedKeys
        self.topN = topN
        self.prefixRule = prefixRule
        self.redactor = redactor
        keys = BoundedCounter(capacity: maxTrackedKeys)
        prefixes = BoundedCounter(capacity: maxTrackedKeys)
    }

    /// Commands that read or walk a whole collection or the keyspace: costly when called per request.
    static let fullKeyspaceNames: Set<String> = ["keys", "scan", "smembers", "hgetall", "hkeys", "hvals", "sscan", "hscan",
                                                 "zscan", "sunion", "sinter", "sdiff", "lrange", "zrange", "flushdb", "flushall", "dbsize"]

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let id = record.command.rawValue
        let registry = connection.registry
        var keyPosition: Int?
        // Server time as the latency analysis counts it: blocking commands wait by design, a queued command's reply
        // is QUEUED (EXEC carries the work).
        var service: Int64 = 0
        if !record.isBlocking && !record.isQueuedInTransaction, let latency = record.latencyNanos { service = latency }
        serverNanos += service
        if let tableIndex = registry.tableIndex(of: record.command) {
            // The first key, its hashes and prefix: worked out where the record was packed, when it was.
            let digest = record.digest.isSet ? record.digest : ownDigester(registry).digest(of: location)
            let position = Int(digest.keyPosition)
            if position > 0 {
                let bytes = record.requestBytes + record.replyBytes
                let flags = CommandTable.flags(at: tableIndex)
                let address = connection.client.address
                let sample = KeyCost.Sample(
                    isRead: flags.contains(.readonly), isWrite: flags.contains(.write), requestBytes: record.requestBytes,
                    replyBytes: record.replyBytes, serverNanos: service,
                    host: KeyCost.hostHash(high: address.high, low: address.low, isIPv6: address.isIPv6))
                _ = location.keptArguments.withArgument(position) {
                    count(key: $0, digest: digest, command: id, bytes: bytes, sample: sample)
                }
                keyPosition = position
                keyedBytes += Int64(bytes)
                keyedServerNanos += service
            }
            if isFullKeyspace(record.command, registry: registry) {
                fullKeyspace[id, default: 0] += 1
                if fullKeyspaceConnections.count < 100_000 { fullKeyspaceConnections.insert(record.connection) }
            }
        }
        if max(record.requestBytes, record.replyBytes) > biggestFloor {
            noteSize(location, keyPosition: keyPosition, connection: connection)
        }
        noteTransfer(location)
    }

    /// Looks ahead: asks for the key counter's index slot of a command two ahead (`entries` false) or for the entry of
    /// the next one (`entries` true, its slot asked for a command earlier). The key table is larger than the caches
    /// when keys are many, and each lookup is otherwise a miss, then another.
    @inline(__always)
    package func prefetch(_ digest: ArgumentDigest, entries: Bool) {
        guard digest.keyPosition > 0 else { return }
        if entries { keys.prefetchEntry(hash: digest.keyHash) } else { keys.prefetchSlot(hash: digest.keyHash) }
    }

    /// A command whose bytes take longer to cross the reference link than the server took to answer it: its time
    /// goes to moving the value, not to Redis's work. Blocking commands wait by design and are left out. Inlined:
    /// this runs per command, and is a few comparisons.
    @inline(__always)
    private func noteTransfer(_ location: UnsafePointer<CommandRecord>) {
        var record: CommandRecord { location.pointee }
        guard !record.isBlocking, let service = record.latencyNanos else { return }
        let size = max(record.requestBytes, record.replyBytes)
        let transferNanos = Double(size) * 8 / Self.referenceLinkBitsPerSecond * 1e9
        guard transferNanos >= Double(service) else { return }
        transferBound.commands += 1
        transferBound.bytes += Int64(size)
        transferBound.serviceSeconds += Double(service) / 1e9
    }

    private var fullKeyspaceByID = CommandIDTable<Bool>()

    @inline(__always)
    private func isFullKeyspace(_ command: CommandID, registry: CommandRegistry) -> Bool {
        fullKeyspaceByID.isNamed(command, oneOf: Self.fullKeyspaceNames, in: registry)
    }

    /// Works out digests for records packed without one (made on first need: the registry is the connections').
    private var digester: ArgumentDigester?

    private func ownDigester(_ registry: CommandRegistry) -> ArgumentDigester {
        if let digester { return digester }
        let made = ArgumentDigester(registry: registry, prefixRule: prefixRule)
        digester = made
        return made
    }

    /// Counts one use of `key` (borrowed); allocates only when a key or prefix is first tracked.
    private func count(key: UnsafeRawBufferPointer, digest: ArgumentDigest, command id: Int32, bytes: Int, sample: KeyCost.Sample) {
        keyedCommands += 1
        let prefix = UnsafeRawBufferPointer(rebasing: key[..<Int(digest.prefixLength)])
        let hash = digest.keyHash, prefixHash = digest.prefixHash
        distinct.add(hash: hash)
        // Without redaction a short printable key is its own text: the counters keep it without making a string.
        let plain = redactor == nil
        let star = UInt8(ascii: "*")
        // What the key counter worked out of a new key, for its command's counter.
        var keyOrder: ItemOrder?? = nil
        if plain {
            keyOrder = keys.add(hash: hash, bytes: bytes, printable: key, suffix: nil, sample: sample) { display(Array(key)) }
        } else {
            keys.add(hash: hash, bytes: bytes, sample: sample) { display(Array(key)) }
        }
        let isPrefix = prefix.count < key.count
        if plain {
            prefixes.add(hash: prefixHash, bytes: bytes, printable: prefix, suffix: isPrefix ? star : nil, sample: sample) {
                display(Array(prefix), isPrefix: isPrefix)
            }
        } else {
            prefixes.add(hash: prefixHash, bytes: bytes, sample: sample) { display(Array(prefix), isPrefix: isPrefix) }
        }
        let slot = Int(id)
        let counter = slot < perCommandKeyCounters.count ? perCommandKeyCounters[slot] : nil
        (counter ?? makePerCommandCounter(slot))._withUnsafeGuaranteedRef { counter in
            if plain {
                counter.add(hash: hash, bytes: bytes, printable: key, suffix: nil, known: keyOrder) { display(Array(key)) }
            } else {
                counter.add(hash: hash, bytes: bytes) { display(Array(key)) }
            }
        }
    }

    private func makePerCommandCounter(_ slot: Int) -> Unmanaged<BoundedCounter> {
        if slot >= perCommandKeys.count {
            perCommandKeys += repeatElement(nil, count: slot + 1 - perCommandKeys.count)
            perCommandKeyCounters += repeatElement(nil, count: slot + 1 - perCommandKeyCounters.count)
        }
        let counter = BoundedCounter(capacity: max(10, maxTrackedKeys / 10))
        perCommandKeys[slot] = counter
        perCommandKeyCounters[slot] = Unmanaged.passUnretained(counter)
        return Unmanaged.passUnretained(counter)
    }

    private func display(_ bytes: [UInt8], isPrefix: Bool = false) -> String {
        let text = KeyText.printable(bytes)
        guard let redactor else { return isPrefix ? text + "*" : text }
        return redactor.redact(bytes, keepTrailingDelimiter: isPrefix)
    }

    /// Keeps a command whose request or reply is larger than `biggestFloor` among the biggest.
    private func noteSize(_ location: UnsafePointer<CommandRecord>, keyPosition: Int?, connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let size = max(record.requestBytes, record.replyBytes)
        let key = keyPosition.flatMap { record.arguments.bytes(ofArgument: $0) }
        let big = BigValue(command: connection.registry.name(of: record.command), bytes: size, requestBytes: record.requestBytes, replyBytes: record.replyBytes,
                           client: connection.client.description, timestamp: Timestamp.iso8601(record.requestEndNanos),
                           key: key.map { display($0) })
        biggest.append(big)
        biggest.sort { $0.bytes > $1.bytes }
        if biggest.count > topN { biggest.removeLast() }
        // Indexed, not `biggest.last`: generic collection accessors allocate in unoptimised builds.
        biggestFloor = biggest.count < topN ? -1 : (biggest.isEmpty ? 0 : biggest[biggest.count - 1].bytes)
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        var summary = KeySummary()
        summary.commandsWithKeys = keyedCommands
        summary.distinctKeysEstimate = distinct.estimate
        summary.topKeysByCalls = keys.top(topN).map { KeyCount($0, cost: true) }
        summary.topKeysByBytes = keys.top(topN, byBytes: true).map { KeyCount($0, cost: true) }
        summary.topPrefixesByCalls = prefixes.top(topN).map { KeyCount($0, cost: true) }
        summary.topPrefixesByBytes = prefixes.top(topN, byBytes: true).map { KeyCount($0, cost: true) }
        // Every tracked key and prefix by server time (at most the tracking limit); the bigger-and-hotter by calls ×
        // largest value only to the usual length.
        summary.topKeysByServerTime = keys.top(maxTrackedKeys, by: .serverTime).map { KeyCount($0, cost: true) }
        summary.topPrefixesByServerTime = prefixes.top(maxTrackedKeys, by: .serverTime).map { KeyCount($0, cost: true) }
        summary.topKeysByBigAndHot = keys.top(topN, by: .bigAndHot).map { KeyCount($0, cost: true) }
        summary.serverMicros = Self.micros(serverNanos)
        summary.keyedServerMicros = Self.micros(keyedServerNanos)
        summary.keyedBytes = keyedBytes
        let commandCounters = perCommandKeys.enumerated().compactMap { slot, counter in counter.map { (key: Int32(slot), value: $0) } }
        summary.topKeysByCommand = commandCounters.sorted { ($0.value.total, $1.key) > ($1.value.total, $0.key) }.prefix(topN).map {
            CommandKeys(command: context.registry.name(of: CommandID(rawValue: $0.key)), calls: $0.value.total,
                        topKeys: $0.value.top(5).map { KeyCount($0, cost: false) })
        }
        summary.trackingLimitHit = keys.pruned || prefixes.pruned
        if summary.trackingLimitHit {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-keys", value: maxTrackedKeys, scope: "keys", count: keys.droppedItems + prefixes.droppedItems,
                effect: "the rarest keys and prefixes were dropped from the top lists; counts of those listed may be overestimated by their error bound"))
        }
        summary.maxTrackedKeys = maxTrackedKeys
        let duration = context.durationSeconds
        summary.fullKeyspaceCommands = fullKeyspace.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
            FullKeyspaceCommand(command: context.registry.name(of: CommandID(rawValue: $0.key)), calls: $0.value,
                                perSecond: duration > 0 ? (Double($0.value) / duration * 10).rounded() / 10 : 0)
        }
        summary.fullKeyspaceConnections = fullKeyspaceConnections.count
        summary.biggest = biggest
        if transferBound.commands > 0 {
            var bound = transferBound
            bound.serviceSeconds = (bound.serviceSeconds * 1e6).rounded() / 1e6
            summary.transferBound = bound
        }
        summary.redacted = redactor != nil
        report.keys = summary
    }

    /// Nanoseconds as whole microseconds, rounded.
    static func micros(_ nanos: Int64) -> Int64 { (nanos + 500) / 1000 }
}

public struct KeyCount: Codable, Sendable {
    public var key: String
    public var calls: Int
    public var bytes: Int64
    /// Upper bound of the overestimate of `calls` once the tracking limit was hit (0 = exact).
    public var error: Int
    /// What the key cost (nil in lists that do not track it, and in reports written before): commands whose table
    /// flags say read-only and write (other commands count in neither), request and reply bytes, server time in µs
    /// (non-blocking commands), distinct client hosts (`clientsCapped` once more than `KeyCost.hostLimit`), and
    /// the largest request or reply. Counted since the key was last tracked: lower bounds once the limit was hit.
    public var reads: Int?
    public var writes: Int?
    public var requestBytes: Int64?
    public var replyBytes: Int64?
    public var serverMicros: Int64?
    public var clients: Int?
    public var clientsCapped: Bool?
    public var maxValueBytes: Int?

    init(_ entry: BoundedCounter.Entry, cost: Bool) {
        key = entry.item
        calls = entry.count
        bytes = entry.bytes
        error = entry.error
        guard cost else { return }
        reads = entry.cost.reads
        writes = entry.cost.writes
        requestBytes = entry.cost.requestBytes
        replyBytes = entry.cost.replyBytes
        serverMicros = KeyStats.micros(entry.cost.serverNanos)
        clients = entry.cost.clients
        clientsCapped = entry.cost.hostsCapped ? true : nil
        maxValueBytes = entry.cost.maxValueBytes
    }
}

public struct CommandKeys: Codable, Sendable {
    public var command: String
    public var calls: Int
    public var topKeys: [KeyCount]
}

public struct FullKeyspaceCommand: Codable, Sendable {
    public var command: String
    public var calls: Int
    public var perSecond: Double
}

/// Commands whose request or reply takes longer to cross `linkBitsPerSecond` than the server took to answer them
/// (reply's first byte minus request's last byte): the value, not Redis, sets their time.
public struct TransferBoundCommands: Codable, Sendable {
    public var commands = 0
    /// The larger of request and reply, summed.
    public var bytes: Int64 = 0
    /// Their service times, summed.
    public var serviceSeconds = 0.0
    public var linkBitsPerSecond: Double
}

public struct BigValue: Codable, Sendable {
    public var command: String
    /// The larger of request and reply.
    public var bytes: Int
    public var requestBytes: Int
    public var replyBytes: Int
    public var client: String
    public var timestamp: String
    public var key: String?
}

public struct KeySummary: Codable, Sendable {
    public var commandsWithKeys = 0
    /// HyperLogLog estimate (±1%) of distinct first keys.
    public var distinctKeysEstimate = 0
    public var topKeysByCalls: [KeyCount] = []
    public var topKeysByBytes: [KeyCount] = []
    public var topPrefixesByCalls: [KeyCount] = []
    public var topPrefixesByBytes: [KeyCount] = []
    public var topKeysByCommand: [CommandKeys] = []
    /// Every tracked key (and prefix) by server time, with what it cost; the top by calls × largest value.
    public var topKeysByServerTime: [KeyCount]?
    public var topPrefixesByServerTime: [KeyCount]?
    public var topKeysByBigAndHot: [KeyCount]?
    /// Server time (µs, non-blocking commands) of all commands and of those that named a key; their bytes.
    public var serverMicros: Int64?
    public var keyedServerMicros: Int64?
    public var keyedBytes: Int64?
    public var fullKeyspaceCommands: [FullKeyspaceCommand] = []
    /// Connections that sent at least one full-keyspace command.
    public var fullKeyspaceConnections = 0
    /// Largest requests/replies, with their command.
    public var biggest: [BigValue] = []
    /// Commands whose bytes take longer to cross a 1 Gbit/s link than their service time (nil when none).
    public var transferBound: TransferBoundCommands?
    public var trackingLimitHit = false
    public var maxTrackedKeys = 0
    public var redacted = false
}

/// Key bytes as text for a report: UTF-8 where valid and printable; other bytes as `\xHH`.
public enum KeyText {
    public static func printable(_ bytes: [UInt8]) -> String {
        var out = ""
        var valid = true
        var ascii = true
        for b in bytes {
            if b < 0x20 || b == 0x7F { valid = false; break }
            if b >= 0x80 { ascii = false }
        }
        // Printable ASCII is valid UTF-8 as it stands: the non-generic decoding path, not the general validation
        // (this runs for every key a counter sees first, i.e. per command when keys are mostly distinct).
        if valid && ascii { return String(decoding: bytes, as: UTF8.self) }
        if valid, let text = String(validating: bytes, as: UTF8.self) { return text }
        for b in bytes {
            if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\") { out.append(Character(UnicodeScalar(b))) } else {
                let hex = String(b, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

extension KeyStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init(maxTrackedKeys: setup.maxTrackedKeys, prefixRule: setup.prefixRule, redactor: setup.redactor)
    }
}

extension KeyCount {
    /// Adds what `other` (the same key in another report) cost: sums, the larger largest value, and the larger count
    /// of clients (hosts may be the same ones). A side without costs adds nothing.
    public mutating func addCost(of other: KeyCount) {
        func sum<T: AdditiveArithmetic>(_ a: T?, _ b: T?) -> T? { a == nil && b == nil ? nil : (a ?? .zero) + (b ?? .zero) }
        reads = sum(reads, other.reads)
        writes = sum(writes, other.writes)
        requestBytes = sum(requestBytes, other.requestBytes)
        replyBytes = sum(replyBytes, other.replyBytes)
        serverMicros = sum(serverMicros, other.serverMicros)
        if let c = other.clients { clients = max(clients ?? 0, c) }
        if other.clientsCapped == true { clientsCapped = true }
        if let v = other.maxValueBytes { maxValueBytes = max(maxValueBytes ?? 0, v) }
    }
}
