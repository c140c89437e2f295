import Analysis
import Findings
import Capture
import Crypto
import Packets
import RESP
import RedisSemantics
import TCPReassembly
import TLSDecryption

/// The first half of `TrafficAnalyzer`: link/IP/TCP decoding, reassembly, and RESP decoding and pairing in one
/// `ConnectionSession` per connection. It writes what happened, in order, into a `StageBatch` for an
/// `AnalysisStage`, on the same thread or another; nothing here reads what the analyses do.
final class StreamStage {
    let options: AnalysisOptions
    /// Interns command names for the sessions; the analysis stage mirrors it from `.commandName` events.
    let registry: CommandRegistry
    /// Commands awaiting replies on all connections together (`SessionLimits.maxPendingTotal`).
    let pendingBudget: PendingBudget
    /// The sessions' decoders and reply builders, lent to a session only while it is inside a message.
    private let sessionWorkspaces: SessionWorkspacePool
    private let decoder = PacketDecoder()
    private let reassembler: TCPReassembler
    private let filter: PacketFilter?
    private var reorderBuffer: PacketReorderBuffer
    /// Where every session puts its events; handed over with the batch (swapped, not copied).
    private let sessionEvents: SessionEventBuffer
    private let streams = ConnectionStreams()
    private var lastStream: ConnectionStream?
    /// Registry entries already sent as `.commandName` (the analysis stage's registry starts from the same table).
    private var namesSent: Int
    /// The batch being written.
    private(set) var batch: StageBatch
    /// Called when the batch is full after a connection's data or close: one packet, the packets held for
    /// reordering, or the end of the capture can bring many connections' events at once, and they must not pile up
    /// in one batch.
    var onBatchFull: (() -> Void)?
    static let sessionEventsPerBatch = 512
    static let streamEventsPerBatch = 1024

    // Capture-level counters.
    private(set) var packets = 0
    private var skipped: [SkipReason: Int] = [:]
    private var filteredOut = 0
    private(set) var firstTimestamp: Int64?
    private(set) var lastTimestamp: Int64?
    private var linkTypes = Set<UInt32>()
    /// The previous packet's link type: the set is only consulted when it changes.
    private var lastLinkType: UInt32?
    private var clientBytes: Int64 = 0
    private var serverBytes: Int64 = 0
    /// TCP segments not on the Redis ports, by the port that looks like the server's: what `--port` should have been
    /// when nothing was on them. One counter per port, allocated at the first such segment.
    private var otherTCPPortSegments: [Int] = []
    private var largestCapturedLength = 0
    /// Over the first `fingerprintPackets` packets as captured (timestamp, length, bytes), for `capture.fingerprint`.
    private var fingerprintHasher = SHA256()
    /// TLS connections: decryption with the key log, and what became of each (StreamStage+TLS.swift).
    let tls: TLSStreamCounts
    /// Connections on other ports, when Redis is looked for on every port (StreamStage+PortSearch.swift).
    let portSearch: PortSearchCounts?
    /// A connection found not to be Redis during the current segment: the reassembler abandons it afterwards.
    var connectionToAbandon: ConnectionID?
    static let fingerprintPackets = 64

    init(options: AnalysisOptions, batch: StageBatch) throws(CaptureError) {
        self.options = options
        self.batch = batch
        registry = CommandRegistry(maxUnknownNames: options.maxUnknownCommandNames)
        namesSent = registry.count
        pendingBudget = PendingBudget(limit: options.session.maxPendingTotal)
        sessionWorkspaces = SessionWorkspacePool(limits: options.session.resp)
        reassembler = TCPReassembler(serverPorts: options.serverPorts, tracksEveryPort: options.searchesEveryPort,
                                     limits: options.reassembly)
        reassembler.roundTrips.maxHosts = options.maxTrackedClients
        portSearch = options.searchesEveryPort ? PortSearchCounts(redisPorts: options.serverPorts, heldBytesLimit: options.reassembly.maxBufferedBytesTotal) : nil
        reorderBuffer = PacketReorderBuffer(capacity: options.reorderWindow)
        // What the analyses derive from each command's arguments is worked out here, as records are packed: this
        // thread has time to spare, the analysis thread sets the pace. Same prefix rule as the key analysis's.
        sessionEvents = SessionEventBuffer(digester: options.digestsArgumentsWhilePacking
            ? ArgumentDigester(registry: registry, prefixRule: KeyPrefixRule(delimiters: options.keyDelimiters)) : nil)
        tls = TLSStreamCounts(keys: options.tlsKeys, bufferLimit: options.reassembly.maxBufferedBytesTotal)
        filter = try options.filter.map { expression throws(CaptureError) in try PacketFilter(expression: expression) }
    }

