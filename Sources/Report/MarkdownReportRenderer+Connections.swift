import Analysis

extension MarkdownReportRenderer {
    // Placeholder: section being written (issue: workload analyses).
    static func sectionConnections(_ report: AnalysisReport, into out: inout MarkdownWriter) {}
}
