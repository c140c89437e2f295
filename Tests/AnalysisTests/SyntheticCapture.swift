import Foundation

/// Builds Ethernet/IPv4/TCP captures by hand, for inputs no real client sends: hostile RESP, floods of
/// connections, packets that lie about their lengths.
struct SyntheticCapture {
    private(set) var packets: [CapturePerturbation.Packet] = []
    private var clock: Int64 = 1_700_000_000_000_000_000

    /// One TCP connection between 10.0.0.`clientHost`:`clientPort` and 10.0.0.2:`serverPort`.
    struct Connection {
        var clientPort: UInt16
        var serverPort: UInt16
        var clientSeq: UInt32 = 1000
        var serverSeq: UInt32 = 5000
        var clientHost: UInt8 = 1
    }

    mutating func tick(_ nanos: Int64 = 10_000) -> Int64 {
        clock += nanos
        return clock
    }

    mutating func handshake(_ c: inout Connection) {
        append(c, fromClient: true, flags: 0x02, payload: [])
        c.clientSeq &+= 1
        append(c, fromClient: false, flags: 0x12, payload: [])
        c.serverSeq &+= 1
        append(c, fromClient: true, flags: 0x10, payload: [])
    }

    /// Sends `payload` in segments of at most `mss` bytes.
    mutating func send(_ c: inout Connection, fromClient: Bool, _ payload: [UInt8], mss: Int = 1448) {
        var offset = 0
        while offset < payload.count {
            let end = min(payload.count, offset + mss)
            append(c, fromClient: fromClient, flags: 0x18, payload: Array(payload[offset..<end]))
            if fromClient { c.clientSeq &+= UInt32(end - offset) } else { c.serverSeq &+= UInt32(end - offset) }
            offset = end
        }
    }

    mutating func send(_ c: inout Connection, fromClient: Bool, _ text: String) {
        send(&c, fromClient: fromClient, Array(text.utf8))
    }

    mutating func close(_ c: inout Connection) {
        append(c, fromClient: true, flags: 0x11, payload: [])
        c.clientSeq &+= 1
        append(c, fromClient: false, flags: 0x11, payload: [])
        c.serverSeq &+= 1
        append(c, fromClient: true, flags: 0x10, payload: [])
    }

    /// A request and its reply on one connection.
    mutating func exchange(_ c: inout Connection, _ request: String, _ reply: String) {
        send(&c, fromClient: true, request)
        send(&c, fromClient: false, reply)
    }

    mutating func append(_ c: Connection, fromClient: Bool, flags: UInt8, payload: [UInt8]) {
        let time = tick()
        packets.append(CapturePerturbation.Packet(timestampNanos: time, linkType: 1, originalLength: 54 + payload.count,
                                                  bytes: Self.frame(c, fromClient: fromClient, flags: flags, payload: payload)))
    }

    static func frame(_ c: Connection, fromClient: Bool, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        var b: [UInt8] = []
        b += fromClient ? [2, 0, 0, 0, 0, 2] : [2, 0, 0, 0, 0, 1]
        b += fromClient ? [2, 0, 0, 0, 0, 1] : [2, 0, 0, 0, 0, 2]
        b += [0x08, 0x00]
        let total = 20 + 20 + payload.count
        let src: [UInt8] = fromClient ? [10, 0, 0, c.clientHost] : [10, 0, 0, 2]
        let dst: [UInt8] = fromClient ? [10, 0, 0, 2] : [10, 0, 0, c.clientHost]
        b += [0x45, 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0] + src + dst
        let (sport, dport) = fromClient ? (c.clientPort, c.serverPort) : (c.serverPort, c.clientPort)
        let seq = fromClient ? c.clientSeq : c.serverSeq
        let ack = flags & 0x10 != 0 ? (fromClient ? c.serverSeq : c.clientSeq) : 0
        b += [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        b += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        b += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xFF), UInt8(ack >> 8 & 0xFF), UInt8(ack & 0xFF)]
        b += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return b + payload
    }

    /// The capture as a pcap file in the temporary directory; the caller removes it.
    func write(name: String) -> String {
        CapturePerturbation.write(CapturePerturbation.pcap(packets), name: "\(name)-\(UUID().uuidString)")
    }
}
