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
    /// Per entry, a cheap stand-in for its item in comparisons (`ItemOrder`), made once when the item enters.
    private var orders: [UInt64: ItemOrder] = [:]
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
        let item = text()
        entries[hash] = Entry(item: item, count: floor + 1, bytes: Int64(weight), error: floor)
        orders[hash] = ItemOrder(item)
        if entries.count >= 2 * capacity { prune() }
    }

    /// Keeps the `capacity` largest by count, ties by item (the same entries a full sort by (count, item) keeps).
    /// A selection rather than a sort: this runs every `capacity` new items once the table is full (on every
    /// command when keys are mostly distinct), and only entries tied at the cut need their items compared.
    private mutating func prune() {
        var counts = entries.values.map(\.count)
        counts.sort(by: >)
        let cut = counts[capacity - 1]
        let above = counts.prefix { $0 > cut }.count
        var tied: [(order: ItemOrder, hash: UInt64)] = []
        var kept: [UInt64: Entry] = [:]
        var keptOrders: [UInt64: ItemOrder] = [:]
        kept.reserveCapacity(capacity)
        keptOrders.reserveCapacity(capacity)
        for (hash, entry) in entries {
            if entry.count > cut {
                kept[hash] = entry
                keptOrders[hash] = orders[hash]
            } else if entry.count == cut {
                tied.append((orders[hash]!, hash))
            }
        }
        let room = capacity - above
        if tied.count > room {
            tied.sort { a, b in a.order.precedes(b.order) { entries[a.hash]!.item < entries[b.hash]!.item } }
        }
        for (order, hash) in tied.prefix(room) {
            kept[hash] = entries[hash]
            keptOrders[hash] = order
        }
        floor = cut
        entries = kept
        orders = keptOrders
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

/// An item's first 16 UTF-8 bytes as two big-endian integers, so most comparisons of two items are two integer
/// comparisons instead of a `String` comparison. Only ASCII items use them: for ASCII, `String`'s order (Unicode
/// scalar values) is byte order; anything else falls back to comparing the strings.
struct ItemOrder {
    var high: UInt64 = 0
    var low: UInt64 = 0
    var length: Int
    var isASCII = true

    init(_ item: String) {
        length = item.utf8.count
        var index = 0
        for byte in item.utf8 {
            if byte >= 0x80 { isASCII = false; break }
            if index < 8 { high |= UInt64(byte) << (56 - 8 * UInt64(index)) }
            else if index < 16 { low |= UInt64(byte) << (56 - 8 * UInt64(index - 8)) }
            else { break }
            index += 1
        }
    }

    /// Whether this item sorts before `other`; `fallback` compares the items themselves when the keys cannot tell.
    @inline(__always)
    func precedes(_ other: ItemOrder, fallback: () -> Bool) -> Bool {
        if isASCII && other.isASCII {
            if high != other.high { return high < other.high }
            if low != other.low { return low < other.low }
            // Zero padding sorts a proper prefix first, as in byte order; within 16 bytes that decides.
            if length <= 16 && other.length <= 16 { return length < other.length }
        }
        return fallback()
    }
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
