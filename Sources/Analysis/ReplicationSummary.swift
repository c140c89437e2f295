/// The `replication` section: replicas seen syncing on the port and the stream their master sent them.
public struct ReplicationSummary: Codable, Sendable, Equatable {
    public struct Replica: Codable, Sendable, Equatable {
        /// The replica's IP and the port it listens on (REPLCONF listening-port), as the master's INFO names it;
        /// the connection's client endpoint when it did not say.
        public var address: String
        public var fullSyncs: Int
        public var partialSyncs: Int
        /// RDB payload bytes of its full syncs.
        public var rdbBytes: Int64
        /// From the +FULLRESYNC to the RDB's last byte, summed over its full syncs.
        public var syncSeconds: Double
        /// Bytes of propagated commands sent to it.
        public var propagatedBytes: Int64
        /// The master's replication offset at the end of the stream seen: the sync's offset plus what followed.
        public var masterOffset: Int64?
        /// The last offset the replica acknowledged (REPLCONF ACK).
        public var ackedOffset: Int64?
        /// `masterOffset - ackedOffset`: bytes sent that the replica had not acknowledged by the end.
        public var lagBytes: Int64?
        /// With bytes unacknowledged at the end, on a link still open: from the replica's last ACK to the capture's
        /// last packet. A replica that keeps up acknowledges every second.
        public var secondsSinceAck: Double?

        public init(address: String, fullSyncs: Int, partialSyncs: Int, rdbBytes: Int64, syncSeconds: Double,
                    propagatedBytes: Int64, masterOffset: Int64?, ackedOffset: Int64?, lagBytes: Int64?) {
            self.address = address
            self.fullSyncs = fullSyncs
            self.partialSyncs = partialSyncs
            self.rdbBytes = rdbBytes
            self.syncSeconds = syncSeconds
            self.propagatedBytes = propagatedBytes
            self.masterOffset = masterOffset
            self.ackedOffset = ackedOffset
            self.lagBytes = lagBytes
        }
    }

    /// Propagated commands by name (as commandstats names them), most bytes first; not in `commands`.
    public struct Propagated: Codable, Sendable, Equatable {
        public var name: String
        public var calls: Int
        public var bytes: Int64

        public init(name: String, calls: Int, bytes: Int64) {
            self.name = name
            self.calls = calls
            self.bytes = bytes
        }
    }

    public var replicas: [Replica]
    public var propagated: [Propagated]
    /// The capture's span, which the Markdown's rates divide by (kept so that a merged report can add spans).
    public var durationSeconds: Double

    public init(replicas: [Replica], propagated: [Propagated], durationSeconds: Double) {
        self.replicas = replicas
        self.propagated = propagated
        self.durationSeconds = durationSeconds
    }
}
