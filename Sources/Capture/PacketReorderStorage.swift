/// The slots, order and counters of a `PacketReorderBuffer`, in memory of their own: every packet goes in and out of
/// them, and as arrays their uniqueness checks, bounds checks and buffer retains cost more than the bookkeeping.
final class PacketReorderStorage {
    let capacity: Int
    /// Per slot, the packet it holds (when occupied) and its byte buffer.
    private let slots: UnsafeMutablePointer<Slot>
    /// Indices of occupied slots, kept sorted by (timestamp, arrival): a ring of `capacity` entries starting at
    /// `orderHead`, so releasing the earliest packet moves nothing.
    private let order: UnsafeMutablePointer<Int>
    private var orderHead = 0
    private var orderCount = 0
    /// Indices of free slots, a stack of `freeCount`.
    private let free: UnsafeMutablePointer<Int>
    private var freeCount: Int
    /// Packets that arrived with a timestamp earlier than one already buffered or released.
    private(set) var outOfOrderPackets = 0
    /// Packets whose timestamp was earlier than one already released: too late to reorder (window too small).
    private(set) var lateByMoreThanWindow = 0
    private var latestReleased: Int64 = .min
    private var latestSeen: Int64 = .min
    /// Held packets whose bytes are still the caller's (`insert(_:borrowing:_:)`).
    private var borrowedCount = 0

