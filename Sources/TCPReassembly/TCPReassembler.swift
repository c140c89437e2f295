import Packets

/// Turns TCP segments of server-port connections (or of every connection, with `tracksEveryPort`) into ordered byte
/// streams per direction, with gaps marked, and tells a `TCPStreamHandler` about each connection's lifecycle.
///
/// In-order payload is passed to the handler straight from the segment (no copy); only data arriving ahead of a
/// hole is copied, into bounded pooled storage (`ReassemblyLimits`). Time is the capture's: idle connections are
/// closed by segment timestamps, never by the wall clock. Not thread-safe; one reassembler per capture.
public final class TCPReassembler {
    /// Ports whose end of a connection is the server.
    public let serverPorts: Set<UInt16>
    /// Connections on other ports are tracked too (their server side taken from the SYN, else the lower port); the
    /// handler may `abandon` one whose bytes turn out to be of no interest.
    public let tracksEveryPort: Bool
    public let limits: ReassemblyLimits
    public private(set) var stats = ReassemblyStats()
    /// Network round trips from the segments' timing (RoundTripSampler.swift).
    public let roundTrips = RoundTripSampler()

    /// Connections currently tracked (opened and not yet closed).
    public var openConnections: Int { connections.count }
    /// Out-of-order bytes currently held by all connections, including per-chunk overhead.
    public var bufferedBytes: Int { totalBufferedCost }

    /// Capture time advanced this far since the last idle sweep triggers the next one.
    static let idleSweepIntervalNanos: Int64 = 1_000_000_000

    private var serverPortBits = [UInt64](repeating: 0, count: 1024)
    private let connections = FlowTable()
    private var recency = ConnectionRecencyList()
    private var closedFlows: ClosedFlowMemory
    private var pool = ChunkPool()
    private var totalBufferedCost = 0
    private var nextConnectionNumber: UInt64 = 1
    /// The latest capture time seen; never goes backwards.
    private var clockNanos: Int64 = 0
    private var clockStarted = false
    private var lastIdleSweepNanos: Int64 = 0

    public init(serverPorts: Set<UInt16>, tracksEveryPort: Bool = false, limits: ReassemblyLimits = .init()) {
        self.serverPorts = serverPorts
        self.tracksEveryPort = tracksEveryPort
        self.limits = limits
        closedFlows = ClosedFlowMemory(
            capacity: limits.maxRememberedClosedConnections, lifetimeNanos: limits.closedConnectionMemoryNanos)
        for port in serverPorts {
            serverPortBits[Int(port &>> 6)] |= 1 &<< UInt64(port & 63)
        }
    }

    /// Feeds one segment, in capture order. The segment's payload is only read during the call. Returns false when
    /// the segment was not looked at: neither port is a server port (counted in `segmentsNotRedisPort`), or its
    /// connection was abandoned (`segmentsAbandoned`).
    @discardableResult
    public func process<H: TCPStreamHandler>(_ segment: TCPSegment, handler: inout H) -> Bool {
        stats.segments &+= 1
        let sourceIsServer = isServerPort(segment.source.port)
        let destinationIsServer = isServerPort(segment.destination.port)
        guard sourceIsServer || destinationIsServer || tracksEveryPort else {
            stats.segmentsNotRedisPort &+= 1
            return false
        }
        if segment.missingPayloadBytes > 0 {
            stats.snaplenCutBytes &+= Int64(segment.missingPayloadBytes)
        }
        advanceClock(to: segment.timestampNanos, handler: &handler)

        let key = FlowKey(segment.source, segment.destination)
        let flags = segment.flags
        var found = connections.find(key)
        if let existing = found {
            if isIdle(existing) {
                closeIdle(existing, handler: &handler)
                found = nil
            } else if flags.contains(.syn), startsNewConnection(existing, segment) {
                let (reason, closedBy) = endReason(existing, otherwise: .idle)
                close(existing, reason: reason, closedBy: closedBy, at: existing.lastSeenNanos, handler: &handler)
                found = nil
            }
        }
        let connection: TrackedConnection
        if let found {
            connection = found
        } else {
            if flags.contains(.syn) {
                closedFlows.forget(key)
            } else if flags.contains(.rst) || (!closedFlows.isEmpty && closedFlows.contains(key, now: clockNanos)) {
                stats.ignoredSegments &+= 1
                return true
            }
            connection = open(
                segment, key: key, sourceIsServer: sourceIsServer, destinationIsServer: destinationIsServer,
                handler: &handler)
        }
        connection.lastSeenNanos = clockNanos
        recency.touch(connection, in: connections)
        if connection.isAbandoned { return passOver(segment, on: connection, handler: &handler) }
        handle(segment, on: connection, handler: &handler)
        return true
    }

