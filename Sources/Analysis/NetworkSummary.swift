/// The network apart from the server (`network` in the JSON): round trips per client host from TCP timing alone,
/// and where the capture was taken. Written at the end of the stream stage; nil when the capture has no connection.
public struct NetworkSummary: Codable, Sendable {
    /// `server`, `client` or `unknown` (no handshake, or handshakes that disagree or do not tell).
    public var vantage: String
    /// The handshakes behind `vantage`, by the end each placed the capture at.
    public var vantageEvidence = VantageEvidence()
    /// Per client address, most connections first.
    public var hosts: [Host] = []
    /// Connections from client addresses past `--max-tracked-clients`; nil when there were none.
    public var connectionsFromUntrackedHosts: Int?

    public init(vantage: String) {
        self.vantage = vantage
    }

    public struct VantageEvidence: Codable, Sendable, Equatable {
        /// SYN/ACK right after the SYN, the ACK a round trip later.
        public var serverSide = 0
        /// SYN/ACK a round trip after the SYN, the ACK right after it.
        public var clientSide = 0
        /// Neither gap four times the other.
        public var unclear = 0

        public init() {}
    }

    public struct Host: Codable, Sendable {
        public var host: String
        public var connections: Int
        /// Handshake samples: SYN to the ACK completing it, one round trip wherever the capture was taken.
        public var handshakes: Int
        /// Data samples: bytes sent from the capture's end to the far end's ACK, the smallest of up to 8 in a row, a
        /// round trip plus the far end's quickest turnaround (only when `vantage` is known).
        public var dataSamples: Int
        /// Round trip percentiles in microseconds, from `rttBasis`; nil without samples.
        public var rttMicros: RoundTripMicros?
        /// `handshakes` when the host has at least `minHandshakesAlone` of them (they hold no turnaround), otherwise
        /// `handshakes and data`.
        public var rttBasis: String?
        /// The samples as [nanoseconds, count] pairs, for an exact `merge`.
        public var handshakeHistogram: [[UInt64]]?
        public var dataHistogram: [[UInt64]]?

        /// Handshakes alone give a host's round trip from this many on.
        public static let minHandshakesAlone = 3

        public init(host: String, connections: Int, handshakes: LatencyHistogram, data: LatencyHistogram) {
            self.host = host
            self.connections = connections
            self.handshakes = handshakes.count
            dataSamples = data.count
            handshakeHistogram = handshakes.count > 0 ? handshakes.buckets : nil
            dataHistogram = data.count > 0 ? data.buckets : nil
            var basis = handshakes
            if handshakes.count < Self.minHandshakesAlone { basis.add(data) }
            if basis.count > 0 {
                rttMicros = RoundTripMicros(basis.summaryMicros)
                rttBasis = handshakes.count >= Self.minHandshakesAlone ? "handshakes"
                    : handshakes.count > 0 && data.count > 0 ? "handshakes and data"
                    : handshakes.count > 0 ? "handshakes" : "data"
            }
        }

        public var handshakeSamples: LatencyHistogram { LatencyHistogram(buckets: handshakeHistogram ?? []) }
        public var dataSampleHistogram: LatencyHistogram { LatencyHistogram(buckets: dataHistogram ?? []) }

        /// The samples behind `rttMicros`.
        public var histogram: LatencyHistogram {
            var basis = handshakeSamples
            if handshakes < Self.minHandshakesAlone { basis.add(dataSampleHistogram) }
            return basis
        }
    }

    public struct RoundTripMicros: Codable, Sendable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double

        public init(_ latency: AnalysisReport.Latency) {
            p50 = latency.p50
            p90 = latency.p90
            p99 = latency.p99
        }
    }

    /// Every host's samples together.
    public var roundTrips: LatencyHistogram {
        var all = LatencyHistogram()
        for host in hosts { all.add(host.histogram) }
        return all
    }

    /// The median round trip over all hosts' samples, in microseconds; nil without samples.
    public var roundTripP50Micros: Double? {
        let all = roundTrips
        return all.count > 0 ? all.summaryMicros.p50 : nil
    }

    /// Redis's median time from the median request-to-reply time seen at the capture (`seen`, µs): that time itself at
    /// the server; at the clients, it less the median round trip, where two medians each within 1% tell nothing under
    /// 2% of the round trip, which is then given as an upper bound. Nil when the vantage is unknown.
    public func serverTimeMicros(seen: Double) -> (micros: Double, isUpperBound: Bool)? {
        switch vantage {
        case "server": return (seen, false)
        case "client":
            guard let rtt = roundTripP50Micros else { return nil }
            let resolution = 0.02 * rtt
            return seen - rtt < resolution ? (resolution, true) : (seen - rtt, false)
        default: return nil
        }
    }

    /// Hosts in report order: most connections first, then by address.
    public static func ordered(_ hosts: [Host]) -> [Host] {
        hosts.sorted { ($1.connections, $0.host) < ($0.connections, $1.host) }
    }
}
