import Glibc
@testable import Analysis
import Packets
@testable import Pipeline
import RedisSemantics
import TCPReassembly
import Testing

/// Every tracked connection holds a `ConnectionInfo` and a stream-stage entry: a field added in the wrong place (or a
/// wider one) shows here before it shows in a capture's peak memory. Rarely used state goes in `Uncommon`.
@Suite struct ConnectionInfoFootprintTests {
    @Test func connectionInfoFitsItsAllocation() {
        let client = Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 50_000)
        let server = Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 6379)
        let info = ConnectionInfo(id: ConnectionID(rawValue: 1), client: client, server: server, handshakeSeen: true,
                                  openedNanos: 0, registry: CommandRegistry())
        // 360 bytes of fields, 368 allocated.
        let usable = withExtendedLifetime(info) { allocatedSize(Unmanaged.passUnretained(info).toOpaque()) }
        #expect(usable <= 360)
        #expect(info.uncommonIfAllocated == nil)
    }

    @Test func defaultsAtCloseAllocateNothing() {
        let info = ConnectionInfo(id: ConnectionID(rawValue: 1), client: Endpoint(address: IPAddress(ipv4: 1), port: 1),
                                  server: Endpoint(address: IPAddress(ipv4: 2), port: 6379), handshakeSeen: false,
                                  openedNanos: 0, registry: CommandRegistry())
        info.protocolVersion = 2
        info.resyncSkippedBytes = 0
        info.blockingPopKeys = BlockingPopStats.ConnectionState()
        info.clientLibrary = nil
        #expect(info.uncommonIfAllocated == nil)
        info.protocolVersion = 3
        #expect(info.protocolVersion == 3 && info.uncommonIfAllocated != nil)
    }

    @Test func streamEntriesStayPacked() {
        #expect(MemoryLayout<ConnectionStreams.Entry>.stride <= 24)
        #expect(MemoryLayout<ChurnState>.size <= 72)
    }

    private typealias ChurnState = ConnectionChurn.ConnectionState
}

/// glibc's `malloc_usable_size` (not in the Glibc module): what the allocator handed out for an object.
private func allocatedSize(_ pointer: UnsafeMutableRawPointer) -> Int {
    typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_usable_size") else { return .max }
    return unsafeBitCast(symbol, to: UsableSize.self)(pointer)
}