    /// Stops reassembling the connection `segment` belongs to, if it is `id`: what it held is freed and its later
    /// segments are only counted (`segmentsAbandoned`) until it ends, when `connectionClosed` still comes. For a
    /// handler that found the connection's bytes of no interest; call it after `process` returns.
    public func abandon(_ id: ConnectionID, carrying segment: TCPSegment) {
        guard let connection = connections.find(FlowKey(segment.source, segment.destination)), connection.id == id,
              !connection.isAbandoned else { return }
        connection.isAbandoned = true
        stats.connectionsAbandoned &+= 1
        for direction in StreamDirection.allCases {
            withHalf(connection, direction) { $0.abandon(pool: &pool) }
        }
    }

    /// A segment of an abandoned connection: only its end (both FINs, or a RST) matters.
    private func passOver<H: TCPStreamHandler>(
        _ segment: TCPSegment, on connection: TrackedConnection, handler: inout H
    ) -> Bool {
        stats.segmentsAbandoned &+= 1
        let direction: StreamDirection = segment.source == connection.client ? .toServer : .toClient
        let flags = segment.flags
        if flags.contains(.rst) {
            close(connection, reason: .reset, closedBy: direction, at: segment.timestampNanos, handler: &handler)
        } else if flags.contains(.fin) {
            if connection.firstFinSender == nil {
                connection.firstFinSender = direction
            } else if connection.firstFinSender != direction {
                close(connection, reason: .fin, closedBy: connection.firstFinSender, at: segment.timestampNanos,
                      handler: &handler)
            }
        }
        return false
    }

    /// End of input at capture time `timestampNanos`: closes connections idle by then (`.idle`), then every other
    /// open one (`.endOfCapture`, or `.fin` if half-closed), in connection order, delivering what was held and
    /// reporting the holes as gaps.
    public func finish<H: TCPStreamHandler>(timestampNanos: Int64, handler: inout H) {
        advanceClock(to: timestampNanos, handler: &handler)
        sweepIdle(handler: &handler)
        let remaining = connections.connections.sorted { $0.id < $1.id }
        for connection in remaining {
            let (reason, closedBy) = endReason(connection, otherwise: .endOfCapture)
            close(connection, reason: reason, closedBy: closedBy, at: timestampNanos, handler: &handler)
        }
    }

    // MARK: Segments of a tracked connection

