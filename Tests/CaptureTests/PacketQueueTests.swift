import Capture
import Testing

@Suite struct PacketQueueTests {
    static func packet(_ bytes: [UInt8], at time: Int64, _ body: (CapturedPacket) -> Void) {
        bytes.withUnsafeBytes { raw in
            body(CapturedPacket(timestampNanos: time, linkType: .ethernet, originalLength: raw.count + 1, bytes: raw))
        }
    }

    @Test func deliversCopiesInOrderAcrossWraparound() {
        let queue = PacketQueue(maxBytes: 65_536, maxPackets: 16)
        var seen: [(Int64, [UInt8], Int)] = []
        var sent = 0
        // Packet sizes that do not divide the ring, so writes wrap and skip tails many times.
        for round in 0..<200 {
            for i in 0..<5 {
                let size = 1000 + (round * 7 + i * 331) % 9000
                let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ round &+ i) }
                Self.packet(bytes, at: Int64(sent)) { #expect(queue.push($0)) }
                sent += 1
            }
            _ = queue.consume(timeoutNanos: 0) { p in seen.append((p.timestampNanos, Array(p.bytes), p.originalLength)) }
        }
        #expect(seen.count == sent)
        #expect(queue.dropped == 0)
        for (index, entry) in seen.enumerated() {
            let round = index / 5, i = index % 5
            let size = 1000 + (round * 7 + i * 331) % 9000
            #expect(entry.0 == Int64(index))
            #expect(entry.1 == (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ round &+ i) })
            #expect(entry.2 == size + 1)
        }
    }

    @Test func countsDropsWhenFullInsteadOfWaiting() {
        let queue = PacketQueue(maxBytes: 65_536, maxPackets: 16)
        var accepted = 0
        for i in 0..<40 { Self.packet([UInt8](repeating: 1, count: 100), at: Int64(i)) { if queue.push($0) { accepted += 1 } } }
        #expect(accepted == 16)
        #expect(queue.dropped == 24)
        var bigAccepted = 0
        _ = queue.consume(timeoutNanos: 0) { _ in }
        for i in 0..<3 { Self.packet([UInt8](repeating: 2, count: 30_000), at: Int64(i)) { if queue.push($0) { bigAccepted += 1 } } }
        #expect(bigAccepted == 2)  // the byte bound, not the packet bound
        #expect(queue.dropped == 25)
    }

    @Test func closeEndsConsumptionAfterDraining() {
        let queue = PacketQueue(maxBytes: 65_536, maxPackets: 16)
        Self.packet([1, 2, 3], at: 1) { queue.push($0) }
        queue.close()
        var count = 0
        #expect(queue.consume(timeoutNanos: 1_000_000) { _ in count += 1 })
        #expect(count == 1)
        #expect(!queue.consume(timeoutNanos: 1_000_000) { _ in count += 1 })
        Self.packet([1], at: 2) { #expect(!queue.push($0)) }
    }
}
