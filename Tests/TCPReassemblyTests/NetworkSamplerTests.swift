import Packets
import Testing
@testable import TCPReassembly

/// Round-trip sampling on scenarios whose timing is written out: each expected sample is the difference of two of
/// the scenario's timestamps.
@Suite struct NetworkSamplerTests {
    static let micro: Int64 = 1000

    /// Runs `segments` through a reassembler whose sampler tracks at most `maxHosts` hosts.
    static func sample(_ segments: [Seg], maxHosts: Int = 10_000, bucketBudget: Int = RoundTripSampler.bucketBudget)
        -> RoundTripSampler {
        let reassembler = TCPReassembler(serverPorts: redisPorts)
        reassembler.roundTrips.maxHosts = maxHosts
        reassembler.roundTrips.bucketBudget = bucketBudget
        var recorder = Recorder()
        var time: Int64 = 0
        for seg in segments {
            time = seg.time ?? time + millisecond
            withSegment(seg, time: time) { _ = reassembler.process($0, handler: &recorder) }
        }
        reassembler.finish(timestampNanos: time + millisecond, handler: &recorder)
        return reassembler.roundTrips
    }

    static func only(_ histogram: RoundTripHistogram) -> Int64? {
        histogram.count == 1 && histogram.lowest == histogram.highest ? Int64(histogram.lowest) : nil
    }

