/// Recycled byte buffers for out-of-order chunks, so steady reordering does not allocate per segment.
/// Holds at most `maxSpare` buffers of at most `maxKeptCapacity` bytes each.
struct ChunkPool {
    static let maxSpare = 64
    static let maxKeptCapacity = 256 << 10
    static let minimumCapacity = 2048

    private var spare: [[UInt8]] = []

    /// An empty buffer able to hold `capacity` bytes.
    mutating func take(capacity: Int) -> [UInt8] {
        if var buffer = spare.popLast() {
            buffer.reserveCapacity(capacity)
            return buffer
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Swift.max(capacity, Self.minimumCapacity))
        return buffer
    }

    /// Takes `buffer` back (leaving it empty) if there is room and it is not oversized.
    mutating func recycle(_ buffer: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        guard spare.count < Self.maxSpare, taken.capacity <= Self.maxKeptCapacity else { return }
        taken.removeAll(keepingCapacity: true)
        spare.append(taken)
    }
}
