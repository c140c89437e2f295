/// The tracked connections by 4-tuple: each connection in a dense slot (reused after it closes), and an
/// open-addressing index of slots by the key's hash. A dictionary from `FlowKey` held a 48-byte key and a reference
/// per bucket, about 150 bytes a connection at three-quarters load; this holds 8 bytes per bucket and 8 per slot,
/// and takes the key from the connection itself. A class: the recency list reads neighbours through it on every
/// segment, and a struct passed along was copied there (a retain and release of each of its arrays).
final class FlowTable {
    /// Connections by slot; nil where a slot is free.
    private(set) var slots: [TrackedConnection?] = []
    private var freeSlots: [Int32] = []
    /// Per bucket: 0 when empty, else the slot plus one in the low 32 bits and the key's hash in the high ones (so
    /// most probes of other keys are told apart without touching their connection).
    private var buckets: [UInt64] = []
    private var mask = 0
    private(set) var count = 0

    private static let minimumBuckets = 64
    /// The hash's secret, drawn per table: the layout cannot be predicted from the capture, so crafted 4-tuples cannot
    /// pile up in one probe run.
    private let seeds: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    init() {
        var generator = SystemRandomNumberGenerator()
        seeds = (generator.next(), generator.next(), generator.next(), generator.next(), generator.next(), generator.next())
    }

    /// The connection on `key`, if tracked.
    @inline(__always)
    func find(_ key: FlowKey) -> TrackedConnection? {
        guard count > 0 else { return nil }
        let hash = self.hash(key)
        var index = Int(truncatingIfNeeded: hash) & mask
        // Indexed directly: a closure over the buffer copied the table (a retain and release of both arrays) per call.
        while true {
            let bucket = buckets[index]
            if bucket == 0 { return nil }
            if bucket &>> 32 == hash, let connection = slots[Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) &- 1],
               connection.matches(key) {
                return connection
            }
            index = (index &+ 1) & mask
        }
    }

    /// The connection in `slot`, which must hold one.
    @inline(__always)
    func connection(at slot: Int32) -> TrackedConnection { slots[Int(slot)]! }

    /// A free slot for a connection about to be inserted.
    func takeSlot() -> Int32 {
        if let slot = freeSlots.popLast() { return slot }
        slots.append(nil)
        return Int32(slots.count &- 1)
    }

    /// Adds `connection` (in the slot `takeSlot` gave it); its key must not be tracked.
    func insert(_ connection: TrackedConnection) {
        // At most four-fifths full: probes stay short with the hash kept in the bucket, and the default 100,000
        // connections fit 2^17 buckets (at three-quarters they took twice that).
        if (count &+ 1) &* 5 > buckets.count &* 4 { grow() }
        slots[Int(connection.slot)] = connection
        place(slot: connection.slot, hash: hash(connection.key))
        count &+= 1
    }

    /// Removes `connection`, freeing its slot.
    func remove(_ connection: TrackedConnection) {
        let slot = Int(connection.slot)
        guard slot < slots.count, slots[slot] === connection else { return }
        let hash = self.hash(connection.key)
        let wanted = hash &<< 32 | UInt64(slot &+ 1)
        var index = Int(truncatingIfNeeded: hash) & mask
        while buckets[index] != wanted { index = (index &+ 1) & mask }
        // Backward-shift deletion: later entries of the probe run move up into the hole, so no tombstones.
        var hole = index
        var next = (hole &+ 1) & mask
        while buckets[next] != 0 {
            let home = Int(truncatingIfNeeded: buckets[next] &>> 32) & mask
            // The entry may fill the hole when its home is not in (hole, next] cyclically.
            if (next &- home) & mask >= (next &- hole) & mask {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        buckets[hole] = 0
        slots[slot] = nil
        freeSlots.append(Int32(slot))
        count &-= 1
    }

    /// The tracked connections, in no particular order.
    var connections: [TrackedConnection] { slots.compactMap { $0 } }

    private func place(slot: Int32, hash: UInt64) {
        var index = Int(truncatingIfNeeded: hash) & mask
        while buckets[index] != 0 { index = (index &+ 1) & mask }
        buckets[index] = hash &<< 32 | UInt64(Int(slot) &+ 1)
    }

    private func grow() {
        let old = buckets
        let size = Swift.max(Self.minimumBuckets, old.count &* 2)
        buckets = [UInt64](repeating: 0, count: size)
        mask = size &- 1
        for bucket in old where bucket != 0 {
            place(slot: Int32(truncatingIfNeeded: (bucket & 0xFFFF_FFFF) &- 1), hash: bucket &>> 32)
        }
    }

    /// 32 bits of the key's hash (the bucket's high half): its four words and the seeds folded by full-width
    /// multiplications, as wyhash does. This runs for every packet, and `Hasher` (SipHash) took ~350 instructions a
    /// key where this takes a few dozen.
    @inline(__always)
    private func hash(_ key: FlowKey) -> UInt64 {
        let words = key.words
        let first = Self.fold(words.0 ^ seeds.0, words.1 ^ seeds.1)
        let second = Self.fold(words.2 ^ seeds.2, words.3 ^ seeds.3)
        return Self.fold(first ^ seeds.4, second ^ seeds.5) & 0xFFFF_FFFF
    }

    /// The high and low halves of the full product, xored.
    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return high ^ low
    }
}
