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

    // MARK: - Merge

    /// Expected errors add per (command, code); nil when no report has any.
    /// Error replies add per code; expected errors per (command, code).
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        for r in reports {
            for (prefix, count) in r.errorsByPrefix { merged.errorsByPrefix[prefix, default: 0] += count }
        }
        merged.benignErrors = mergeBenignErrors(reports)
    }

    private static func mergeBenignErrors(_ reports: [AnalysisReport]) -> [BenignErrorSummary]? {
        let merged = ReportMerger.combined(reports.map { $0.benignErrors ?? [] }, by: { [$0.command, $0.code] }) { $0.count += $1.count }
        guard !merged.isEmpty else { return nil }
        return merged.sorted { ($0.count, $1.command, $1.code) > ($1.count, $0.command, $0.code) }
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let db = context.beforeSeconds, da = context.afterSeconds
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }
        // Errors.
        var metrics: [ReportDiff.Metric] = [
            ReportDiff.Metric(id: "errors.perSecond", label: "error replies/s", unit: .perSecond,
                              before: rate(Double(b.totals.errorReplies), db), after: rate(Double(a.totals.errorReplies), da)),
            ReportDiff.Metric(id: "errors.share", label: "commands answered with an error", unit: .share,
                              before: ReportDiff.share(b.totals.errorReplies, b.totals.commands), after: ReportDiff.share(a.totals.errorReplies, a.totals.commands)),
        ]
        if b.benignErrors != nil || a.benignErrors != nil {
            func benign(_ r: AnalysisReport) -> Double { Double((r.benignErrors ?? []).reduce(0) { $0 + $1.count }) }
            metrics.append(ReportDiff.Metric(id: "errors.benignPerSecond", label: "expected error replies/s (handshake probes, script-cache misses)",
                                 unit: .perSecond, before: rate(benign(b), db), after: rate(benign(a), da)))
        }
        for prefix in Set(b.errorsByPrefix.keys).union(a.errorsByPrefix.keys).sorted() {
            metrics.append(ReportDiff.Metric(id: "errors.byPrefix.\(prefix)", label: "\(prefix) errors/s", unit: .perSecond,
                                 before: rate(Double(b.errorsByPrefix[prefix] ?? 0), db),
                                 after: rate(Double(a.errorsByPrefix[prefix] ?? 0), da)))
        }
        diff.setMetrics("errors", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Errors", diff.metrics("errors"), into: &out)
    }
}
