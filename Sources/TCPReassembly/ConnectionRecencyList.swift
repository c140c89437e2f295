/// Connections ordered by last activity (newest first), intrusive through `TrackedConnection.newer/older`: the
/// `FlowTable` slots of a connection's neighbours (4 bytes each, where references took 8). Touching, eviction and
/// idle sweeps are O(1) per connection and allocate nothing.
struct ConnectionRecencyList {
    private var newestSlot = TrackedConnection.noSlot
    private var oldestSlot = TrackedConnection.noSlot

    func oldest(in table: FlowTable) -> TrackedConnection? {
        oldestSlot == TrackedConnection.noSlot ? nil : table.connection(at: oldestSlot)
    }

    mutating func pushNewest(_ connection: TrackedConnection, in table: FlowTable) {
        connection.older = newestSlot
        connection.newer = TrackedConnection.noSlot
        if newestSlot != TrackedConnection.noSlot { table.connection(at: newestSlot).newer = connection.slot }
        newestSlot = connection.slot
        if oldestSlot == TrackedConnection.noSlot { oldestSlot = connection.slot }
    }

    mutating func remove(_ connection: TrackedConnection, in table: FlowTable) {
        if connection.newer != TrackedConnection.noSlot {
            table.connection(at: connection.newer).older = connection.older
        } else {
            newestSlot = connection.older
        }
        if connection.older != TrackedConnection.noSlot {
            table.connection(at: connection.older).newer = connection.newer
        } else {
            oldestSlot = connection.newer
        }
        connection.newer = TrackedConnection.noSlot
        connection.older = TrackedConnection.noSlot
    }

    mutating func touch(_ connection: TrackedConnection, in table: FlowTable) {
        guard newestSlot != connection.slot else { return }
        remove(connection, in: table)
        pushNewest(connection, in: table)
    }
}
