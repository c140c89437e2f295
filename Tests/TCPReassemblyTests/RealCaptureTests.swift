import ExternalCaptureLocation
import Foundation
import Packets
import TCPReassembly
import Testing

/// Reads a little-endian pcap or pcapng (NULL/loopback, Linux SLL or Ethernet; IPv4/TCP) into test segments.
/// Test scaffolding only, so this layer's tests do not depend on Capture; lengths are checked before reads.
private func readSegments(_ path: String) throws -> [Seg] {
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    func u16be(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }
    func u32be(_ at: Int) -> UInt32 { UInt32(u16be(at)) << 16 | UInt32(u16be(at + 2)) }
    func u32le(_ at: Int) -> Int {
        Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
    }
    // (capture time, link type, record bytes) of every packet.
    var records: [(time: Int64, linkType: Int, range: Range<Int>)] = []
    guard data.count >= 24 else { throw CocoaError(.fileReadCorruptFile) }
    if u32le(0) == 0xA1B2_C3D4 {
        var offset = 24
        while offset + 16 <= data.count {
            let time = Int64(u32le(offset)) * second + Int64(u32le(offset + 4)) * 1000
            let record = offset + 16
            offset = record + u32le(offset + 8)
            guard offset <= data.count else { break }
            records.append((time, u32le(20), record..<offset))
        }
    } else if u32le(0) == 0x0A0D_0D0A, u32le(8) == 0x1A2B_3C4D {
        var linkTypes: [Int] = []
        var offset = 0
        while offset + 12 <= data.count {
            let type = u32le(offset)
            let length = u32le(offset + 4)
            guard length >= 12, offset + length <= data.count else { break }
            if type == 1 {
                linkTypes.append(Int(data[offset + 8]) | Int(data[offset + 9]) << 8)
            } else if type == 6, length >= 32 {
                let interface = u32le(offset + 8)
                let micros = Int64(u32le(offset + 12)) << 32 | Int64(u32le(offset + 16))
                let record = offset + 28
                let end = record + u32le(offset + 20)
                if interface < linkTypes.count, end <= offset + length {
                    records.append((micros * 1000, linkTypes[interface], record..<end))
                }
            }
            offset += length
        }
    } else {
        throw CocoaError(.fileReadCorruptFile)
    }

    var segments: [Seg] = []
    for (time, linkType, range) in records {
        let ip: Int
        switch linkType {
        case 0: ip = range.lowerBound + 4  // NULL: 4-byte address family
        case 113: ip = range.lowerBound + 16  // Linux cooked (SLL)
        case 1: ip = range.lowerBound + 14  // Ethernet
        default: throw CocoaError(.fileReadCorruptFile)
        }
        let end = range.upperBound
        guard ip + 20 <= end, data[ip] >> 4 == 4, data[ip + 9] == 6 else { continue }
        let ipTotal = u16be(ip + 2)
        let tcp = ip + Int(data[ip] & 0x0F) * 4
        guard tcp + 20 <= end else { continue }
        let payloadStart = tcp + Int(data[tcp + 12] >> 4) * 4
        let payloadEnd = min(ip + ipTotal, end)
        guard payloadStart <= payloadEnd else { continue }
        let flags = TCPFlags(rawValue: data[tcp + 13])
        segments.append(
            Seg(
                from: Endpoint(address: IPAddress(ipv4: u32be(ip + 12)), port: UInt16(u16be(tcp))),
                to: Endpoint(address: IPAddress(ipv4: u32be(ip + 16)), port: UInt16(u16be(tcp + 2))),
                seq: u32be(tcp + 4), ack: flags.contains(.ack) ? u32be(tcp + 8) : nil, flags: flags,
                data: Array(data[payloadStart..<payloadEnd]), cut: max(0, ip + ipTotal - payloadEnd), time: time))
    }
    return segments
}

private func capturePath(_ relative: String) -> String {
    ExternalCaptureLocation.path(relative)
}

@Suite("TCPReassembler on real captures",
       .enabled(if: ExternalCaptureLocation.testsEnabled, Comment(rawValue: ExternalCaptureLocation.skipReason)))
