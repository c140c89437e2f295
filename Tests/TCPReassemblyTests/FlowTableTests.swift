import Packets
import Testing
@testable import TCPReassembly

@Suite struct FlowTableTests {
    /// Many connections between few hosts on neighbouring ports (keys differing in a bit or two), IPv4 and IPv6: each
    /// is found from either direction, removed ones are gone, and their slots and buckets are reused.
    @Test func findsEveryConnectionAfterInsertsAndRemovals() {
        let table = FlowTable()
        let server4 = Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 6379)
        let server6 = Endpoint(address: IPAddress(ipv6High: 0x2001_0db8_0000_0000, low: 1), port: 6379)
        func client(_ n: Int) -> Endpoint {
            n % 2 == 0 ? Endpoint(address: IPAddress(ipv4: 0x0A00_0002 &+ UInt32(n % 3)), port: UInt16(32768 + n / 2))
                : Endpoint(address: IPAddress(ipv6High: 0x2001_0db8_0000_0000, low: 2 &+ UInt64(n % 3)), port: UInt16(32768 + n / 2))
        }
        func server(_ n: Int) -> Endpoint { n % 2 == 0 ? server4 : server6 }
        var tracked: [Int: TrackedConnection] = [:]
        func add(_ n: Int) {
            let slot = table.takeSlot()
            let connection = TrackedConnection(id: ConnectionID(number: UInt64(n + 1), slot: Int(slot)), slot: slot,
                                               client: client(n), server: server(n), handshakeSeen: true, now: 0)
            table.insert(connection)
            tracked[n] = connection
        }
        for n in 0..<5000 { add(n) }
        for n in stride(from: 0, to: 5000, by: 3) {
            table.remove(tracked[n]!)
            tracked[n] = nil
        }
        for n in 5000..<6000 { add(n) }
        #expect(table.count == tracked.count)
        for n in 0..<6000 {
            let found = table.find(FlowKey(client(n), server(n)))
            let reversed = table.find(FlowKey(server(n), client(n)))
            if let connection = tracked[n] {
                #expect(found === connection && reversed === connection)
            } else {
                #expect(found == nil && reversed == nil)
            }
        }
    }
}
