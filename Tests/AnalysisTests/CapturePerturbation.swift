import Capture
import Foundation
import Packets

/// Rewrites a capture deterministically from a seed, to test how respcap copes with what real captures suffer:
/// reordering within a window, duplicated packets, and rotation into several files.
struct CapturePerturbation {
    struct Packet {
        var timestampNanos: Int64
        var linkType: UInt32
        var originalLength: Int
        var bytes: [UInt8]
    }

    static func read(_ path: String) throws -> [Packet] {
        let reader = try CaptureFileReader(path: path)
        var packets: [Packet] = []
        while let p = try reader.next() {
            packets.append(Packet(timestampNanos: p.timestampNanos, linkType: p.linkType.rawValue,
                                  originalLength: p.originalLength, bytes: Array(p.bytes)))
        }
        return packets
    }

    /// A nanosecond-resolution pcap (all packets must share one link type).
    static func pcap(_ packets: [Packet]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        u32(0xA1B2_3C4D); u16(2); u16(4); u32(0); u32(0); u32(262_144); u32(packets.first?.linkType ?? 1)
        for p in packets {
            u32(UInt32(truncatingIfNeeded: p.timestampNanos / 1_000_000_000))
            u32(UInt32(truncatingIfNeeded: p.timestampNanos % 1_000_000_000))
            u32(UInt32(p.bytes.count)); u32(UInt32(p.originalLength))
            out += p.bytes
        }
        return out
    }

    /// Shuffles packets inside consecutive windows of `window` packets. Timestamps travel with their packets,
    /// as when a multi-queue capture interleaves per-CPU rings.
    static func reorder(_ packets: [Packet], window: Int, seed: UInt64) -> [Packet] {
        var generator = SeededGenerator(seed: seed)
        var out: [Packet] = []
        var index = 0
        while index < packets.count {
            out += packets[index..<min(packets.count, index + window)].shuffled(using: &generator)
            index += window
        }
        return out
    }

    /// Swaps adjacent data segments of the same direction of a connection, keeping the timestamps where they were:
    /// what a network that reorders segments looks like at a capture point. TCP reassembly must put them back.
    static func swapAdjacentDataSegments(_ packets: [Packet], every n: Int) -> [Packet] {
        func flow(_ p: Packet) -> (Endpoint, Endpoint, Int)? {
            p.bytes.withUnsafeBytes { buffer in
                let decoded = PacketDecoder().decode(CapturedPacket(timestampNanos: p.timestampNanos,
                    linkType: LinkType(rawValue: p.linkType), originalLength: p.originalLength, bytes: buffer))
                if case .tcp(let s) = decoded { return (s.source, s.destination, s.payload.count) }
                return nil
            }
        }
        var out = packets
        var i = 0
        var swaps = 0
        while i + 1 < out.count {
            if let a = flow(out[i]), let b = flow(out[i + 1]), a.0 == b.0, a.1 == b.1, a.2 > 0, b.2 > 0 {
                swaps += 1
                if swaps % n == 0 {
                    let (t0, t1) = (out[i].timestampNanos, out[i + 1].timestampNanos)
                    out.swapAt(i, i + 1)
                    out[i].timestampNanos = t0
                    out[i + 1].timestampNanos = t1
                    i += 2
                    continue
                }
            }
            i += 1
        }
        return out
    }

    /// Splits every TCP payload of an Ethernet/IPv4 capture into segments of `sizes` bytes (cycled), rewriting the
    /// IP length and TCP sequence number of each piece: the same byte streams, cut differently.
    static func resegment(_ packets: [Packet], sizes: [Int]) -> [Packet] {
        var out: [Packet] = []
        var cycle = 0
        for p in packets {
            guard p.linkType == 1, p.bytes.count >= 54, p.bytes[12] == 0x08, p.bytes[13] == 0x00 else { out.append(p); continue }
            let ipHeader = Int(p.bytes[14] & 0x0F) * 4
            let tcpStart = 14 + ipHeader
            guard p.bytes.count >= tcpStart + 20 else { out.append(p); continue }
            let tcpHeader = Int(p.bytes[tcpStart + 12] >> 4) * 4
            let payloadStart = tcpStart + tcpHeader
            let payload = Array(p.bytes[min(payloadStart, p.bytes.count)...])
            guard payload.count > 1 else { out.append(p); continue }
            let flags = p.bytes[tcpStart + 13]
            let seq = UInt32(p.bytes[tcpStart + 4]) << 24 | UInt32(p.bytes[tcpStart + 5]) << 16
                | UInt32(p.bytes[tcpStart + 6]) << 8 | UInt32(p.bytes[tcpStart + 7])
            var offset = 0
            while offset < payload.count {
                let size = max(1, sizes[cycle % sizes.count])
                cycle += 1
                let end = min(payload.count, offset + size)
                var piece = Array(p.bytes[..<payloadStart]) + payload[offset..<end]
                let ipLength = piece.count - 14
                piece[16] = UInt8(ipLength >> 8); piece[17] = UInt8(ipLength & 0xFF)
                let pieceSeq = seq &+ UInt32(offset)
                piece[tcpStart + 4] = UInt8(pieceSeq >> 24); piece[tcpStart + 5] = UInt8(pieceSeq >> 16 & 0xFF)
                piece[tcpStart + 6] = UInt8(pieceSeq >> 8 & 0xFF); piece[tcpStart + 7] = UInt8(pieceSeq & 0xFF)
                // A FIN belongs to the last piece only.
                if end < payload.count { piece[tcpStart + 13] = flags & ~0x01 }
                out.append(Packet(timestampNanos: p.timestampNanos, linkType: p.linkType, originalLength: piece.count, bytes: piece))
                offset = end
            }
        }
        return out
    }

