import Analysis
import Pipeline
import Capture
import MallocCount

/// The whole in-order pipeline (packet decoding, reassembly, RESP, pairing, every analysis) on an in-memory
/// capture of one connection sending pipelined and unpipelined commands on a few keys: packets/s and heap
/// allocations per packet once warm (the first half is the warm-up).
struct SyntheticConnection {
    var packets: [(time: Int64, bytes: [UInt8])] = []
    var clock: Int64 = 1_700_000_000_000_000_000
    var clientSeq: UInt32 = 1000
    var serverSeq: UInt32 = 5000

    mutating func append(fromClient: Bool, flags: UInt8, payload: [UInt8]) {
        clock += 10_000
        var b: [UInt8] = fromClient ? [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0] : [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]
        let total = 40 + payload.count
        let src: [UInt8] = fromClient ? [10, 0, 0, 1] : [10, 0, 0, 2]
        let dst: [UInt8] = fromClient ? [10, 0, 0, 2] : [10, 0, 0, 1]
        b += [0x45, 0, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0] + src + dst
        let (sport, dport): (UInt16, UInt16) = fromClient ? (50_000, 6379) : (6379, 50_000)
        let seq = fromClient ? clientSeq : serverSeq
        let ack = flags & 0x10 != 0 ? (fromClient ? serverSeq : clientSeq) : 0
        b += [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        b += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        b += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xFF), UInt8(ack >> 8 & 0xFF), UInt8(ack & 0xFF)]
        b += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        packets.append((clock, b + payload))
        let advance = UInt32(payload.count) + (flags & 0x03 != 0 ? 1 : 0)
        if fromClient { clientSeq &+= advance } else { serverSeq &+= advance }
    }

    mutating func exchange(_ request: String, _ reply: String) {
        append(fromClient: true, flags: 0x18, payload: Array(request.utf8))
        append(fromClient: false, flags: 0x18, payload: Array(reply.utf8))
    }

    static func workload(rounds: Int) -> SyntheticConnection {
        var c = SyntheticConnection()
        c.append(fromClient: true, flags: 0x02, payload: [])
        c.append(fromClient: false, flags: 0x12, payload: [])
        c.append(fromClient: true, flags: 0x10, payload: [])
        for round in 0..<rounds {
            let key = "user:\(round % 16)"
            let k = "$\(key.utf8.count)\r\n\(key)\r\n"
            c.exchange("*3\r\n$3\r\nSET\r\n\(k)$5\r\nvalue\r\n", "+OK\r\n")
            c.exchange("*2\r\n$3\r\nGET\r\n\(k)", "$5\r\nvalue\r\n")
            c.exchange("*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n", ":\(round + 1)\r\n")
            let pipeline = String(repeating: "*3\r\n$5\r\nLPUSH\r\n$5\r\nqueue\r\n$3\r\njob\r\n*2\r\n$4\r\nRPOP\r\n$5\r\nqueue\r\n", count: 4)
            c.exchange(pipeline, String(repeating: ":1\r\n$3\r\njob\r\n", count: 4))
            c.exchange("*4\r\n$4\r\nHSET\r\n$4\r\nhash\r\n\(k)$1\r\n1\r\n", ":0\r\n")
            c.exchange("*4\r\n$4\r\nZADD\r\n$4\r\nzset\r\n$1\r\n1\r\n\(k)", ":0\r\n")
        }
        return c
    }
}

func benchPipeline() {
    let name = "pipeline, all analyses, in order"
    if let only, !name.contains(only) { return }
    let capture = SyntheticConnection.workload(rounds: max(1000, megabytes * 4000))
    let analyzer = try! TrafficAnalyzer(options: AnalysisOptions())
    let warm = capture.packets.count / 2
    func feed(_ range: Range<Int>) {
        for i in range {
            capture.packets[i].bytes.withUnsafeBytes { bytes in
                analyzer.process(CapturedPacket(timestampNanos: capture.packets[i].time, linkType: .ethernet,
                                                originalLength: bytes.count, bytes: bytes))
            }
        }
    }
    feed(0..<warm)
    let before = malloc_count_thread()
    let start = now()
    feed(warm..<capture.packets.count)
    let elapsed = now() - start
    let mallocs = malloc_count_thread() - before
    let bytes = capture.packets[warm...].reduce(0) { $0 + $1.bytes.count }
    let summary = analyzer.finish()
    precondition(summary.totals.commands == max(1000, megabytes * 4000) * 13)
    report(name, bytes: bytes, seconds: elapsed, mallocs: mallocs, segments: capture.packets.count - warm)
}
