import Capture
import Testing
@testable import Packets

enum Frames {
    static func tcp(sport: UInt16 = 50000, dport: UInt16 = 6379, seq: UInt32 = 1000, flags: UInt8 = 0x18,
                    options: [UInt8] = [], payload: [UInt8] = Array("*1\r\n$4\r\nPING\r\n".utf8)) -> [UInt8] {
        let offset = UInt8((20 + options.count) / 4) << 4
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF),
                UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF),
                0, 0, 0, 1, offset, flags, 0xFF, 0xFF, 0, 0, 0, 0] + options + payload
    }

    static func ipv4(_ tcp: [UInt8], options: [UInt8] = [], fragment: UInt16 = 0x4000, protocolNumber: UInt8 = 6,
                     totalLength: Int? = nil) -> [UInt8] {
        let header = 20 + options.count
        let total = totalLength ?? (header + tcp.count)
        return [0x40 | UInt8(header / 4), 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1,
                UInt8(fragment >> 8), UInt8(fragment & 0xFF), 64, protocolNumber, 0, 0,
                10, 0, 0, 1, 10, 0, 0, 2] + options + tcp
    }

    static func ipv6(_ tcp: [UInt8], extensions: [(next: UInt8, body: [UInt8])] = []) -> [UInt8] {
        // extensions: each is (type of THIS header, bytes); chain them, last one points at TCP.
        var chain: [UInt8] = []
        for (i, ext) in extensions.enumerated() {
            let next = i + 1 < extensions.count ? extensions[i + 1].next : 6
            chain += [next] + ext.body
        }
        let payloadLength = chain.count + tcp.count
        let first = extensions.first?.next ?? 6
        var header: [UInt8] = [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF), first, 64]
        header += [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        header += [UInt8](repeating: 0, count: 15) + [1]
        return header + chain + tcp
    }

    static func ethernet(_ ip: [UInt8], etherType: UInt16 = 0x0800, tags: [UInt16] = []) -> [UInt8] {
        var frame = [UInt8](repeating: 0xAA, count: 12)
        for tag in tags { frame += [UInt8(tag >> 8), UInt8(tag & 0xFF), 0, 5] }
        return frame + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)] + ip
    }
}

func decode(_ bytes: [UInt8], _ link: LinkType, originalLength: Int? = nil) -> DecodedPacket {
    bytes.withUnsafeBytes { buffer in
        PacketDecoder().decode(CapturedPacket(timestampNanos: 42, linkType: link, originalLength: originalLength ?? bytes.count,
                                              bytes: buffer))
    }
}

/// Extracts what a test needs from a decoded segment while its borrowed payload is still valid.
/// `originalLength`: the length on the wire when the capture record says the frame was cut (snaplen).
func segmentSummary(_ bytes: [UInt8], _ link: LinkType, originalLength: Int? = nil) -> (String, String, Int, Int, SkipReason?) {
    bytes.withUnsafeBytes { buffer in
        let packet = CapturedPacket(timestampNanos: 42, linkType: link, originalLength: originalLength ?? bytes.count, bytes: buffer)
        switch PacketDecoder().decode(packet) {
        case .tcp(let s): return (s.source.description, s.destination.description, s.payload.count, s.missingPayloadBytes, nil)
        case .skipped(let reason): return ("", "", 0, 0, reason)
        }
    }
}

@Suite struct PacketDecoderTests {
    static let payloadCount = 14

