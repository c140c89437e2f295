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

    private struct Slot {
        var timestampNanos: Int64 = 0
        var linkType = LinkType.ethernet
        var originalLength = 0
        var count = 0
        var bytes: UnsafeMutableRawPointer? = nil
        var byteCapacity = 0
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
        for index in 0..<capacity { slots[index].bytes?.deallocate() }
        slots.deinitialize(count: capacity)
        slots.deallocate()
        order.deallocate()
        free.deallocate()
    }

    /// `PacketReorderBuffer.insert(_:_:)`.
    func insert(_ packet: CapturedPacket, _ body: (CapturedPacket) -> Void) {
        if packet.timestampNanos < latestSeen { outOfOrderPackets += 1 }
        if packet.timestampNanos < latestReleased { lateByMoreThanWindow += 1 }
        latestSeen = max(latestSeen, packet.timestampNanos)
        if freeCount == 0 { releaseEarliest(body) }
        freeCount -= 1
        let index = free[freeCount]
        store(packet, in: index)
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

    private func store(_ packet: CapturedPacket, in index: Int) {
        let slot = slots + index
        let count = packet.bytes.count
        if slot.pointee.byteCapacity < count {
            slot.pointee.bytes?.deallocate()
            let byteCapacity = max(count, 2048)
            slot.pointee.bytes = UnsafeMutableRawPointer.allocate(byteCount: byteCapacity, alignment: 16)
            slot.pointee.byteCapacity = byteCapacity
        }
        if count > 0, let destination = slot.pointee.bytes, let source = packet.bytes.baseAddress {
            destination.copyMemory(from: source, byteCount: count)
        }
        slot.pointee.timestampNanos = packet.timestampNanos
        slot.pointee.linkType = packet.linkType
        slot.pointee.originalLength = packet.originalLength
        slot.pointee.count = count
    }

    private func releaseEarliest(_ body: (CapturedPacket) -> Void) {
        let index = order[orderHead]
        orderHead = ring(1)
        orderCount -= 1
        let slot = slots[index]
        latestReleased = max(latestReleased, slot.timestampNanos)
        body(CapturedPacket(timestampNanos: slot.timestampNanos, linkType: slot.linkType, originalLength: slot.originalLength,
                            bytes: UnsafeRawBufferPointer(start: slot.bytes, count: slot.count)))
        free[freeCount] = index
        freeCount += 1
    }

    /// A storage holding the same packets, for a copy of the buffer that is about to change.
    func copy() -> PacketReorderStorage {
        let copy = PacketReorderStorage(capacity: capacity)
        for index in 0..<capacity {
            let slot = slots[index]
            copy.slots[index] = slot
            copy.slots[index].bytes = nil
            copy.slots[index].byteCapacity = 0
            if slot.byteCapacity > 0, let bytes = slot.bytes {
                let duplicate = UnsafeMutableRawPointer.allocate(byteCount: slot.byteCapacity, alignment: 16)
                duplicate.copyMemory(from: bytes, byteCount: slot.count)
                copy.slots[index].bytes = duplicate
                copy.slots[index].byteCapacity = slot.byteCapacity
            }
            copy.order[index] = order[index]
            copy.free[index] = free[index]
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
