import MallocCount
import Packets
import RESP
import TCPReassembly

#if canImport(Glibc)
import Glibc
#endif

// Micro-benchmarks: the RESP decoder on pipelined small commands and on 234-key BRPOPs, fed in 1-byte and
// 1448-byte segments, and TCP reassembly of one connection, in order and with reordered segments. Each reports
// MB/s (best of a few passes) and heap allocations per segment once warm (a pass is run before counting).

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

struct CountingHandler: RESPTokenHandler {
    var tokens = 0
    var messages = 0
    var errors = 0
    mutating func token(_ token: RESPToken) { tokens += 1 }
    mutating func messageEnd(byteCount: Int) { messages += 1 }
    mutating func protocolError(_ error: RESPProtocolError) { errors += 1 }
}

func command(_ args: [String]) -> [UInt8] {
    var out = Array("*\(args.count)\r\n".utf8)
    for arg in args { out += Array("$\(arg.utf8.count)\r\n\(arg)\r\n".utf8) }
    return out
}

func pipelinedSmallCommands(bytes target: Int) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while out.count < target {
        let key = "key:\(100_000 + i % 50_000)"
        switch i % 5 {
        case 0: out += command(["SET", key, "xxx"])
        case 1: out += command(["GET", key])
        case 2: out += command(["INCR", "counter:\(i % 100)"])
        case 3: out += command(["LPUSH", "mylist", "xxx"])
        default: out += command(["HSET", "myhash", key, "xxx"])
        }
        i += 1
    }
    return out
}

func brpops(bytes target: Int) -> [UInt8] {
    let one = command(["BRPOP"] + (1...234).map { "queue:\($0)" } + ["0"])
    var out: [UInt8] = []
    while out.count < target { out += one }
    return out
}

struct Result {
    var name: String
    var mbPerSecond: Double
    var mallocsPerSegment: Double
}
nonisolated(unsafe) var results: [Result] = []

func fixed(_ v: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (v * scale).rounded() / scale
    var text = "\(r)"
    if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
    return text
}

func report(_ name: String, bytes: Int, seconds: Double, mallocs: Int, segments: Int) {
    let mbs = Double(bytes) / seconds / 1e6
    let perSegment = Double(mallocs) / Double(max(1, segments))
    results.append(Result(name: name, mbPerSecond: mbs, mallocsPerSegment: perSegment))
    print("\(name + String(repeating: " ", count: max(0, 48 - name.count))) \(fixed(mbs, 1)) MB/s   \(fixed(perSegment, 4)) mallocs/segment  (\(mallocs) in \(segments) segments)")
}

func benchDecoder(_ name: String, input: [UInt8], segment: Int, passes: Int = 3) {
    if let only, !name.contains(only) { return }
    input.withUnsafeBytes { all in
        func pass() -> (Double, Int, Int) {
            var decoder = RESPDecoder(side: .client)
            var handler = CountingHandler()
            let before = malloc_count_thread()
            let start = now()
            var offset = 0
            var segments = 0
            while offset < all.count {
                let n = min(segment, all.count - offset)
                decoder.feed(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]), handler: &handler)
                offset += n
                segments += 1
            }
            let elapsed = now() - start
            precondition(handler.errors == 0 && handler.messages > 0)
            return (elapsed, malloc_count_thread() - before, segments)
        }
        _ = pass()  // warm-up
        var best = Double.infinity, mallocs = 0, segments = 0
        for _ in 0..<passes {
            let (t, m, s) = pass()
            best = min(best, t); mallocs = max(mallocs, m); segments = s
        }
        report(name, bytes: all.count, seconds: best, mallocs: mallocs, segments: segments)
    }
}

struct SinkHandler: TCPStreamHandler {
    var bytes = 0
    var gaps = 0
    mutating func connectionOpened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, timestampNanos: Int64) {}
    mutating func streamData(_ id: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer, timestampNanos: Int64) {
        self.bytes += bytes.count
    }
    mutating func streamGap(_ id: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64) { gaps += 1 }
    mutating func connectionClosed(_ id: ConnectionID, reason: CloseReason, closedBy: StreamDirection?, timestampNanos: Int64) {}
}