    @Test(arguments: [
        ("ethernet", LinkType.ethernet, Frames.ethernet(Frames.ipv4(Frames.tcp()))),
        ("802.1Q", .ethernet, Frames.ethernet(Frames.ipv4(Frames.tcp()), tags: [0x8100])),
        ("QinQ", .ethernet, Frames.ethernet(Frames.ipv4(Frames.tcp()), tags: [0x88A8, 0x8100])),
        ("SLL", .linuxSLL, [0, 0, 3, 4, 0, 6] + [UInt8](repeating: 1, count: 8) + [0x08, 0x00] + Frames.ipv4(Frames.tcp())),
        ("SLL2", .linuxSLL2, [0x08, 0x00, 0, 0, 0, 0, 0, 1, 3, 4, 6] + [UInt8](repeating: 1, count: 9) + Frames.ipv4(Frames.tcp())),
        ("NULL little-endian", .null, [2, 0, 0, 0] + Frames.ipv4(Frames.tcp())),
        ("LOOP network order", .loop, [0, 0, 0, 2] + Frames.ipv4(Frames.tcp())),
        ("RAW", .raw, Frames.ipv4(Frames.tcp())),
        ("IPV4", .ipv4, Frames.ipv4(Frames.tcp())),
        ("IPv4 options", .raw, Frames.ipv4(Frames.tcp(), options: [1, 1, 1, 0])),
        ("TCP options", .raw, Frames.ipv4(Frames.tcp(options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]))),
        ("Ethernet padding ignored", .ethernet, Frames.ethernet(Frames.ipv4(Frames.tcp())) + [0, 0, 0, 0]),
    ])
    func ipv4LinkTypes(name: String, link: LinkType, frame: [UInt8]) {
        let (source, destination, payload, missing, skip) = segmentSummary(frame, link)
        #expect(skip == nil, "\(name)")
        #expect(source == "10.0.0.1:50000", "\(name)")
        #expect(destination == "10.0.0.2:6379", "\(name)")
        #expect(payload == Self.payloadCount, "\(name)")
        #expect(missing == 0, "\(name)")
    }

    @Test(arguments: [
        ("plain", Frames.ipv6(Frames.tcp()), LinkType.raw),
        ("hop-by-hop + destination options", Frames.ipv6(Frames.tcp(), extensions: [(0, [0, 1, 4, 0, 0, 0, 0]), (60, [0, 1, 4, 0, 0, 0, 0])]), .ipv6),
        ("NULL AF 30", [30, 0, 0, 0] + Frames.ipv6(Frames.tcp()), .null),
        ("NULL AF 24 big-endian", [0, 0, 0, 24] + Frames.ipv6(Frames.tcp()), .null),
        ("Ethernet", Frames.ethernet(Frames.ipv6(Frames.tcp()), etherType: 0x86DD), .ethernet),
    ])
    func ipv6(name: String, frame: [UInt8], link: LinkType) {
        let (source, destination, payload, _, skip) = segmentSummary(frame, link)
        #expect(skip == nil, "\(name)")
        #expect(source == "[2001:db8::1]:50000", "\(name)")
        #expect(destination == "[::1]:6379", "\(name)")
        #expect(payload == Self.payloadCount, "\(name)")
    }

    @Test func skippedPackets() {
        #expect(segmentSummary(Frames.ipv4(Frames.tcp(), fragment: 0x2000), .raw).4 == .ipFragment)
        #expect(segmentSummary(Frames.ipv4(Frames.tcp(), fragment: 0x0010), .raw).4 == .ipFragment)
        #expect(segmentSummary(Frames.ipv6(Frames.tcp(), extensions: [(44, [0, 0, 1, 0, 0, 0, 1])]), .raw).4 == .ipFragment)
        #expect(segmentSummary(Frames.ipv4(Frames.tcp(), protocolNumber: 17), .raw).4 == .notTCP)
        #expect(segmentSummary(Frames.ethernet([1, 2, 3], etherType: 0x0806), .ethernet).4 == .notIP)
        #expect(segmentSummary([1, 2, 3], LinkType(rawValue: 147)).4 == .unsupportedLinkType)
        var badOffset = Frames.ipv4(Frames.tcp())
        badOffset[20 + 12] = 0x40  // data offset 4 words
        #expect(segmentSummary(badOffset, .raw).4 == .badTCPHeader)
        var badIHL = Frames.ipv4(Frames.tcp())
        badIHL[0] = 0x44
        #expect(segmentSummary(badIHL, .raw).4 == .badIPHeader)
    }

    @Test func snaplenCutShowsAsMissingPayload() {
        let full = Frames.ethernet(Frames.ipv4(Frames.tcp()))
        let cut = Array(full.prefix(14 + 20 + 20 + 4))
        let (_, _, payload, missing, skip) = segmentSummary(cut, .ethernet, originalLength: full.count)
        #expect(skip == nil)
        #expect(payload == 4)
        #expect(missing == Self.payloadCount - 4)
    }

    @Test func everyTruncationIsHandled() {
        let frames: [([UInt8], LinkType)] = [
            (Frames.ethernet(Frames.ipv4(Frames.tcp(options: [1, 1, 1, 1])), tags: [0x8100]), .ethernet),
            (Frames.ethernet(Frames.ipv6(Frames.tcp(), extensions: [(0, [0, 1, 4, 0, 0, 0, 0])]), etherType: 0x86DD), .ethernet),
            ([0, 0, 3, 4, 0, 6] + [UInt8](repeating: 1, count: 8) + [0x08, 0x00] + Frames.ipv4(Frames.tcp()), .linuxSLL),
            ([2, 0, 0, 0] + Frames.ipv4(Frames.tcp()), .null),
        ]
        for (frame, link) in frames {
            for length in 0..<frame.count {
                let (_, _, payload, missing, skip) = segmentSummary(Array(frame.prefix(length)), link, originalLength: frame.count)
                if skip == nil { #expect(payload + missing == Self.payloadCount, "\(link) cut at \(length)") }
            }
        }
    }

    @Test func addressFormatting() {
        #expect(IPAddress(ipv4: 0x7F00_0001).description == "127.0.0.1")
        #expect(IPAddress(ipv6High: 0, low: 1).description == "::1")
        #expect(IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 0x0000_0000_0000_0001).description == "2001:db8::1")
        #expect(IPAddress(ipv6High: 0x2001_0DB8_0000_0001, low: 0x0000_0000_0001_0001).description == "2001:db8:0:1::1:1")
        #expect(IPAddress(ipv6High: 0x2001_0DB8_0001_0001, low: 0x0001_0001_0001_0001).description == "2001:db8:1:1:1:1:1:1")
        #expect(IPAddress(ipv6High: 0, low: 0x0000_FFFF_0A00_0001).description == "::ffff:10.0.0.1")
        #expect(Endpoint(address: IPAddress(ipv6High: 0, low: 1), port: 6379).description == "[::1]:6379")
    }
}
