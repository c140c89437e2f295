import CPrefetch

/// Counts occurrences (and bytes) per item with bounded memory: a space-saving top-k.
///
/// Items are identified by a 64-bit hash of their bytes, so counting an item already present allocates nothing;
/// its text is made once, when it first enters. At `2 × capacity` entries the table is pruned to the `capacity`
/// largest; an item entering after a prune starts from the largest count pruned, which bounds its overestimate
/// (`error`), as in the Space-Saving algorithm.
///
/// A class over storage of its own (not arrays): this counts up to three times per keyed command, and an array
/// written inside a value held by a class pays a uniqueness check and a bounds check per element written.
public final class BoundedCounter {
    public struct Entry: Sendable {
        public var item: String
        public var count: Int
        public var bytes: Int64
        /// Upper bound of how much `count` may overestimate.
        public var error: Int
        /// What the item cost, when its counter was given samples (zero otherwise).
        public var cost = KeyCost()
    }

    /// What `top` ranks by.
    public enum Ranking: Sendable {
        case calls, bytes
        /// Server time (sum of non-blocking service times).
        case serverTime
        /// Calls × the largest value seen: big and hot.
        case bigAndHot
    }

    public let capacity: Int
    /// The tracked items' counts, densely (`trackedCount` of them, room for `room`); `slots` finds them by hash. An
    /// item's cost and name lie at the same index of `costs` and `names`: apart, so that counting an item touches
    /// 32 bytes, and a counter given no samples holds no costs.
    private var tracked: UnsafeMutablePointer<Tracked>
    private var trackedCount = 0
    private var room: Int
    /// nil until the first sample, then room for as many as `tracked`.
    private var costs: UnsafeMutablePointer<KeyCost>?
    /// Room for as many as `tracked`. Plain values, so that adding, moving and dropping names counts no references.
    private var names: UnsafeMutablePointer<Name>
    /// The texts `names` do not hold (see `Name.text`); rebuilt at a prune, when there are any.
    private var texts: [String] = []
    /// Open addressing with linear probing: 0 is an empty slot, otherwise the item's hash's high 32 bits (a tag)
    /// above its index into `tracked` plus one. Kept at most half full; rebuilt (not edited) when it grows and after
    /// a prune, so it needs no deletion. A table of its own rather than a `Dictionary`: a lookup here is a multiply,
    /// a mask and usually one compare, and this runs three times per keyed command. The tag spares a look at
    /// `tracked` (a cache miss in a large table) for items not tracked, which with many distinct keys is most.
    /// nil (no slots) until the first item.
    private var slots: UnsafeMutablePointer<UInt64>?
    /// The number of slots less one (-1 with none), what a hash is masked with: kept rather than the number, which a
    /// lookup would take one from (checking for overflow).
    private var slotMask = -1
    private var slotCount: Int { slotMask + 1 }
    private var floor = 0
    public private(set) var pruned = false
    /// Items dropped by prunes so far (an item may come back and be dropped again).
    public private(set) var droppedItems = 0
    public private(set) var total = 0

    /// What counting an item reads and writes.
    private struct Tracked {
        let hash: UInt64
        var count: Int
        var bytes: Int64
        let error: Int
    }

    /// A cheap stand-in for an item's text in comparisons, and where the text is.
    private struct Name: BitwiseCopyable {
        let order: ItemOrder
        /// The text's index in `texts`; -1 when `order` holds the whole text (short printable ASCII, made into a
        /// `String` only for `top`).
        var text: Int32
    }

    /// The item of `names[index]`.
    private func item(at index: Int) -> String {
        let name = names[index]
        return name.text < 0 ? name.order.text : texts[Int(name.text)]
    }

    /// Whether the item at `a` sorts before the item at `b`.
    private func itemPrecedes(_ a: Int, _ b: Int) -> Bool {
        names[a].order.precedes(names[b].order) { item(at: a) < item(at: b) }
    }

    public init(capacity: Int) {
        // Indexes into `tracked` (up to twice the capacity) fit a slot's low 32 bits.
        self.capacity = min(max(1, capacity), 1 << 30)
        room = min(16, 2 * self.capacity)
        tracked = .allocate(capacity: room)
        names = .allocate(capacity: room)
    }

    deinit {
        tracked.deallocate()
        names.deallocate()
        costs?.deallocate()
        slots?.deallocate()
    }

