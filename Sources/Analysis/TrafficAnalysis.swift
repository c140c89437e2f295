import RedisSemantics

/// One analysis over the paired command stream and connection events; calls arrive in capture order per
/// connection. A built-in analysis is a line of `BuiltInAnalyses.txt` (docs/ARCHITECTURE.md lists what else a new one
/// touches); extra ones (event writers, live status, metrics) are handed to `TrafficAnalyzer`.
public protocol TrafficAnalysis: AnyObject {
    func connectionOpened(_ connection: ConnectionInfo)
    func command(_ record: CommandRecord, on connection: ConnectionInfo)
    /// As `command(_:on:)`, given where the record lies: the pipeline's entry. An analysis that implements it reads
    /// fields where they lie and kept arguments in place (`location.keptArguments`); a record passed by value is
    /// first copied whole (~700 bytes, mostly argument storage), once per call. The built-in analyses write
    /// `var record: CommandRecord { location.pointee }`: each `record.field` then loads that field alone, and their
    /// helpers take `location`, not `record`. By default `command(location.pointee, on:)`.
    func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo)
    func push(_ record: PushRecord, on connection: ConnectionInfo)
    func unpairedReply(_ reply: UnpairedReply, on connection: ConnectionInfo)
    /// An error nested in an EXEC result, attributed to the queued command that caused it.
    func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo)
    /// The same, saying which queued command: the `queuedIndex`th of the connection's commands answered +QUEUED
    /// since its MULTI (their records came before). By default the call above, for analyses that need no position.
    func transactionError(command: CommandID, errorPrefix: String, queuedIndex: Int, on connection: ConnectionInfo)
    /// A command a master sent down a replication link (not a reply, and not among `command`'s).
    func propagated(_ command: PropagatedCommand, on connection: ConnectionInfo)
    /// A replica's full or partial sync ended on this connection; propagated commands follow.
    func replicationSync(_ sync: ReplicationSync, on connection: ConnectionInfo)
    func connectionClosed(_ connection: ConnectionInfo)
    /// Writes this analysis's results into the report.
    func finish(into report: inout AnalysisReport, context: AnalysisContext)
}

extension TrafficAnalysis {
    public func connectionOpened(_ connection: ConnectionInfo) {}
    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {}
    @inline(__always)
    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        command(location.pointee, on: connection)
    }
    public func push(_ record: PushRecord, on connection: ConnectionInfo) {}
    public func unpairedReply(_ reply: UnpairedReply, on connection: ConnectionInfo) {}
    public func transactionError(command: CommandID, errorPrefix: String, on connection: ConnectionInfo) {}
    public func transactionError(command: CommandID, errorPrefix: String, queuedIndex: Int, on connection: ConnectionInfo) {
        transactionError(command: command, errorPrefix: errorPrefix, on: connection)
    }
    public func propagated(_ command: PropagatedCommand, on connection: ConnectionInfo) {}
    public func replicationSync(_ sync: ReplicationSync, on connection: ConnectionInfo) {}
    public func connectionClosed(_ connection: ConnectionInfo) {}
}

/// What every analysis may consult when it writes its results.
public struct AnalysisContext {
    public let registry: CommandRegistry
    public let firstTimestampNanos: Int64?
    public let lastTimestampNanos: Int64?

    package init(registry: CommandRegistry, firstTimestampNanos: Int64?, lastTimestampNanos: Int64?) {
        self.registry = registry
        self.firstTimestampNanos = firstTimestampNanos
        self.lastTimestampNanos = lastTimestampNanos
    }

    public var durationSeconds: Double {
        guard let first = firstTimestampNanos, let last = lastTimestampNanos, last > first else { return 0 }
        return Double(last - first) / 1e9
    }
}
