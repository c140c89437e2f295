import Formatting
import Analysis

/// Every command with calls, errors, bytes and latency, and the command mix.
enum CommandsSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        out.line("## Commands")
        out.blank()
        guard !report.commands.isEmpty else {
            out.line("No Redis commands were decoded.")
            out.blank()
            return
        }
        let total = report.totals.commands
        out.line("\(NumberFormatting.grouped(total)) commands, \(NumberFormatting.grouped(report.totals.errorReplies)) error replies; "
                 + "\(NumberFormatting.bytes(report.totals.clientBytes)) sent to the server, "
                 + "\(NumberFormatting.bytes(report.totals.serverBytes)) received from it. "
                 + "Latency is the time from a request's last byte to its reply's first byte, as seen at the capture point.")
        out.blank()
        var rows: [[String]] = []
        for c in report.commands {
            var name = MarkdownText.code(c.name, inTable: true)
            if !c.known { name += " (unknown)" }
            var row = [name, NumberFormatting.grouped(c.calls), NumberFormatting.percent(c.calls, of: total),
                       NumberFormatting.grouped(c.errors), NumberFormatting.bytes(c.requestBytes),
                       NumberFormatting.bytes(c.replyBytes)]
            if let wait = c.blockingWaitMicros, c.latencyMicros.count == 0 {
                row += ["wait " + NumberFormatting.micros(wait.p50), "wait " + NumberFormatting.micros(wait.p99),
                        "wait " + NumberFormatting.micros(wait.max)]
            } else if c.latencyMicros.count > 0 {
                row += [NumberFormatting.micros(c.latencyMicros.p50), NumberFormatting.micros(c.latencyMicros.p99),
                        NumberFormatting.micros(c.latencyMicros.max)]
            } else {
                row += ["-", "-", "-"]
            }
            rows.append(row)
        }
        out.table(header: ["command", "calls", "share", "errors", "req bytes", "reply bytes", "p50", "p99", "max"],
                  alignRight: [false, true, true, true, true, true, true, true, true], rows: rows)
        commandMixChart(report, into: &out)
        if report.commands.contains(where: { $0.blockingWaitMicros != nil && $0.latencyMicros.count == 0 }) {
            out.blank()
            out.line("`wait`: a blocking command (BRPOP, BLPOP, XREAD BLOCK...) waiting for data; that time is not server work.")
        }
        let unusual = report.commands.filter { $0.noReply > 0 || $0.unanswered > 0 || $0.lostInGap > 0 || $0.queuedInTransaction > 0 }
        if !unusual.isEmpty {
            out.blank()
            for c in unusual {
                var parts: [String] = []
                if c.queuedInTransaction > 0 { parts.append("\(NumberFormatting.grouped(c.queuedInTransaction)) queued in MULTI") }
                if c.noReply > 0 { parts.append("\(NumberFormatting.grouped(c.noReply)) sent with replies off (CLIENT REPLY)") }
                if c.unanswered > 0 { parts.append("\(NumberFormatting.grouped(c.unanswered)) unanswered when the connection or capture ended") }
                if c.lostInGap > 0 { parts.append("\(NumberFormatting.grouped(c.lostInGap)) lost in capture gaps") }
                out.line("- \(MarkdownText.code(c.name)): " + parts.joined(separator: "; "))
            }
        }
        out.blank()
    }

    /// The command mix as a bar chart (top 10), when there is more than one command.
    static func commandMixChart(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard let chart = ReportChart.commandMix(report) else { return }
        out.blank()
        out.line(chart.mermaid)
    }
}