    private func handle<H: TCPStreamHandler>(
        _ segment: TCPSegment, on connection: TrackedConnection, handler: inout H
    ) {
        let direction: StreamDirection = segment.source == connection.client ? .toServer : .toClient
        let flags = segment.flags
        let timestamp = segment.timestampNanos
        let sequence = SequenceNumber(segment.sequence)
        let acknowledgment = SequenceNumber(segment.acknowledgment)
        let handshakePending = connection.timing.handshake == .synAck
        roundTrips.observe(segment, direction: direction, timing: &connection.timing, client: connection.client.address)
        if handshakePending && connection.timing.handshake == .done {
            handler.handshakeTimed(connection.id, confirmNanos: timestamp &- connection.timing.synAckNanos)
        }
        if flags.contains(.rst) {
            // A RST carries its sender's next sequence number and, with ACK, what it received: bytes before either
            // that the capture never saw were lost to the capture, not unsent. Report them before closing.
            if flags.contains(.ack) {
                let sink = HalfStreamSink(id: connection.id, direction: direction.opposite, timestampNanos: timestamp)
                withHalf(connection, direction.opposite) {
                    $0.acknowledge(acknowledgment, sink: sink, handler: &handler, stats: &stats, pool: &pool)
                }
            }
            let sink = HalfStreamSink(id: connection.id, direction: direction, timestampNanos: timestamp)
            withHalf(connection, direction) {
                $0.acknowledge(sequence, sink: sink, handler: &handler, stats: &stats, pool: &pool)
            }
            close(connection, reason: .reset, closedBy: direction, at: timestamp, handler: &handler)
            return
        }
        var dataStart = sequence
        if flags.contains(.syn) {
            dataStart = sequence.advanced(by: 1)
            withHalf(connection, direction) { $0.synchronize(initialSequence: sequence) }
            if flags.contains(.ack) {
                withHalf(connection, direction.opposite) { $0.synchronize(at: acknowledgment, tentative: false) }
            }
        } else {
            let carriesStreamBytes =
                !segment.payload.isEmpty || segment.missingPayloadBytes > 0 || flags.contains(.fin)
            withHalf(connection, direction) { $0.synchronize(at: sequence, tentative: !carriesStreamBytes) }
        }

        // The ACK first: bytes the peer got but the capture lost are reported before this segment's data.
        if flags.contains(.ack) {
            let sink = HalfStreamSink(id: connection.id, direction: direction.opposite, timestampNanos: timestamp)
            withHalf(connection, direction.opposite) {
                $0.acknowledge(acknowledgment, sink: sink, handler: &handler, stats: &stats, pool: &pool)
            }
        }

        let sink = HalfStreamSink(id: connection.id, direction: direction, timestampNanos: timestamp)
        let maxCost = bufferBudget(connection, direction)
        withHalf(connection, direction) {
            $0.ingest(
                sequence: dataStart, payload: segment.payload, missing: segment.missingPayloadBytes,
                maxCost: maxCost, sink: sink, handler: &handler, stats: &stats, pool: &pool)
        }

        if flags.contains(.fin) {
            let length = HalfStream.sequenceLength(
                payloadCount: segment.payload.count, missing: segment.missingPayloadBytes)
            withHalf(connection, direction) { $0.noteFin(at: dataStart.advanced(by: length)) }
            if connection.firstFinSender == nil {
                connection.firstFinSender = direction
            }
            if connection.toServer.finSequence != nil, connection.toClient.finSequence != nil {
                close(
                    connection, reason: .fin, closedBy: connection.firstFinSender, at: timestamp, handler: &handler)
            }
        }
    }

    /// Whether a SYN on a tracked 4-tuple starts a new connection (port reuse) rather than repeating the old SYN.
    private func startsNewConnection(_ connection: TrackedConnection, _ segment: TCPSegment) -> Bool {
        let direction: StreamDirection = segment.source == connection.client ? .toServer : .toClient
        let half = direction == .toServer ? connection.toServer : connection.toClient
        let isn = SequenceNumber(segment.sequence)
        if segment.flags.contains(.ack) {
            // A SYN-ACK answers our connection's SYN unless this side has already started another stream.
            if let known = half.initialSequence { return known != isn }
            return half.isSynchronized
        }
        return half.initialSequence != isn
    }

    // MARK: Lifecycle

    private func open<H: TCPStreamHandler>(
        _ segment: TCPSegment, key: FlowKey, sourceIsServer: Bool, destinationIsServer: Bool, handler: inout H
    ) -> TrackedConnection {
        if connections.count >= Swift.max(1, limits.maxConnections), let oldest = recency.oldest(in: connections) {
            stats.connectionsEvicted &+= 1
            close(oldest, reason: .evicted, closedBy: nil, at: segment.timestampNanos, handler: &handler)
        }
        let serverIsSource: Bool
        if sourceIsServer == destinationIsServer {
            // Both ports are server ports, or (tracking every port) neither is.
            let flags = segment.flags
            if flags.contains(.syn) {
                serverIsSource = flags.contains(.ack)
            } else if segment.source.port != segment.destination.port {
                serverIsSource = segment.source.port < segment.destination.port
            } else {
                serverIsSource = segment.source == key.lower
            }
        } else {
            serverIsSource = sourceIsServer
        }
        let client = serverIsSource ? segment.destination : segment.source
        let server = serverIsSource ? segment.source : segment.destination
        let slot = connections.takeSlot()
        let id = ConnectionID(number: nextConnectionNumber, slot: Int(slot))
        nextConnectionNumber &+= 1
        let handshakeSeen = segment.flags.contains(.syn)
        let connection = TrackedConnection(
            id: id, slot: slot, client: client, server: server, handshakeSeen: handshakeSeen, now: clockNanos)
        connections.insert(connection)
        recency.pushNewest(connection, in: connections)
        stats.connectionsOpened &+= 1
        handler.connectionOpened(
            id, client: client, server: server, handshakeSeen: handshakeSeen, timestampNanos: segment.timestampNanos)
        return connection
    }

