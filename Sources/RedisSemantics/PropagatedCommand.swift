/// A command a master sent down a replication link after the sync: the replica runs it, nobody answers it, and
/// the master's replication offset grows by its `bytes`.
public struct PropagatedCommand: Sendable {
    public var connection: UInt64
    public var command: CommandID
    public var bytes: Int
    public var timestampNanos: Int64

    public init(connection: UInt64, command: CommandID, bytes: Int, timestampNanos: Int64) {
        self.connection = connection
        self.command = command
        self.bytes = bytes
        self.timestampNanos = timestampNanos
    }
}