    /// Enough events for a batch (a command's packed record is a few hundred bytes).
    var batchIsFull: Bool {
        batch.streamEvents.count >= Self.streamEventsPerBatch || sessionEvents.events.count >= Self.sessionEventsPerBatch
    }

    /// Hands over the batch written so far and goes on writing into `empty` (a cleared batch).
    func exchangeBatch(_ empty: StageBatch) -> StageBatch {
        let full = batch
        // The sessions' buffer holds this batch's session events; the outgoing batch's own array is empty (it was
        // cleared) and becomes the buffer: no event is copied.
        swap(&full.sessionEvents, &sessionEvents.events)
        swap(&full.records, &sessionEvents.records)
        batch = empty
        return full
    }

    /// One packet. `borrowing`: its bytes stay where they are until `copyBorrowedBytes(in:)` names their memory (a
    /// file reader's buffer).
    func process(_ captured: CapturedPacket, borrowing: Bool = false) {
        // Clamped once here, every later difference of two timestamps fits in Int64 (pcapng ticks and if_tsoffset
        // can say anything).
        var packet = captured
        packet.timestampNanos = min(max(captured.timestampNanos, 0), Timestamp.maxNanos)
        packets += 1
        if captured.bytes.count > largestCapturedLength { largestCapturedLength = captured.bytes.count }
        if packets <= Self.fingerprintPackets {
            fingerprintHasher.update(bigEndian: UInt64(bitPattern: packet.timestampNanos))
            fingerprintHasher.update(bigEndian: UInt64(packet.bytes.count))
            fingerprintHasher.update(bufferPointer: packet.bytes)
        }
        if firstTimestamp == nil {
            firstTimestamp = packet.timestampNanos
            batch.streamEvents.append(.captureStarted(timestampNanos: packet.timestampNanos))
        }
        if let last = lastTimestamp {
            if packet.timestampNanos > last { lastTimestamp = packet.timestampNanos }
        } else {
            lastTimestamp = packet.timestampNanos
        }
        if packet.linkType.rawValue != lastLinkType {
            lastLinkType = packet.linkType.rawValue
            linkTypes.insert(packet.linkType.rawValue)
        }
        if let filter, !filter.matches(packet) {
            filteredOut += 1
            return
        }
        reorderBuffer.insert(packet, borrowing: borrowing) { processInOrder($0) }
    }

    private func processInOrder(_ packet: CapturedPacket) {
        switch decoder.decode(packet) {
        case .skipped(let reason):
            skipped[reason, default: 0] += 1
        case .tcp(let segment):
            var router = StreamEventRouter(stage: self)
            if !reassembler.process(segment, handler: &router) { countOtherPort(segment) }
            if let id = connectionToAbandon {
                connectionToAbandon = nil
                reassembler.abandon(id, carrying: segment)
            }
        }
    }

    private func countOtherPort(_ segment: TCPSegment) {
        if otherTCPPortSegments.isEmpty { otherTCPPortSegments = Array(repeating: 0, count: Int(UInt16.max) + 1) }
        // A SYN goes to the server; otherwise the server's port is usually the lower (clients use ephemeral ports).
        let isSYN = segment.flags.contains(.syn) && !segment.flags.contains(.ack)
        let port = isSYN ? segment.destination.port : min(segment.source.port, segment.destination.port)
        otherTCPPortSegments[Int(port)] += 1
    }

