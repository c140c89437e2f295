import Analysis

/// One part of the report as `merge`, `diff` and the Markdown report see it. A section is one type in one file
/// (`Sources/Report/Sections/`), listed once in `ReportSections.all`; the analysis that fills it writes its JSON
/// (a field of `AnalysisReport`, `Codable`). Every requirement has a default, so a section implements what it has.
protocol ReportSection {
    /// Merges this section of `reports` into `merged` (`respcap merge`): exact where the data allows (counts add,
    /// histograms merge bucket by bucket), otherwise approximate and saying so in `context.notes`.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext)

    /// The section's figures on both sides, written into `diff` (`diff.setMetrics`, or a field of its own).
    static func compare(_ before: AnalysisReport, _ after: AnalysisReport, into diff: inout ReportDiff, context: DiffContext)

    /// The section in the Markdown report; nothing when it has nothing to say.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext)

    /// The section's tables in the Markdown diff (by default its metric group, when it has one).
    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter)
}

extension ReportSection {
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {}
    static func compare(_ before: AnalysisReport, _ after: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {}
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {}
    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {}
}

/// The report's sections in the order the Markdown report shows them, which is also the order `merge` merges them
/// in (a section may read what an earlier one merged: the capture's duration, the commands, the totals) and the
/// order of the Markdown diff's tables. Adding a section is one line here.
enum ReportSections {
    static var all: [any ReportSection.Type] {
        [
            HeaderSection.self,
            WarningsSection.self,
            FindingsSection.self,
            CommandsSection.self,
            ScriptsSection.self,
            ErrorsSection.self,
            BlockingPopsSection.self,
            QueuesSection.self,
            ConnectionsSection.self,
            SentinelMonitoringSection.self,
            ReplicationSection.self,
            ClientsSection.self,
            KeysSection.self,
            ClusterSection.self,
            LatencySection.self,
            NetworkSection.self,
            PushesSection.self,
            QualitySection.self,
            TLSSection.self,
        ]
    }
}

/// What a section's merge may read and write besides the reports: the merged capture's span, and the notes that
/// become the merged report's warnings.
struct MergeContext {
    /// The merged capture's first packet (the origin of per-second series), and its covered duration in seconds.
    var origin: Int64?
    var duration: Double
    var notes = ReportMerger.MergeNotes()

    /// Per second of the merged capture, one decimal.
    func rate(_ count: Int) -> Double { ReportMerger.rate(count, duration) }
}

/// What a section's comparison may read besides the two reports.
struct DiffContext {
    /// Each capture's span in seconds (nil without timestamps): counts are compared per second of it.
    let beforeSeconds: Double?
    let afterSeconds: Double?

    func rateBefore(_ count: Double) -> Double? { beforeSeconds.map { count / $0 } }
    func rateAfter(_ count: Double) -> Double? { afterSeconds.map { count / $0 } }
}

/// What a section's rendering may read besides the report.
struct MarkdownContext {
    /// The report's title (`--title`, or the capture files).
    let title: String?
}
