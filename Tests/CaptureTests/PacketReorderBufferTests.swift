import Capture
import Testing

@Suite struct PacketReorderBufferTests {
    /// The ring of slot indices keeps timestamp order across many wrap-arounds, and `release(upTo:)` hands over
    /// exactly the packets captured at or before the time, in order.
    @Test func ringKeepsOrderAndReleasesUpToATime() {
        var buffer = PacketReorderBuffer(capacity: 4)
        var released: [Int64] = []
        let bytes: [UInt8] = [1, 2, 3]
        // Each pair arrives swapped: 2, 1, 4, 3, ...
        for pair in 0..<50 {
            for time in [Int64(2 * pair + 2), Int64(2 * pair + 1)] {
                bytes.withUnsafeBytes { raw in
                    buffer.insert(CapturedPacket(timestampNanos: time, linkType: .ethernet, originalLength: 3, bytes: raw)) {
                        released.append($0.timestampNanos)
                    }
                }
            }
        }
        buffer.release(upTo: 98) { released.append($0.timestampNanos) }
        #expect(released == Array(1...98))
        #expect(!buffer.isEmpty)
        buffer.drain { released.append($0.timestampNanos) }
        #expect(released == Array(1...100))
        #expect(buffer.isEmpty)
        #expect(buffer.outOfOrderPackets == 50)
        #expect(buffer.lateByMoreThanWindow == 0)
    }
}