    /// What the capture held besides Redis traffic (for `QualityVerdict.unusableReason`).
    func captureEvidence(topPorts: Int = 3) -> QualityVerdict.CaptureEvidence {
        var evidence = QualityVerdict.CaptureEvidence()
        evidence.largestCapturedLength = largestCapturedLength
        evidence.otherTCPPorts = otherTCPPortSegments.indices.filter { otherTCPPortSegments[$0] > 0 }
            .sorted { (otherTCPPortSegments[$1], $0) < (otherTCPPortSegments[$0], $1) }
            .prefix(topPorts).map { (port: UInt16($0), segments: otherTCPPortSegments[$0]) }
        return evidence
    }

    /// Decodes the packets held for reordering that were captured at or before `timestampNanos`.
    func releaseBuffered(capturedUpTo timestampNanos: Int64) {
        reorderBuffer.release(upTo: timestampNanos) { processInOrder($0) }
    }

    /// `memory` is about to change: the packets processed `borrowing` and held for reordering copy their bytes from it.
    func copyBorrowedBytes(in memory: UnsafeRawBufferPointer) {
        reorderBuffer.copyBorrowedBytes(in: memory)
    }

    /// Forgets the packets held for reordering.
    func discardHeld() {
        reorderBuffer.drain { _ in }
    }

    /// The end of the capture: packets held for reordering are decoded and open connections closed (`endOfCapture`).
    func finish() {
        reorderBuffer.drain { processInOrder($0) }
        var router = StreamEventRouter(stage: self)
        reassembler.finish(timestampNanos: lastTimestamp ?? 0, handler: &router)
    }

    /// The capture as this stage saw it: packets, time span, link types and bytes each way.
    func describeCapture(in report: inout AnalysisReport) {
        report.capture.packets = packets
        report.capture.firstTimestampNanos = firstTimestamp
        report.capture.lastTimestampNanos = lastTimestamp
        report.capture.firstTimestamp = firstTimestamp.map(Timestamp.iso8601)
        report.capture.lastTimestamp = lastTimestamp.map(Timestamp.iso8601)
        if let first = firstTimestamp, let last = lastTimestamp {
            report.capture.durationSeconds = (Double(last - first) / 1e6).rounded() / 1e3
        }
        report.capture.linkTypes = linkTypes.sorted().map { LinkType(rawValue: $0).description }
        let prefix = fingerprintHasher
        var identity = SHA256()
        identity.update(data: Array("respcap-capture\0".utf8))
        identity.update(bigEndian: UInt64(packets))
        identity.update(bigEndian: UInt64(bitPattern: firstTimestamp ?? -1))
        identity.update(bigEndian: UInt64(bitPattern: lastTimestamp ?? -1))
        identity.update(data: Array(prefix.finalize()))
        report.capture.fingerprint = SHA256.hex(identity.finalize(), count: 16)
        report.totals.clientBytes = clientBytes
        report.totals.serverBytes = serverBytes
        report.tls = tls.summary()
        portSearch?.describe(in: &report.capture)
        NetworkSummary.describe(reassembler.roundTrips, in: &report)
    }

    /// One warning per link type the filter expression could not be compiled for: its packets were all dropped.
    func filterWarnings() -> [String] {
        guard let filter else { return [] }
        return filter.packetsNotFilterable.sorted { $0.key.rawValue < $1.key.rawValue }.map { linkType, count in
            "--filter '\(filter.expression)' cannot apply to \(linkType) packets (\(filter.rejection(for: linkType) ?? "")): "
                + "their \(count) packets were not analysed"
        }
    }

    /// This stage's part of the capture quality: packets skipped, reordering, and what reassembly saw.
    func noteQuality(in quality: inout AnalysisReport.QualitySummary) {
        let stats = reassembler.stats
        tls.noteQuality(in: &quality)
        for (reason, count) in skipped { quality.packetsSkipped[reason.rawValue] = count }
        if stats.segmentsNotRedisPort > 0 { quality.packetsSkipped["notRedisPort"] = stats.segmentsNotRedisPort }
        if stats.segmentsAbandoned > 0 { quality.packetsSkipped["notRedis"] = stats.segmentsAbandoned }
        let notFilterable = filter?.packetsNotFilterable.values.reduce(0, +) ?? 0
        if filteredOut > notFilterable { quality.packetsSkipped["filteredOut"] = filteredOut - notFilterable }
        if notFilterable > 0 { quality.packetsSkipped["filterNotApplicable"] = notFilterable }
        quality.tcpSegments = stats.segments - stats.segmentsNotRedisPort - stats.segmentsAbandoned
        quality.packetsOutOfTimestampOrder = reorderBuffer.outOfOrderPackets
        quality.packetsLateBeyondReorderWindow = reorderBuffer.lateByMoreThanWindow
        quality.outOfOrderSegments = stats.outOfOrderSegments
        quality.retransmittedSegments = stats.retransmittedSegments
        quality.duplicateBytes = stats.duplicateBytes
        quality.gaps = stats.gaps
        quality.bytesLostInGaps = stats.gapBytes
        quality.snaplenCutBytes = stats.snaplenCutBytes
        quality.connectionsEvicted = stats.connectionsEvicted
        quality.bufferLimitDrops = stats.bufferLimitDrops
    }

