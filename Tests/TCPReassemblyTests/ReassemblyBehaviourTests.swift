import Packets
import TCPReassembly
import Testing

/// All orderings of `items`.
private func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    var result: [[T]] = []
    for (index, item) in items.enumerated() {
        var rest = items
        rest.remove(at: index)
        for tail in permutations(rest) { result.append([item] + tail) }
    }
    return result
}

@Suite("TCPReassembler behaviour")
struct ReassemblyBehaviourTests {
    @Test("every permutation of 4 segments delivers the same bytes", arguments: permutations([0, 1, 2, 3]))
    func reorder(_ order: [Int]) {
        let pieces = [c(1001, "*1\r\n"), c(1005, "$4\r\n"), c(1009, "PING"), c(1013, "\r\n")]
        let (recorder, reassembler) = run(handshake() + order.map { pieces[$0] })
        #expect(recorder.violations == [])
        #expect(recorder.transcript(1, .toServer) == "*1\r\n$4\r\nPING\r\n")
        #expect(reassembler.stats.gaps == 0)
        #expect(reassembler.stats.duplicateBytes == 0)
        // Data is delivered when it becomes deliverable, with that segment's time.
        var lastTime: Int64 = 0
        for case .data(_, _, _, at: let time) in recorder.events {
            #expect(time >= lastTime)
            lastTime = time
        }
        #expect(lastTime == 7 * millisecond)
    }

    @Test("every permutation of overlapping segments delivers the same bytes", arguments: permutations([0, 1, 2, 3]))
    func reorderWithOverlaps(_ order: [Int]) {
        let pieces = [c(1001, "abcd"), c(1003, "cdefg"), c(1008, "hij"), c(1006, "fghijkl")]
        let (recorder, reassembler) = run(handshake() + order.map { pieces[$0] })
        #expect(recorder.violations == [])
        #expect(recorder.transcript(1, .toServer) == "abcdefghijkl")
        #expect(reassembler.stats.gaps == 0)
        #expect(reassembler.stats.duplicateBytes == 7)
    }

