import Formatting
/// Draws a `ReportChart` as a standalone SVG document (no scripts, no external fonts or styles), for
/// `--svg DIR`: bars, a line, or both on one value axis starting at zero, with gridlines at round values.
public enum SVGChartRenderer {
    static let width = 760.0
    static let height = 360.0
    static let left = 72.0, right = 20.0, top = 60.0, bottom = 64.0
    static let barColour = "#4e79a7", lineColour = "#e15759", gridColour = "#e0e0e0", textColour = "#333"

    public static func render(_ chart: ReportChart) -> String {
        let count = max(chart.xLabels.count, chart.bars?.count ?? 0, chart.line?.count ?? 0)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxValue = ((chart.bars ?? []) + (chart.line ?? [])).filter(\.isFinite).max() ?? 0
        let (axisMax, tick) = niceAxis(maxValue)
        let slot = plotWidth / Double(max(count, 1))
        func x(_ i: Int) -> Double { left + slot * (Double(i) + 0.5) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(max(value, 0), axisMax) / axisMax) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" \
            font-family="sans-serif" font-size="12" fill="\(textColour)">
            <title>\(escape(chart.title ?? chart.caption ?? chart.name))</title>
            <rect width="100%" height="100%" fill="#fff"/>

            """
        let heading = chart.title ?? chart.caption.map { $0.hasSuffix(":") ? String($0.dropLast()) : $0 } ?? chart.name
        svg += text(heading, x: width / 2, y: 22, anchor: "middle", extra: #"font-size="15""#)
        // Gridlines and value labels.
        var value = 0.0
        while value <= axisMax * 1.000001 {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(value)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(value)))\" stroke=\"\(gridColour)\"/>\n"
            svg += text(axisLabel(value), x: left - 6, y: y(value) + 4, anchor: "end")
            value += tick
        }
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotHeight))\" stroke=\"\(textColour)\"/>\n"
        svg += text(chart.yTitle, x: 16, y: top + plotHeight / 2, anchor: "middle",
                    extra: "transform=\"rotate(-90 16 \(f(top + plotHeight / 2)))\"")
        if let xTitle = chart.xTitle { svg += text(xTitle, x: left + plotWidth / 2, y: height - 10, anchor: "middle") }

        if let bars = chart.bars {
            let barWidth = max(1, slot * 0.7)
            for (i, v) in bars.enumerated() where v.isFinite {
                svg += "<rect x=\"\(f(x(i) - barWidth / 2))\" y=\"\(f(y(v)))\" width=\"\(f(barWidth))\" "
                    + "height=\"\(f(top + plotHeight - y(v)))\" fill=\"\(barColour)\"><title>\(escape(label(chart, i))): \(axisLabel(v))</title></rect>\n"
            }
        }
        if let line = chart.line, !line.isEmpty {
            // One polyline per run of points with values of their own: a step without one breaks the line.
            let carried = Set(chart.lineCarried)
            var runs: [[String]] = [[]]
            for (i, v) in line.enumerated() {
                if carried.contains(i) {
                    if !(runs.last ?? []).isEmpty { runs.append([]) }
                } else {
                    runs[runs.count - 1].append("\(f(x(i))),\(f(y(v.isFinite ? v : 0)))")
                }
            }
            for run in runs where !run.isEmpty {
                svg += "<polyline points=\"\(run.joined(separator: " "))\" fill=\"none\" stroke=\"\(lineColour)\" stroke-width=\"2\"/>\n"
            }
            if line.count <= 60 {
                for (i, v) in line.enumerated() where v.isFinite && !carried.contains(i) {
                    svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(v)))\" r=\"2.5\" fill=\"\(lineColour)\"><title>\(escape(label(chart, i))): \(axisLabel(v))</title></circle>\n"
                }
            }
        }
        // X labels: every k-th so they do not overlap; long names are turned.
        let longest = chart.xLabels.map(\.count).max() ?? 0
        let turned = longest * 7 > Int(slot)
        let every = turned ? max(1, Int((14 / slot).rounded(.up))) : 1
        for (i, name) in chart.xLabels.enumerated() where i % every == 0 {
            let labelY = top + plotHeight + 16
            if turned {
                svg += text(name, x: x(i), y: labelY, anchor: "end", extra: "transform=\"rotate(-35 \(f(x(i))) \(f(labelY)))\"")
            } else {
                svg += text(name, x: x(i), y: labelY, anchor: "middle")
            }
        }
        if chart.bars != nil && chart.line != nil {
            let barsName = chart.barsLegend ?? "bars", lineName = chart.lineLegend ?? "line"
            var legendX = left
            svg += "<rect x=\"\(f(legendX))\" y=\"34\" width=\"10\" height=\"10\" fill=\"\(barColour)\"/>\n"
            svg += text(barsName, x: legendX + 14, y: 43, anchor: "start")
            legendX += 14 + Double(barsName.count) * 7 + 20
            svg += "<line x1=\"\(f(legendX))\" y1=\"39\" x2=\"\(f(legendX + 14))\" y2=\"39\" stroke=\"\(lineColour)\" stroke-width=\"2\"/>\n"
            svg += text(lineName, x: legendX + 18, y: 43, anchor: "start")
        }
        return svg + "</svg>\n"
    }

    private static func label(_ chart: ReportChart, _ i: Int) -> String {
        i < chart.xLabels.count ? chart.xLabels[i] : String(i)
    }

    private static func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\"\(extra.isEmpty ? "" : " " + extra)>\(escape(content))</text>\n"
    }

    /// An axis maximum of 1, 2 or 5 times a power of ten at or above `maxValue`, and a tick giving 4-5 gridlines.
    static func niceAxis(_ maxValue: Double) -> (max: Double, tick: Double) {
        guard maxValue > 0, maxValue.isFinite else { return (1, 0.25) }
        var magnitude = 1.0
        while magnitude * 10 <= maxValue { magnitude *= 10 }
        while magnitude > maxValue { magnitude /= 10 }
        for step in [0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10] {
            let tick = step * magnitude
            let ticks = (maxValue / tick).rounded(.up)
            if ticks <= 5 { return (ticks * tick, tick) }
        }
        return (10 * magnitude, 2 * magnitude)
    }

    static func axisLabel(_ value: Double) -> String {
        if value >= 1_000_000 { return NumberFormatting.fixed(value / 1_000_000, value.truncatingRemainder(dividingBy: 1_000_000) == 0 ? 0 : 1) + "M" }
        if value >= 10_000 { return NumberFormatting.fixed(value / 1000, value.truncatingRemainder(dividingBy: 1000) == 0 ? 0 : 1) + "k" }
        return value == value.rounded() ? NumberFormatting.grouped(Int64(value)) : NumberFormatting.fixed(value, value < 1 ? 2 : 1)
    }

    /// XML text and attribute values; control characters (which XML 1.0 forbids or would fold) shown as escapes.
    static func escape(_ text: String) -> String {
        VisibleText.escaping(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            default: nil
            }
        }
    }

    private static func f(_ value: Double) -> String { String(NumberFormatting.fixed(value, 1).filter { $0 != "," }) }
}
