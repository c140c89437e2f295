import Packets
import RedisSemantics
import TCPReassembly

/// Replication links on the port: each replica's syncs (full, with the RDB's size and how long it took to arrive,
/// or partial), the commands the master propagated to it, and its REPLCONF ACKs, whose offsets against the stream's
/// offset give the replica's lag in bytes.
public final class ReplicationStats: TrafficAnalysis {
    private struct Link {
        var client: Endpoint
        /// From REPLCONF listening-port: the replica's own port, as the master's INFO names it.
        var listeningPort: Int?
        var fullSyncs = 0
        var partialSyncs = 0
        var rdbBytes: Int64 = 0
        var syncNanos: Int64 = 0
        var propagatedBytes: Int64 = 0
        /// The master's replication offset at the end of the propagated stream seen (nil before a sync).
        var streamOffset: Int64?
        var ackedOffset: Int64?
        /// When the replica last acknowledged (REPLCONF ACK), by capture time.
        var lastAckNanos: Int64?
        /// The link was still open when the capture ended.
        var openAtEnd = true
    }

    private var links: [ConnectionID: Link] = [:]
    private var order: [ConnectionID] = []
    private var byCommand: [CommandID: (calls: Int, bytes: Int64)] = [:]
    /// REPLCONF's id, looked up on the first command: one integer comparison per command after that.
    private var replconf: CommandID?

    public init() {}

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let replconf = self.replconf ?? Self.lookUp("replconf", in: connection.registry)
        self.replconf = replconf
        guard record.command == replconf else { return }
        if record.arguments.argument(1, equalsLowercase: "listening-port") {
            let port = record.arguments.string(ofArgument: 2).flatMap { Int($0) }
            update(connection) { $0.listeningPort = port }
        } else if record.arguments.argument(1, equalsLowercase: "ack"),
                  let offset = record.arguments.string(ofArgument: 2).flatMap({ Int64($0) }) {
            update(connection) {
                $0.ackedOffset = offset
                $0.lastAckNanos = record.requestStartNanos
            }
        }
    }

    public func replicationSync(_ sync: ReplicationSync, on connection: ConnectionInfo) {
        update(connection) { link in
            if sync.isFull {
                link.fullSyncs += 1
                link.rdbBytes += Int64(sync.rdbBytes)
                link.syncNanos += max(0, sync.endNanos - sync.startNanos)
            } else {
                link.partialSyncs += 1
            }
            link.streamOffset = sync.offset
        }
    }

    public func propagated(_ command: PropagatedCommand, on connection: ConnectionInfo) {
        byCommand[command.command, default: (0, 0)].calls += 1
        byCommand[command.command, default: (0, 0)].bytes += Int64(command.bytes)
        update(connection) { link in
            link.propagatedBytes += Int64(command.bytes)
            // Without the sync (a capture begun later) the stream's offset is unknown, and so is the lag.
            if let offset = link.streamOffset { link.streamOffset = offset + Int64(command.bytes) }
        }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        guard links[connection.id] != nil, connection.closeReason != .endOfCapture else { return }
        links[connection.id]?.openAtEnd = false
    }

    private func update(_ connection: ConnectionInfo, _ body: (inout Link) -> Void) {
        if links[connection.id] == nil {
            links[connection.id] = Link(client: connection.client)
            order.append(connection.id)
        }
        body(&links[connection.id]!)
    }

    private static func lookUp(_ name: StaticString, in registry: CommandRegistry) -> CommandID {
        registry.id(forName: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        // One row per replica (a replica that reconnects and resyncs is one, as the master's INFO lists it); its
        // offsets are those of its latest link. A connection that only sent REPLCONF listening-port is no link.
        var replicas: [ReplicationSummary.Replica] = []
        var rowOf: [String: Int] = [:]
        for id in order {
            guard let l = links[id], l.fullSyncs + l.partialSyncs > 0 || l.propagatedBytes > 0 || l.ackedOffset != nil
            else { continue }
            let address = l.listeningPort.map { port in
                l.client.address.isIPv6 ? "[\(l.client.address)]:\(port)" : "\(l.client.address):\(port)"
            } ?? l.client.description
            let row = rowOf[address] ?? replicas.count
            if row == replicas.count {
                rowOf[address] = row
                replicas.append(ReplicationSummary.Replica(
                    address: address, fullSyncs: 0, partialSyncs: 0, rdbBytes: 0, syncSeconds: 0, propagatedBytes: 0,
                    masterOffset: nil, ackedOffset: nil, lagBytes: nil))
            }
            replicas[row].fullSyncs += l.fullSyncs
            replicas[row].partialSyncs += l.partialSyncs
            replicas[row].rdbBytes += l.rdbBytes
            replicas[row].syncSeconds += Double(l.syncNanos) / 1e9
            replicas[row].propagatedBytes += l.propagatedBytes
            replicas[row].masterOffset = l.streamOffset
            replicas[row].ackedOffset = l.ackedOffset
            replicas[row].lagBytes = l.ackedOffset.flatMap { acked in l.streamOffset.map { max(0, $0 - acked) } }
            if l.openAtEnd, let ack = l.lastAckNanos, let end = context.lastTimestampNanos, (replicas[row].lagBytes ?? 0) > 0 {
                replicas[row].secondsSinceAck = Double(max(0, end - ack)) / 1e9
            } else {
                replicas[row].secondsSinceAck = nil
            }
        }
        guard !replicas.isEmpty || !byCommand.isEmpty else { return }
        let commands = byCommand.map {
            ReplicationSummary.Propagated(name: context.registry.name(of: $0.key), calls: $0.value.calls, bytes: $0.value.bytes)
        }.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) }
        report.replication = ReplicationSummary(replicas: replicas, propagated: commands,
                                                durationSeconds: context.durationSeconds)
    }
}

extension ReplicationStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
