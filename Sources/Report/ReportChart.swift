import Formatting
import Analysis

/// One chart of a report, independent of how it is drawn: Mermaid `xychart-beta` in the Markdown report, a
/// standalone SVG file with `--svg DIR`. Both draw the same series, so they cannot disagree.
public struct ReportChart: Sendable, Equatable {
    /// File stem for `--svg` (`command-mix` → `command-mix.svg`).
    public var name: String
    /// Drawn in the chart (Mermaid `title`).
    public var title: String?
    /// The sentence that introduces the chart in Markdown, when it has no title of its own.
    public var caption: String?
    public var xTitle: String?
    public var xLabels: [String]
    /// Mermaid needs labels that are not plain numbers quoted; numbers may be quoted or not.
    public var quoteLabels: Bool
    public var yTitle: String
    public var bars: [Double]?
    public var line: [Double]?
    /// Legend names when a chart has both bars and a line.
    public var barsLegend: String?
    public var lineLegend: String?
    /// Indices of `line` without a value of their own (seconds without an answered command): Mermaid cannot break a
    /// line, so it draws the nearest earlier value there (the first one before any) and the caption says so; the SVG
    /// leaves those points out and breaks the line.
    public var lineCarried: [Int] = []

    /// Charts of `report` in the order the Markdown report shows them.
    /// Every chart name `all(for:)` can produce (its file is `<name>.svg`).
    public static let names = ["command-mix", "commands-per-second", "latency-p99", "connections", "blocking-pop-keys"]

    public static func all(for report: AnalysisReport) -> [ReportChart] {
        [commandMix(report), commandsPerSecond(report), p99(report), connections(report), blockingPopKeys(report)]
            .compactMap { $0 }
    }

    /// The top ten commands by calls, when there is more than one command.
    public static func commandMix(_ report: AnalysisReport) -> ReportChart? {
        let top = report.commands.prefix(10)
        guard top.count >= 2 else { return nil }
        return ReportChart(name: "command-mix", title: "Command mix (calls)", xLabels: top.map(\.name), quoteLabels: true,
                           yTitle: "calls", bars: top.map { Double($0.calls) })
    }

    /// At most ~60 points over the capture: the timeline's buckets grouped.
    private struct TimelinePoints {
        var seconds: [String] = []
        var rates: [Double] = []
        /// nil where no command of the step was answered.
        var p99s: [Double?] = []
        var step = ""

        init?(_ report: AnalysisReport) {
            guard let t = report.timeline, t.buckets.count >= 2 else { return nil }
            let group = max(1, (t.buckets.count + 59) / 60)
            var index = 0
            while index < t.buckets.count {
                let slice = t.buckets[index..<min(t.buckets.count, index + group)]
                let commands = slice.reduce(0) { $0 + $1.commands }
                seconds.append(NumberFormatting.fixed(slice.first?.offsetSeconds ?? 0, 0))
                rates.append(Double(commands) / (t.bucketSeconds * Double(slice.count)))
                // The worst p99 of the grouped buckets; none where nothing was answered (not a latency of 0).
                p99s.append(slice.compactMap(\.p99Micros).max())
                index += group
            }
            let stepSeconds = t.bucketSeconds * Double(group)
            step = NumberFormatting.fixed(stepSeconds, stepSeconds < 10 ? 1 : 0)
        }
    }

    public static func commandsPerSecond(_ report: AnalysisReport) -> ReportChart? {
        guard let points = TimelinePoints(report) else { return nil }
        return ReportChart(name: "commands-per-second", caption: "Commands per second over the capture (\(points.step) s steps):",
                           xTitle: "seconds", xLabels: points.seconds, quoteLabels: false, yTitle: "commands/s", line: points.rates)
    }

    public static func p99(_ report: AnalysisReport) -> ReportChart? {
        guard let points = TimelinePoints(report), let first = points.p99s.first(where: { ($0 ?? 0).rounded() != 0 }) ?? nil
        else { return nil }
        var line: [Double] = [], carried: [Int] = []
        var previous = first
        for (index, value) in points.p99s.enumerated() {
            if let value { previous = value } else { carried.append(index) }
            line.append(previous)
        }
        var caption = "Service latency p99 over the capture (µs, \(points.step) s steps"
        if !carried.isEmpty {
            caption += "; \(carried.count) of \(line.count) steps had no answered command: the line holds the previous step's "
                + "value there, not a latency of 0"
        }
        return ReportChart(name: "latency-p99", caption: caption + "):", xTitle: "seconds", xLabels: points.seconds,
                           quoteLabels: false, yTitle: "p99 µs", line: line, lineCarried: carried)
    }

    /// Connections opened per second (bars) and most open at once (line), in steps of at most ~60 points.
    public static func connections(_ report: AnalysisReport) -> ReportChart? {
        let c = report.connections
        let seconds = c.concurrentPerSecond.count
        guard seconds >= 3, c.opened > 0 else { return nil }
        let group = max(1, (seconds + 59) / 60)
        var xs: [String] = [], concurrent: [Double] = [], opened: [Double] = []
        var index = 0
        while index < seconds {
            let end = min(seconds, index + group)
            xs.append(String(index))
            concurrent.append(Double(c.concurrentPerSecond[index..<end].max() ?? 0))
            let openedInGroup = c.openedPerSecond.count >= end ? c.openedPerSecond[index..<end].reduce(0, +) : 0
            opened.append(Double(openedInGroup) / Double(end - index))
            index = end
        }
        return ReportChart(name: "connections",
                           caption: "Connections over the capture (\(group) s steps): bars = opened per second, line = most open at once.",
                           xTitle: "seconds", xLabels: xs, quoteLabels: false, yTitle: "connections", bars: opened, line: concurrent,
                           barsLegend: "opened per second", lineLegend: "most open at once")
    }

    /// Blocking-pop calls by keys per call (the 20 largest key counts), when calls used two or more key counts.
    public static func blockingPopKeys(_ report: AnalysisReport) -> ReportChart? {
        guard let b = report.blockingPops, b.keyCountDistribution.count >= 2 else { return nil }
        let buckets = b.keyCountDistribution.sorted { $0.keys < $1.keys }.suffix(20)
        return ReportChart(name: "blocking-pop-keys", title: "Blocking pop calls by keys per call", xTitle: "keys per call",
                           xLabels: buckets.map { String($0.keys) }, quoteLabels: true, yTitle: "calls",
                           bars: buckets.map { Double($0.calls) })
    }

    /// The chart as a fenced Mermaid block.
    public var mermaid: String {
        func values(_ series: [Double]) -> String {
            series.map { String(NumberFormatting.fixed($0, 0).filter { $0 != "," }) }.joined(separator: ", ")
        }
        var lines = ["```mermaid", "xychart-beta"]
        if let title { lines.append("    title \"\(title)\"") }
        let labels = xLabels.map { quoteLabels ? "\"" + MarkdownText.chartLabel($0) + "\"" : MarkdownText.chartLabel($0) }
            .joined(separator: ", ")
        lines.append("    x-axis " + (xTitle.map { "\"\($0)\" " } ?? "") + "[\(labels)]")
        lines.append("    y-axis \"\(yTitle)\"")
        if let bars { lines.append("    bar [\(values(bars))]") }
        if let line { lines.append("    line [\(values(line))]") }
        lines.append("```")
        return lines.joined(separator: "\n")
    }
}
