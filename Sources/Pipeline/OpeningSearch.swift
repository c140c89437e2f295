import Packets
import RedisSemantics
import TCPReassembly

/// A connection on a port not named as a Redis port, while its first bytes are read to tell whether it carries Redis.
///
/// What arrives meanwhile is held (copied, at most `maxHeldBytes`), to be replayed into a session once the connection
/// proves to be Redis, or dropped once it proves not to be. Redis: the client's first message is a RESP array naming
/// a known command, or an inline command the server answers with RESP (picked up mid-stream, also: pub/sub messages
/// to a client that only listens). A Redis server never speaks first. With the
/// handshake seen, the SYN's sender is the client; picked up mid-stream, the side whose bytes are requests is, and
/// each chunk of a side may start a message, so up to `maxStartsTried` starts are tried per side.
final class OpeningSearch {
    enum Held {
        case data(toServer: Bool, bytes: [UInt8], timestampNanos: Int64)
        case gap(toServer: Bool, byteCount: Int, timestampNanos: Int64)
    }

    enum Verdict: Equatable {
        case undecided
        /// `swapped`: the reassembler's client is the server.
        case redis(swapped: Bool)
        case notRedis
    }

    /// One direction: the bytes since the message start being judged, and what they say.
    private struct Side {
        var start: [UInt8] = []
        var request = RedisOpeningSniffer.Request.needMore
        var reply = RedisOpeningSniffer.Judgement.needMore
        var push = RedisOpeningSniffer.Judgement.needMore
        var startsTried = 0
        var spoke = false
        /// The start being judged ended (a gap): the next chunk starts another.
        var restart = false

        var isJudged: Bool { request != .needMore && reply != .needMore && push != .needMore }
        var isHopeless: Bool { request == .no && reply == .no }
    }

    static let maxHeldBytes = 16 << 10
    private static let replconf = CommandTable.index(named: "replconf")
    static let maxStartsTried = 8
    /// Bytes of one message start looked at: enough for a command name or a reply's first line.
    static let maxStartBytes = 1024

    let client: Endpoint
    let server: Endpoint
    let handshakeSeen: Bool
    let openedNanos: Int64
    private(set) var held: [Held] = []
    private(set) var heldBytes = 0
    /// Some bytes arrived (held or not): a connection that carried something.
    private(set) var carriedBytes = false
    private var toServer = Side()
    private var toClient = Side()

    init(client: Endpoint, server: Endpoint, handshakeSeen: Bool, openedNanos: Int64) {
        self.client = client
        self.server = server
        self.handshakeSeen = handshakeSeen
        self.openedNanos = openedNanos
    }

    /// Judges again with the bytes, and holds them. `canHold`: the stage's total bound has room for them. Bytes that
    /// prove Redis are held whatever their size (a first request can be a 64 KiB segment): they are replayed at once.
    func add(_ bytes: UnsafeRawBufferPointer, toServer isToServer: Bool, at time: Int64, canHold: Bool) -> Verdict {
        carriedBytes = true
        if isToServer {
            Self.look(at: bytes, side: &toServer, midStream: !handshakeSeen)
        } else {
            Self.look(at: bytes, side: &toClient, midStream: !handshakeSeen)
        }
        let verdict = verdict()
        switch verdict {
        case .notRedis:
            return verdict
        case .redis:
            held.append(.data(toServer: isToServer, bytes: Array(bytes), timestampNanos: time))
            return verdict
        case .undecided:
            guard canHold, heldBytes + bytes.count <= Self.maxHeldBytes else { return .notRedis }
            held.append(.data(toServer: isToServer, bytes: Array(bytes), timestampNanos: time))
            heldBytes += bytes.count
            return verdict
        }
    }

    func addGap(_ byteCount: Int, toServer isToServer: Bool, at time: Int64) {
        held.append(.gap(toServer: isToServer, byteCount: byteCount, timestampNanos: time))
        if isToServer { toServer.restart = true } else { toClient.restart = true }
    }

    private static func look(at bytes: UnsafeRawBufferPointer, side: inout Side, midStream: Bool) {
        if side.restart || (midStream && side.spoke && side.isHopeless) {
            // Another message start: after a gap, or the next chunk of a side picked up mid-stream.
            guard side.startsTried < maxStartsTried else { return }
            side = Side(startsTried: side.startsTried)
        } else if side.isJudged {
            return
        }
        side.spoke = true
        if side.start.isEmpty { side.startsTried += 1 }
        side.start.append(contentsOf: bytes.prefix(maxStartBytes - side.start.count))
        side.start.withUnsafeBytes { start in
            if side.request == .needMore { side.request = RedisOpeningSniffer.request(start) }
            if side.reply == .needMore { side.reply = RedisOpeningSniffer.reply(start) }
            if side.push == .needMore { side.push = RedisOpeningSniffer.push(start) }
        }
        if side.start.count >= maxStartBytes {
            if side.request == .needMore { side.request = .no }
            if side.reply == .needMore { side.reply = .no }
            if side.push == .needMore { side.push = .no }
        }
    }

    private func verdict() -> Verdict {
        if handshakeSeen {
            if toClient.spoke && !toServer.spoke { return .notRedis }
            switch toServer.request {
            case .array: return .redis(swapped: false)
            case .inline:
                switch toClient.reply {
                case .yes: return .redis(swapped: false)
                case .no: return .notRedis
                case .needMore: return .undecided
                }
            case .no: return toServer.restart ? .undecided : .notRedis
            case .needMore: return .undecided
            }
        }
        switch (toServer.request, toClient.request) {
        case (.array(let a), .array(let b)):
            // Both sides send commands: a replication link, whose replica sends REPLCONF.
            return .redis(swapped: b == Self.replconf && a != Self.replconf)
        case (.array, _): return .redis(swapped: false)
        case (_, .array): return .redis(swapped: true)
        case (.inline, _) where toClient.reply == .yes: return .redis(swapped: false)
        case (_, .inline) where toServer.reply == .yes: return .redis(swapped: true)
        default: break
        }
        // A subscriber that only listens: the side receiving pub/sub messages is the client.
        if toClient.push == .yes { return .redis(swapped: false) }
        if toServer.push == .yes { return .redis(swapped: true) }
        let exhausted = { (side: Side) in side.isHopeless && side.startsTried >= Self.maxStartsTried }
        return exhausted(toServer) && exhausted(toClient) ? .notRedis : .undecided
    }
}
