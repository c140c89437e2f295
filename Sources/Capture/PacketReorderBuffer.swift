/// Restores capture-time order to packets that a capture stored out of order.
///
/// Linux captures with TPACKET_V3 hand over per-CPU ring blocks, so a file can hold a segment after the ACK that
/// acknowledges it, or a connection's data before its SYN, while each packet's timestamp is right. TCP reassembly
/// cannot tell that from loss, so packets pass through a window of `capacity` slots and leave in timestamp order
/// (ties keep file order). Packet bytes are copied into per-slot buffers that are reused, so the steady state
/// allocates nothing; memory is `capacity` times the largest packet seen. Bytes that stay where they are until the
/// caller says otherwise (a file reader's buffer) are not copied unless they are about to change while still held.
public struct PacketReorderBuffer {
    /// Shared by copies until one of them changes (then it takes a copy of its own).
    private var storage: PacketReorderStorage

    public init(capacity: Int = 64) {
        storage = PacketReorderStorage(capacity: capacity)
    }

    public var capacity: Int { storage.capacity }
    /// Packets that arrived with a timestamp earlier than one already buffered or released.
    public var outOfOrderPackets: Int { storage.outOfOrderPackets }
    /// Packets whose timestamp was earlier than one already released: too late to reorder (window too small).
    public var lateByMoreThanWindow: Int { storage.lateByMoreThanWindow }
    public var isEmpty: Bool { storage.isEmpty }

    /// Buffers `packet`; when the window is full, hands the earliest packet to `body`. The packet given to `body` is
    /// borrowed for the call. Its bytes are copied, unless `borrowing`: then they are read where they are, and the
    /// caller promises they stay there until it calls `copyBorrowedBytes(in:)` (a copy of every byte once per file
    /// read cost ~3% of the stream thread's instructions). A copy of the buffer holding borrowed packets shares the
    /// promise: each copy needs its own call. Windows of more than 4,096 packets always copy.
    public mutating func insert(_ packet: CapturedPacket, borrowing: Bool = false, _ body: (CapturedPacket) -> Void) {
        makeStorageUnique()
        storage.insert(packet, borrowing: borrowing, body)
    }

    /// `memory` is about to change or go: the packets inserted `borrowing` that are still held and whose bytes lie
    /// in it copy them now.
    public mutating func copyBorrowedBytes(in memory: UnsafeRawBufferPointer) {
        makeStorageUnique()
        storage.copyBorrowedBytes(in: memory)
    }

    /// Hands every buffered packet to `body`, in timestamp order (end of input).
    public mutating func drain(_ body: (CapturedPacket) -> Void) {
        makeStorageUnique()
        storage.drain(body)
    }

    /// Hands over the buffered packets captured at or before `timestampNanos`, in order: a live capture uses it so
    /// that when traffic pauses, the last packets are not held back until more arrive.
    public mutating func release(upTo timestampNanos: Int64, _ body: (CapturedPacket) -> Void) {
        makeStorageUnique()
        storage.release(upTo: timestampNanos, body)
    }

    private mutating func makeStorageUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }
}