/// One long connection: requests and replies of `segmentSize` bytes alternating; `swapEvery` > 0 swaps each
/// n-th pair of client segments (out of order, buffered by the reassembler).
func benchReassembly(_ name: String, totalBytes: Int, segmentSize: Int, swapEvery: Int, connections: Int = 1) {
    if let only, !name.contains(only) { return }
    let totalBytes = totalBytes * megabytes / 32
    let client = (0..<connections).map { Endpoint(address: IPAddress(ipv4: 0x0A00_0001 + UInt32($0)), port: 50_000) }
    let server = Endpoint(address: IPAddress(ipv4: 0x0A00_00FF), port: 6379)
    let payload = [UInt8](repeating: UInt8(ascii: "x"), count: segmentSize)
    payload.withUnsafeBytes { data in
        func pass() -> (Double, Int, Int, Int) {
            let reassembler = TCPReassembler(serverPorts: [6379])
            var handler = SinkHandler()
            var time: Int64 = 1_000_000_000
            var clientSeq = [UInt32](repeating: 1000, count: connections)
            var serverSeq = [UInt32](repeating: 5000, count: connections)
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            for c in 0..<connections {
                _ = reassembler.process(TCPSegment(timestampNanos: time, source: client[c], destination: server, sequence: 999,
                                                   acknowledgment: 0, flags: [.syn], payload: empty), handler: &handler)
                _ = reassembler.process(TCPSegment(timestampNanos: time, source: server, destination: client[c], sequence: 4999,
                                                   acknowledgment: 1000, flags: [.syn, .ack], payload: empty), handler: &handler)
            }
            let before = malloc_count_thread()
            let start = now()
            var sent = 0, segments = 0, round = 0
            while sent < totalBytes {
                let c = round % connections
                time += 1000
                if swapEvery > 0 && round % swapEvery == 0 {
                    let s1 = clientSeq[c], s2 = clientSeq[c] &+ UInt32(segmentSize)
                    _ = reassembler.process(TCPSegment(timestampNanos: time, source: client[c], destination: server, sequence: s2,
                                                       acknowledgment: serverSeq[c], flags: [.ack], payload: data), handler: &handler)
                    _ = reassembler.process(TCPSegment(timestampNanos: time, source: client[c], destination: server, sequence: s1,
                                                       acknowledgment: serverSeq[c], flags: [.ack], payload: data), handler: &handler)
                    clientSeq[c] = s2 &+ UInt32(segmentSize)
                    sent += 2 * segmentSize; segments += 2
                } else {
                    _ = reassembler.process(TCPSegment(timestampNanos: time, source: client[c], destination: server, sequence: clientSeq[c],
                                                       acknowledgment: serverSeq[c], flags: [.ack], payload: data), handler: &handler)
                    clientSeq[c] &+= UInt32(segmentSize)
                    sent += segmentSize; segments += 1
                }
                _ = reassembler.process(TCPSegment(timestampNanos: time, source: server, destination: client[c], sequence: serverSeq[c],
                                                   acknowledgment: clientSeq[c], flags: [.ack], payload: data), handler: &handler)
                serverSeq[c] &+= UInt32(segmentSize)
                sent += segmentSize; segments += 1
                round += 1
            }
            let elapsed = now() - start
            let mallocs = malloc_count_thread() - before
            precondition(handler.gaps == 0 && handler.bytes == sent, "reassembly lost bytes")
            return (elapsed, mallocs, segments, sent)
        }
        _ = pass()
        var best = Double.infinity, mallocs = 0, segments = 0, bytes = 0
        for _ in 0..<3 {
            let (t, m, s, b) = pass()
            best = min(best, t); mallocs = max(mallocs, m); segments = s; bytes = b
        }
        report(name, bytes: bytes, seconds: best, mallocs: mallocs, segments: segments)
    }
}

// MICROBENCH_MB scales the inputs down (e.g. 1 under valgrind); MICROBENCH_ONLY runs the benchmarks whose name contains it.
let megabytes = getenv("MICROBENCH_MB").flatMap { Int(String(cString: $0)) } ?? 32
let only = getenv("MICROBENCH_ONLY").map { String(cString: $0) }
let small = pipelinedSmallCommands(bytes: megabytes << 20)
let blocking = brpops(bytes: megabytes << 20)
benchDecoder("RESP pipelined small commands, 1448-byte", input: small, segment: 1448)
benchDecoder("RESP pipelined small commands, 1-byte", input: Array(small.prefix(megabytes << 17)), segment: 1)
benchDecoder("RESP BRPOP 234 keys, 1448-byte", input: blocking, segment: 1448)
benchDecoder("RESP BRPOP 234 keys, 1-byte", input: Array(blocking.prefix(megabytes << 17)), segment: 1)
benchReassembly("reassembly in order, 1448-byte segments", totalBytes: 256 << 20, segmentSize: 1448, swapEvery: 0)
benchReassembly("reassembly in order, 100-byte segments", totalBytes: 64 << 20, segmentSize: 100, swapEvery: 0)
benchReassembly("reassembly 1 in 8 client pairs swapped", totalBytes: 256 << 20, segmentSize: 1448, swapEvery: 8)
benchReassembly("reassembly 1000 connections, 100-byte", totalBytes: 64 << 20, segmentSize: 100, swapEvery: 0, connections: 1000)
benchPipeline()

if CommandLine.arguments.contains("--markdown") {
    print("\n| micro-benchmark | MB/s | mallocs per segment (pipeline: per packet) |\n|---|---:|---:|")
    for r in results { print("| \(r.name) | \(fixed(r.mbPerSecond, 0)) | \(fixed(r.mallocsPerSegment, 4)) |") }
}
