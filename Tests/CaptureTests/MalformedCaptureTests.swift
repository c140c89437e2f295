import Foundation
import Testing
@testable import Capture

/// Capture files whose record and block headers lie: each gives the packets before the lie and a typed error
/// (`.corrupt` for impossible headers, `.truncated` when the file ends early), or a clean read where the lie is
/// harmless; never a crash, a hang or an allocation sized by the lie.
@Suite struct MalformedCaptureTests {
    static let good: (sec: UInt32, frac: UInt32, data: [UInt8]) = (1_700_000_000, 0, [1, 2, 3, 4])

    /// A little-endian pcap with snaplen `snaplen` and raw records (caplen, origlen, data) after one good packet.
    static func pcap(snaplen: UInt32, _ records: [(caplen: UInt32, origlen: UInt32, data: [UInt8])]) -> [UInt8] {
        var b = CaptureBuilder()
        b.u32(0xA1B2_C3D4); b.u16(2); b.u16(4); b.u32(0); b.u32(0); b.u32(snaplen); b.u32(1)
        b.u32(good.sec); b.u32(good.frac); b.u32(4); b.u32(4); b.bytes += good.data
        for r in records {
            b.u32(1_700_000_001); b.u32(0); b.u32(r.caplen); b.u32(r.origlen)
            b.bytes += r.data
        }
        return b.bytes
    }

    @Test func capturedLengthAboveTheSnaplenIsReadAsRecorded() throws {
        // libpcap writers never do this, but the record is self-consistent: the bytes are there, so use them.
        let file = Self.pcap(snaplen: 64, [(100, 100, [UInt8](repeating: 9, count: 100))])
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.error == nil)
        #expect(result.packets.map(\.2.count) == [4, 100])
    }

    @Test func capturedLengthAboveTheOriginalLength() throws {
        let file = Self.pcap(snaplen: 65_535, [(10, 3, [UInt8](repeating: 9, count: 10))])
        try withTemporaryFile(file) { path in
            let reader = try CaptureFileReader(path: path)
            _ = try reader.next()
            let packet = try #require(try reader.next())
            #expect(packet.bytes.count == 10)
            #expect(packet.originalLength == 10, "the original length is at least what was captured")
            #expect(try reader.next() == nil)
        }
    }

    @Test(arguments: [UInt32(0x7FFF_FFFF), 0xFFFF_FFFF, 0x1000_0001])
    func absurdCapturedLengthIsCorruptAfterTheGoodPacket(caplen: UInt32) throws {
        let file = Self.pcap(snaplen: 65_535, [(caplen, caplen, [1, 2, 3])])
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.packets.count == 1)
        #expect(result.error?.kind == .corrupt)
        #expect(result.error?.message.contains("byte 44") == true, "\(result.error?.message ?? "")")
    }

    @Test func capturedLengthPastTheEndOfTheFileIsTruncation() throws {
        let file = Self.pcap(snaplen: 65_535, [(1_000, 1_000, [1, 2, 3])])
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.packets.count == 1)
        #expect(result.error?.kind == .truncated)
    }

    /// A pcapng file: section, interface, one good packet, then `tail`.
    static func pcapng(_ tail: [UInt8]) -> [UInt8] {
        var b = CaptureBuilder()
        b.sectionHeader()
        b.interface(linkType: 1)
        b.enhancedPacket(interface: 0, ticks: 1, data: [1, 2, 3, 4])
        return b.bytes + tail
    }

    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }

    @Test(arguments: [
        ("zero-length block", le32(6) + le32(0) + le32(0)),
        ("block shorter than its own header", le32(6) + le32(8) + le32(8)),
        ("length not a multiple of 4", le32(0xBAD) + le32(13) + [UInt8](repeating: 0, count: 5)),
        ("absurd block length", le32(6) + le32(0xFFFF_FFF0) + le32(0)),
        ("packet block too short for its fields", le32(6) + le32(16) + le32(0) + le32(16)),
        ("packet claims more than its block", le32(6) + le32(32) + le32(0) + le32(0) + le32(1) + le32(200) + le32(200) + le32(32)),
        ("packet on an interface never described", le32(6) + le32(32) + le32(7) + le32(0) + le32(1) + le32(0) + le32(0) + le32(32)),
        ("section header with a bad byte-order magic", le32(0x0A0D_0D0A) + le32(28) + le32(0x1234_5678) + [UInt8](repeating: 0, count: 12) + le32(28)),
        ("interface block too short", le32(1) + le32(16) + le32(1) + le32(16)),
    ] as [(String, [UInt8])])
    func corruptPcapngBlocks(name: String, tail: [UInt8]) throws {
        let result = try withTemporaryFile(Self.pcapng(tail)) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.packets.count == 1, "\(name)")
        #expect(result.error?.kind == .corrupt, "\(name): \(String(describing: result.error))")
    }

    @Test func unknownBlocksAreSkippedAndSimplePacketsHonourTheSnaplen() throws {
        var b = CaptureBuilder()
        b.block(0x0BAD_CAFE, [1, 2, 3, 4, 5, 6, 7, 8])
        b.simplePacket(data: [UInt8](repeating: 5, count: 300_000))  // longer than the interface's 262,144 snaplen
        let result = try withTemporaryFile(Self.pcapng(b.bytes)) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.error == nil)
        #expect(result.packets.map(\.2.count) == [4, 262_144])
    }
}
