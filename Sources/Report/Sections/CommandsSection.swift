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

    // MARK: - Merge

    /// Counts add per command; latency and blocking-wait percentiles come from the merged histograms (exact at their
    /// precision) or, when a report has none, are averaged and noted.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        merged.commands = mergeCommands(reports, notes: &context.notes)
    }

    private static func mergeCommands(_ reports: [AnalysisReport], notes: inout ReportMerger.MergeNotes) -> [AnalysisReport.CommandSummary] {
        var order: [String] = []
        var groups: [String: [AnalysisReport.CommandSummary]] = [:]
        for r in reports {
            for c in r.commands {
                if groups[c.name] == nil { order.append(c.name) }
                groups[c.name, default: []].append(c)
            }
        }
        var result: [AnalysisReport.CommandSummary] = []
        for name in order {
            let parts = groups[name] ?? []
            var m = AnalysisReport.CommandSummary(name: name)
            for p in parts {
                m.calls += p.calls
                m.errors += p.errors
                m.requestBytes += p.requestBytes
                m.replyBytes += p.replyBytes
                m.unanswered += p.unanswered
                m.noReply += p.noReply
                m.lostInGap += p.lostInGap
                m.queuedInTransaction += p.queuedInTransaction
            }
            m.known = parts.allSatisfy(\.known)
            m.blocking = parts.contains(where: \.blocking)
            m.flags = parts.first?.flags ?? []
            let latency = ReportMerger.mergeLatency(parts.map { ($0.latencyMicros, $0.latencyHistogram) })
            m.latencyMicros = latency.summary
            m.latencyHistogram = latency.buckets
            if !latency.exact { notes.approximate("latency percentiles of `\(name)` (a report has no latencyHistogram)") }
            let waits = parts.compactMap { p in p.blockingWaitMicros.map { ($0, p.blockingWaitHistogram) } }
            if !waits.isEmpty {
                let wait = ReportMerger.mergeLatency(waits)
                m.blockingWaitMicros = wait.summary
                m.blockingWaitHistogram = wait.buckets
                if !wait.exact { notes.approximate("blocking wait of `\(name)` (a report has no blockingWaitHistogram)") }
            }
            result.append(m)
        }
        result.sort { ($0.calls, $1.name) > ($1.calls, $0.name) }
        return result
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let db = context.beforeSeconds, da = context.afterSeconds
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }
        // Commands, busiest (after, then before) first.
        let beforeCommands = Dictionary(b.commands.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let afterCommands = Dictionary(a.commands.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let names = Set(beforeCommands.keys).union(afterCommands.keys).sorted { x, y in
            let kx = (afterCommands[x]?.calls ?? 0, beforeCommands[x]?.calls ?? 0)
            let ky = (afterCommands[y]?.calls ?? 0, beforeCommands[y]?.calls ?? 0)
            return kx != ky ? kx > ky : x < y
        }
        for name in names {
            let cb = beforeCommands[name], ca = afterCommands[name]
            let blocking = (cb ?? ca).map { $0.blocking || ($0.latencyMicros.count == 0 && $0.blockingWaitMicros != nil) } ?? false
            let display = name.uppercased()
            func latency(_ c: AnalysisReport.CommandSummary?) -> AnalysisReport.Latency? {
                guard let c else { return nil }
                if c.latencyMicros.count > 0 { return c.latencyMicros }
                if let wait = c.blockingWaitMicros, wait.count > 0 { return wait }
                return nil
            }
            let lb = latency(cb), la = latency(ca)
            let what = blocking ? "wait" : "latency"
            diff.commands.append(ReportDiff.CommandChange(
                name: name, blocking: blocking,
                calls: ReportDiff.Metric(id: "commands.\(name).calls", label: "\(display) calls", unit: .count,
                              before: Double(cb?.calls ?? 0), after: Double(ca?.calls ?? 0)),
                perSecond: ReportDiff.Metric(id: "commands.\(name).perSecond", label: "\(display) calls/s", unit: .perSecond,
                                  before: rate(Double(cb?.calls ?? 0), db), after: rate(Double(ca?.calls ?? 0), da)),
                p50: ReportDiff.Metric(id: "commands.\(name).p50", label: "\(display) p50 \(what)", unit: .micros, before: lb?.p50, after: la?.p50),
                p99: ReportDiff.Metric(id: "commands.\(name).p99", label: "\(display) p99 \(what)", unit: .micros, before: lb?.p99, after: la?.p99),
                errors: ReportDiff.Metric(id: "commands.\(name).errors", label: "\(display) error replies", unit: .count,
                               before: Double(cb?.errors ?? 0), after: Double(ca?.errors ?? 0))))
        }
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.commands(diff, into: &out)
    }
}