    /// Adds one occurrence of `bytes` (the item), with `weight` bytes. `text` makes the item's text when new.
    public func add(hash: UInt64, bytes weight: Int, text: () -> String) {
        if countExisting(hash: hash, weight: weight) { return }
        let item = text()
        insert(hash: hash, weight: weight, text: item, order: ItemOrder(item))
    }

    /// As `add(hash:bytes:text:)`, for an item whose text is `printable` followed by `suffix` when that text is
    /// short printable ASCII (the usual key): then no `String` is made unless the item reaches a report, so a new
    /// item allocates nothing. Otherwise `text` makes it. `known` is what another counter returned for the same
    /// item, if any: the result is the item's order (nil within when the text is not short printable ASCII) when this
    /// counter worked it out for a new item, so that a counter the item is also new to need not (a new key is often
    /// new to two counters at once: all keys', and its command's); nil when the item was tracked already.
    @discardableResult
    func add(hash: UInt64, bytes weight: Int, printable: UnsafeRawBufferPointer, suffix: UInt8?, known: ItemOrder?? = nil,
             sample: KeyCost.Sample? = nil, text: () -> String) -> ItemOrder?? {
        if countExisting(hash: hash, weight: weight, sample: sample) { return nil }
        let order = known ?? ItemOrder(printableASCII: printable, suffix: suffix)
        if let order {
            insert(hash: hash, weight: weight, text: nil, order: order, sample: sample)
        } else {
            let item = text()
            insert(hash: hash, weight: weight, text: item, order: ItemOrder(item), sample: sample)
        }
        return order
    }

    /// As `add(hash:bytes:text:)`, adding `sample` to the item's cost.
    func add(hash: UInt64, bytes weight: Int, sample: KeyCost.Sample?, text: () -> String) {
        if countExisting(hash: hash, weight: weight, sample: sample) { return }
        let item = text()
        insert(hash: hash, weight: weight, text: item, order: ItemOrder(item), sample: sample)
    }

    /// The first slot to probe for `hash` (the hash is already mixed; this spreads it over the table's size).
    @inline(__always)
    private static func home(_ hash: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// A slot's entry for `tracked[index]`, whose hash is `hash`.
    @inline(__always)
    private static func entry(_ hash: UInt64, index: Int) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
    }