struct RealCaptureTests {
    /// Reference byte counts per direction: `tshark -r FILE -q -z follow,tcp,raw,N` (summed over streams), which
    /// agree with the sum of `tcp.len` per direction.
    @Test(
        arguments: [
            ("zeek-large-requests-responses/large-requests-responses.pcap", 1, 1672, 239_053),
            ("tcpdump-resp-1-benchmark/resp_1_benchmark.pcap", 15, 827, 13_167),
        ])
    func bytesMatchTshark(file: String, connections: Int, toServer: Int, toClient: Int) throws {
        let path = capturePath(file)
        try #require(FileManager.default.fileExists(atPath: path), "missing capture \(path)")
        let segments = try readSegments(path)
        let (recorder, reassembler) = run(segments)
        #expect(recorder.violations == [])
        #expect(recorder.byteCounts[.toServer] == toServer)
        #expect(recorder.byteCounts[.toClient] == toClient)
        #expect(reassembler.stats.gaps == 0)
        #expect(reassembler.stats.connectionsOpened == connections)
        let finCloses = recorder.events.filter { if case .closed(_, .fin, .some, _) = $0 { true } else { false } }
        #expect(finCloses.count == connections)
        #expect(recorder.lifecycle.filter { $0.hasSuffix("open handshake") }.count == connections)
    }

    /// pcapng from Django's cache client: one long connection left open, and one picked up mid-stream on a TCP
    /// keep-alive probe (seq one below the stream, answered by an ACK one above) that must not read as a lost byte.
    @Test func keepAliveProbeIsNotAGap() throws {
        let path = capturePath("spicy-redis-django-cache/django-cache.pcap")
        try #require(FileManager.default.fileExists(atPath: path), "missing capture \(path)")
        let (recorder, reassembler) = run(try readSegments(path))
        #expect(recorder.violations == [])
        // tshark -q -z follow,tcp,raw,0 (stream 1 carries no payload).
        #expect(recorder.byteCounts[.toServer] == 79_710)
        #expect(recorder.byteCounts[.toClient] == 1686)
        #expect(reassembler.stats.gaps == 0)
        #expect(
            recorder.lifecycle == [
                "#1 open handshake", "#2 open mid-stream", "#1 closed endOfCapture", "#2 closed endOfCapture",
            ])
    }

    /// The same capture with its segments shuffled within windows of 8 (a reordering network) gives identical bytes.
    @Test func shuffledLargeReply() throws {
        let path = capturePath("zeek-large-requests-responses/large-requests-responses.pcap")
        try #require(FileManager.default.fileExists(atPath: path), "missing capture \(path)")
        let segments = try readSegments(path)
        let (reference, _) = run(segments)
        var generator = SplitMix(seed: 42)
        var shuffled: [Seg] = []
        // Keep the handshake first and the FINs last so the lifecycle is unchanged.
        // ACKs are dropped from the shuffled part: on a reordering network a receiver never acknowledges data before
        // it arrives, and moving an ACK ahead of its data would (rightly) read as lost bytes.
        let body = segments[3..<(segments.count - 4)].map { segment in
            var segment = segment
            segment.ack = nil
            segment.flags.remove(.ack)
            return segment
        }
        for start in stride(from: 0, to: body.count, by: 8) {
            shuffled += body[start..<min(start + 8, body.count)].shuffled(using: &generator)
        }
        let reordered = Array(segments[0..<3]) + shuffled + Array(segments[(segments.count - 4)...])
        let (recorder, reassembler) = run(reordered)
        #expect(recorder.violations == [])
        #expect(recorder.transcript(1, .toServer) == reference.transcript(1, .toServer))
        #expect(recorder.transcript(1, .toClient) == reference.transcript(1, .toClient))
        #expect(reassembler.stats.outOfOrderSegments > 0)
        #expect(reassembler.stats.gaps == 0)
    }
}

/// Deterministic generator so the shuffled test is reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_133A_111B
        return z ^ (z >> 31)
    }
}
