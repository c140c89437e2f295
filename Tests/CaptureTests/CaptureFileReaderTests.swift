import ExternalCaptureLocation
import Foundation
import Testing
@testable import Capture

/// Builds capture files byte by byte, so every format variant is tested without depending on a writer.
struct CaptureBuilder {
    var bytes: [UInt8] = []
    let bigEndian: Bool

    init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    mutating func u16(_ v: UInt16) { bytes += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) {
        let le = [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        bytes += bigEndian ? le.reversed() : le
    }

    static func pcap(magic: UInt32, bigEndian: Bool, linkType: UInt32 = 1, packets: [(sec: UInt32, frac: UInt32, data: [UInt8])]) -> [UInt8] {
        var b = CaptureBuilder(bigEndian: bigEndian)
        b.u32(magic); b.u16(2); b.u16(4); b.u32(0); b.u32(0); b.u32(65535); b.u32(linkType)
        for p in packets {
            b.u32(p.sec); b.u32(p.frac); b.u32(UInt32(p.data.count)); b.u32(UInt32(p.data.count))
            b.bytes += p.data
        }
        return b.bytes
    }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        u32(type); u32(UInt32(12 + padded.count)); bytes += padded; u32(UInt32(12 + padded.count))
    }

    mutating func sectionHeader() {
        var body = CaptureBuilder(bigEndian: bigEndian)
        body.u32(0x1A2B_3C4D); body.u16(1); body.u16(0); body.u32(0xFFFF_FFFF); body.u32(0xFFFF_FFFF)
        block(0x0A0D_0D0A, body.bytes)
    }

    mutating func interface(linkType: UInt16, tsresol: UInt8? = nil) {
        var body = CaptureBuilder(bigEndian: bigEndian)
        body.u16(linkType); body.u16(0); body.u32(262_144)
        if let tsresol {
            body.u16(9); body.u16(1); body.bytes += [tsresol, 0, 0, 0]
            body.u16(0); body.u16(0)
        }
        block(1, body.bytes)
    }

    mutating func enhancedPacket(interface: UInt32, ticks: UInt64, data: [UInt8]) {
        var body = CaptureBuilder(bigEndian: bigEndian)
        body.u32(interface); body.u32(UInt32(ticks >> 32)); body.u32(UInt32(ticks & 0xFFFF_FFFF))
        body.u32(UInt32(data.count)); body.u32(UInt32(data.count))
        body.bytes += data
        block(6, body.bytes)
    }

    mutating func simplePacket(data: [UInt8]) {
        var body = CaptureBuilder(bigEndian: bigEndian)
        body.u32(UInt32(data.count))
        body.bytes += data
        block(3, body.bytes)
    }
}

func withTemporaryFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-test-\(UUID().uuidString).cap").path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

struct ReadResult {
    var packets: [(Int64, UInt32, [UInt8])] = []
    var error: CaptureError?
}

func readAll(_ reader: CaptureFileReader) -> ReadResult {
    var result = ReadResult()
    do {
        while let p = try reader.next() {
            result.packets.append((p.timestampNanos, p.linkType.rawValue, Array(p.bytes)))
        }
    } catch {
        result.error = error
    }
    return result
}

@Suite struct CaptureFileReaderTests {
    static let packets: [(sec: UInt32, frac: UInt32, data: [UInt8])] = [
        (1_700_000_000, 123_456, [1, 2, 3]), (1_700_000_001, 999_999, Array(repeating: 7, count: 60)), (1_700_000_002, 0, []),
    ]

