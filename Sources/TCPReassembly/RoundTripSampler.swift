import Packets

/// Network round trips from TCP timing alone, per client host, and which end of the path the capture was taken at.
///
/// Two kinds of sample (`HostRoundTrips` keeps them apart):
/// - the handshake: SYN to the ACK completing it is one full round trip at any point of the path (plus each end's
///   kernel answering, microseconds). Its two gaps place the capture: at the server the SYN/ACK follows the SYN
///   at once and the ACK comes a round trip later; at the client the reverse (`VantageVotes`).
/// - data to its acknowledgment, one probe per direction at a time: bytes sent from the capture's end come back
///   acknowledged after a round trip plus the far end's delay (its reply, its next request, or a delayed ACK of up
///   to 40 ms); bytes from the far end are acknowledged after the near end's delay only, which is no network. The
///   smallest of each window of `samplesPerWindow` probes on a connection is kept (the far end answers at once
///   some of the time), so a data sample is a round trip plus the far end's shortest turnaround in that window.
///
/// Which data samples are network is known once the vantage is (`Vantage`). Per segment this costs no allocation
/// (about 130 instructions in a release build); a host's table entry is made once, at its first connection, up to
/// `maxHosts` hosts.
public final class RoundTripSampler {
    /// Hosts past this many are not tracked (`--max-tracked-clients`): their connections are only counted.
    public var maxHosts: Int
    public private(set) var hosts: [HostRoundTrips] = []
    /// Connections from hosts past `maxHosts`.
    public private(set) var connectionsFromUntrackedHosts = 0
    /// Histogram buckets all hosts together may still add (4 bytes each): a few hundred per host normally; a capture
    /// that spreads samples over every bucket of many hosts stops here.
    public var bucketBudget = RoundTripSampler.bucketBudget
    public static let bucketBudget = 4_000_000
    /// Samples not recorded because they needed buckets past `bucketBudget`.
    public private(set) var samplesOverBudget = 0
    private var slots: [IPAddress: Int32] = [:]

    /// Data probes per window; the smallest of each is one sample.
    public static let samplesPerWindow: UInt8 = 8
    /// A handshake places the capture at one end when one of its gaps is at least this many times the other.
    public static let vantageRatio: Int64 = 4

    public init(maxHosts: Int = 10_000) {
        self.maxHosts = maxHosts
    }

    /// The handshakes' verdict over all hosts.
    public var votes: VantageVotes {
        var all = VantageVotes()
        for host in hosts { all.add(host.votes) }
        return all
    }

    public var vantage: Vantage { Vantage(votes) }

    /// Times `segment` of a connection whose client is `client`; `direction` is the segment's.
    @inline(__always)
    public func observe(_ segment: TCPSegment, direction: StreamDirection, timing: inout ConnectionTiming,
                        client: IPAddress) {
        if timing.hostSlot == ConnectionTiming.unresolved { timing.hostSlot = slot(for: client) }
        let slot = Int(timing.hostSlot)
        let time = segment.timestampNanos
        let flags = segment.flags
        if flags.contains(.syn) {
            noteSyn(flags, direction: direction, at: time, timing: &timing)
            return
        }
        if timing.handshake == .synAck {
            guard direction == .toServer, flags.contains(.ack) else {
                timing.handshake = .void
                return
            }
            timing.handshake = .done
            if slot >= 0 { recordHandshake(timing, ackAt: time, slot: slot) }
        }
        if slot < 0 { return }
        let length = segment.payload.count &+ segment.missingPayloadBytes
        let toServer = direction == .toServer
        if length > 0 {
            let sequence = SequenceNumber(segment.sequence)
            if toServer {
                timing.fromClient.sent(sequence: sequence, length: length, at: time)
            } else {
                timing.fromServer.sent(sequence: sequence, length: length, at: time)
            }
        }
        if flags.contains(.ack) {
            let acknowledgment = SequenceNumber(segment.acknowledgment)
            if toServer {
                if let elapsed = timing.fromServer.acknowledged(acknowledgment, at: time) {
                    window(&timing.fromServer, elapsed, into: &hosts[slot].serverDataAcked)
                }
            } else if let elapsed = timing.fromClient.acknowledged(acknowledgment, at: time) {
                window(&timing.fromClient, elapsed, into: &hosts[slot].clientDataAcked)
            }
        }
        if flags.contains(.fin) || flags.contains(.rst) {
            flush(&timing.fromClient, into: &hosts[slot].clientDataAcked)
            flush(&timing.fromServer, into: &hosts[slot].serverDataAcked)
        }
    }

    /// A SYN, then a SYN/ACK, each seen once: a repeated one makes the handshake's timing ambiguous (Karn).
    @inline(__always)
    private func noteSyn(_ flags: TCPFlags, direction: StreamDirection, at time: Int64, timing: inout ConnectionTiming) {
        switch (timing.handshake, flags.contains(.ack), direction) {
        case (.none, false, .toServer):
            timing.synNanos = time
            timing.handshake = .syn
        case (.syn, true, .toClient):
            timing.synAckNanos = time
            timing.handshake = .synAck
        default:
            timing.handshake = .void
        }
    }

    private func recordHandshake(_ timing: ConnectionTiming, ackAt time: Int64, slot: Int) {
        let answer = timing.synAckNanos &- timing.synNanos
        let confirm = time &- timing.synAckNanos
        guard answer >= 0, confirm >= 0 else { return }
        if !hosts[slot].handshakes.record(nanos: answer &+ confirm, budget: &bucketBudget) { samplesOverBudget += 1 }
        if confirm >= Self.vantageRatio &* answer && confirm > answer {
            hosts[slot].votes.serverSide += 1
        } else if answer >= Self.vantageRatio &* confirm && answer > confirm {
            hosts[slot].votes.clientSide += 1
        } else {
            hosts[slot].votes.unclear += 1
        }
    }

    @inline(__always)
    private func window(_ probe: inout DataProbe, _ elapsed: Int64, into histogram: inout RoundTripHistogram) {
        if elapsed < probe.windowMin { probe.windowMin = elapsed }
        probe.windowCount &+= 1
        if probe.windowCount >= Self.samplesPerWindow { flush(&probe, into: &histogram) }
    }

    /// Records the window's smallest sample, if it has one, and starts a new window.
    private func flush(_ probe: inout DataProbe, into histogram: inout RoundTripHistogram) {
        guard probe.windowCount > 0 else { return }
        if !histogram.record(nanos: probe.windowMin, budget: &bucketBudget) { samplesOverBudget += 1 }
        probe.windowMin = .max
        probe.windowCount = 0
    }

    /// The host's table entry, made at its first connection (which is counted here).
    private func slot(for client: IPAddress) -> Int32 {
        if let slot = slots[client] {
            hosts[Int(slot)].connections += 1
            return slot
        }
        guard hosts.count < maxHosts else {
            connectionsFromUntrackedHosts += 1
            return ConnectionTiming.untracked
        }
        let slot = Int32(hosts.count)
        slots[client] = slot
        hosts.append(HostRoundTrips(address: client))
        hosts[Int(slot)].connections = 1
        return slot
    }
}
