import Formatting
import Analysis

/// Server messages that are not replies: pub/sub messages and RESP3 pushes.
enum PushesSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        let p = report.pushes
        guard p.total > 0 else { return }
        out.line("## Pushes and pub/sub messages")
        out.blank()
        let kinds = p.byKind.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(MarkdownText.text($0.key)) \(NumberFormatting.grouped($0.value))" }
        out.line("\(NumberFormatting.grouped(p.total)) server messages that are not replies (\(NumberFormatting.bytes(p.bytes))): "
                 + kinds.joined(separator: ", "))
        out.blank()
    }

    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        for r in reports {
            merged.pushes.total += r.pushes.total
            merged.pushes.bytes += r.pushes.bytes
            for (kind, count) in r.pushes.byKind { merged.pushes.byKind[kind, default: 0] += count }
        }
    }
}
