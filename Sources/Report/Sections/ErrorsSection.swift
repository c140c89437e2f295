import Formatting
import Analysis

/// Error replies by code and by command, and the expected ones apart.
enum ErrorsSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard !report.errorsByPrefix.isEmpty else { return }
        out.line("## Errors")
        out.blank()
        let rows = report.errorsByPrefix.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { [MarkdownText.code($0.key, inTable: true), NumberFormatting.grouped($0.value)] }
        out.table(header: ["error code", "replies"], alignRight: [false, true], rows: rows)
        let byCommand = report.commands.filter { $0.errors > 0 }.map { "\(MarkdownText.code($0.name)) \(NumberFormatting.grouped($0.errors))" }
        if !byCommand.isEmpty {
            out.blank()
            out.line("By command: " + byCommand.joined(separator: ", "))
        }
        if let benign = report.benignErrors, !benign.isEmpty {
            out.blank()
            let total = benign.reduce(0) { $0 + $1.count }
            out.line("Expected errors, not counted by the error-rate finding (\(NumberFormatting.grouped(total)) "
                     + (total == 1 ? "reply" : "replies") + "):")
            out.blank()
            for entry in benign {
                out.line("- \(MarkdownText.code(entry.command)) → \(MarkdownText.code(entry.code)) "
                         + "\(NumberFormatting.grouped(entry.count)) (\(MarkdownText.text(entry.kind))): \(MarkdownText.text(entry.why))")
            }
        }
        out.blank()
    }
}
