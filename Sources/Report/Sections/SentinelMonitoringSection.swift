import Analysis
import Formatting

/// Sentinel's monitoring links, after the connections: so that their PINGs, INFOs and hello messages are not read as
/// the application's.
enum SentinelMonitoringSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let s = report.sentinelMonitoring else { return }
        let commands = s.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
        out.line("Sentinel monitoring: \(NumberFormatting.grouped(s.connections)) "
                 + (s.connections == 1 ? "connection" : "connections") + " from \(NumberFormatting.grouped(s.sentinels)) Sentinel "
                 + (s.sentinels == 1 ? "host" : "hosts") + " watching the servers (known by `__sentinel__:hello` or their "
                 + "client name), \(NumberFormatting.grouped(s.commands)) commands: \(commands). They are the "
                 + "Sentinels' own checks, not the application's traffic; the figures above include them, as the server's do.")
        out.blank()
    }

    /// Counts add; Sentinel hosts add too (one watching several servers of several reports counts more than once).
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.sentinelMonitoring)
        guard var m = parts.first else { return }
        for p in parts.dropFirst() {
            m.sentinels += p.sentinels
            m.connections += p.connections
            m.commands += p.commands
            for (name, count) in p.byCommand { m.byCommand[name, default: 0] += count }
        }
        if parts.count > 1 { context.notes.approximate("sentinelMonitoring.sentinels adds each report's Sentinel hosts") }
        merged.sentinelMonitoring = m
    }
}
