/// A replica's sync with its master, as the master's side of the link showed it: a full resync (`+FULLRESYNC`, then
/// the RDB) or a partial one (`+CONTINUE`). `offset` is the master's replication offset the propagated stream
/// starts from: FULLRESYNC's, or for CONTINUE the one the replica asked for in PSYNC, less one.
public struct ReplicationSync: Sendable {
    public var connection: UInt64
    public var isFull: Bool
    /// The RDB payload, without its `$<len>` or `$EOF:<mark>` header and the diskless form's end mark.
    public var rdbBytes: Int
    public var startNanos: Int64
    public var endNanos: Int64
    public var offset: Int64

    public init(connection: UInt64, isFull: Bool, rdbBytes: Int, startNanos: Int64, endNanos: Int64, offset: Int64) {
        self.connection = connection
        self.isFull = isFull
        self.rdbBytes = rdbBytes
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.offset = offset
    }
}
