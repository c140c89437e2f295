import Glibc
import Packets
@testable import TCPReassembly
import Testing

/// Every tracked connection holds these, so their sizes are part of the memory a connection costs: a field added in
/// the wrong place (or a wider one) shows here before it shows in a capture's peak memory.
@Suite struct ConnectionFootprintTests {
    @Test func halfStreamAndTimingStayPacked() {
        #expect(MemoryLayout<HalfStream>.size <= 24)
        #expect(MemoryLayout<ConnectionTiming>.size <= 75)
        #expect(MemoryLayout<ConnectionID>.size == 8)
    }

    @Test func trackedConnectionFitsItsAllocation() {
        let connection = TrackedConnection(
            id: ConnectionID(rawValue: 1), slot: 0, client: clientEndpoint, server: serverEndpoint, handshakeSeen: true,
            now: 0)
        // What the allocator handed out for the object (216 bytes of fields, 224 allocated).
        let usable = withExtendedLifetime(connection) { allocatedSize(Unmanaged.passUnretained(connection).toOpaque()) }
        #expect(usable <= 216)
    }

    @Test func idsCarryTheirSlotButCompareByNumber() {
        let withSlot = ConnectionID(number: 7, slot: 3)
        #expect(withSlot.slot == 3)
        #expect(withSlot == ConnectionID(rawValue: 7))
        #expect(withSlot.hashValue == ConnectionID(rawValue: 7).hashValue)
        #expect(withSlot.rawValue == 7)
        #expect(ConnectionID(rawValue: 7).slot == nil)
        #expect(ConnectionID(number: 8, slot: ConnectionID.slotLimit).slot == nil)
    }

    @Test func flowTableFindsWhatItHoldsAfterRemovals() {
        let table = FlowTable()
        var held: [TrackedConnection] = []
        for index in 0..<500 {
            let client = Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | UInt32(index % 7)), port: UInt16(40_000 + index))
            let connection = TrackedConnection(
                id: ConnectionID(rawValue: UInt64(index + 1)), slot: table.takeSlot(), client: client,
                server: serverEndpoint, handshakeSeen: false, now: 0)
            table.insert(connection)
            held.append(connection)
        }
        // Remove every third one (backward-shift deletion moves the others), then check every lookup.
        for (index, connection) in held.enumerated() where index % 3 == 0 { table.remove(connection) }
        for (index, connection) in held.enumerated() {
            let found = table.find(FlowKey(connection.server, connection.client))
            #expect(index % 3 == 0 ? found == nil : found === connection)
        }
        #expect(table.count == 500 - 167)
    }
}

/// glibc's `malloc_usable_size` (not in the Glibc module): what the allocator handed out for an object.
private func allocatedSize(_ pointer: UnsafeMutableRawPointer) -> Int {
    typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_usable_size") else { return .max }
    return unsafeBitCast(symbol, to: UsableSize.self)(pointer)
}
