import Packets

/// Round-trip samples of the connections from one client address, kept apart by what each measures (see
/// `RoundTripSampler`).
public struct HostRoundTrips: Sendable {
    public let address: IPAddress
    /// Connections from this host (counted at their first segment).
    public internal(set) var connections = 0
    /// SYN to the ACK that completes the handshake: one full round trip wherever the capture was taken.
    public internal(set) var handshakes = RoundTripHistogram()
    /// Bytes from the client until the server's ACK covers them, the smallest of each window of samples: a round
    /// trip plus the server's shortest turnaround at the client's end; the server's turnaround alone at the server's.
    public internal(set) var clientDataAcked = RoundTripHistogram()
    /// Bytes from the server until the client's ACK covers them, likewise: a round trip plus the client's shortest
    /// turnaround at the server's end; the client's turnaround alone at the client's.
    public internal(set) var serverDataAcked = RoundTripHistogram()
    /// Which end each handshake says the capture was taken at.
    public internal(set) var votes = VantageVotes()

    init(address: IPAddress) {
        self.address = address
    }
}

/// Handshakes by the end of the connection they place the capture at.
public struct VantageVotes: Sendable, Equatable {
    /// The SYN/ACK followed the SYN at once, the ACK came a round trip later: taken at the server.
    public var serverSide = 0
    /// The SYN/ACK came a round trip after the SYN, the ACK at once: taken at the client.
    public var clientSide = 0
    /// Neither gap dominated (both ends on one host, or a capture between them).
    public var unclear = 0

    public init() {}

    public var total: Int { serverSide + clientSide + unclear }

    mutating func add(_ other: VantageVotes) {
        serverSide += other.serverSide
        clientSide += other.clientSide
        unclear += other.unclear
    }
}

/// Where the capture was taken on the path between clients and server.
public enum Vantage: String, Sendable, Codable {
    case server, client, unknown

    /// Server or client when at least half the handshakes say which and nine in ten of those say the same end.
    public init(_ votes: VantageVotes) {
        let decisive = votes.serverSide + votes.clientSide
        guard decisive > 0, 2 * decisive >= votes.total else {
            self = .unknown
            return
        }
        if 10 * votes.serverSide >= 9 * decisive {
            self = .server
        } else if 10 * votes.clientSide >= 9 * decisive {
            self = .client
        } else {
            self = .unknown
        }
    }
}