    /// Drops every packet whose seeded draw falls under `percent` (loss between the wire and the capture).
    static func drop(_ packets: [Packet], percent: Double, seed: UInt64) -> [Packet] {
        var generator = SeededGenerator(seed: seed)
        return packets.filter { _ in Double(generator.next() % 10_000) / 100 >= percent }
    }

    /// Cuts every packet to `snaplen` bytes (`tcpdump -s N`).
    static func snaplen(_ packets: [Packet], _ snaplen: Int) -> [Packet] {
        packets.map { p in
            var q = p
            if q.bytes.count > snaplen { q.bytes = Array(q.bytes.prefix(snaplen)) }
            return q
        }
    }

    /// Drops the first `k` packets of every connection (a capture started while connections were busy).
    static func midStream(_ packets: [Packet], firstPackets k: Int) -> [Packet] {
        var seen: [String: Int] = [:]
        return packets.filter { p in
            guard let flow = flowKey(p) else { return true }
            seen[flow, default: 0] += 1
            return seen[flow]! > k
        }
    }

    /// XORs one byte of the TCP payload of every `n`th data packet with 0xFF.
    static func flipBytes(_ packets: [Packet], every n: Int, seed: UInt64) -> [Packet] {
        var generator = SeededGenerator(seed: seed)
        var dataPackets = 0
        return packets.map { p in
            guard let (start, count) = payloadRange(p), count > 0 else { return p }
            dataPackets += 1
            guard dataPackets % n == 0 else { return p }
            var q = p
            q.bytes[start + Int(generator.next() % UInt64(count))] ^= 0xFF
            return q
        }
    }

    /// Adds `count` connections of random bytes to the server port, interleaved with the capture's packets.
    static func injectGarbage(_ packets: [Packet], connections count: Int, serverPort: UInt16, seed: UInt64) -> [Packet] {
        guard let template = packets.first(where: { payloadRange($0) != nil }) else { return packets }
        var generator = SeededGenerator(seed: seed)
        var out = packets
        for c in 0..<count {
            let clientPort = UInt16(40_000 + c)
            var seq: UInt32 = 1000
            for k in 0..<5 {
                let payload = (0..<200).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                var bytes = Array(template.bytes.prefix(14 + 20 + 20))
                bytes[14] = 0x45
                let ipLength = 20 + 20 + payload.count
                bytes[16] = UInt8(ipLength >> 8); bytes[17] = UInt8(ipLength & 0xFF)
                bytes[34] = UInt8(clientPort >> 8); bytes[35] = UInt8(clientPort & 0xFF)
                bytes[36] = UInt8(serverPort >> 8); bytes[37] = UInt8(serverPort & 0xFF)
                bytes[38] = UInt8(seq >> 24); bytes[39] = UInt8(seq >> 16 & 0xFF); bytes[40] = UInt8(seq >> 8 & 0xFF); bytes[41] = UInt8(seq & 0xFF)
                bytes[46] = 0x50; bytes[47] = 0x18
                bytes += payload
                seq &+= UInt32(payload.count)
                let at = min(out.count, (c * 7 + k * 13) % max(1, out.count))
                let time = out.isEmpty ? 0 : out[max(0, at - 1)].timestampNanos
                out.insert(Packet(timestampNanos: time, linkType: 1, originalLength: bytes.count, bytes: bytes), at: at)
            }
        }
        return out
    }

    static func payloadRange(_ p: Packet) -> (Int, Int)? {
        guard p.linkType == 1, p.bytes.count >= 54, p.bytes[12] == 0x08, p.bytes[13] == 0x00, p.bytes[23] == 6 else { return nil }
        let tcpStart = 14 + Int(p.bytes[14] & 0x0F) * 4
        guard p.bytes.count >= tcpStart + 20 else { return nil }
        let start = tcpStart + Int(p.bytes[tcpStart + 12] >> 4) * 4
        return start <= p.bytes.count ? (start, p.bytes.count - start) : nil
    }

    static func flowKey(_ p: Packet) -> String? {
        guard payloadRange(p) != nil else { return nil }
        let tcpStart = 14 + Int(p.bytes[14] & 0x0F) * 4
        let a = Array(p.bytes[26..<30]) + Array(p.bytes[tcpStart..<(tcpStart + 2)])
        let b = Array(p.bytes[30..<34]) + Array(p.bytes[(tcpStart + 2)..<(tcpStart + 4)])
        return a.lexicographicallyPrecedes(b) ? "\(a)-\(b)" : "\(b)-\(a)"
    }

    /// Repeats a share of the packets right after themselves (retransmissions seen twice, or span duplicates).
    static func duplicate(_ packets: [Packet], every n: Int) -> [Packet] {
        var out: [Packet] = []
        for (i, p) in packets.enumerated() {
            out.append(p)
            if i % n == 0 { out.append(p) }
        }
        return out
    }

    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-\(name)-\(getpid()).pcap").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
