/// Restores capture-time order to packets that a capture stored out of order.
///
/// Linux captures with TPACKET_V3 hand over per-CPU ring blocks, so a file can hold a segment after the ACK that
/// acknowledges it, or a connection's data before its SYN, while each packet's timestamp is right. TCP reassembly
/// cannot tell that from loss, so packets pass through a window of `capacity` slots and leave in timestamp order
/// (ties keep file order). Packet bytes are copied into per-slot buffers that are reused, so the steady state
/// allocates nothing; memory is `capacity` times the largest packet seen.
public struct PacketReorderBuffer {
    public let capacity: Int
    private var slots: [Slot]
    /// Indices of occupied slots, kept sorted by (timestamp, arrival): a ring of `capacity` entries starting at
    /// `orderHead`, so releasing the earliest packet moves nothing (and calls no generic collection algorithm,
    /// which allocates in unoptimised builds).
    private var order: [Int]
    private var orderHead = 0
    private var orderCount = 0
    private var free: [Int]
    private var arrivals: UInt64 = 0
    /// Packets that arrived with a timestamp earlier than one already buffered or released.
    public private(set) var outOfOrderPackets = 0
    /// Packets whose timestamp was earlier than one already released: too late to reorder (window too small).
    public private(set) var lateByMoreThanWindow = 0
    private var latestReleased: Int64 = .min
    private var latestSeen: Int64 = .min

    private struct Slot {
        var timestampNanos: Int64 = 0
        var arrival: UInt64 = 0
        var linkType = LinkType.ethernet
        var originalLength = 0
        var count = 0
        var bytes: [UInt8] = []
    }

    public init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
        slots = Array(repeating: Slot(), count: self.capacity)
        free = Array((0..<self.capacity).reversed())
        order = Array(repeating: 0, count: self.capacity)
    }

    /// Buffers `packet` (copying its bytes); when the window is full, hands the earliest packet to `body`.
    /// The packet given to `body` is borrowed for the call.
    public mutating func insert(_ packet: CapturedPacket, _ body: (CapturedPacket) -> Void) {
        if packet.timestampNanos < latestSeen { outOfOrderPackets += 1 }
        if packet.timestampNanos < latestReleased { lateByMoreThanWindow += 1 }
        latestSeen = max(latestSeen, packet.timestampNanos)
        if free.isEmpty { releaseEarliest(body) }
        let index = free.removeLast()
        arrivals &+= 1
        store(packet, in: index)
        // Insert keeping order; new packets usually belong at the end, so shift from the back.
        var position = orderCount
        while position > 0 {
            let earlier = order[ring(position - 1)]
            // Read the field in place: copying the slot would retain and release its buffer per packet.
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

    /// Hands every buffered packet to `body`, in timestamp order (end of input).
    public mutating func drain(_ body: (CapturedPacket) -> Void) {
        while orderCount > 0 { releaseEarliest(body) }
    }

    /// Hands over the buffered packets captured at or before `timestampNanos`, in order: a live capture uses it so
    /// that when traffic pauses, the last packets are not held back until more arrive. (As on main, for the ring.)
    public mutating func release(upTo timestampNanos: Int64, _ body: (CapturedPacket) -> Void) {
        while orderCount > 0, slots[order[orderHead]].timestampNanos <= timestampNanos { releaseEarliest(body) }
    }

    public var isEmpty: Bool { orderCount == 0 }

    private mutating func store(_ packet: CapturedPacket, in index: Int) {
        let count = packet.bytes.count
        if slots[index].bytes.count < count {
            slots[index].bytes = [UInt8](repeating: 0, count: max(count, 2048))
        }
        slots[index].bytes.withUnsafeMutableBytes { destination in
            if count > 0, let base = destination.baseAddress, let source = packet.bytes.baseAddress {
                base.copyMemory(from: source, byteCount: count)
            }
        }
        slots[index].timestampNanos = packet.timestampNanos
        slots[index].arrival = arrivals
        slots[index].linkType = packet.linkType
        slots[index].originalLength = packet.originalLength
        slots[index].count = count
    }

    private mutating func releaseEarliest(_ body: (CapturedPacket) -> Void) {
        let index = order[orderHead]
        orderHead = ring(1)
        orderCount -= 1
        let timestamp = slots[index].timestampNanos, linkType = slots[index].linkType
        let originalLength = slots[index].originalLength, count = slots[index].count
        latestReleased = max(latestReleased, timestamp)
        slots[index].bytes.withUnsafeBytes { buffer in
            body(CapturedPacket(timestampNanos: timestamp, linkType: linkType, originalLength: originalLength,
                                bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count])))
        }
        free.append(index)
    }
}
