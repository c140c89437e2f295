/// Counts occurrences (and bytes) per item with bounded memory: a space-saving top-k.
///
/// Items are identified by a 64-bit hash of their bytes, so counting an item already present allocates nothing;
/// its text is made once, when it first enters. At `2 × capacity` entries the table is pruned to the `capacity`
/// largest; an item entering after a prune starts from the largest count pruned, which bounds its overestimate
/// (`error`), as in the Space-Saving algorithm.
public struct BoundedCounter {
    public struct Entry: Sendable {
        public var item: String
        public var count: Int
        public var bytes: Int64
        /// Upper bound of how much `count` may overestimate.
        public var error: Int
    }

    public let capacity: Int
    private var entries: [UInt64: Entry] = [:]
    private var floor = 0
    public private(set) var pruned = false
    public private(set) var total = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Adds one occurrence of `bytes` (the item), with `weight` bytes. `text` makes the item's text when new.
    public mutating func add(hash: UInt64, bytes weight: Int, text: () -> String) {
        total += 1
        if let index = entries.index(forKey: hash) {
            entries.values[index].count += 1
            entries.values[index].bytes += Int64(weight)
            return
        }
        entries[hash] = Entry(item: text(), count: floor + 1, bytes: Int64(weight), error: floor)
        if entries.count >= 2 * capacity { prune() }
    }

    private mutating func prune() {
        let kept = entries.sorted { ($0.value.count, $1.value.item) > ($1.value.count, $0.value.item) }.prefix(capacity)
        floor = kept.last?.value.count ?? floor
        entries = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        pruned = true
    }

    /// The `n` largest by count (ties by item), or by bytes.
    public func top(_ n: Int, byBytes: Bool = false) -> [Entry] {
        let values = Array(entries.values)
        let sorted = byBytes
            ? values.sorted { ($0.bytes, $1.item) > ($1.bytes, $0.item) }
            : values.sorted { ($0.count, $1.item) > ($1.count, $0.item) }
        return Array(sorted.prefix(n))
    }

    public var distinctTracked: Int { entries.count }
}

/// FNV-1a over bytes, finished with a 64-bit mixer so the low and high bits are both usable (HyperLogLog).
@inline(__always)
func keyHash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
    }
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h = h &* 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}
