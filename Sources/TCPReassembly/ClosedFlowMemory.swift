/// Recently closed 4-tuples (a TIME_WAIT of the capture), bounded in count and capture time, so segments that
/// trail a close (final ACKs, retransmitted FINs, data in flight at a RST) do not open a new connection.
struct ClosedFlowMemory {
    private let capacity: Int
    private let lifetimeNanos: Int64
    private var closedAt: [FlowKey: Int64] = [:]
    /// Insertion order, a ring once `capacity` is reached; an entry is stale if `closedAt` moved on.
    private var ring: [(key: FlowKey, time: Int64)] = []
    private var ringNext = 0

    init(capacity: Int, lifetimeNanos: Int64) {
        self.capacity = Swift.max(0, capacity)
        self.lifetimeNanos = lifetimeNanos
    }

    var isEmpty: Bool { closedAt.isEmpty }

    mutating func remember(_ key: FlowKey, at time: Int64) {
        guard capacity > 0 else { return }
        if ring.count < capacity {
            ring.append((key, time))
        } else {
            let old = ring[ringNext]
            if closedAt[old.key] == old.time {
                closedAt[old.key] = nil
            }
            ring[ringNext] = (key, time)
            ringNext = ringNext + 1 == capacity ? 0 : ringNext + 1
        }
        closedAt[key] = time
    }

    /// Whether `key` was closed less than the lifetime before `now`; forgets it if it expired.
    mutating func contains(_ key: FlowKey, now: Int64) -> Bool {
        guard let time = closedAt[key] else { return false }
        let (age, overflow) = now.subtractingReportingOverflow(time)
        if !overflow, age <= lifetimeNanos { return true }
        closedAt[key] = nil
        return false
    }

    mutating func forget(_ key: FlowKey) {
        closedAt[key] = nil
    }
}
