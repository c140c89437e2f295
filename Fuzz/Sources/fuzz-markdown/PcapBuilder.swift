/// A pcap file (Ethernet, microsecond timestamps) of one TCP connection between 10.0.0.1:40001 and 10.0.0.2:6379,
/// built in memory: the capture fuzz-markdown puts its names into.
struct PcapBuilder {
    private(set) var bytes: [UInt8] = []
    private var clientSeq: UInt32 = 1000
    private var serverSeq: UInt32 = 5000
    private var micros: UInt32 = 0

    init() {
        // Magic, version 2.4, zone, sigfigs, snaplen 262144, link type 1 (Ethernet); little-endian.
        bytes = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]
    }

    mutating func handshake() {
        append(fromClient: true, flags: 0x02, payload: [])
        clientSeq &+= 1
        append(fromClient: false, flags: 0x12, payload: [])
        serverSeq &+= 1
        append(fromClient: true, flags: 0x10, payload: [])
    }

    mutating func close() {
        append(fromClient: true, flags: 0x11, payload: [])
        clientSeq &+= 1
        append(fromClient: false, flags: 0x11, payload: [])
        serverSeq &+= 1
        append(fromClient: true, flags: 0x10, payload: [])
    }

    /// A request and its reply, each in segments of at most 1448 bytes.
    mutating func exchange(_ request: [UInt8], _ reply: [UInt8]) {
        send(fromClient: true, request)
        send(fromClient: false, reply)
    }

    mutating func send(fromClient: Bool, _ payload: [UInt8]) {
        var offset = 0
        while offset < payload.count {
            let end = min(payload.count, offset + 1448)
            append(fromClient: fromClient, flags: 0x18, payload: Array(payload[offset..<end]))
            if fromClient { clientSeq &+= UInt32(end - offset) } else { serverSeq &+= UInt32(end - offset) }
            offset = end
        }
    }

    private mutating func append(fromClient: Bool, flags: UInt8, payload: [UInt8]) {
        micros += 20
        var frame: [UInt8] = fromClient ? [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] : [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        frame += [0x08, 0x00]
        let total = 40 + payload.count
        let client: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]
        frame += [0x45, 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0]
        frame += fromClient ? client + server : server + client
        let (source, destination): (UInt16, UInt16) = fromClient ? (40001, 6379) : (6379, 40001)
        let seq = fromClient ? clientSeq : serverSeq
        let ack = flags & 0x10 != 0 ? (fromClient ? serverSeq : clientSeq) : 0
        frame += Self.bigEndian(UInt32(source) << 16 | UInt32(destination)) + Self.bigEndian(seq) + Self.bigEndian(ack)
        frame += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        frame += payload
        bytes += Self.littleEndian(1_700_000_000) + Self.littleEndian(micros)
            + Self.littleEndian(UInt32(frame.count)) + Self.littleEndian(UInt32(frame.count))
        bytes += frame
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
    private static func littleEndian(_ v: UInt32) -> [UInt8] { bigEndian(v).reversed() }
}
