/// The Redis command table (generated from a real server, see `CommandTable+Generated.swift`) with
/// allocation-free, case-insensitive lookup by raw request bytes and key-position extraction.
///
/// Index space: `0..<all.count` are the top-level commands in `all` order (so `spec(at: i)` is
/// `all[i]`), followed by every subcommand, grouped by container. Indices are stable for one build.
public enum CommandTable {
    /// Number of commands and subcommands in the index space.
    public static var count: Int { names.specs.count }

    /// The command or subcommand at `index`, which must come from this table (`0..<count`).
    public static func spec(at index: Int) -> CommandSpec { names.specs[index] }

    /// Flags of the command at `index`, without copying the whole spec (hot-path friendly).
    public static func flags(at index: Int) -> CommandFlags { names.specs[index].flags }

    /// The container command of a subcommand, or nil for a top-level command or an invalid index.
    public static func parent(of index: Int) -> Int? {
        guard index >= 0, index < names.parents.count else { return nil }
        let parent = Int(names.parents[index])
        return parent < 0 ? nil : parent
    }

    /// Case-insensitive lookup by the raw bytes of the first argument of a request, WITHOUT allocating
    /// (hot path: called once per command). Returns an index usable with `spec(at:)`.
    /// `client|setname` is not a request name, so it is not found here (see `index(named:)`).
    public static func lookup(_ nameBytes: UnsafeRawBufferPointer) -> Int? {
        names.find(parent: -1, nameBytes)
    }

    /// Subcommand lookup for container commands (client, config, ...): parent index + raw bytes of the
    /// 2nd argument. Allocation-free; nil for an unknown subcommand or a parent without subcommands.
    public static func lookupSubcommand(parent: Int, _ nameBytes: UnsafeRawBufferPointer) -> Int? {
        guard parent >= 0, parent < names.topLevelCount else { return nil }
        return names.find(parent: parent, nameBytes)
    }

    /// Lookup by `INFO commandstats` style name, any case: `get`, `CLIENT|SetName`. For tests and tools;
    /// allocates.
    public static func index(named name: String) -> Int? {
        let parts = name.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        guard let top = Array(parts[0]).withUnsafeBytes({ lookup($0) }) else { return nil }
        guard parts.count == 2 else { return top }
        return Array(parts[1]).withUnsafeBytes { lookupSubcommand(parent: top, $0) }
    }

    /// Keys of a request, given arguments (argv[0] is the command name). Implements legacy ranges and
    /// key_specs (index/keyword begin_search; range/keynum find_keys, negative lastKey relative to the
    /// end, limit), with bounds checks on hostile argument counts. Returns argument indices of keys,
    /// in key-spec order (may repeat an index when two specs cover it, as the server does).
    public static func keyIndices(
        spec index: Int, argumentCount: Int, argument: (Int) -> UnsafeRawBufferPointer?
    ) -> [Int] {
        var result: [Int] = []
        forEachKeyIndex(spec: index, argumentCount: argumentCount, argument: argument) { result.append($0) }
        return result
    }

    /// Non-allocating form of `keyIndices`: calls `body` with each key's argument index.
    ///
    /// Follows the server's `getKeysUsingKeySpecs`: specs flagged `notKey` and `unknown` specs are
    /// skipped; a spec whose keyword is missing, whose key count does not parse as a non-negative
    /// integer, or whose range falls outside the arguments yields no keys (the server would reject
    /// the request); other specs still yield theirs. Commands without key specs use the legacy range.
    /// Known gaps where the server falls back to per-command code: `incomplete` specs (MIGRATE ... KEYS
    /// also reports the empty key at index 3) and `unknown` ones (SORT ... STORE dst is missed).
    public static func forEachKeyIndex(
        spec index: Int, argumentCount argc: Int, argument: (Int) -> UnsafeRawBufferPointer?,
        body: (Int) throws -> Void
    ) rethrows {
        // Bounding argc keeps every sum below Int overflow: all other terms are small table constants
        // or values already checked to be <= argc.
        guard index >= 0, index < names.specs.count, argc > 1, argc <= Int(Int32.max) else { return }
        let keySpecs = names.specs[index].keySpecs
        if keySpecs.isEmpty {
            let spec = names.specs[index]
            guard spec.firstKey > 0 else { return }
            let last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey
            try emitRange(first: spec.firstKey, last: min(last, argc - 1), step: spec.keyStep, argc: argc, body)
            return
        }
        for keySpec in keySpecs where !keySpec.flags.contains(.notKey) {
            guard let (first, last, step) = keyRange(keySpec, argc: argc, argument: argument) else { continue }
            try emitRange(first: first, last: last, step: step, argc: argc, body)
        }
    }