    private struct Slot {
        var timestampNanos: Int64 = 0
        var linkType = LinkType.ethernet
        var originalLength = 0
        var count = 0
        /// Where the packet's bytes are: `owned`, or the caller's memory while `isBorrowed`.
        var bytes: UnsafeRawPointer? = nil
        var isBorrowed = false
        /// The slot's own buffer, reused from packet to packet.
        var owned: UnsafeMutableRawPointer? = nil
        var ownedCapacity = 0
    }

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: self.capacity)
        slots.initialize(repeating: Slot(), count: self.capacity)
        order = UnsafeMutablePointer<Int>.allocate(capacity: self.capacity)
        order.initialize(repeating: 0, count: self.capacity)
        free = UnsafeMutablePointer<Int>.allocate(capacity: self.capacity)
        // Slot 0 is taken first, then 1, ...
        for position in 0..<self.capacity { free[position] = self.capacity - 1 - position }
        freeCount = self.capacity
    }

    deinit {
        for index in 0..<capacity { slots[index].owned?.deallocate() }
        slots.deinitialize(count: capacity)
        slots.deallocate()
        order.deallocate()
        free.deallocate()
    }

    /// Windows up to this size borrow when asked: each change of the borrowed memory looks at every held packet.
    static let largestBorrowingCapacity = 4_096

    /// `PacketReorderBuffer.insert(_:borrowing:_:)`.
    func insert(_ packet: CapturedPacket, borrowing: Bool, _ body: (CapturedPacket) -> Void) {
        if packet.timestampNanos < latestSeen { outOfOrderPackets += 1 }
        if packet.timestampNanos < latestReleased { lateByMoreThanWindow += 1 }
        latestSeen = max(latestSeen, packet.timestampNanos)
        if freeCount == 0 { releaseEarliest(body) }
        freeCount -= 1
        let index = free[freeCount]
        store(packet, in: index, borrowing: borrowing && capacity <= Self.largestBorrowingCapacity)
        // Insert keeping order; new packets usually belong at the end, so shift from the back.
        var position = orderCount
        while position > 0 {
            let earlier = order[ring(position - 1)]
            if slots[earlier].timestampNanos <= packet.timestampNanos { break }
            order[ring(position)] = earlier
            position -= 1
        }
        order[ring(position)] = index
        orderCount += 1
    }

    /// The ring position of the `offset`-th earliest buffered packet.
    @inline(__always)
    private func ring(_ offset: Int) -> Int {
        let position = orderHead + offset
        return position < capacity ? position : position - capacity
    }

    /// `PacketReorderBuffer.drain(_:)`.
    func drain(_ body: (CapturedPacket) -> Void) {
        while orderCount > 0 { releaseEarliest(body) }
    }

    /// `PacketReorderBuffer.release(upTo:_:)`.
    func release(upTo timestampNanos: Int64, _ body: (CapturedPacket) -> Void) {
        while orderCount > 0, slots[order[orderHead]].timestampNanos <= timestampNanos { releaseEarliest(body) }
    }

    var isEmpty: Bool { orderCount == 0 }

    /// `PacketReorderBuffer.copyBorrowedBytes(in:)`.
    func copyBorrowedBytes(in memory: UnsafeRawBufferPointer) {
        guard borrowedCount > 0, let first = memory.baseAddress else { return }
        let end = first + memory.count
        for offset in 0..<orderCount {
            let slot = slots + order[ring(offset)]
            guard slot.pointee.isBorrowed, let bytes = slot.pointee.bytes, bytes >= first && bytes < end else { continue }
            copyIn(UnsafeRawBufferPointer(start: bytes, count: slot.pointee.count), slot)
            borrowedCount -= 1
        }
    }

    private func store(_ packet: CapturedPacket, in index: Int, borrowing: Bool) {
        let slot = slots + index
        if borrowing {
            slot.pointee.bytes = packet.bytes.baseAddress
            slot.pointee.isBorrowed = true
            borrowedCount += 1
        } else {
            copyIn(packet.bytes, slot)
        }
        slot.pointee.timestampNanos = packet.timestampNanos
        slot.pointee.linkType = packet.linkType
        slot.pointee.originalLength = packet.originalLength
        slot.pointee.count = packet.bytes.count
    }

    /// `bytes` into the slot's own buffer, which then holds the packet.
    private func copyIn(_ bytes: UnsafeRawBufferPointer, _ slot: UnsafeMutablePointer<Slot>) {
        let count = bytes.count
        if slot.pointee.ownedCapacity < count {
            slot.pointee.owned?.deallocate()
            let byteCapacity = max(count, 2048)
            slot.pointee.owned = UnsafeMutableRawPointer.allocate(byteCount: byteCapacity, alignment: 16)
            slot.pointee.ownedCapacity = byteCapacity
        }
        if count > 0, let destination = slot.pointee.owned, let source = bytes.baseAddress {
            destination.copyMemory(from: source, byteCount: count)
        }
        slot.pointee.bytes = UnsafeRawPointer(slot.pointee.owned)
        slot.pointee.isBorrowed = false
    }

    private func releaseEarliest(_ body: (CapturedPacket) -> Void) {
        let index = order[orderHead]
        orderHead = ring(1)
        orderCount -= 1
        let slot = slots[index]
        latestReleased = max(latestReleased, slot.timestampNanos)
        body(CapturedPacket(timestampNanos: slot.timestampNanos, linkType: slot.linkType, originalLength: slot.originalLength,
                            bytes: UnsafeRawBufferPointer(start: slot.bytes, count: slot.count)))
        if slot.isBorrowed {
            slots[index].isBorrowed = false
            borrowedCount -= 1
        }
        free[freeCount] = index
        freeCount += 1
    }

    /// A storage holding the same packets, for a copy of the buffer that is about to change.
    func copy() -> PacketReorderStorage {
        let copy = PacketReorderStorage(capacity: capacity)
        for index in 0..<capacity {
            copy.slots[index] = slots[index]
            copy.slots[index].bytes = nil
            copy.slots[index].isBorrowed = false
            copy.slots[index].owned = nil
            copy.slots[index].ownedCapacity = 0
            copy.order[index] = order[index]
            copy.free[index] = free[index]
        }
        // The copy owns a copy of every held packet's bytes, borrowed here or not; its free slots get buffers as
        // they are used.
        for offset in 0..<orderCount {
            let index = order[ring(offset)]
            copy.copyIn(UnsafeRawBufferPointer(start: slots[index].bytes, count: slots[index].count), copy.slots + index)
        }
        copy.orderHead = orderHead
        copy.orderCount = orderCount
        copy.freeCount = freeCount
        copy.outOfOrderPackets = outOfOrderPackets
        copy.lateByMoreThanWindow = lateByMoreThanWindow
        copy.latestReleased = latestReleased
        copy.latestSeen = latestSeen
        return copy
    }
}
