import Formatting
import Analysis

/// What the run warns about (a filter that matched nothing, a merge that could not be exact), before the findings.
enum WarningsSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard !report.warnings.isEmpty else { return }
        for warning in report.warnings { out.line("> **Warning:** \(MarkdownText.text(warning))") }
        out.blank()
    }
}