    // MARK: - Stream events

    fileprivate func opened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool, at time: Int64) {
        let stream = streams.add(id, handshakeSeen: handshakeSeen)
        if let portSearch, !portSearch.isRedisPort(client: client, server: server) {
            stream.search = OpeningSearch(client: client, server: server, handshakeSeen: handshakeSeen, openedNanos: time)
            return
        }
        announce(stream, client: client, server: server, at: time)
    }

    /// The connection's first event for the analysis stage.
    func announce(_ stream: ConnectionStream, client: Endpoint, server: Endpoint, at time: Int64) {
        portSearch?.found(server)
        batch.streamEvents.append(.opened(stream.id, client: client, server: server, handshakeSeen: stream.handshakeSeen,
                                          timestampNanos: time))
        stream.announced = true
        if stream.handshakeConfirmNanos >= 0 && !stream.swapped {
            batch.streamEvents.append(.handshakeTimed(stream.id, confirmNanos: stream.handshakeConfirmNanos))
        }
    }

    fileprivate func data(_ id: ConnectionID, _ direction: StreamDirection, _ bytes: UnsafeRawBufferPointer, at time: Int64) {
        guard let stream = stream(id) else { return }
        // TLS, or the first bytes, which tell: StreamStage+TLS.swift; a port not named as Redis's: +PortSearch.swift.
        if !stream.isPlain {
            if stream.search != nil || stream.swapped { return searchData(stream, direction, bytes, at: time) }
            return tlsData(stream, direction, bytes, at: time)
        }
        feed(stream, direction, bytes, at: time)
    }

    /// Bytes for the connection's RESP session: plain, or decrypted from TLS.
    func feed(_ stream: ConnectionStream, _ direction: StreamDirection, _ bytes: UnsafeRawBufferPointer, at time: Int64) {
        let before = sessionEvents.events.count
        let session = self.session(of: stream)
        let toServer = direction == .toServer
        if toServer {
            clientBytes += Int64(bytes.count)
            session.feedRequest(bytes, timestampNanos: time)
        } else {
            serverBytes += Int64(bytes.count)
            session.feedReply(bytes, timestampNanos: time)
        }
        sendNewNames()
        batch.streamEvents.append(.data(stream.id, toServer: toServer, byteCount: bytes.count, timestampNanos: time,
                                        sessionEvents: sessionEvents.events.count - before))
        if batchIsFull { onBatchFull?() }
    }

    fileprivate func gap(_ id: ConnectionID, _ direction: StreamDirection, bytes: Int, at time: Int64) {
        guard let stream = stream(id) else { return }
        if let search = stream.search { return search.addGap(bytes, toServer: direction == .toServer, at: time) }
        deliverGap(stream, stream.swapped ? direction.opposite : direction, bytes: bytes, at: time)
    }

    func deliverGap(_ stream: ConnectionStream, _ direction: StreamDirection, bytes: Int, at time: Int64) {
        let id = stream.id
        stream.tls?.gap(fromClient: direction == .toServer)
        let before = sessionEvents.events.count
        session(of: stream).gap(fromClient: direction == .toServer, timestampNanos: time)
        batch.streamEvents.append(.gap(id, toServer: direction == .toServer, byteCount: bytes, timestampNanos: time,
                                       sessionEvents: sessionEvents.events.count - before))
    }

    fileprivate func handshakeTimed(_ id: ConnectionID, confirmNanos: Int64) {
        guard let stream = stream(id) else { return }
        if !stream.announced {
            stream.handshakeConfirmNanos = confirmNanos  // sent with `.opened`
        } else if !stream.swapped {
            batch.streamEvents.append(.handshakeTimed(id, confirmNanos: confirmNanos))
        }
    }

    fileprivate func bufferLimitReached(_ id: ConnectionID, _ direction: StreamDirection) {
        guard let stream = stream(id), stream.search == nil else { return }
        batch.streamEvents.append(.bufferLimit(id, toServer: (direction == .toServer) != stream.swapped))
    }

    fileprivate func closed(_ id: ConnectionID, reason: CloseReason, by closedBy: StreamDirection?, at time: Int64) {
        guard let stream = stream(id) else { return }
        if stream.search != nil { return endSearch(stream) }
        let by = stream.swapped ? closedBy?.opposite : closedBy
        let before = sessionEvents.events.count
        let session = stream.session
        session?.close(timestampNanos: time)
        let skipped = session?.resyncSkippedBytes ?? 0
        batch.streamEvents.append(.closed(id, reason: reason, by: by, timestampNanos: time,
                                          sessionEvents: sessionEvents.events.count - before,
                                          protocolVersion: session?.protocolVersion ?? 2, resyncSkippedBytes: skipped))
        if let decryptor = stream.tls { tls.closed(stream.id, decryptor) }
        forget(stream)
        if batchIsFull { onBatchFull?() }
    }

    func forget(_ stream: ConnectionStream) {
        if let last = lastStream, last === stream { lastStream = nil }
        streams.remove(stream)
    }

    private func stream(_ id: ConnectionID) -> ConnectionStream? {
        if let last = lastStream, last.id == id { return last }
        guard let stream = streams.find(id) else { return nil }
        lastStream = stream
        return stream
    }

    private func session(of stream: ConnectionStream) -> ConnectionSession {
        if let existing = stream.session { return existing }
        let created = ConnectionSession(connection: stream.id.rawValue, registry: registry, limits: options.session,
                                        midStream: !stream.handshakeSeen, eventBuffer: sessionEvents, pendingBudget: pendingBudget,
                                        workspacePool: sessionWorkspaces)
        stream.session = created
        return created
    }

    /// Names interned by the last session call go ahead of the events that use them.
    @inline(__always)
    private func sendNewNames() {
        guard registry.count > namesSent else { return }
        while namesSent < registry.count {
            batch.streamEvents.append(.commandName(registry[CommandID(rawValue: Int32(namesSent))]))
            namesSent += 1
        }
    }
}

