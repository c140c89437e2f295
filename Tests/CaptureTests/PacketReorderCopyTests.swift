import Capture
import Testing

@Suite struct PacketReorderCopyTests {
    /// A copy of a buffer is a value of its own: packets inserted into or released from one are not the other's,
    /// and each hands its packets' bytes over intact.
    @Test func copiesHoldTheirOwnPackets() {
        func packet(_ time: Int64, _ bytes: UnsafeRawBufferPointer) -> CapturedPacket {
            CapturedPacket(timestampNanos: time, linkType: .ethernet, originalLength: bytes.count, bytes: bytes)
        }
        var original = PacketReorderBuffer(capacity: 8)
        for time in [Int64(3), 1, 2] {
            [UInt8](repeating: UInt8(time), count: Int(time) * 1000).withUnsafeBytes { original.insert(packet(time, $0)) { _ in } }
        }
        var copy = original
        [UInt8](repeating: 9, count: 9).withUnsafeBytes { copy.insert(packet(0, $0)) { _ in } }
        var fromOriginal: [(Int64, [UInt8])] = []
        original.drain { fromOriginal.append(($0.timestampNanos, Array($0.bytes))) }
        var fromCopy: [(Int64, [UInt8])] = []
        copy.drain { fromCopy.append(($0.timestampNanos, Array($0.bytes))) }
        #expect(fromOriginal.map(\.0) == [1, 2, 3])
        #expect(fromCopy.map(\.0) == [0, 1, 2, 3])
        for (time, bytes) in fromOriginal + fromCopy {
            let expected = time == 0 ? [UInt8](repeating: 9, count: 9) : [UInt8](repeating: UInt8(time), count: Int(time) * 1000)
            #expect(bytes == expected)
        }
        #expect(original.isEmpty && copy.isEmpty)
        #expect(original.outOfOrderPackets == 2)
        #expect(copy.outOfOrderPackets == 3)
    }
}