    /// The argument index of a request's first key, as `forEachKeyIndex` would give it first; nil when it has none.
    public static func firstKeyIndex(
        spec index: Int, argumentCount argc: Int, argument: (Int) -> UnsafeRawBufferPointer?
    ) -> Int? {
        guard index >= 0, index < names.specs.count, argc > 1, argc <= Int(Int32.max) else { return nil }
        let spec = names.specs[index]
        if spec.keySpecs.isEmpty {
            guard spec.firstKey > 0 else { return nil }
            let last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey
            return isRange(first: spec.firstKey, last: min(last, argc - 1), step: spec.keyStep, argc: argc)
                ? spec.firstKey : nil
        }
        // An indexed loop: `for in` over an array goes through generic iterator calls that allocate in debug builds
        // (this runs per command for commands with movable keys: EVAL, EVALSHA, FCALL, XREAD...).
        let keySpecs = spec.keySpecs
        var i = 0
        while i < keySpecs.count {
            let keySpec = keySpecs[i]
            i += 1
            guard !keySpec.flags.contains(.notKey),
                  let (first, last, step) = keyRange(keySpec, argc: argc, argument: argument),
                  isRange(first: first, last: last, step: step, argc: argc) else { continue }
            return first
        }
        return nil
    }

    /// The key range one spec gives for a request (not yet checked against the arguments), or nil.
    private static func keyRange(
        _ keySpec: KeySpec, argc: Int, argument: (Int) -> UnsafeRawBufferPointer?
    ) -> (first: Int, last: Int, step: Int)? {
        guard let first = beginSearch(keySpec.beginSearch, argc: argc, argument: argument) else { return nil }
        switch keySpec.findKeys {
        case let .range(lastKey, step, limit):
            let last: Int
            if lastKey >= 0 {
                last = first + lastKey
            } else if limit <= 0 {
                last = argc + lastKey
            } else {
                last = first + ((argc - first) / limit + lastKey)
            }
            return (first, last, step)
        case let .keyNum(keyNumIndex, firstKey, step):
            let countIndex = first + keyNumIndex
            guard countIndex >= 1, countIndex < argc,
                  let bytes = argument(countIndex),
                  let keyCount = parseKeyCount(bytes, max: argc)
            else { return nil }
            let start = first + firstKey
            return (start, start + keyCount - 1, step)
        case .unknown:
            return nil
        }
    }

    private static func isRange(first: Int, last: Int, step: Int, argc: Int) -> Bool {
        step > 0 && first >= 1 && first <= last && last < argc
    }

    /// Emits `first...last` by `step` only if the whole range lies within the arguments (argv[0] excluded).
    private static func emitRange(
        first: Int, last: Int, step: Int, argc: Int, _ body: (Int) throws -> Void
    ) rethrows {
        guard isRange(first: first, last: last, step: step, argc: argc) else { return }
        var i = first
        while i <= last {
            try body(i)
            i += step
        }
    }

    /// Argument index of the first key of a spec, or nil when the spec does not apply to this request.
    private static func beginSearch(
        _ search: KeyBeginSearch, argc: Int, argument: (Int) -> UnsafeRawBufferPointer?
    ) -> Int? {
        switch search {
        case let .index(position):
            return position >= 1 && position < argc ? position : nil
        case let .keyword(keyword, startFrom):
            // As in the server: a forward search never looks at the last argument (no key could
            // follow it); a backward search runs from argc+startFrom down to argv[1].
            if startFrom > 0 {
                var i = startFrom
                while i < argc - 1 {
                    if let bytes = argument(i), asciiCaseInsensitiveEqual(bytes, keyword) { return i + 1 }
                    i += 1
                }
            } else {
                var i = argc + startFrom
                while i >= 1 && i < argc {
                    if let bytes = argument(i), asciiCaseInsensitiveEqual(bytes, keyword) { return i + 1 }
                    i -= 1
                }
            }
            return nil
        case .unknown:
            return nil
        }
    }

    /// A key count as the server's `string2ll` accepts it, restricted to `0...max`: plain decimal, no
    /// sign, no leading zeros. Anything else (including absurd counts) is nil.
    private static func parseKeyCount(_ bytes: UnsafeRawBufferPointer, max: Int) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 19 else { return nil }
        if bytes.count > 1 && bytes[0] == UInt8(ascii: "0") { return nil }
        var value = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            // 19 digits may still exceed Int.max: check each step rather than trust the length.
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(Int(digit))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value <= max ? value : nil
    }

    private static func asciiCaseInsensitiveEqual(_ bytes: UnsafeRawBufferPointer, _ keyword: String) -> Bool {
        var i = 0
        for expected in keyword.utf8 {
            guard i < bytes.count, NameIndex.fold(bytes[i]) == NameIndex.fold(expected) else { return false }
            i += 1
        }
        return i == bytes.count
    }

    /// Built once, at first use (Swift initialises static lets lazily and thread-safely).
    private static let names = NameIndex(all)
}

/// Open-addressing hash table over lowercase command names, keyed by (parent index, name bytes):
/// parent -1 for top-level commands, the container's index for subcommands (keyed by the part after
/// `|`). Load factor <= 1/2, so probing always reaches an empty slot.
private final class NameIndex: Sendable {
    let specs: [CommandSpec]
    let topLevelCount: Int
    /// Container index per spec, -1 for top-level commands.
    let parents: [Int32]
    /// Lowercase lookup key of spec i is `keyBytes[keyStarts[i]..<keyStarts[i + 1]]`.
    let keyBytes: [UInt8]
    let keyStarts: [Int32]
    /// Per spec: its key folded and packed into two words when at most 16 bytes (`Packed`), for a lookup that
    /// compares words rather than bytes (most command names are short, and this runs per request).
    let packed: [Packed]
    /// 0 = empty, otherwise spec index + 1.
    let slots: [Int32]
    let mask: Int
    let maxKeyLength: Int

