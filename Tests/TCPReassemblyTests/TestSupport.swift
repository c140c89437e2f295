import Packets
import TCPReassembly

// Scenario building blocks: segments written as data, a handler that records everything, and a runner that also
// checks the lifecycle contract (opened first, nothing after close, closed exactly once).

let clientEndpoint = Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 50_000)
let serverEndpoint = Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 6379)
let redisPorts: Set<UInt16> = [6379]
let millisecond: Int64 = 1_000_000
let second: Int64 = 1_000_000_000

/// A segment between any two endpoints.
func seg(
    _ from: Endpoint, _ to: Endpoint, _ seq: UInt32, _ data: String = "", ack: UInt32? = nil, flags: TCPFlags = [],
    at time: Int64? = nil
) -> Seg {
    Seg(from: from, to: to, seq: seq, ack: ack, flags: flags, data: Array(data.utf8), time: time)
}

/// A client endpoint other than the default one.
func otherClient(_ number: UInt32) -> Endpoint {
    Endpoint(address: IPAddress(ipv4: 0x0A00_0100 &+ number), port: UInt16(truncatingIfNeeded: 40_000 &+ number))
}

/// One segment of a scenario. `time` nil means "1 ms after the previous one".
struct Seg: Sendable {
    var from: Endpoint
    var to: Endpoint
    var seq: UInt32
    var ack: UInt32?
    var flags: TCPFlags
    var data: [UInt8]
    var cut: Int = 0
    var time: Int64?
}

/// A segment from the default client to the default server; `ack` adds the ACK flag.
func c(
    _ seq: UInt32, _ data: String = "", ack: UInt32? = nil, flags: TCPFlags = [], cut: Int = 0, at time: Int64? = nil
) -> Seg {
    Seg(
        from: clientEndpoint, to: serverEndpoint, seq: seq, ack: ack, flags: flags, data: Array(data.utf8), cut: cut,
        time: time)
}

/// A segment from the default server to the default client.
func s(
    _ seq: UInt32, _ data: String = "", ack: UInt32? = nil, flags: TCPFlags = [], cut: Int = 0, at time: Int64? = nil
) -> Seg {
    Seg(
        from: serverEndpoint, to: clientEndpoint, seq: seq, ack: ack, flags: flags, data: Array(data.utf8), cut: cut,
        time: time)
}

/// SYN, SYN-ACK, ACK: client data starts at `client + 1`, server data at `server + 1`.
func handshake(client: UInt32 = 1000, server: UInt32 = 5000) -> [Seg] {
    [
        c(client, flags: [.syn]),
        s(server, ack: client &+ 1, flags: [.syn]),
        c(client &+ 1, ack: server &+ 1),
    ]
}

/// Calls `body` with the TCP segment `seg` describes, its payload borrowed from `seg.data`.
func withSegment<R>(_ seg: Seg, time: Int64, _ body: (TCPSegment) -> R) -> R {
    var flags = seg.flags
    if seg.ack != nil { flags.insert(.ack) }
    return seg.data.withUnsafeBytes { payload in
        body(
            TCPSegment(
                timestampNanos: time, source: seg.from, destination: seg.to, sequence: seg.seq,
                acknowledgment: seg.ack ?? 0, flags: flags, payload: payload, missingPayloadBytes: seg.cut))
    }
}

/// Records every event, renders per-direction transcripts (gaps as `[gap N]`), and notes contract violations.
struct Recorder: TCPStreamHandler {
    enum Event: Equatable, CustomStringConvertible {
        case opened(ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool)
        case data(ConnectionID, StreamDirection, String, at: Int64)
        case gap(ConnectionID, StreamDirection, Int, at: Int64)
        case closed(ConnectionID, CloseReason, StreamDirection?, at: Int64)

        var description: String {
            switch self {
            case .opened(let id, _, _, let handshake):
                "#\(id) open\(handshake ? " handshake" : " mid-stream")"
            case .data(let id, let direction, let text, _): "#\(id) \(direction) \(text.debugDescription)"
            case .gap(let id, let direction, let count, _): "#\(id) \(direction) gap \(count)"
            case .closed(let id, let reason, let by, _): "#\(id) closed \(reason)\(by.map { " by \($0)" } ?? "")"
            }
        }
    }

