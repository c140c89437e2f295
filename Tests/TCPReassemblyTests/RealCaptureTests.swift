import Foundation
import Packets
import TCPReassembly
import Testing

/// Reads a classic little-endian pcap (NULL/loopback, Linux SLL or Ethernet; IPv4/TCP) into test segments. Test
/// scaffolding only, so this layer's test does not depend on Capture; untrusted lengths are checked before reads.
private func readSegments(_ path: String) throws -> [Seg] {
    let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    func u16be(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }
    func u32be(_ at: Int) -> UInt32 { UInt32(u16be(at)) << 16 | UInt32(u16be(at + 2)) }
    func u32le(_ at: Int) -> Int {
        Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
    }
    guard data.count >= 24, u32le(0) == 0xA1B2_C3D4 else { throw CocoaError(.fileReadCorruptFile) }
    let linkType = u32le(20)
    var segments: [Seg] = []
    var offset = 24
    while offset + 16 <= data.count {
        let time = Int64(u32le(offset)) * second + Int64(u32le(offset + 4)) * 1000
        let captured = u32le(offset + 8)
        let record = offset + 16
        offset = record + captured
        guard offset <= data.count else { break }
        let ip: Int
        switch linkType {
        case 0: ip = record + 4  // NULL: 4-byte address family
        case 113: ip = record + 16  // Linux cooked (SLL)
        case 1: ip = record + 14  // Ethernet
        default: throw CocoaError(.fileReadCorruptFile)
        }
        guard ip + 20 <= offset, data[ip] >> 4 == 4, data[ip + 9] == 6 else { continue }
        let ipHeader = Int(data[ip] & 0x0F) * 4
        let ipTotal = u16be(ip + 2)
        let tcp = ip + ipHeader
        guard tcp + 20 <= offset else { continue }
        let tcpHeader = Int(data[tcp + 12] >> 4) * 4
        let payloadStart = tcp + tcpHeader
        let payloadEnd = min(ip + ipTotal, offset)
        guard payloadStart <= payloadEnd else { continue }
        let source = Endpoint(address: IPAddress(ipv4: u32be(ip + 12)), port: UInt16(u16be(tcp)))
        let destination = Endpoint(address: IPAddress(ipv4: u32be(ip + 16)), port: UInt16(u16be(tcp + 2)))
        segments.append(
            Seg(
                from: source, to: destination, seq: u32be(tcp + 4), ack: nil,
                flags: TCPFlags(rawValue: data[tcp + 13]), data: Array(data[payloadStart..<payloadEnd]),
                cut: max(0, ip + ipTotal - payloadEnd), time: time))
        if data[tcp + 13] & 0x10 != 0 { segments[segments.count - 1].ack = u32be(tcp + 8) }
    }
    return segments
}

private func capturePath(_ relative: String) -> String {
    // Tests/TCPReassemblyTests/<this file> -> repository root -> ../shared/external-captures
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/external-captures/\(relative)").path
}

@Suite("TCPReassembler on real captures")
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
