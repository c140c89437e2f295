#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RedisSemantics

/// Works out a record's `ArgumentDigest`: the first key as the key analysis takes it (its argument index by the
/// command table, its hash, its prefix by `prefixRule` and that prefix's hash) and the key's cluster hash slot. The
/// stream stage gives one to the sessions' event buffer, so that this runs as records are packed, on that thread;
/// the analyses use one of their own for records packed without it.
public final class ArgumentDigester: ArgumentDigesting {
    let registry: CommandRegistry
    let prefixRule: KeyPrefixRule
    private let hashSlots = HashSlotCalculator()
    /// Per command id: the first key's fixed argument index (0: none), `movable` (read from the arguments), or
    /// `unknown` (not looked up yet). An array: ids are dense, and this runs per command.
    private var keyPositions: [Int] = []
    private static let unknown = -1, movable = -2
    /// What was worked out of recent keys: traffic repeats its hot keys, and a key found here skips its prefix, both
    /// hashes and its hash slot (~220 instructions of ~250). Direct-mapped by a cheap hash of the key's first and last
    /// bytes; an entry is used only when its bytes equal the key's, so it never answers for another key.
    private let recentKeys: UnsafeMutablePointer<RecentKey>

    public init(registry: CommandRegistry, prefixRule: KeyPrefixRule) {
        self.registry = registry
        self.prefixRule = prefixRule
        recentKeys = .allocate(capacity: Self.recentKeyCount)
        recentKeys.initialize(repeating: RecentKey(), count: Self.recentKeyCount)
    }

    deinit {
        recentKeys.deallocate()
    }

    public func digest(of location: UnsafePointer<CommandRecord>) -> ArgumentDigest {
        var digest = ArgumentDigest()
        digest.isSet = true
        let argumentCount = location.pointee.argumentCount
        let position = firstKeyPosition(location)
        // Only arguments the command table says are keys: other arguments may be values or passwords.
        guard position > 0, position < argumentCount else { return digest }
        location.keptArguments.withArgumentAndLength(position) { key, fullLength in
            digest.keyPosition = Int32(position)
            // Kept whole and short enough to be remembered: its slot then depends on its bytes alone.
            let remembered = key.count == fullLength && key.count > 0 && key.count <= RecentKey.maxLength
            let entry = recentKeys + (remembered ? Self.recentKeyIndex(key) : 0)
            if remembered && entry.pointee.holds(key) {
                digest.keyHash = entry.pointee.keyHash
                digest.prefixHash = entry.pointee.prefixHash
                digest.prefixLength = entry.pointee.prefixLength
                digest.keySlot = entry.pointee.slot
                return
            }
            let prefixLength = prefixRule.prefixLength(of: key)
            let (hash, prefixHash) = keyHashes(key, prefixLength: prefixLength, prefixSeed: 1)
            digest.keyHash = hash
            digest.prefixHash = prefixHash
            digest.prefixLength = Int32(prefixLength)
            digest.keySlot = hashSlots.slot(of: key, fullLength: fullLength).map { Int32($0) } ?? -1
            if remembered { entry.pointee.remember(key, digest) }
        }
        return digest
    }

    static let recentKeyCount = 512

    /// The entry for `key` (1–32 bytes): a multiply-mix of its length and its first and last bytes, read as words.
    @inline(__always)
    static func recentKeyIndex(_ key: UnsafeRawBufferPointer) -> Int {
        let count = key.count
        let base = key.baseAddress!
        let first: UInt64, last: UInt64
        if count >= 8 {
            first = base.loadUnaligned(as: UInt64.self)
            last = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            first = UInt64(base.loadUnaligned(as: UInt32.self))
            last = UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
        } else {
            first = UInt64(key[0]) | UInt64(key[count >> 1]) << 8
            last = UInt64(key[count - 1])
        }
        var mixed = (first &* 0x9E37_79B9_7F4A_7C15) ^ (last &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(count)
        mixed ^= mixed >> 29
        return Int(truncatingIfNeeded: mixed) & (recentKeyCount - 1)
    }

    /// The first key's argument index, from the command table's key specs: fixed per command (cached), or for
    /// commands whose keys move with their arguments (EVAL's numkeys, ZUNIONSTORE, XREAD's STREAMS) resolved on the
    /// kept arguments of this request (0 when they say there is no key, or lie beyond the kept ones).
    @inline(__always)
    private func firstKeyPosition(_ location: UnsafePointer<CommandRecord>) -> Int {
        let command = location.pointee.command
        let slot = Int(command.rawValue)
        if slot >= keyPositions.count { keyPositions += repeatElement(Self.unknown, count: slot + 1 - keyPositions.count) }
        var position = keyPositions[slot]
        if position == Self.unknown {
            if let tableIndex = registry.tableIndex(of: command) {
                // With as many arguments as a request can have, a fixed position is the begin-search index.
                position = CommandTable.flags(at: tableIndex).contains(.movableKeys) ? Self.movable
                    : CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: Int(Int32.max), argument: { _ in nil }) ?? 0
            } else {
                position = 0
            }
            keyPositions[slot] = position
        }
        guard position == Self.movable, let tableIndex = registry.tableIndex(of: command) else { return position }
        let argumentCount = location.pointee.argumentCount
        return location.keptArguments.withArguments { argument in
            CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: argumentCount, argument: argument)
        } ?? 0
    }
}

/// A key the digester worked out lately, with what it worked out (`ArgumentDigester.recentKeys`).
struct RecentKey {
    static let maxLength = 32
    /// The key's bytes, zero beyond its length.
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// 0: an empty entry (empty keys are not remembered).
    private var length: Int32 = 0
    private(set) var prefixLength: Int32 = 0
    private(set) var slot: Int32 = -1
    private(set) var keyHash: UInt64 = 0
    private(set) var prefixHash: UInt64 = 0

    /// Whether this entry is `key`'s: the same length and the same bytes.
    @inline(__always)
    func holds(_ key: UnsafeRawBufferPointer) -> Bool {
        guard Int(length) == key.count else { return false }
        return withUnsafeBytes(of: bytes) { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    mutating func remember(_ key: UnsafeRawBufferPointer, _ digest: ArgumentDigest) {
        bytes = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { $0.copyMemory(from: key) }
        length = Int32(key.count)
        prefixLength = digest.prefixLength
        slot = digest.keySlot
        keyHash = digest.keyHash
        prefixHash = digest.prefixHash
    }
}
