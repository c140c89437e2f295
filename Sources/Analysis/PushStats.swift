import RedisSemantics

/// Server messages that are not replies: pub/sub messages, RESP3 pushes, MONITOR output.
public final class PushStats: TrafficAnalysis {
    private var summary = AnalysisReport.PushSummary()

    public init() {}

    public func push(_ record: PushRecord, on connection: ConnectionInfo) {
        summary.total += 1
        summary.bytes += Int64(record.bytes)
        summary.byKind[record.kind.rawValue, default: 0] += 1
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        report.pushes = summary
    }
}

extension PushStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
