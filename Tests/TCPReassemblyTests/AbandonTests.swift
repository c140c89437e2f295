import Packets
import Testing
@testable import TCPReassembly

/// Tracking every port, and abandoning a connection whose bytes are of no interest: what it held is freed, its later
/// segments are counted and delivered nowhere, and it still closes exactly once.
@Suite struct AbandonTests {
    static let web = Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 8080)

    @Test func everyPortIsTrackedWithTheServerFromTheSYN() {
        let reassembler = TCPReassembler(serverPorts: redisPorts, tracksEveryPort: true)
        var recorder = Recorder()
        // The client's port is the lower one: only the SYN tells which side is the server.
        let client = Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 1000)
        for (index, segment) in [seg(client, Self.web, 10, flags: [.syn]), seg(Self.web, client, 90, ack: 11, flags: [.syn]),
                                 seg(client, Self.web, 11, "GET / HTTP/1.1\r\n", ack: 91)].enumerated() {
            withSegment(segment, time: Int64(index) * millisecond) { #expect(reassembler.process($0, handler: &recorder)) }
        }
        #expect(recorder.events.first == .opened(ConnectionID(rawValue: 1), client: client, server: Self.web, handshakeSeen: true))
        #expect(recorder.transcript(1, .toServer) == "GET / HTTP/1.1\r\n")
        #expect(reassembler.stats.segmentsNotRedisPort == 0)
    }

    @Test func abandonedConnectionHoldsNothingAndStillClosesOnce() {
        let reassembler = TCPReassembler(serverPorts: redisPorts, tracksEveryPort: true)
        var recorder = Recorder()
        let client = otherClient(1)
        let segments = [
            seg(client, Self.web, 100, "first", ack: 900),
            seg(client, Self.web, 110, "held ahead of a hole", ack: 900),
        ]
        var time: Int64 = 0
        for segment in segments {
            time += millisecond
            withSegment(segment, time: time) { _ = reassembler.process($0, handler: &recorder) }
        }
        #expect(reassembler.bufferedBytes > 0)
        withSegment(segments[0], time: time) { reassembler.abandon(ConnectionID(rawValue: 1), carrying: $0) }
        #expect(reassembler.bufferedBytes == 0)
        let later = [
            seg(client, Self.web, 105, "fills", ack: 900),
            seg(Self.web, client, 900, "reply", ack: 105),
            seg(client, Self.web, 130, ack: 905, flags: [.fin]),
            seg(Self.web, client, 905, ack: 131, flags: [.fin]),
        ]
        for segment in later {
            time += millisecond
            withSegment(segment, time: time) { #expect(!reassembler.process($0, handler: &recorder)) }
        }
        #expect(recorder.transcript(1, .toServer) == "first")
        #expect(recorder.transcript(1, .toClient) == "")
        #expect(recorder.lifecycle == ["#1 open mid-stream", "#1 closed fin by toServer"])
        #expect(recorder.violations.isEmpty, "\(recorder.violations)")
        #expect(reassembler.openConnections == 0)
        #expect(reassembler.stats.connectionsAbandoned == 1 && reassembler.stats.segmentsAbandoned == 4)
        // The 4-tuple is remembered as closed: a straggler opens nothing.
        withSegment(seg(client, Self.web, 131, ack: 906), time: time + millisecond) { _ = reassembler.process($0, handler: &recorder) }
        #expect(reassembler.openConnections == 0)
    }

    @Test func abandonNamesTheConnectionOfTheSegment() {
        let reassembler = TCPReassembler(serverPorts: redisPorts, tracksEveryPort: true)
        var recorder = Recorder()
        let first = seg(otherClient(1), Self.web, 100, "a", ack: 900)
        let second = seg(otherClient(2), Self.web, 100, "b", ack: 900)
        withSegment(first, time: millisecond) { _ = reassembler.process($0, handler: &recorder) }
        withSegment(second, time: 2 * millisecond) { _ = reassembler.process($0, handler: &recorder) }
        // Connection 1's id with connection 2's segment: nothing is abandoned.
        withSegment(second, time: 2 * millisecond) { reassembler.abandon(ConnectionID(rawValue: 1), carrying: $0) }
        #expect(reassembler.stats.connectionsAbandoned == 0)
        withSegment(seg(otherClient(2), Self.web, 101, "c", ack: 900), time: 3 * millisecond) {
            #expect(reassembler.process($0, handler: &recorder))
        }
        #expect(recorder.transcript(2, .toServer) == "bc")
    }
}