    @Test(arguments: [(UInt32(0xA1B2_C3D4), false, false), (0xA1B2_C3D4, true, false), (0xA1B2_3C4D, false, true), (0xA1B2_3C4D, true, true)])
    func pcapMagics(magic: UInt32, bigEndian: Bool, nanos: Bool) throws {
        let file = CaptureBuilder.pcap(magic: magic, bigEndian: bigEndian, packets: Self.packets)
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.error == nil)
        #expect(result.packets.count == 3)
        let scale: Int64 = nanos ? 1 : 1000
        #expect(result.packets[0].0 == 1_700_000_000 * 1_000_000_000 + 123_456 * scale)
        #expect(result.packets[1].2 == Array(repeating: 7, count: 60))
        #expect(result.packets[2].2.isEmpty)
        #expect(result.packets.allSatisfy { $0.1 == 1 })
    }

    @Test func pcapLinkTypeIgnoresFCSBits() throws {
        let file = CaptureBuilder.pcap(magic: 0xA1B2_C3D4, bigEndian: false, linkType: 0x1000_0000 | 113, packets: Self.packets)
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.packets.first?.1 == 113)
    }

    @Test(arguments: [false, true])
    func pcapngWithInterfacesOfDifferentLinkTypes(bigEndian: Bool) throws {
        var b = CaptureBuilder(bigEndian: bigEndian)
        b.sectionHeader()
        b.interface(linkType: 1)
        b.interface(linkType: 101, tsresol: 9)
        b.block(4, [0, 0, 0, 0])  // name resolution block: skipped
        b.enhancedPacket(interface: 0, ticks: 1_700_000_000_000_001, data: [0xAA, 0xBB])
        b.enhancedPacket(interface: 1, ticks: 1_700_000_000_000_000_123, data: [0x45])
        b.simplePacket(data: [9, 9, 9])
        // A second section resets the interfaces.
        b.sectionHeader()
        b.interface(linkType: 113, tsresol: 0x80 | 20)
        b.enhancedPacket(interface: 0, ticks: 3 << 20, data: [1])
        let result = try withTemporaryFile(b.bytes) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.error == nil)
        #expect(result.packets.map(\.1) == [1, 101, 1, 113])
        #expect(result.packets[0].0 == 1_700_000_000_000_001_000)  // default microseconds
        #expect(result.packets[1].0 == 1_700_000_000_000_000_123)  // if_tsresol 10^-9
        #expect(result.packets[2].0 == result.packets[1].0)         // SPB has no timestamp
        #expect(result.packets[2].2 == [9, 9, 9])
        #expect(result.packets[3].0 == 3_000_000_000)                // if_tsresol 2^-20
    }

    @Test func truncatedAtEveryByteOffset() throws {
        let file = CaptureBuilder.pcap(magic: 0xA1B2_C3D4, bigEndian: false, packets: Self.packets)
        let boundaries = [24, 24 + 16 + 3, 24 + 16 + 3 + 16 + 60, file.count]
        for cut in 0..<file.count {
            let prefix = Array(file[..<cut])
            try withTemporaryFile(prefix) { path in
                do {
                    let reader = try CaptureFileReader(path: path)
                    let result = readAll(reader)
                    let complete = boundaries.filter { $0 <= cut }.count - 1
                    #expect(result.packets.count == complete, "cut at \(cut)")
                    if boundaries.contains(cut) {
                        #expect(result.error == nil, "cut at a record boundary \(cut) is a clean end")
                    } else {
                        #expect(result.error?.kind == .truncated, "cut at \(cut)")
                    }
                } catch {
                    #expect(cut < 24, "only a cut header may fail to open (cut at \(cut))")
                }
            }
        }
    }

    @Test func pcapngTruncatedAtEveryByteOffsetNeverCrashes() throws {
        var b = CaptureBuilder()
        b.sectionHeader()
        b.interface(linkType: 1)
        b.enhancedPacket(interface: 0, ticks: 1, data: [1, 2, 3, 4, 5])
        b.enhancedPacket(interface: 0, ticks: 2, data: [6])
        for cut in 0..<b.bytes.count {
            try withTemporaryFile(Array(b.bytes[..<cut])) { path in
                guard let reader = try? CaptureFileReader(path: path) else { return }
                let result = readAll(reader)
                #expect(result.packets.count <= 2)
                if result.error != nil { #expect(result.error?.kind == .truncated, "cut at \(cut)") }
            }
        }
    }

    @Test func corruptLengthsAreErrorsNotCrashes() throws {
        var file = CaptureBuilder.pcap(magic: 0xA1B2_C3D4, bigEndian: false, packets: Self.packets)
        file[24 + 8] = 0xFF; file[24 + 9] = 0xFF; file[24 + 10] = 0xFF; file[24 + 11] = 0x7F  // caplen 2 GB
        let result = try withTemporaryFile(file) { try readAll(CaptureFileReader(path: $0)) }
        #expect(result.error?.kind == .corrupt)
        var b = CaptureBuilder()
        b.sectionHeader()
        b.interface(linkType: 1)
        b.enhancedPacket(interface: 5, ticks: 1, data: [1])
        let ng = try withTemporaryFile(b.bytes) { try readAll(CaptureFileReader(path: $0)) }
        #expect(ng.error?.kind == .corrupt)
        #expect(ng.error?.message.contains("interface 5") == true)
    }

    @Test func notACaptureAndEmptyFiles() throws {
        try withTemporaryFile(Array("GET / HTTP/1.1\r\n".utf8)) { path in
            #expect(throws: CaptureError.self) { try CaptureFileReader(path: path) }
            do throws(CaptureError) { _ = try CaptureFileReader(path: path) } catch {
                #expect(error.kind == .notACaptureFile)
                #expect(error.message.contains("'GET / HT'"))
            }
        }
        try withTemporaryFile([]) { path in
            do throws(CaptureError) { _ = try CaptureFileReader(path: path); Issue.record("empty file opened") } catch {
                #expect(error.kind == .notACaptureFile)
            }
        }
        do throws(CaptureError) { _ = try CaptureFileReader(path: "/nonexistent/x.pcap"); Issue.record("opened") } catch {
            #expect(error.kind == .cannotOpen)
            #expect(error.message.contains("No such file"))
        }
    }

    @Test func readsFromAPipeInSmallPieces() throws {
        let file = CaptureBuilder.pcap(magic: 0xA1B2_C3D4, bigEndian: false, packets: Self.packets)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writeEnd = fds[1]
        let writer = Thread {
            for byte in file {
                var b = byte
                _ = write(writeEnd, &b, 1)
            }
            close(writeEnd)
        }
        writer.start()
        let reader = try CaptureFileReader(fileDescriptor: fds[0], name: "pipe")
        let result = readAll(reader)
        close(fds[0])
        #expect(result.error == nil)
        #expect(result.packets.count == 3)
        #expect(reader.fileSize == nil)
    }

    /// Packet counts of the external captures, as `tcpdump -r FILE | wc -l` reports them (an independent reader).
    @Test(.enabled(if: ExternalCaptureLocation.testsEnabled, Comment(rawValue: ExternalCaptureLocation.skipReason)),
          arguments: [
        ("zeek-django-cloud/django-cloud.pcapng", 474), ("zeek-start-with-server/start-with-server.pcapng", 6),
        ("packetbeat-redis-session/redis_session.pcap", 22), ("zeek-pipelining-example/pipelining-example.pcap", 12),
        ("tcpdump-resp-4-infiniteloop/resp_4_infiniteloop.pcapng", 1),
        ("zeek-history-django-cache-trace/django-cache.trace", 1600),
    ])
    func externalCapturePacketCounts(file: String, expected: Int) throws {
        let path = ExternalCaptureLocation.path(file)
        let result = readAll(try CaptureFileReader(path: path))
        #expect(result.error == nil)
        #expect(result.packets.count == expected)
    }
}
