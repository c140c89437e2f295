import Analysis

extension MarkdownReportRenderer {
    // Placeholder: section being written (issue: workload analyses).
    static func sectionKeys(_ report: AnalysisReport, into out: inout MarkdownWriter) {}
}