    var events: [Event] = []
    var transcripts: [ConnectionID: [StreamDirection: String]] = [:]
    var byteCounts: [StreamDirection: Int] = [:]
    var gapCounts: [StreamDirection: Int] = [:]
    var open: Set<ConnectionID> = []
    var closed: Set<ConnectionID> = []
    var violations: [String] = []
    /// Keep per-event text; off for big captures.
    var recordText = true

    mutating func connectionOpened(
        _ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, timestampNanos: Int64
    ) {
        if open.contains(id) || closed.contains(id) { violations.append("#\(id) opened twice") }
        open.insert(id)
        events.append(.opened(id, client: client, server: server, handshakeSeen: handshakeSeen))
    }

    mutating func streamData(
        _ id: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer, timestampNanos: Int64
    ) {
        if !open.contains(id) { violations.append("#\(id) data while not open") }
        if bytes.isEmpty { violations.append("#\(id) empty data") }
        byteCounts[direction, default: 0] += bytes.count
        guard recordText else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        transcripts[id, default: [:]][direction, default: ""] += text
        events.append(.data(id, direction, text, at: timestampNanos))
    }

    mutating func streamGap(_ id: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64) {
        if !open.contains(id) { violations.append("#\(id) gap while not open") }
        if byteCount <= 0 { violations.append("#\(id) gap of \(byteCount)") }
        gapCounts[direction, default: 0] += byteCount
        transcripts[id, default: [:]][direction, default: ""] += "[gap \(byteCount)]"
        events.append(.gap(id, direction, byteCount, at: timestampNanos))
    }

    mutating func connectionClosed(
        _ id: ConnectionID, reason: CloseReason, closedBy: StreamDirection?, timestampNanos: Int64
    ) {
        if !open.contains(id) { violations.append("#\(id) closed while not open") }
        open.remove(id)
        closed.insert(id)
        events.append(.closed(id, reason, closedBy, at: timestampNanos))
    }

    func transcript(_ id: UInt64, _ direction: StreamDirection) -> String {
        transcripts[ConnectionID(rawValue: id)]?[direction] ?? ""
    }

    /// Lifecycle lines only (open, close), in event order.
    var lifecycle: [String] {
        events.compactMap { event in
            switch event {
            case .opened, .closed: event.description
            default: nil
            }
        }
    }
}

/// Feeds `segments` (then `finish` unless `finishAt` is nil), returning the recorder and the reassembler.
func run(
    _ segments: [Seg], ports: Set<UInt16> = redisPorts, limits: ReassemblyLimits = .init(),
    finishAt: Int64? = .max
) -> (Recorder, TCPReassembler) {
    let reassembler = TCPReassembler(serverPorts: ports, limits: limits)
    var recorder = Recorder()
    var time: Int64 = 0
    for seg in segments {
        time = seg.time ?? time + millisecond
        withSegment(seg, time: time) { segment in
            _ = reassembler.process(segment, handler: &recorder)
        }
    }
    if let finishAt {
        reassembler.finish(timestampNanos: finishAt == .max ? time + millisecond : finishAt, handler: &recorder)
        if !recorder.open.isEmpty { recorder.violations.append("open after finish: \(recorder.open)") }
        if reassembler.openConnections != 0 { recorder.violations.append("reassembler still tracks connections") }
        if reassembler.bufferedBytes != 0 { recorder.violations.append("bytes still buffered after finish") }
    }
    return (recorder, reassembler)
}

/// `stats` as name -> value, so scenarios can state only the counters they care about.
func statsTable(_ stats: ReassemblyStats) -> [String: Int64] {
    var table: [String: Int64] = [:]
    for child in Mirror(reflecting: stats).children {
        guard let label = child.label else { continue }
        if let value = child.value as? Int { table[label] = Int64(value) }
        if let value = child.value as? Int64 { table[label] = value }
    }
    return table
}
