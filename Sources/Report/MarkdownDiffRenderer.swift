import Formatting
import Analysis

/// The human diff: the biggest changes first (findings raised or cleared, then the largest ratios), then the tables
/// with every figure on both sides. Rates are per second of each capture, so captures of different lengths compare.
public enum MarkdownDiffRenderer {
    public static func render(_ diff: ReportDiff) -> String {
        var out = MarkdownWriter()
        out.line("# respcap diff — \(MarkdownText.text(diff.before.label)) → \(MarkdownText.text(diff.after.label))")
        out.blank()
        side("Before", diff.before, into: &out)
        side("After", diff.after, into: &out)
        out.blank()
        if diff.before.verdict != "complete" || diff.after.verdict != "complete" {
            out.line("> **Note:** a capture is partial (see its quality verdict above); figures cover what was captured.")
            out.blank()
        }

        out.line("## Biggest changes")
        out.blank()
        if diff.unchanged {
            out.line("No changes: every figure and finding is the same in both reports.")
        } else if diff.headlines.isEmpty {
            out.line("No change beyond ×\(NumberFormatting.fixed(ReportDiff.headlineFactor, 1)) either way; the tables below hold the small ones.")
        } else {
            for headline in diff.headlines {
                // A finding's headline quotes its title, which a rule wrote with names in code spans.
                if headline.kind.hasPrefix("finding") {
                    out.line("- **\(MarkdownText.ruleText(headline.text))**")
                } else {
                    out.line("- \(MarkdownText.text(headline.text))")
                }
            }
        }
        out.blank()

        findings(diff.findings, into: &out)
        for section in ReportSections.all { section.renderDiff(diff, into: &out) }
        out.line("<sub>\(MarkdownText.text(diff.generator)) · ratios are after ÷ before; rates are per second of each capture</sub>")
        return out.text
    }

    static func side(_ name: String, _ s: ReportDiff.Side, into out: inout MarkdownWriter) {
        var parts = ["\(NumberFormatting.captureDuration(first: s.firstTimestampNanos, last: s.lastTimestampNanos, durationSeconds: s.durationSeconds)) captured"]
        if let start = s.firstTimestamp, let end = s.lastTimestamp {
            parts.append("\(MarkdownReportRenderer.displayTime(start))–"
                         + "\(MarkdownReportRenderer.displayTime(end, timeOnly: start.prefix(10) == end.prefix(10))) UTC")
        }
        parts.append("\(NumberFormatting.grouped(s.commands)) commands (\(NumberFormatting.rate(s.commandsPerSecond))/s)")
        parts.append("\(NumberFormatting.grouped(s.connections)) " + (s.connections == 1 ? "connection" : "connections"))
        parts.append("quality: \(MarkdownText.text(s.verdict))")
        out.line("**\(name):** \(MarkdownText.code(s.label)) — " + parts.joined(separator: " · ") + "  ")
    }

    static func findings(_ f: ReportDiff.FindingChanges, into out: inout MarkdownWriter) {
        out.line("## Findings")
        out.blank()
        if f.raised.isEmpty && f.cleared.isEmpty && f.persisting.isEmpty {
            out.line("Neither report has findings.")
            out.blank()
            return
        }
        func id(_ id: String) -> String { MarkdownText.code(id, inTable: true) }
        func title(_ title: String) -> String { MarkdownText.ruleText(title, inTable: true) }
        var rows: [[String]] = []
        for r in f.raised { rows.append(["raised", id(r.id), "–", MarkdownText.text(r.severity), title(r.title)]) }
        for r in f.cleared { rows.append(["cleared", id(r.id), MarkdownText.text(r.severity), "–", title(r.title)]) }
        for p in f.persisting {
            rows.append([p.before.severity == p.after.severity ? "still present" : "severity changed", id(p.id),
                         MarkdownText.text(p.before.severity), MarkdownText.text(p.after.severity), title(p.after.title)])
        }
        out.table(header: ["", "finding", "before", "after", "title (after, or before when cleared)"],
                  alignRight: [false, false, false, false, false], rows: rows)
        out.blank()
    }

    static func commands(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        out.line("## Commands")
        out.blank()
        guard !diff.commands.isEmpty else {
            out.line("No commands in either report.")
            out.blank()
            return
        }
        let rows = diff.commands.map { c -> [String] in
            var name = MarkdownText.code(c.name, inTable: true)
            if c.blocking { name += " (wait)" }
            return [name, value(c.calls.before, c.calls), value(c.calls.after, c.calls),
                    value(c.perSecond.before, c.perSecond), value(c.perSecond.after, c.perSecond), ratio(c.perSecond),
                    value(c.p50.before, c.p50), value(c.p50.after, c.p50),
                    value(c.p99.before, c.p99), value(c.p99.after, c.p99), ratio(c.p99),
                    value(c.errors.before, c.errors), value(c.errors.after, c.errors)]
        }
        out.table(header: ["command", "calls before", "calls after", "/s before", "/s after", "/s ratio",
                           "p50 before", "p50 after", "p99 before", "p99 after", "p99 ratio", "errors before", "errors after"],
                  alignRight: [false] + Array(repeating: true, count: 12), rows: rows)
        out.blank()
    }

    static func metricTable(_ title: String, _ metrics: [ReportDiff.Metric], into out: inout MarkdownWriter, note: String? = nil) {
        guard !metrics.isEmpty else { return }
        out.line("## \(title)")
        out.blank()
        if let note {
            out.line(note)
            out.blank()
        }
        let rows = metrics.map { m in
            [MarkdownText.text(m.label), value(m.before, m), value(m.after, m), ratio(m)]
        }
        out.table(header: ["what", "before", "after", "ratio"], alignRight: [false, true, true, true], rows: rows)
        out.blank()
    }

    static func value(_ v: Double?, _ m: ReportDiff.Metric) -> String { v.map { m.format($0) } ?? "–" }

    static func ratio(_ m: ReportDiff.Metric) -> String {
        if let r = m.ratio, r > 0 { return m.changed ? ReportDiff.Metric.formatRatio(r) : "=" }
        if !m.changed { return (m.before == nil && m.after == nil) ? "" : "=" }
        return (m.before ?? 0) == 0 ? "new" : "gone"
    }
}
