import Formatting
import Analysis

/// The human report: cause first, then evidence, then detail. Reads as plain text and renders on GitHub/GitLab.
/// Every figure says what it counts; the capture's trustworthiness is stated up front; no value bytes appear.
public enum MarkdownReportRenderer {
    public static func render(_ report: AnalysisReport, title: String? = nil) -> String {
        var out = MarkdownWriter()
        let context = MarkdownContext(title: title)
        for section in ReportSections.all { section.render(report, into: &out, context: context) }
        return out.text
    }

    // MARK: - Helpers

    static func baseName(_ path: String) -> String {
        if path == "-" { return "stdin" }
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    /// "2026-11-21T06:45:02.123456Z" -> "2026-11-21 06:45:02" (or the time alone), escaped: a merged or compared
    /// report's times are whatever its JSON says.
    static func displayTime(_ iso: String, timeOnly: Bool = false) -> String {
        let date = iso.prefix(10)
        let time = iso.dropFirst(11).prefix(8)
        return MarkdownText.text(timeOnly ? String(time) : "\(date) \(time)")
    }
}