    @Test func handshakeAtTheServer() throws {
        let sampler = Self.sample([
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 20 * Self.micro),
            c(1001, ack: 5001, at: 2_020 * Self.micro),
        ])
        let host = try #require(sampler.hosts.first)
        #expect(host.address == clientEndpoint.address)
        #expect(Self.only(host.handshakes) == 2_020 * Self.micro)
        #expect(host.votes.serverSide == 1 && host.votes.clientSide == 0)
        #expect(sampler.vantage == .server)
    }

    @Test func handshakeAtTheClient() throws {
        let sampler = Self.sample([
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 2_000 * Self.micro),
            c(1001, ack: 5001, at: 2_010 * Self.micro),
        ])
        let host = try #require(sampler.hosts.first)
        #expect(Self.only(host.handshakes) == 2_010 * Self.micro)
        #expect(host.votes.clientSide == 1)
        #expect(sampler.vantage == .client)
    }

    /// Both gaps alike (loopback): no end is named.
    @Test func evenGapsLeaveTheVantageUnknown() {
        let sampler = Self.sample([
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 15 * Self.micro),
            c(1001, ack: 5001, at: 27 * Self.micro),
        ])
        #expect(sampler.votes.unclear == 1)
        #expect(sampler.vantage == .unknown)
        #expect(Vantage(VantageVotes()) == .unknown)
    }

    /// A SYN sent again makes the SYN/ACK answer either one: no handshake sample (Karn).
    @Test func resentSynGivesNoHandshakeSample() throws {
        let sampler = Self.sample([
            c(1000, flags: [.syn], at: 0),
            c(1000, flags: [.syn], at: 1 * second),
            s(5000, ack: 1001, flags: [.syn], at: 1 * second + 2 * millisecond),
            c(1001, ack: 5001, at: 1 * second + 4 * millisecond),
        ])
        let host = try #require(sampler.hosts.first)
        #expect(host.handshakes.count == 0)
        #expect(host.votes.total == 0)
        #expect(host.connections == 1)
    }

    /// At the client: each request is acknowledged with its reply; the smallest of 8 in a row is one sample, and the
    /// FIN ends the last, shorter window.
    @Test func dataSamplesAreWindowMinima() throws {
        var segments = [
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 2_000 * Self.micro),
            c(1001, ack: 5001, at: 2_005 * Self.micro),
        ]
        // Request i at 10 ms · (i + 1), reply after `waits[i]` µs; the client's next segment acknowledges the reply.
        let waits: [Int64] = [40_000, 2_100, 3_000, 2_500, 40_000, 2_200, 2_300, 5_000, 2_700]
        var clientSeq: UInt32 = 1001, serverSeq: UInt32 = 5001
        for (i, wait) in waits.enumerated() {
            let sent = Int64(i + 1) * 100 * millisecond
            segments.append(c(clientSeq, "PING\r\n", ack: serverSeq, at: sent))
            clientSeq += 6
            segments.append(s(serverSeq, "+PONG\r\n", ack: clientSeq, at: sent + wait * Self.micro))
            serverSeq += 7
        }
        segments.append(c(clientSeq, ack: serverSeq, flags: [.fin], at: 2 * second))
        let host = try #require(Self.sample(segments).hosts.first)
        #expect(host.clientDataAcked.count == 2)
        #expect(Int64(host.clientDataAcked.lowest) == 2_100 * Self.micro)
        #expect(Int64(host.clientDataAcked.highest) == 2_700 * Self.micro)
        // The replies were acknowledged by the next request (the client's turnaround: no network at this end): a full
        // window of 8, then the last reply's, acknowledged by the FIN.
        #expect(host.serverDataAcked.count == 2)
    }

    /// Bytes sent again before their ACK cancel the probe; the next bytes start a new one.
    @Test func resentDataIsNotTimed() throws {
        let host = try #require(Self.sample([
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 2 * millisecond),
            c(1001, ack: 5001, at: 2 * millisecond + 5 * Self.micro),
            c(1001, "GET a\r\n", ack: 5001, at: 10 * millisecond),
            c(1001, "GET a\r\n", ack: 5001, at: 210 * millisecond),
            s(5001, "$-1\r\n", ack: 1008, at: 212 * millisecond),
            c(1008, "GET b\r\n", ack: 5006, at: 300 * millisecond),
            s(5006, "$-1\r\n", ack: 1015, at: 302 * millisecond + 100 * Self.micro),
            c(1015, ack: 5011, flags: [.fin], at: 400 * millisecond),
        ]).hosts.first)
        #expect(Self.only(host.clientDataAcked) == 2_100 * Self.micro)
    }

    /// A connection picked up mid-stream has no handshake, and its data is still timed.
    @Test func midStreamConnectionsGiveDataSamples() throws {
        let host = try #require(Self.sample([
            c(1001, "PING\r\n", ack: 5001, at: 0),
            s(5001, "+PONG\r\n", ack: 1007, at: 3 * millisecond),
            c(1007, ack: 5008, flags: [.fin], at: 10 * millisecond),
        ]).hosts.first)
        #expect(host.handshakes.count == 0)
        #expect(Self.only(host.clientDataAcked) == 3 * millisecond)
    }

    /// Handshakes from two client hosts: the first's is confirmed at 2 ms, the second's at `secondConfirmedAt`.
    private func handshakesFromTwoHosts(secondConfirmedAt confirmed: Int64) -> [Seg] {
        let other = otherClient(7)
        return [
            c(1000, flags: [.syn], at: 0),
            s(5000, ack: 1001, flags: [.syn], at: 1 * millisecond),
            c(1001, ack: 5001, at: 2 * millisecond),
            seg(other, serverEndpoint, 9000, flags: [.syn], at: 3 * millisecond),
            seg(serverEndpoint, other, 7000, ack: 9001, flags: [.syn], at: 4 * millisecond),
            seg(other, serverEndpoint, 9001, ack: 7001, at: confirmed),
        ]
    }

    /// Past the host limit a client's connections are counted, not timed.
    @Test func hostsPastTheLimitAreCounted() throws {
        let sampler = Self.sample(handshakesFromTwoHosts(secondConfirmedAt: 5 * millisecond), maxHosts: 1)
        #expect(sampler.hosts.count == 1)
        #expect(sampler.connectionsFromUntrackedHosts == 1)
    }

    /// Histogram memory is bounded over all hosts: a sample that needs a bucket past the budget is counted instead.
    @Test func samplesPastTheBucketBudgetAreCounted() throws {
        let sampler = Self.sample(handshakesFromTwoHosts(secondConfirmedAt: 9 * millisecond), bucketBudget: 1)
        #expect(sampler.hosts.map(\.handshakes.count) == [1, 0])
        #expect(sampler.samplesOverBudget == 1)
        #expect(sampler.bucketBudget == 0)
    }

    /// The histogram's buckets are `LatencyHistogram`'s: 1% resolution, extremes exact.
    @Test func histogramKeepsExtremesAndResolution() {
        var histogram = RoundTripHistogram()
        for value: Int64 in [2_000_000, 2_010_000, 2_019_999, 40_000_000, 500_000] { histogram.record(nanos: value) }
        let buckets = histogram.buckets
        #expect(buckets.first?[0] == 500_000 && buckets.last?[0] == 40_000_000)
        #expect(buckets.reduce(0) { $0 + $1[1] } == 5)
        #expect(histogram.count == 5)
    }
}
