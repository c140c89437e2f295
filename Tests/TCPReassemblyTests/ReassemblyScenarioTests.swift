import Packets
import TCPReassembly
import Testing

/// A named run: segments in, expected lifecycle, transcripts (`"1>"` = connection 1 to the server, `"1<"` = to the
/// client; gaps shown as `[gap N]`) and the counters that matter.
struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var segments: [Seg]
    var ports: Set<UInt16> = redisPorts
    var limits = ReassemblyLimits()
    var lifecycle: [String]
    var transcripts: [String: String]
    var stats: [String: Int64] = [:]

    var testDescription: String { name }
}

private let x80 = String(repeating: "x", count: 80)
private let idleLimits: ReassemblyLimits = {
    var limits = ReassemblyLimits()
    limits.idleTimeoutNanos = 10 * second
    return limits
}()
private let smallBufferLimits: ReassemblyLimits = {
    var limits = ReassemblyLimits()
    limits.maxBufferedBytesPerConnection = 100
    return limits
}()
private let twoConnectionLimits: ReassemblyLimits = {
    var limits = ReassemblyLimits()
    limits.maxConnections = 2
    return limits
}()

let scenarios: [Scenario] = [
    Scenario(
        name: "in-order request and reply, FIN from both sides, final ACK ignored",
        segments: handshake() + [
            c(1001, "PING\r\n", ack: 5001),
            s(5001, "+PONG\r\n", ack: 1007),
            c(1007, ack: 5008, flags: [.fin]),
            s(5008, ack: 1008, flags: [.fin]),
            c(1008, ack: 5009),
        ],
        lifecycle: ["#1 open handshake", "#1 closed fin by toServer"],
        transcripts: ["1>": "PING\r\n", "1<": "+PONG\r\n"],
        stats: ["segments": 8, "ignoredSegments": 1, "gaps": 0, "connectionsOpened": 1, "duplicateBytes": 0]),
    Scenario(
        name: "retransmission of delivered bytes",
        segments: handshake() + [c(1001, "abc", ack: 5001), c(1001, "abc", ack: 5001), c(1004, "def", ack: 5001)],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abcdef"],
        stats: ["retransmittedSegments": 1, "duplicateBytes": 3, "outOfOrderSegments": 0]),
    Scenario(
        name: "in-order segment overlapping delivered bytes",
        segments: handshake() + [c(1001, "abcdef"), c(1004, "defghi")],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abcdefghi"],
        stats: ["retransmittedSegments": 0, "duplicateBytes": 3]),
    Scenario(
        name: "out-of-order segment overlapping held chunks on both sides",
        segments: handshake() + [c(1001, "ab"), c(1005, "ef"), c(1009, "ij"), c(1004, "defghij"), c(1003, "c")],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abcdefghij"],
        stats: ["outOfOrderSegments": 3, "duplicateBytes": 4, "gaps": 0]),
    Scenario(
        name: "hole before a FIN never fills: gap at close",
        segments: handshake() + [
            c(1001, "abc", ack: 5001),
            c(1007, "ghi", ack: 5001, flags: [.fin]),
            s(5001, ack: 1004, flags: [.fin]),
        ],
        lifecycle: ["#1 open handshake", "#1 closed fin by toServer"],
        transcripts: ["1>": "abc[gap 3]ghi"],
        stats: ["gaps": 1, "gapBytes": 3, "outOfOrderSegments": 1]),
    Scenario(
        name: "bare FIN after lost data: gap up to the FIN, half-closed at end of capture",
        segments: handshake() + [c(1001, "abc", ack: 5001), c(1010, ack: 5001, flags: [.fin])],
        lifecycle: ["#1 open handshake", "#1 closed fin by toServer"],
        transcripts: ["1>": "abc[gap 6]"],
        stats: ["gaps": 1, "gapBytes": 6]),
    Scenario(
        name: "ACK of bytes never captured: lost request reported before the reply",
        segments: handshake() + [
            c(1001, "GET a\r\n", ack: 5001),
            // "GET b\r\n" at 1008 was lost by the capture; the server acknowledges it with its reply.
            s(5001, "$1\r\n1\r\n", ack: 1015),
            c(1015, "GET c\r\n", ack: 5008),
        ],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "GET a\r\n[gap 7]GET c\r\n", "1<": "$1\r\n1\r\n"],
        stats: ["gaps": 1, "gapBytes": 7]),
    Scenario(
        name: "ACK covering held data delivers it after the gap",
        segments: handshake() + [c(1001, "ab"), c(1005, "ef"), s(5001, "ok", ack: 1007)],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "ab[gap 2]ef", "1<": "ok"],
        stats: ["gaps": 1, "gapBytes": 2, "outOfOrderSegments": 1]),
    Scenario(
        name: "ACK one byte beyond (an uncaptured FIN) is not a gap",
        segments: handshake() + [c(1001, "abc", ack: 5001), s(5001, "x", ack: 1005)],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abc", "1<": "x"],
        stats: ["gaps": 0]),
    Scenario(
        name: "buffer limit exceeded: hole skipped, late fill counted as retransmission",
        segments: handshake() + [c(1001, "a"), c(1010, x80), c(1002, "bcdefghi")],
        limits: smallBufferLimits,
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "a[gap 8]" + x80],
        stats: ["bufferLimitDrops": 1, "gaps": 1, "gapBytes": 8, "retransmittedSegments": 1]),
    Scenario(
        name: "snaplen cut: captured part, then a gap of the missing bytes",
        segments: handshake() + [c(1001, "abc", cut: 5), c(1009, "xyz")],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abc[gap 5]xyz"],
        stats: ["snaplenCutBytes": 5, "gaps": 1, "gapBytes": 5, "outOfOrderSegments": 0]),
    Scenario(
        name: "mid-stream start, server speaks first",
        segments: [
            s(5001, "+OK\r\n", ack: 1001),
            c(1001, "PING\r\n", ack: 5006),
            s(5006, "+PONG\r\n", ack: 1007),
        ],
        lifecycle: ["#1 open mid-stream", "#1 closed endOfCapture"],
        transcripts: ["1>": "PING\r\n", "1<": "+OK\r\n+PONG\r\n"],
        stats: ["gaps": 0]),
    Scenario(
        name: "mid-stream start, client first",
        segments: [c(1001, "PING\r\n", ack: 5001), s(5001, "+PONG\r\n", ack: 1007), c(1007, "PING\r\n", ack: 5008)],
        lifecycle: ["#1 open mid-stream", "#1 closed endOfCapture"],
        transcripts: ["1>": "PING\r\nPING\r\n", "1<": "+PONG\r\n"],
        stats: ["gaps": 0]),
    Scenario(
        name: "mid-stream start on a keep-alive probe (seq one below the stream)",
        segments: [
            c(1000, ack: 5001), s(5001, ack: 1001), c(1001, "PING\r\n", ack: 5001), s(5001, "+PONG\r\n", ack: 1007),
        ],
        lifecycle: ["#1 open mid-stream", "#1 closed endOfCapture"],
        transcripts: ["1>": "PING\r\n", "1<": "+PONG\r\n"],
        stats: ["gaps": 0, "duplicateBytes": 0]),
    Scenario(
        name: "sequence numbers wrap, with reordering across the wrap",
        segments: handshake(client: 0xFFFF_FFFD, server: 0xFFFF_FFFF) + [
            c(0xFFFF_FFFE, "ab", ack: 0),
            c(2, "ef", ack: 0),
            c(0, "cd", ack: 0),
            s(0, "+OK", ack: 4),
            s(3, "!", ack: 4),
        ],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "abcdef", "1<": "+OK!"],
        stats: ["outOfOrderSegments": 1, "gaps": 0]),
    Scenario(
        name: "SYN on a 4-tuple closed by FIN opens a new connection",
        segments: handshake() + [
            c(1001, "one", ack: 5001),
            c(1004, ack: 5001, flags: [.fin]),
            s(5001, ack: 1005, flags: [.fin]),
            c(1005, ack: 5002),
            c(1005, ack: 5002, flags: [.fin]),
        ] + handshake(client: 9000, server: 7000) + [c(9001, "two", ack: 7001)],
        lifecycle: [
            "#1 open handshake", "#1 closed fin by toServer", "#2 open handshake", "#2 closed endOfCapture",
        ],
        transcripts: ["1>": "one", "2>": "two"],
        stats: ["ignoredSegments": 2, "connectionsOpened": 2]),
    Scenario(
        name: "SYN with a new ISN on an open connection replaces it",
        segments: handshake() + [c(1001, "one", ack: 5001)] + handshake(client: 9000, server: 7000)
            + [c(9001, "two", ack: 7001)],
        lifecycle: ["#1 open handshake", "#1 closed idle", "#2 open handshake", "#2 closed endOfCapture"],
        transcripts: ["1>": "one", "2>": "two"],
        stats: ["connectionsOpened": 2, "idleClosed": 0]),
    Scenario(
        name: "retransmitted SYN and SYN-ACK are one connection",
        segments: [
            c(1000, flags: [.syn]), c(1000, flags: [.syn]), s(5000, ack: 1001, flags: [.syn]),
            s(5000, ack: 1001, flags: [.syn]), c(1001, "x", ack: 5001),
        ],
        lifecycle: ["#1 open handshake", "#1 closed endOfCapture"],
        transcripts: ["1>": "x"],
        stats: ["connectionsOpened": 1]),
    Scenario(
        name: "RST mid-stream from the server; later segments ignored",
        segments: handshake() + [
            c(1001, "BLPOP q 0\r\n", ack: 5001),
            s(5001, ack: 1012, flags: [.rst]),
            c(1012, "PING\r\n", ack: 5001),
        ],
        lifecycle: ["#1 open handshake", "#1 closed reset by toClient"],
        transcripts: ["1>": "BLPOP q 0\r\n"],
        stats: ["ignoredSegments": 1]),
    Scenario(
        name: "RST with held data: flushed with the gap first",
        segments: handshake() + [c(1001, "ab"), c(1005, "ef"), c(1007, flags: [.rst])],
        lifecycle: ["#1 open handshake", "#1 closed reset by toServer"],
        transcripts: ["1>": "ab[gap 2]ef"],
        stats: ["gaps": 1, "gapBytes": 2]),
    Scenario(
        name: "RST on an unknown 4-tuple opens nothing",
        segments: [c(1001, flags: [.rst])],
        lifecycle: [],
        transcripts: [:],
        stats: ["ignoredSegments": 1, "connectionsOpened": 0]),
    Scenario(
        name: "FIN half-close: the server still replies; closed by the client's FIN at end of capture",
        segments: handshake() + [
            c(1001, "QUIT\r\n", ack: 5001),
            c(1007, ack: 5001, flags: [.fin]),
            s(5001, "+OK\r\n", ack: 1008),
        ],
        lifecycle: ["#1 open handshake", "#1 closed fin by toServer"],
        transcripts: ["1>": "QUIT\r\n", "1<": "+OK\r\n"],
        stats: ["gaps": 0]),
    Scenario(
        name: "idle connection flushed by capture time advancing on another connection",
        segments: handshake() + [
            c(1001, "ab"),
            c(1005, "ef"),
            seg(otherClient(1), serverEndpoint, 300, "PING\r\n", ack: 700, at: 30 * second),
        ],
        limits: idleLimits,
        lifecycle: ["#1 open handshake", "#1 closed idle", "#2 open mid-stream", "#2 closed endOfCapture"],
        transcripts: ["1>": "ab[gap 2]ef", "2>": "PING\r\n"],
        stats: ["idleClosed": 1, "gaps": 1]),
    Scenario(
        name: "segment after the idle timeout on the same 4-tuple starts a new connection",
        segments: handshake() + [c(1001, "ab", ack: 5001), c(1003, "cd", ack: 5001, at: 30 * second)],
        limits: idleLimits,
        lifecycle: ["#1 open handshake", "#1 closed idle", "#2 open mid-stream", "#2 closed endOfCapture"],
        transcripts: ["1>": "ab", "2>": "cd"],
        stats: ["idleClosed": 1]),
    Scenario(
        name: "pure ACKs keep a connection from going idle",
        segments: [
            c(1001, "a", ack: 5001, at: 0),
            s(5001, ack: 1002, at: 8 * second),
            c(1002, ack: 5001, at: 16 * second),
            seg(otherClient(1), serverEndpoint, 1, "b", ack: 1, at: 24 * second),
        ],
        limits: idleLimits,
        lifecycle: ["#1 open mid-stream", "#2 open mid-stream", "#1 closed endOfCapture", "#2 closed endOfCapture"],
        transcripts: ["1>": "a", "2>": "b"],
        stats: ["idleClosed": 0]),
    Scenario(
        name: "hostile lengths: an absurd snaplen cut near the sequence wrap does not trap",
        segments: [
            c(0xFFFF_FFF0, "ab", ack: 1, cut: Int.max), c(0xFFFF_FFF0, "ab", ack: 1, cut: -5), c(3, "x", ack: 1),
        ],
        lifecycle: ["#1 open mid-stream", "#1 closed endOfCapture"],
        transcripts: ["1>": "ab[gap 1073741822]"],
        stats: ["gaps": 1, "retransmittedSegments": 2]),
    Scenario(
        name: "least recently active connection evicted at maxConnections",
        segments: [
            seg(otherClient(1), serverEndpoint, 100, "a", ack: 1),
            seg(otherClient(2), serverEndpoint, 200, "b", ack: 1),
            seg(otherClient(1), serverEndpoint, 101, "a", ack: 1),
            seg(otherClient(3), serverEndpoint, 300, "c", ack: 1),
        ],
        limits: twoConnectionLimits,
        lifecycle: [
            "#1 open mid-stream", "#2 open mid-stream", "#2 closed evicted", "#3 open mid-stream",
            "#1 closed endOfCapture", "#3 closed endOfCapture",
        ],
        transcripts: ["1>": "aa", "2>": "b", "3>": "c"],
        stats: ["connectionsEvicted": 1]),
    Scenario(
        name: "neither port is a server port",
        segments: [seg(clientEndpoint, Endpoint(address: serverEndpoint.address, port: 80), 1, "GET /", ack: 1)],
        lifecycle: [],
        transcripts: [:],
        stats: ["segmentsNotRedisPort": 1, "segments": 1, "connectionsOpened": 0]),
]

@Suite("TCPReassembler scenarios")
struct ReassemblyScenarioTests {
    @Test(arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        let (recorder, reassembler) = run(scenario.segments, ports: scenario.ports, limits: scenario.limits)
        #expect(recorder.violations == [])
        #expect(recorder.lifecycle == scenario.lifecycle)
        var transcripts: [String: String] = [:]
        for (id, directions) in recorder.transcripts {
            for (direction, text) in directions {
                transcripts["\(id.rawValue)\(direction == .toServer ? ">" : "<")"] = text
            }
        }
        #expect(transcripts == scenario.transcripts)
        let stats = statsTable(reassembler.stats)
        for (name, expected) in scenario.stats.sorted(by: { $0.key < $1.key }) {
            #expect(stats[name] == expected, "\(name)")
        }
        #expect(stats["gaps"] == Int64(recorder.events.filter { if case .gap = $0 { true } else { false } }.count))
    }
}
