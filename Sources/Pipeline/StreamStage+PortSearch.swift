import Analysis
import Packets
import TCPReassembly

/// Redis on any port: a connection on a port not named as a Redis port is read by `OpeningSearch` until its bytes
/// tell. Redis: the analysis stage hears of it then (opened, and what was held, at their own times), and it goes on
/// like any other. Not Redis: what was held is dropped, the analysis stage never hears of it, and the reassembler
/// abandons it, so its later segments cost a table look-up each and no memory.
extension StreamStage {
    func searchData(_ stream: ConnectionStream, _ direction: StreamDirection, _ bytes: UnsafeRawBufferPointer, at time: Int64) {
        guard let search = stream.search, let portSearch else {
            // Redis, with the sides the other way round from the reassembler's.
            return feed(stream, direction.opposite, bytes, at: time)
        }
        let before = search.heldBytes
        let verdict = search.add(bytes, toServer: direction == .toServer, at: time, canHold: portSearch.canHold(bytes.count))
        portSearch.heldBytes += search.heldBytes - before
        switch verdict {
        case .undecided:
            return
        case .notRedis:
            endSearch(stream)
            connectionToAbandon = stream.id
        case .redis(let swapped):
            settleRedis(stream, search, swapped: swapped)
        }
    }

    /// Announces the connection and replays what was held, each piece at its own capture time.
    private func settleRedis(_ stream: ConnectionStream, _ search: OpeningSearch, swapped: Bool) {
        stream.search = nil
        portSearch?.heldBytes -= search.heldBytes
        if swapped { stream.swapped = true } else { stream.isPlain = true }
        announce(stream, client: swapped ? search.server : search.client, server: swapped ? search.client : search.server,
                 at: search.openedNanos)
        for item in search.held {
            switch item {
            case .data(let toServer, let bytes, let time):
                bytes.withUnsafeBytes { feed(stream, toServer != swapped ? .toServer : .toClient, $0, at: time) }
            case .gap(let toServer, let byteCount, let time):
                deliverGap(stream, toServer != swapped ? .toServer : .toClient, bytes: byteCount, at: time)
            }
        }
    }

    /// The connection is not Redis, or ended before its bytes told: nothing of it reaches the analyses.
    func endSearch(_ stream: ConnectionStream) {
        guard let search = stream.search, let portSearch else { return }
        stream.search = nil
        portSearch.heldBytes -= search.heldBytes
        if search.carriedBytes { portSearch.otherConnections += 1 }
        forget(stream)
    }
}

/// What the search for Redis on every port found, for the report's `capture` section.
final class PortSearchCounts {
    /// Bytes held by all connections being searched (`--max-buffered-total`, like out-of-order bytes).
    let heldBytesLimit: Int
    var heldBytes = 0
    /// Connections that carried bytes on other ports and were not Redis (or ended before they told).
    var otherConnections = 0
    private var serverPorts = Set<UInt16>()
    private let redisPorts: Set<UInt16>

    init(redisPorts: Set<UInt16>, heldBytesLimit: Int) {
        self.redisPorts = redisPorts
        self.heldBytesLimit = heldBytesLimit
    }

    /// A connection with an end on a port named as a Redis port is Redis without being searched.
    func isRedisPort(client: Endpoint, server: Endpoint) -> Bool {
        redisPorts.contains(server.port) || redisPorts.contains(client.port)
    }

    func canHold(_ byteCount: Int) -> Bool { heldBytes + byteCount <= heldBytesLimit }

    func found(_ server: Endpoint) { serverPorts.insert(server.port) }

    func describe(in capture: inout AnalysisReport.CaptureSummary) {
        capture.serverPortsFound = serverPorts.sorted().map(Int.init)
        capture.otherProtocolConnections = otherConnections
    }
}
