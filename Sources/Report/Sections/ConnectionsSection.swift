import Formatting
import Analysis

enum ConnectionsSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        counts(report, into: &out)
        churn(report, into: &out)
    }

    /// How many connections, how they began and ended.
    static func counts(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let c = report.connections
        out.line("## Connections")
        out.blank()
        out.line("\(NumberFormatting.grouped(c.total)) " + (c.total == 1 ? "connection" : "connections") + " (\(NumberFormatting.grouped(c.withHandshake)) opened in the capture, "
                 + "\(NumberFormatting.grouped(c.withoutHandshake)) already open when it started) · closed: "
                 + "\(NumberFormatting.grouped(c.closedByFin)) FIN, \(NumberFormatting.grouped(c.closedByReset)) RST"
                 + (c.closedByIdle > 0 ? ", \(NumberFormatting.grouped(c.closedByIdle)) idle" : "")
                 + " · \(NumberFormatting.grouped(c.openAtEnd)) still open at the end"
                 + (c.resp3 > 0 ? " · \(NumberFormatting.grouped(c.resp3)) using RESP3" : ""))
        out.blank()
    }

    /// Churn and pools: opened per second against commands per second, lifetimes, setup overhead, concurrency over
    /// time, per client and per server, and how busy each connection was.
    static func churn(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let c = report.connections
        guard c.total > 0 else { return }
        var lines: [String] = []
        let commandsPerSecond = report.totals.commandsPerSecond
        if c.opened > 0 {
            lines.append("Opened: \(NumberFormatting.grouped(c.opened)) (\(NumberFormatting.rate(c.openedPerSecondAverage))/s against "
                         + "\(NumberFormatting.rate(commandsPerSecond)) commands/s); closed in the capture: \(NumberFormatting.grouped(c.closed))"
                         + (c.closes.isEmpty ? "" : " (" + c.closes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                             .map { "\(Self.closeKindText($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ") + ")") + ".")
        }
        lines.append("Concurrent connections: peak \(NumberFormatting.grouped(c.peakConcurrent)), average \(NumberFormatting.fixed(c.averageConcurrent, 1)).")
        if let life = c.lifetimeSeconds, life.count > 0 {
            lines.append("Lifetime of the \(NumberFormatting.grouped(life.count)) connections opened and closed in the capture: "
                         + Self.distribution(life, seconds) + ".")
        }
        if let per = c.commandsPerConnection, per.count > 0 {
            lines.append("Commands per connection: " + Self.distribution(per, exactBelow: 256, NumberFormatting.trimmed) + ".")
        }
        if let s = c.shortLived, s.ofConnections > 0, s.count + s.fewCommands > 0 {
            lines.append("Short-lived: \(NumberFormatting.grouped(s.count)) of \(NumberFormatting.grouped(s.ofConnections)) lasted under "
                         + "\(NumberFormatting.trimmed(s.thresholdSeconds)) s; \(NumberFormatting.grouped(s.fewCommands)) sent at most "
                         + "\(s.maxCommands) commands besides setup.")
        }
        if let setup = c.setupCommands, setup.total > 0 {
            let names = setup.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
            lines.append("Setup and check commands: \(NumberFormatting.grouped(setup.total)) (\(NumberFormatting.fixed(setup.share * 100, 1))% of "
                         + "all commands, \(NumberFormatting.fixed(setup.perConnection, 1)) per connection): \(names).")
        }
        if let u = c.utilisation, u.connections > 0 {
            // One name, one definition: "in use" is what the pool-saturation finding measures (first request to last
            // reply, less pauses); time with a command outstanding is named as such, never "use" or "utilisation".
            var text: String
            let counted = "\(NumberFormatting.grouped(u.connections)) connections without blocking commands"
            if let inUse = u.inUsePerConnection {
                text = "In use (from a connection's first request to its last reply, less pauses over "
                    + "\(NumberFormatting.decimal(u.pauseThresholdMillis, 0)) ms; \(counted)): "
                    + "\(Self.inUsePercent(u.inUseShare))% overall, per connection p50 \(Self.inUsePercent(inUse.p50))%, "
                    + "max \(Self.inUsePercent(inUse.max))%; a command outstanding \(NumberFormatting.fixed(u.busyShare * 100, 1))% "
                    + "of the time observed"
            } else {
                text = "A command outstanding (\(counted)): \(NumberFormatting.fixed(u.busyShare * 100, 1))% of the time observed"
            }
            if let per = u.perConnection { text += " (per connection p50 \(NumberFormatting.fixed(per.p50 * 100, 0))%, max \(NumberFormatting.fixed(per.max * 100, 0))%)" }
            if let gap = u.idleGapMicros, gap.count > 0 {
                text += "; idle gap between a reply and the next request p50 \(NumberFormatting.micros(gap.p50)), p99 \(NumberFormatting.micros(gap.p99))"
            }
            lines.append(text + ".")
        }
        for line in lines { out.line("- " + line) }
        out.blank()
        concurrencyChart(report, into: &out)
        if c.byClient.count > 1 || c.byServer.count > 1 {
            var rows: [[String]] = []
            for group in c.byServer where c.byServer.count > 1 { rows.append(["server " + MarkdownText.text(group.address)] + groupCells(group)) }
            for group in c.byClient.prefix(10) where c.byClient.count > 1 { rows.append(["client " + MarkdownText.text(group.address)] + groupCells(group)) }
            out.table(header: ["", "connections", "opened", "commands", "peak concurrent", "short-lived"],
                      alignRight: [false, true, true, true, true, true], rows: rows)
            out.blank()
        }
    }

    /// Exact extremes and percentiles, marked ≈ where they are bucket values: "min 2, p50 ≈ 480, p90 ≈ 600, max 603".
    /// The histograms keep values under `exactBelow` exactly. Reports without `min` show the percentiles and max.
    private static func distribution(_ p: Percentiles, exactBelow: Double = 0, _ format: (Double) -> String) -> String {
        guard let min = p.min else { return "p50 \(format(p.p50)), p90 \(format(p.p90)), max \(format(p.max))" }
        if min == p.max { return p.count == 1 ? format(min) : "all \(format(min))" }
        func approximate(_ value: Double) -> String { value < exactBelow ? format(value) : "≈ " + format(value) }
        return "min \(format(min)), p50 \(approximate(p.p50)), p90 \(approximate(p.p90)), max \(format(p.max))"
    }

    /// A share of time in use (0...1), printed as the pool-saturation finding prints it.
    private static func inUsePercent(_ share: Double) -> String { NumberFormatting.decimal(share * 100, 1) }

    /// `finByClient` -> "FIN by client".
    static func closeKindText(_ kind: String) -> String {
        let how = kind.hasPrefix("reset") ? "RST" : "FIN"
        let side = kind.split(separator: "By").last.map { $0.lowercased() } ?? ""
        return "\(how) by \(MarkdownText.text(side))"
    }

    private static func groupCells(_ g: ClientConnections) -> [String] {
        [NumberFormatting.grouped(g.connections), NumberFormatting.grouped(g.opened), NumberFormatting.grouped(g.commands),
         NumberFormatting.grouped(g.peakConcurrent), NumberFormatting.grouped(g.shortLived)]
    }

    private static func seconds(_ s: Double) -> String {
        s < 1 ? NumberFormatting.micros(s * 1e6) : NumberFormatting.seconds(s)
    }

    /// Concurrent connections and connections opened, per second (at most ~60 points).
    private static func concurrencyChart(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard let chart = ReportChart.connections(report) else { return }
        out.line(chart.caption ?? "")
        out.blank()
        out.line(chart.mermaid)
        out.blank()
    }
}