/// Routes reassembler callbacks to the stage without allocating. Lives for one call of the stage's, so the
/// reference is not counted.
private struct StreamEventRouter: TCPStreamHandler {
    unowned(unsafe) let stage: StreamStage

    mutating func connectionOpened(_ id: ConnectionID, client: Endpoint, server: Endpoint, handshakeSeen: Bool,
                                   timestampNanos: Int64) {
        stage.opened(id, client: client, server: server, handshakeSeen: handshakeSeen, at: timestampNanos)
    }

    mutating func streamData(_ id: ConnectionID, direction: StreamDirection, bytes: UnsafeRawBufferPointer,
                             timestampNanos: Int64) {
        stage.data(id, direction, bytes, at: timestampNanos)
    }

    mutating func streamGap(_ id: ConnectionID, direction: StreamDirection, byteCount: Int, timestampNanos: Int64) {
        stage.gap(id, direction, bytes: byteCount, at: timestampNanos)
    }

    mutating func bufferLimitReached(_ id: ConnectionID, direction: StreamDirection, timestampNanos: Int64) {
        stage.bufferLimitReached(id, direction)
    }

    mutating func handshakeTimed(_ id: ConnectionID, confirmNanos: Int64) {
        stage.handshakeTimed(id, confirmNanos: confirmNanos)
    }

    mutating func connectionClosed(_ id: ConnectionID, reason: CloseReason, closedBy: StreamDirection?,
                                   timestampNanos: Int64) {
        stage.closed(id, reason: reason, by: closedBy, at: timestampNanos)
    }
}