    init(_ all: [CommandSpec]) {
        var specs = all
        var parents = [Int32](repeating: -1, count: all.count)
        for (parent, command) in all.enumerated() {
            specs.append(contentsOf: command.subcommands)
            parents.append(contentsOf: repeatElement(Int32(parent), count: command.subcommands.count))
        }
        var keyBytes: [UInt8] = []
        var keyStarts: [Int32] = [0]
        var maxKeyLength = 0
        for (i, spec) in specs.enumerated() {
            var key = Array(spec.name.utf8)
            if parents[i] >= 0, let bar = key.firstIndex(of: UInt8(ascii: "|")) {
                key.removeSubrange(...bar)
            }
            key = key.map(NameIndex.fold)
            keyBytes.append(contentsOf: key)
            keyStarts.append(Int32(keyBytes.count))
            maxKeyLength = max(maxKeyLength, key.count)
        }
        let packed = specs.indices.map { i in
            keyBytes[Int(keyStarts[i])..<Int(keyStarts[i + 1])].withUnsafeBytes { Packed($0, parent: Int(parents[i])) }
        }
        var capacity = 16
        while capacity < specs.count * 2 { capacity *= 2 }
        let mask = capacity - 1
        var slots = [Int32](repeating: 0, count: capacity)
        for i in specs.indices {
            let start = Int(keyStarts[i]), end = Int(keyStarts[i + 1])
            let hash = keyBytes[start..<end].withUnsafeBytes { NameIndex.hash(parent: Int(parents[i]), $0, packed: packed[i]) }
            var slot = hash & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i + 1)
        }
        self.specs = specs
        self.topLevelCount = all.count
        self.parents = parents
        self.keyBytes = keyBytes
        self.keyStarts = keyStarts
        self.packed = packed
        self.slots = slots
        self.mask = mask
        self.maxKeyLength = maxKeyLength
    }

    func find(parent: Int, _ bytes: UnsafeRawBufferPointer) -> Int? {
        // Also bounds the hashing work on a hostile multi-megabyte first argument.
        guard !bytes.isEmpty, bytes.count <= maxKeyLength else { return nil }
        let key = Packed(bytes, parent: parent)
        var slot = NameIndex.hash(parent: parent, bytes, packed: key) & mask
        return slots.withUnsafeBufferPointer { slots in
            packed.withUnsafeBufferPointer { packed in
                while true {
                    let entry = Int(slots[slot])
                    if entry == 0 { return nil }
                    let candidate = entry - 1
                    if key.isPacked {
                        if packed[candidate] == key { return candidate }
                    } else if Int(parents[candidate]) == parent && matches(candidate, bytes) {
                        return candidate
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// A key of at most 16 bytes, folded to lowercase and packed little-endian into two words, with its length
    /// and parent: equal keys are equal values. Longer keys are not packed (`isPacked` false) and compared by bytes.
    struct Packed: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        /// Length, and parent + 1 (0 for top-level commands), in one word; 0 when not packed.
        var shape: UInt64 = 0

        var isPacked: Bool { shape != 0 }

        @inline(__always)
        init(_ bytes: UnsafeRawBufferPointer, parent: Int) {
            guard bytes.count <= 16 else { return }
            var index = 0
            while index < bytes.count {
                let byte = UInt64(NameIndex.fold(bytes[index]))
                if index < 8 { low |= byte << UInt64(8 * index) } else { high |= byte << UInt64(8 * (index - 8)) }
                index += 1
            }
            shape = UInt64(bytes.count) | UInt64(truncatingIfNeeded: parent &+ 1) << 8
        }
    }

    private func matches(_ index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = Int(keyStarts[index]), end = Int(keyStarts[index + 1])
        guard end - start == bytes.count else { return false }
        var i = start
        for byte in bytes {
            guard keyBytes[i] == NameIndex.fold(byte) else { return false }
            i += 1
        }
        return true
    }

    /// ASCII lowercase; other bytes unchanged (command names are ASCII).
    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// For a packed key, a multiplicative mix of its words; otherwise FNV-1a over the folded bytes, seeded with the
    /// parent. Then a final mix for the low bits.
    static func hash(parent: Int, _ bytes: UnsafeRawBufferPointer, packed: Packed) -> Int {
        if packed.isPacked {
            var h = (packed.low &* 0x9E37_79B9_7F4A_7C15) ^ (packed.high &* 0xC2B2_AE3D_27D4_EB4F) ^ (packed.shape &* 0x1656_67B1_9E37_79F9)
            h ^= h >> 29
            return Int(truncatingIfNeeded: h)
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: parent &+ 1)
        h = h &* 0x0000_0100_0000_01b3
        for byte in bytes {
            h = (h ^ UInt64(fold(byte))) &* 0x0000_0100_0000_01b3
        }
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }
}
