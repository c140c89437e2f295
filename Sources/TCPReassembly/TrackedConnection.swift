import Packets

/// Per-connection state in the reassembler's table. A class: it is mutated in place through the table.
final class TrackedConnection {
    // Laid out in declaration order: the one-byte fields fill the padding after `client`, the slot that after
    // `server`, the recency links (slots, not references) the end (216 bytes in all: 224 allocated, where 232 took
    // 240).
    let id: ConnectionID
    let client: Endpoint
    let handshakeSeen: Bool
    /// The side whose FIN was seen first.
    var firstFinSender: StreamDirection?
    /// The handler lost interest (`TCPReassembler.abandon`): nothing is held or delivered any more.
    var isAbandoned = false
    let server: Endpoint
    /// Where `FlowTable` keeps it.
    let slot: Int32
    var toServer = HalfStream()
    var toClient = HalfStream()
    /// Round-trip timing in progress (`RoundTripSampler`).
    var timing = ConnectionTiming()
    /// Capture time of the last segment (the reassembler's clock, so it never goes backwards).
    var lastSeenNanos: Int64
    /// Links of `ConnectionRecencyList`, the neighbours' slots (`noSlot` for none).
    var newer = TrackedConnection.noSlot
    var older = TrackedConnection.noSlot

    static let noSlot: Int32 = -1

    init(id: ConnectionID, slot: Int32, client: Endpoint, server: Endpoint, handshakeSeen: Bool, now: Int64) {
        self.id = id
        self.slot = slot
        self.client = client
        self.server = server
        self.handshakeSeen = handshakeSeen
        self.lastSeenNanos = now
    }

    /// The 4-tuple, from the endpoints (not stored: 48 bytes a connection).
    var key: FlowKey { FlowKey(client, server) }

    @inline(__always)
    func matches(_ key: FlowKey) -> Bool {
        (key.lower == client && key.upper == server) || (key.lower == server && key.upper == client)
    }

    var bufferedCost: Int { toServer.bufferedCost &+ toClient.bufferedCost }
}
