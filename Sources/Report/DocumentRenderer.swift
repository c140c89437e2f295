import Analysis

/// An output format of the report (`--format`): Markdown for people, JSON for machines. A new format is one type
/// conforming to this (and `DiffRenderer` when `diff` should write it too) and a case of the command line's format.
public protocol ReportRenderer {
    /// The whole report as the format writes it; `title` names the capture where the format shows one.
    static func render(_ report: AnalysisReport, title: String?) throws -> String
}

/// An output format of `respcap diff`.
public protocol DiffRenderer {
    static func render(_ diff: ReportDiff) throws -> String
}

extension MarkdownReportRenderer: ReportRenderer {}
extension MarkdownDiffRenderer: DiffRenderer {}

extension JSONReportRenderer: ReportRenderer, DiffRenderer {
    /// JSON has no title: the capture files are in `capture.files`.
    public static func render(_ report: AnalysisReport, title: String?) throws -> String { try render(report) }
}
