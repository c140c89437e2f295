/// Connections ordered by last activity (newest first), intrusive through `TrackedConnection.newer/older`, so
/// touching, eviction and idle sweeps are O(1) per connection and allocate nothing.
struct ConnectionRecencyList {
    private(set) var newest: TrackedConnection?
    private(set) var oldest: TrackedConnection?

    mutating func pushNewest(_ connection: TrackedConnection) {
        connection.older = newest
        connection.newer = nil
        newest?.newer = connection
        newest = connection
        if oldest == nil { oldest = connection }
    }

    mutating func remove(_ connection: TrackedConnection) {
        if let newer = connection.newer { newer.older = connection.older } else { newest = connection.older }
        if let older = connection.older { older.newer = connection.newer } else { oldest = connection.newer }
        connection.newer = nil
        connection.older = nil
    }

    mutating func touch(_ connection: TrackedConnection) {
        guard newest !== connection else { return }
        remove(connection)
        pushNewest(connection)
    }

    /// Breaks the reference cycles of the links.
    mutating func removeAll() {
        while let connection = oldest { remove(connection) }
    }
}
