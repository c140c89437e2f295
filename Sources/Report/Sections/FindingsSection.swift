import Analysis

enum FindingsSection: ReportSection {
    /// The diagnosis first: each finding with its evidence and what to do.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        out.line("## Findings")
        out.blank()
        guard !report.findings.isEmpty else {
            out.line("No findings: nothing in this capture crossed a rule's threshold (connection churn, pool saturation, "
                     + "blocking pops, round trips, slow writes, keyspace scans, errors, big values, hot keys, key cost).")
            out.blank()
            return
        }
        for finding in report.findings {
            // Rules quote names from the capture in their texts, so every text is escaped like one.
            out.line("**\(finding.severity.rawValue.uppercased()) \(MarkdownText.text(finding.id)) — \(MarkdownText.ruleText(finding.title))**")
            for line in finding.evidence { out.line("- \(MarkdownText.ruleText(line))") }
            out.line("- Recommendation: \(MarkdownText.ruleText(finding.recommendation))")
            out.blank()
        }
    }
}
