import RedisSemantics

/// The built-in analyses, in the order they see each event and write into the report. Adding an analysis is one
/// type here (it conforms to `BuiltInAnalysis`); nothing else in the pipeline names it.
///
/// Order matters only where two write one report object: `ConnectionStats` writes `connections`, `ConnectionChurn`
/// adds to it.
typealias BuiltInAnalyses = AnalysisSet<
    CommandStats,
    ConnectionStats,
    PushStats,
    BenignErrorStats,
    ClientLibraryStats,
    FrameworkStats,
    BlockingPopStats,
    QueueStats,
    ConnectionChurn,
    KeyStats,
    LatencyStats
>

/// An analysis the pipeline runs on every capture, made from the run's options.
protocol BuiltInAnalysis: TrafficAnalysis {
    init(setup: AnalysisSetup)
}

/// What a built-in analysis is made from: the options, and what the analyses share.
struct AnalysisSetup {
    let options: AnalysisOptions
    /// One redactor for every analysis, so that a key gets the same token wherever it appears.
    let redactor: KeyRedactor?
    let prefixRule: KeyPrefixRule

    init(options: AnalysisOptions) {
        self.options = options
        redactor = options.redactKeys ? KeyRedactor() : nil
        prefixRule = KeyPrefixRule(delimiters: options.keyDelimiters)
    }
}

/// A fixed list of analyses as one value: the per-command call is a direct call to each (a parameter pack,
/// specialised where the list is named), not a loop over existentials with a retain and release per analysis.
final class AnalysisSet<each Member: BuiltInAnalysis> {
    let members: (repeat each Member)

    init(setup: AnalysisSetup) {
        members = (repeat (each Member).init(setup: setup))
    }

    /// An expression over the pack rather than a `for` loop over it: the loop binds each member and retains it.
    @inline(__always)
    func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        _ = (repeat (each members).command(record, on: connection))
    }

    /// The members for every other event, in order.
    var list: [any TrafficAnalysis] {
        var list: [any TrafficAnalysis] = []
        for member in repeat each members { list.append(member) }
        return list
    }
}