    /// Delivers what the connection holds (holes become gaps), forgets it and reports the close.
    private func close<H: TCPStreamHandler>(
        _ connection: TrackedConnection, reason: CloseReason, closedBy: StreamDirection?, at timestamp: Int64,
        handler: inout H
    ) {
        for direction in StreamDirection.allCases {
            let sink = HalfStreamSink(id: connection.id, direction: direction, timestampNanos: timestamp)
            withHalf(connection, direction) {
                $0.flush(sink: sink, handler: &handler, stats: &stats, pool: &pool)
            }
        }
        recency.remove(connection, in: connections)
        connections.remove(connection)
        handler.connectionClosed(connection.id, reason: reason, closedBy: closedBy, timestampNanos: timestamp)
        if reason == .fin || reason == .reset {
            closedFlows.remember(connection.key, at: clockNanos)
        }
    }

    /// A half-closed connection that ends otherwise still counts as closed by its FIN.
    private func endReason(
        _ connection: TrackedConnection, otherwise reason: CloseReason
    ) -> (CloseReason, StreamDirection?) {
        if let finSender = connection.firstFinSender { return (.fin, finSender) }
        return (reason, nil)
    }

    /// Idle connections close at the time of their last segment.
    private func closeIdle<H: TCPStreamHandler>(_ connection: TrackedConnection, handler: inout H) {
        stats.idleClosed &+= 1
        let (reason, closedBy) = endReason(connection, otherwise: .idle)
        close(connection, reason: reason, closedBy: closedBy, at: connection.lastSeenNanos, handler: &handler)
    }

    private func isIdle(_ connection: TrackedConnection) -> Bool {
        let (silence, overflow) = clockNanos.subtractingReportingOverflow(connection.lastSeenNanos)
        return overflow || silence > limits.idleTimeoutNanos
    }

    private func advanceClock<H: TCPStreamHandler>(to timestamp: Int64, handler: inout H) {
        guard clockStarted else {
            clockStarted = true
            clockNanos = timestamp
            lastIdleSweepNanos = timestamp
            return
        }
        if timestamp > clockNanos { clockNanos = timestamp }
        let (elapsed, overflow) = clockNanos.subtractingReportingOverflow(lastIdleSweepNanos)
        if overflow || elapsed >= Self.idleSweepIntervalNanos {
            lastIdleSweepNanos = clockNanos
            sweepIdle(handler: &handler)
        }
    }

    /// The recency list is ordered by last activity, so the idle connections are all at its old end.
    private func sweepIdle<H: TCPStreamHandler>(handler: inout H) {
        while let oldest = recency.oldest(in: connections), isIdle(oldest) {
            closeIdle(oldest, handler: &handler)
        }
    }

    // MARK: Helpers

    @inline(__always)
    private func isServerPort(_ port: UInt16) -> Bool {
        serverPortBits[Int(port &>> 6)] &>> UInt64(port & 63) & 1 != 0
    }

    /// The most this direction may hold without exceeding either buffer limit.
    private func bufferBudget(_ connection: TrackedConnection, _ direction: StreamDirection) -> Int {
        let own = direction == .toServer ? connection.toServer.bufferedCost : connection.toClient.bufferedCost
        let other = direction == .toServer ? connection.toClient.bufferedCost : connection.toServer.bufferedCost
        let perConnection = limits.maxBufferedBytesPerConnection &- other
        let total = limits.maxBufferedBytesTotal &- (totalBufferedCost &- own)
        return Swift.min(perConnection, total)
    }

    /// Mutates one direction of `connection` in place, keeping the total of held bytes current.
    @inline(__always)
    private func withHalf<R>(
        _ connection: TrackedConnection, _ direction: StreamDirection, _ body: (inout HalfStream) -> R
    ) -> R {
        let before = connection.bufferedCost
        defer { totalBufferedCost &+= connection.bufferedCost &- before }
        switch direction {
        case .toServer: return body(&connection.toServer)
        case .toClient: return body(&connection.toClient)
        }
    }
}