    @Test("a gap proven by an ACK comes before the reply that carries the ACK")
    func ackGapOrdering() {
        let (recorder, _) = run(handshake() + [c(1001, "GET a\r\n", ack: 5001), s(5001, "$1\r\n1\r\n", ack: 1015)])
        let streamEvents = recorder.events.map(\.description).filter { !$0.contains("open") && !$0.contains("closed") }
        #expect(
            streamEvents == ["#1 toServer \"GET a\\r\\n\"", "#1 toServer gap 7", "#1 toClient \"$1\\r\\n1\\r\\n\""])
    }

    @Test("client and server: the server port decides; SYN direction or the lower port when both are server ports")
    func serverDetection() throws {
        let sentinel = Endpoint(address: IPAddress(ipv4: 0x0A00_0009), port: 26379)
        let low = Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 6379)
        let ports: Set<UInt16> = [6379, 26379]

        let (fromHigh, _) = run([seg(sentinel, low, 1, "x", ack: 1)], ports: ports)
        guard case .opened(_, let client, let server, let handshakeSeen) = try #require(fromHigh.events.first) else {
            Issue.record("no open event")
            return
        }
        #expect(client == sentinel && server == low && !handshakeSeen)

        let (withSyn, _) = run([seg(low, sentinel, 1, flags: [.syn])], ports: ports)
        guard case .opened(_, let synClient, let synServer, let synHandshake) = try #require(withSyn.events.first)
        else {
            Issue.record("no open event")
            return
        }
        #expect(synClient == low && synServer == sentinel && synHandshake)

        let (reply, _) = run([s(5001, "+OK\r\n", ack: 1)])
        guard case .opened(_, let replyClient, let replyServer, _) = try #require(reply.events.first) else {
            Issue.record("no open event")
            return
        }
        #expect(replyClient == clientEndpoint && replyServer == serverEndpoint)
    }

    @Test("the total buffer limit is shared by all connections")
    func totalBufferLimit() {
        var limits = ReassemblyLimits()
        limits.maxBufferedBytesTotal = 200
        let other = otherClient(1)
        let (recorder, reassembler) = run(
            [
                c(1001, "a", ack: 1), c(1010, String(repeating: "x", count: 50), ack: 1),
                seg(other, serverEndpoint, 1001, "b", ack: 1),
                seg(other, serverEndpoint, 1010, String(repeating: "y", count: 50), ack: 1),
            ], limits: limits, finishAt: nil)
        // 2 * (50 + 64) > 200: the second connection's hole is skipped, the first one's data stays held.
        #expect(recorder.transcript(1, .toServer) == "a")
        #expect(recorder.transcript(2, .toServer) == "b[gap 8]" + String(repeating: "y", count: 50))
        #expect(reassembler.stats.bufferLimitDrops == 1)
        #expect(reassembler.bufferedBytes == 50 + 64)
    }

    @Test("connectionClosed exactly once per connection, whatever ends it")
    func exactlyOnceClose() {
        var all: [Seg] = []
        for scenario in scenarios { all += scenario.segments }
        let (recorder, reassembler) = run(all)
        #expect(recorder.violations == [])
        var opens = 0
        var closes: [ConnectionID: Int] = [:]
        for event in recorder.events {
            if case .opened = event { opens += 1 }
            if case .closed(let id, _, _, _) = event { closes[id, default: 0] += 1 }
        }
        #expect(opens == reassembler.stats.connectionsOpened)
        #expect(closes.count == opens)
        #expect(closes.values.allSatisfy { $0 == 1 })
    }

    @Test("idle close is stamped with the connection's last segment time")
    func idleTimestamp() {
        var limits = ReassemblyLimits()
        limits.idleTimeoutNanos = 10 * second
        let (recorder, reassembler) = run(
            [
                c(1001, "a", ack: 1, at: 5 * second),
                seg(otherClient(1), serverEndpoint, 1, "b", ack: 1, at: 60 * second),
            ],
            limits: limits, finishAt: 61 * second)
        let closes = recorder.events.compactMap { event -> String? in
            guard case .closed(let id, let reason, _, at: let time) = event else { return nil }
            return "#\(id) \(reason) \(time / second)"
        }
        #expect(closes == ["#1 idle 5", "#2 endOfCapture 61"])
        #expect(reassembler.stats.idleClosed == 1)
    }

    @Test("in-order data is passed through without copying")
    func zeroCopy() {
        final class Pointers: @unchecked Sendable { var seen: [UnsafeRawPointer?] = [] }
        struct Spy: TCPStreamHandler {
            let pointers: Pointers
            mutating func connectionOpened(
                _: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, timestampNanos: Int64
            ) {}
            mutating func streamData(
                _: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer, timestampNanos: Int64
            ) {
                pointers.seen.append(bytes.baseAddress)
            }
            mutating func streamGap(
                _: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64
            ) {}
            mutating func connectionClosed(
                _: ConnectionID, reason: CloseReason, closedBy: StreamDirection?, timestampNanos: Int64
            ) {}
        }
        let reassembler = TCPReassembler(serverPorts: redisPorts)
        var spy = Spy(pointers: Pointers())
        let payload: [UInt8] = Array("PING\r\n".utf8)
        payload.withUnsafeBytes { bytes in
            let segment = TCPSegment(
                timestampNanos: 1, source: clientEndpoint, destination: serverEndpoint, sequence: 1,
                acknowledgment: 1, flags: [.ack], payload: bytes, missingPayloadBytes: 0)
            reassembler.process(segment, handler: &spy)
            #expect(spy.pointers.seen == [bytes.baseAddress])
        }
    }
}

@Suite("SequenceNumber")
struct SequenceNumberTests {
    @Test("ordering and distance across the 2^32 wrap")
    func wrap() {
        let beforeWrap = SequenceNumber(0xFFFF_FFF0)
        let afterWrap = SequenceNumber(0x10)
        #expect(beforeWrap < afterWrap)
        #expect(!(afterWrap < beforeWrap))
        #expect(beforeWrap.distance(to: afterWrap) == 0x20)
        #expect(afterWrap.distance(to: beforeWrap) == -0x20)
        #expect(beforeWrap.advanced(by: 0x20) == afterWrap)
        #expect(afterWrap.advanced(by: -0x20) == beforeWrap)
        #expect(SequenceNumber(5) < SequenceNumber(6))
        #expect(SequenceNumber(0x7FFF_FFFF) > SequenceNumber(0))
        #expect(SequenceNumber(0x8000_0001) < SequenceNumber(0))
    }
}