    /// The index in `tracked` of the item with `hash`, or nil.
    @inline(__always)
    private func find(_ hash: UInt64) -> Int? {
        guard let slots else { return nil }
        let mask = slotMask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Self.home(hash, mask: mask)
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if tracked[index].hash == hash { return index }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Asks for the index slot `hash` is looked up in first (looking ahead: a few commands before it is counted).
    @inline(__always)
    func prefetchSlot(hash: UInt64) {
        guard let slots else { return }
        respcap_prefetch(slots + Self.home(hash, mask: slotMask))
    }

    /// Asks for the count and cost of the item with `hash`, when its first index slot (asked for by `prefetchSlot`
    /// a command earlier) names it: the next command's entry, while the current one is counted.
    @inline(__always)
    func prefetchEntry(hash: UInt64) {
        guard let slots else { return }
        let entry = slots[Self.home(hash, mask: slotMask)]
        guard entry & 0xFFFF_FFFF_0000_0000 == hash & 0xFFFF_FFFF_0000_0000, entry != 0 else { return }
        let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
        respcap_prefetch(tracked + index)
        // A cost spans two cache lines.
        if let costs {
            let address = UnsafeRawPointer(costs + index)
            respcap_prefetch(address)
            respcap_prefetch(address + 64)
        }
    }

    @inline(__always)
    private func countExisting(hash: UInt64, weight: Int, sample: KeyCost.Sample? = nil) -> Bool {
        total += 1
        guard let index = find(hash) else { return false }
        tracked[index].count += 1
        tracked[index].bytes += Int64(weight)
        if let sample { addCost(sample, at: index) }
        return true
    }

    @inline(__always)
    private func addCost(_ sample: KeyCost.Sample, at index: Int) {
        let costs = self.costs ?? makeCosts()
        costs[index].add(sample)
    }

    /// Costs for the entries so far (none yet), with room for as many as `tracked` has.
    private func makeCosts() -> UnsafeMutablePointer<KeyCost> {
        let made = UnsafeMutablePointer<KeyCost>.allocate(capacity: room)
        made.initialize(repeating: KeyCost(), count: trackedCount)
        costs = made
        return made
    }

    /// The cost of `tracked[index]` (none when no sample came).
    private func cost(at index: Int) -> KeyCost { costs.map { $0[index] } ?? KeyCost() }

    private func insert(hash: UInt64, weight: Int, text: String?, order: ItemOrder, sample: KeyCost.Sample? = nil) {
        if trackedCount == room { grow() }
        let index = trackedCount
        (tracked + index).initialize(to: Tracked(hash: hash, count: floor + 1, bytes: Int64(weight), error: floor))
        trackedCount += 1
        var textIndex: Int32 = -1
        if let text {
            textIndex = Int32(texts.count)
            texts.append(text)
        }
        (names + index).initialize(to: Name(order: order, text: textIndex))
        if let costs { (costs + index).initialize(to: KeyCost()) }
        if let sample { addCost(sample, at: index) }
        if trackedCount * 2 > slotCount {
            rebuildSlots(count: max(16, slotCount * 2))
        } else {
            place(index)
        }
        if trackedCount >= 2 * capacity { prune() }
    }

    /// Twice the room for entries and their costs, up to the `2 × capacity` a prune comes at.
    private func grow() {
        let newRoom = min(2 * room, 2 * capacity)
        let moved = UnsafeMutablePointer<Tracked>.allocate(capacity: newRoom)
        moved.moveInitialize(from: tracked, count: trackedCount)
        tracked.deallocate()
        tracked = moved
        let movedNames = UnsafeMutablePointer<Name>.allocate(capacity: newRoom)
        movedNames.moveInitialize(from: names, count: trackedCount)
        names.deallocate()
        names = movedNames
        if let costs {
            let movedCosts = UnsafeMutablePointer<KeyCost>.allocate(capacity: newRoom)
            movedCosts.moveInitialize(from: costs, count: trackedCount)
            costs.deallocate()
            self.costs = movedCosts
        }
        room = newRoom
    }

    /// Puts `tracked[index]` in the first empty slot from its home.
    @inline(__always)
    private func place(_ index: Int) {
        guard let slots else { return }
        let mask = slotMask
        let hash = tracked[index].hash
        var slot = Self.home(hash, mask: mask)
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Self.entry(hash, index: index)
    }

    private func rebuildSlots(count: Int) {
        if slotCount != count {
            slots?.deallocate()
            slots = .allocate(capacity: count)
            slotMask = count - 1
        }
        emptySlots()
        for index in 0..<trackedCount { place(index) }
    }

    private func emptySlots() { slots?.initialize(repeating: 0, count: slotCount) }

    /// Keeps the `capacity` largest by count, ties by item (the same entries a full sort by (count, item) keeps).
    /// A selection rather than a sort: this runs every `capacity` new items once the table is full (on every
    /// command when keys are mostly distinct), and only entries tied at the cut need their items compared.
    private func prune() {
        let cut = cutCount()
        var keep = [Bool](repeating: false, count: trackedCount)
        var above = 0
        var tied: [Tie] = []
        // Often nearly all entries are tied (keys mostly distinct): room for them at once, not grown by doubling.
        tied.reserveCapacity(trackedCount)
        for position in 0..<trackedCount {
            let count = tracked[position].count
            if count > cut {
                above += 1
                keep[position] = true
            } else if count == cut {
                tied.append(Tie(position: position, order: names[position].order))
            }
        }
        let room = capacity - above
        if tied.count > room {
            // Which of the tied are the `room` smallest items matters, not their order: a selection.
            Self.selectSmallest(&tied, room) { a, b in a.precedes(b) ?? itemPrecedes(Int(a.position), Int(b.position)) }
        }
        for tie in tied.prefix(room) { keep[Int(tie.position)] = true }
        // The kept moved to the front in order, and given slots anew, in one pass.
        let before = trackedCount
        let costs = self.costs
        emptySlots()
        trackedCount = 0
        for position in 0..<before where keep[position] {
            let index = trackedCount
            if position != index {
                tracked[index] = tracked[position]
                names[index] = names[position]
                if let costs { costs[index] = costs[position] }
            }
            place(index)
            trackedCount += 1
        }
        if !texts.isEmpty { keepTexts() }
        droppedItems += before - trackedCount
        floor = cut
        pruned = true
    }

    /// The texts of the entries left after a prune, at new indexes.
    private func keepTexts() {
        var kept: [String] = []
        for index in 0..<trackedCount where names[index].text >= 0 {
            kept.append(texts[Int(names[index].text)])
            names[index].text = Int32(kept.count - 1)
        }
        texts = kept
    }

    /// An entry compared by item (tied at a prune's cut, or on its measures in `top`), with its item's first 16
    /// bytes (when ASCII) beside it: a selection among many (often all entries, when keys are mostly distinct)
    /// compares those in place, and looks the names up only when they are equal, the same order as `itemPrecedes`
    /// gives.
    private struct Tie {
        /// The first 16 bytes when `isASCII`; zeros otherwise. Not an optional: 24 bytes to move rather than 32.
        let leading: (UInt64, UInt64)
        /// The entry's index (under `2 × capacity`, which fits).
        let position: Int32
        let isASCII: Bool

        init(position: Int, order: ItemOrder) {
            self.position = Int32(truncatingIfNeeded: position)
            (leading, isASCII) = order.leadingWords.map { ($0, true) } ?? ((0, 0), false)
        }

        /// Whether this precedes `other`, when their first 16 bytes tell; nil when they do not.
        @inline(__always)
        func precedes(_ other: Tie) -> Bool? {
            guard isASCII && other.isASCII else { return nil }
            if leading.0 != other.leading.0 { return leading.0 < other.leading.0 }
            if leading.1 != other.leading.1 { return leading.1 < other.leading.1 }
            return nil
        }
    }

    /// The `capacity`-th largest count. Most counts are small (an item entered at the floor and was seen a few
    /// times more), so a histogram of those up to 256 finds it in one pass; when `capacity` items or more count more
    /// than that, a selection over all the counts does.
    private func cutCount() -> Int {
        let limit = 256
        let found = withUnsafeTemporaryAllocation(of: Int.self, capacity: limit + 1) { histogram -> Int? in
            histogram.initialize(repeating: 0)
            var above = 0
            var index = 0
            while index < trackedCount {
                let count = tracked[index].count
                if count > limit { above += 1 } else { histogram[count] += 1 }
                index += 1
            }
            guard above < capacity else { return nil }
            var atLeast = above
            var value = limit
            while value >= 0 {
                atLeast += histogram[value]
                if atLeast >= capacity { return value }
                value -= 1
            }
            return nil
        }
        if let found { return found }
        // The smallest outside the `count - capacity` smallest.
        var counts = (0..<trackedCount).map { tracked[$0].count }
        let below = counts.count - capacity
        Self.selectSmallest(&counts, below, by: <)
        var cut = counts[below]
        var index = below + 1
        while index < counts.count {
            cut = min(cut, counts[index])
            index += 1
        }
        return cut
    }

    /// Reorders `items` so that the first `k` are the `k` smallest by `less`, in no particular order (quickselect,
    /// median-of-three pivots: linear on average where a sort is n log n).
    static func selectSmallest<T>(_ items: inout [T], _ k: Int, by less: (T, T) -> Bool) {
        guard k > 0 && k < items.count else { return }
        // In the array's buffer: an array's own swaps check its uniqueness, each one.
        items.withUnsafeMutableBufferPointer { items in
            var low = 0, high = items.count - 1
            while low < high {
                let mid = low + (high - low) / 2
                if less(items[mid], items[low]) { items.swapAt(mid, low) }
                if less(items[high], items[low]) { items.swapAt(high, low) }
                if less(items[high], items[mid]) { items.swapAt(high, mid) }
                let pivot = items[mid]
                var i = low, j = high
                // The scans stop within low...high: items[low] <= pivot <= items[high], and each swap leaves an item
                // no smaller than the pivot at j and none larger at i.
                while i <= j {
                    while less(items[i], pivot) { i += 1 }
                    while less(pivot, items[j]) { j -= 1 }
                    if i <= j {
                        items.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                // Now items[low...j] <= pivot <= items[i...high], and anything between equals the pivot.
                if k - 1 <= j { high = j } else if k - 1 >= i { low = i } else { return }
            }
        }
    }

    /// The `n` largest by count (ties by item), or by bytes. Selected first, then only those sorted and given their
    /// text: a counter holds up to twice its capacity, and a report asks for a few dozen.
    public func top(_ n: Int, byBytes: Bool = false) -> [Entry] {
        top(n, by: byBytes ? .bytes : .calls)
    }

    /// The `n` largest by `ranking`; ties by calls, then by item.
    public func top(_ n: Int, by ranking: Ranking) -> [Entry] {
        guard n > 0 else { return [] }
        let tracked = self.tracked, costs = self.costs
        // Each entry's measures worked out once: a comparison then reads integers held side by side, not the
        // entries, their costs and their names through a closure chosen at run time (this ranks every tracked
        // entry, and for server time reports them all).
        let ranked = (0..<trackedCount).map { index -> Ranked in
            let count = tracked[index].count
            let cost = costs?[index]
            let tie = Tie(position: index, order: names[index].order)
            switch ranking {
            case .calls: return Ranked(measure: Int64(count), calls: 0, tie: tie)
            case .bytes: return Ranked(measure: tracked[index].bytes, calls: 0, tie: tie)
            case .serverTime: return Ranked(measure: cost?.serverNanos ?? 0, calls: count, tie: tie)
            case .bigAndHot: return Ranked(measure: Int64(count) * Int64(cost?.maxValueBytes ?? 0), calls: count, tie: tie)
            }
        }
        // Selected and sorted as indexes into `ranked`, which stays in place: an index moves as 4 bytes, a `Ranked`
        // as 48.
        var order = Array(0..<Int32(truncatingIfNeeded: ranked.count))
        ranked.withUnsafeBufferPointer { ranked in
            let ranksBefore = { (a: Int32, b: Int32) -> Bool in
                let a = ranked[Int(a)], b = ranked[Int(b)]
                if a.measure != b.measure { return a.measure > b.measure }
                if a.calls != b.calls { return a.calls > b.calls }
                return a.tie.precedes(b.tie) ?? self.itemPrecedes(Int(a.tie.position), Int(b.tie.position))
            }
            if order.count > n {
                Self.selectSmallest(&order, n, by: ranksBefore)
                order.removeSubrange(n...)
            }
            order.sort(by: ranksBefore)
        }
        return order.map {
            let index = Int($0)
            return Entry(item: item(at: index), count: tracked[index].count, bytes: tracked[index].bytes,
                         error: tracked[index].error, cost: cost(at: index))
        }
    }

    /// An entry as `top` ranks it: by `measure`, then by `calls` (zero when the ranking leaves them out), both
    /// largest first, then by item.
    private struct Ranked {
        let measure: Int64
        let calls: Int
        let tie: Tie
    }

    public var distinctTracked: Int { trackedCount }
}

/// An item's first 32 UTF-8 bytes as four big-endian integers, so most comparisons of two items are integer
/// comparisons instead of a `String` comparison. Only ASCII items use them: for ASCII, `String`'s order (Unicode
/// scalar values) is byte order; anything else falls back to comparing the strings.
struct ItemOrder {
    static let width = 32
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// The text's length in bytes, or `width + 1` for any longer text (only lengths within the width are compared):
    /// one byte, to keep the order small where it is copied (every tracked entry's, at a prune).
    private var length: UInt8 = 0
    private var isASCII = true

    init(_ item: String) {
        var item = item
        item.withUTF8 { bytes in
            length = UInt8(min(bytes.count, Self.width + 1))
            var packed: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for index in 0..<min(bytes.count, Self.width) {
                let byte = bytes[index]
                if byte >= 0x80 { isASCII = false; return }
                let shifted = UInt64(byte) << (56 - 8 * UInt64(index & 7))
                switch index >> 3 {
                case 0: packed.0 |= shifted
                case 1: packed.1 |= shifted
                case 2: packed.2 |= shifted
                default: packed.3 |= shifted
                }
            }
            for index in Self.width..<max(bytes.count, Self.width) where bytes[index] >= 0x80 {
                isASCII = false
                return
            }
            words = packed
        }
    }

    /// The order of a text that is `printable` then `suffix`, when that text is at most `width` bytes of printable
    /// ASCII (0x20...0x7E): then the words hold the whole text. nil otherwise.
    init?(printableASCII printable: UnsafeRawBufferPointer, suffix: UInt8?) {
        let length = printable.count + (suffix == nil ? 0 : 1)
        guard length <= Self.width else { return nil }
        // The bytes in order into 32 zeroed bytes, then read as four big-endian words (first byte most significant);
        // checked printable eight at a time, the bytes past the text counted as printable.
        var packed: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &packed) { raw in
            if printable.count > 0 { raw.baseAddress!.copyMemory(from: printable.baseAddress!, byteCount: printable.count) }
            if let suffix { raw[printable.count] = suffix }
        }
        guard Self.isPrintable(packed.0, validBytes: length) && Self.isPrintable(packed.1, validBytes: length - 8)
            && Self.isPrintable(packed.2, validBytes: length - 16) && Self.isPrintable(packed.3, validBytes: length - 24)
        else { return nil }
        self.length = UInt8(length)
        words = (UInt64(bigEndian: packed.0), UInt64(bigEndian: packed.1), UInt64(bigEndian: packed.2),
                 UInt64(bigEndian: packed.3))
    }

    /// Whether the first `validBytes` bytes in memory of `word` (all eight when more, none when fewer than one) are
    /// printable ASCII, 0x20...0x7E: the others are made 0x41 first, then a byte below 0x20 or above 0x7E sets its
    /// top bit in one of two word-wide tests.
    @inline(__always)
    static func isPrintable(_ word: UInt64, validBytes: Int) -> Bool {
        guard validBytes > 0 else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        // In memory the first byte is the least significant on a little-endian machine.
        let memoryOrder = UInt64(littleEndian: word)
        let valid: UInt64 = validBytes >= 8 ? ~0 : (1 << UInt64(8 * validBytes)) - 1
        let x = (memoryOrder & valid) | (0x4141_4141_4141_4141 & ~valid)
        let below = (x &- ones &* 0x20) & ~x & highs
        let above = ((x &+ ones &* (127 - 0x7E)) | x) & highs
        return below | above == 0
    }

    /// The text, when the words hold all of it (see `init?(printableASCII:suffix:)`).
    var text: String {
        // Each word holds eight bytes of the text, the first most significant: stored big-endian, they lie in order.
        var inOrder = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
        return withUnsafeBytes(of: &inOrder) { String(decoding: $0[0..<Int(length)], as: UTF8.self) }
    }

    /// The first two words, for an ASCII item: `precedes` compares these first.
    var leadingWords: (UInt64, UInt64)? { isASCII ? (words.0, words.1) : nil }

    /// Whether this item sorts before `other`; `fallback` compares the items themselves when the words cannot tell.
    @inline(__always)
    func precedes(_ other: ItemOrder, fallback: () -> Bool) -> Bool {
        if isASCII && other.isASCII {
            if words.0 != other.words.0 { return words.0 < other.words.0 }
            if words.1 != other.words.1 { return words.1 < other.words.1 }
            if words.2 != other.words.2 { return words.2 < other.words.2 }
            if words.3 != other.words.3 { return words.3 < other.words.3 }
            // Zero padding sorts a proper prefix first, as byte order does; within the width that decides.
            if length <= Self.width && other.length <= Self.width { return length < other.length }
        }
        return fallback()
    }
}

/// FNV-1a over bytes, finished with a 64-bit mixer so the low and high bits are both usable (HyperLogLog).
@inline(__always)
func keyHash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for b in bytes { h = fnvStep(h, b) }
    return finishKeyHash(h)
}

/// `keyHash` of `key` and of its first `prefixLength` bytes with `prefixSeed`, in one pass: the two chains of
/// multiplications do not wait for each other, so the prefix's costs little more than the key's alone.
@inline(__always)
func keyHashes(_ key: UnsafeRawBufferPointer, prefixLength: Int, prefixSeed: UInt64) -> (key: UInt64, prefix: UInt64) {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    var p: UInt64 = 0xCBF2_9CE4_8422_2325 ^ prefixSeed
    var index = 0
    while index < prefixLength {
        h = fnvStep(h, key[index])
        p = fnvStep(p, key[index])
        index += 1
    }
    while index < key.count {
        h = fnvStep(h, key[index])
        index += 1
    }
    return (finishKeyHash(h), finishKeyHash(p))
}

@inline(__always)
private func fnvStep(_ h: UInt64, _ byte: UInt8) -> UInt64 {
    (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
}

@inline(__always)
private func finishKeyHash(_ h: UInt64) -> UInt64 {
    var h = h
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h = h &* 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
}
