import Foundation
import Testing
@testable import Capture

@Suite struct PacketReorderBorrowingTests {
    private static func packet(_ time: Int64, _ bytes: UnsafeRawBufferPointer) -> CapturedPacket {
        CapturedPacket(timestampNanos: time, linkType: .ethernet, originalLength: bytes.count, bytes: bytes)
    }

    /// Packets inserted `borrowing` are read where they lie until `copyBorrowedBytes(in:)`; after it, the memory they
    /// came from can be overwritten and every held packet still hands over its own bytes, in the buffer and in a copy
    /// of it; packets borrowed later are read from the memory as it is then.
    @Test func heldPacketsCopyTheirBytesBeforeTheMemoryChanges() {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { memory.deallocate() }
        func fill(_ value: UInt8) { memory.initializeMemory(as: UInt8.self, repeating: value) }
        var buffer = PacketReorderBuffer(capacity: 4)
        var released: [(Int64, [UInt8])] = []
        // Times 2, 1, 4, 3, 6, 5: each packet is 100 bytes of its time, at its own place in `memory`.
        fill(0)
        for time in [Int64(2), 1, 4, 3, 6, 5] {
            let bytes = UnsafeRawBufferPointer(rebasing: memory[Int(time) * 100..<Int(time) * 100 + 100])
            UnsafeMutableRawBufferPointer(mutating: bytes).initializeMemory(as: UInt8.self, repeating: UInt8(time))
            buffer.insert(Self.packet(time, bytes), borrowing: true) { released.append(($0.timestampNanos, Array($0.bytes))) }
        }
        buffer.copyBorrowedBytes(in: UnsafeRawBufferPointer(memory))
        let copy = buffer
        fill(0xEE)
        var fromCopy: [(Int64, [UInt8])] = []
        var copyToDrain = copy
        copyToDrain.drain { fromCopy.append(($0.timestampNanos, Array($0.bytes))) }
        // More borrowed packets after the copy, from the overwritten memory: they are read as it is now.
        let late = UnsafeRawBufferPointer(rebasing: memory[0..<50])
        buffer.insert(Self.packet(7, late), borrowing: true) { released.append(($0.timestampNanos, Array($0.bytes))) }
        buffer.drain { released.append(($0.timestampNanos, Array($0.bytes))) }
        #expect(released.map(\.0) == [1, 2, 3, 4, 5, 6, 7])
        for (time, bytes) in released {
            #expect(bytes == (time == 7 ? [UInt8](repeating: 0xEE, count: 50) : [UInt8](repeating: UInt8(time), count: 100)))
        }
        #expect(fromCopy.map(\.0) == [3, 4, 5, 6])
        for (time, bytes) in fromCopy { #expect(bytes == [UInt8](repeating: UInt8(time), count: 100)) }
    }

    /// A window larger than `largestBorrowingCapacity` copies what it is lent: looking at every held packet at each
    /// change of the lent memory would cost more than the copies.
    @Test func largeWindowsCopyWhatTheyAreLent() {
        var buffer = PacketReorderBuffer(capacity: PacketReorderStorage.largestBorrowingCapacity + 1)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 8)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 7)
        buffer.insert(Self.packet(1, UnsafeRawBufferPointer(memory)), borrowing: true) { _ in }
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        var released: [[UInt8]] = []
        buffer.drain { released.append(Array($0.bytes)) }
        #expect(released == [[UInt8](repeating: 7, count: 10)])
    }

    /// A file reader with small buffers refills and grows them many times while a reorder window holds packets that
    /// point into them: with `beforeBufferChange` copying what is held there, every packet leaves the window with
    /// the bytes the file has for it, in timestamp order. (Without the copy, packets held across a refill of their
    /// buffer come out with other packets' bytes.)
    @Test func readerBufferChangesLeaveHeldPacketsIntact() throws {
        var generator = SystemRandomNumberGenerator()
        var packets: [(sec: UInt32, frac: UInt32, data: [UInt8])] = []
        for index in 0..<600 {
            // Mostly small packets, a few larger than the reader's buffer; times out of order in pairs.
            let size = index % 97 == 50 ? 150_000 : Int.random(in: 1...3_000, using: &generator)
            let time = UInt32(index % 2 == 0 ? index + 1 : index - 1)
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            packets.append((sec: 1_700_000_000, frac: time, data: data))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reorder-borrowing-\(UUID().uuidString).pcap")
        try Data(CaptureBuilder.pcap(magic: 0xA1B2_C3D4, bigEndian: false, packets: packets)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }

        var window = PacketReorderBuffer(capacity: 64)
        var released: [(Int64, [UInt8])] = []
        var bufferChanges = 0
        do {
            let reader = try CaptureFileReader(path: url.path, bufferSize: 65_536)
            reader.beforeBufferChange = {
                bufferChanges += 1
                window.copyBorrowedBytes(in: $0)
            }
            while let packet = try reader.next() {
                window.insert(packet, borrowing: true) { released.append(($0.timestampNanos, Array($0.bytes))) }
            }
        }
        // The reader is gone: its buffer was freed after the held packets took their copies.
        window.drain { released.append(($0.timestampNanos, Array($0.bytes))) }
        #expect(bufferChanges > 5)
        let expected = packets.sorted { $0.frac < $1.frac }
        #expect(released.count == expected.count)
        for (got, want) in zip(released, expected) {
            #expect(got.0 == 1_700_000_000 * 1_000_000_000 + Int64(want.frac) * 1_000)
            #expect(got.1 == want.data)
        }
    }
}
