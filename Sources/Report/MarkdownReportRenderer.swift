import Formatting
import Analysis

/// The human report: cause first, then evidence, then detail. Reads as plain text and renders on GitHub/GitLab.
/// Every figure says what it counts; the capture's trustworthiness is stated up front; no value bytes appear.
public enum MarkdownReportRenderer {
    public static func render(_ report: AnalysisReport, title: String? = nil) -> String {
        var out = MarkdownWriter()
        header(report, title: title, into: &out)
        warnings(report, into: &out)
        findings(report, into: &out)
        commands(report, into: &out)
        errors(report, into: &out)
        sectionBlockingPops(report, into: &out)
        sectionQueues(report, into: &out)
        connections(report, into: &out)
        sectionConnections(report, into: &out)
        sectionClients(report, into: &out)
        sectionKeys(report, into: &out)
        sectionLatency(report, into: &out)
        pushes(report, into: &out)
        quality(report, into: &out)
        return out.text
    }

    // MARK: - Sections

    static func header(_ report: AnalysisReport, title: String?, into out: inout MarkdownWriter) {
        let c = report.capture
        let name = title ?? (c.files.isEmpty ? "capture" : c.files.map(baseName).joined(separator: ", "))
        out.line("# respcap report — \(MarkdownText.text(name))")
        out.blank()
        var first: [String] = []
        first.append("\(NumberFormatting.captureDuration(c)) captured")
        if let start = c.firstTimestamp, let end = c.lastTimestamp {
            first.append("\(displayTime(start))–\(displayTime(end, timeOnly: start.prefix(10) == end.prefix(10))) UTC")
        }
        first.append(NumberFormatting.bytes(c.bytes))
        first.append("\(NumberFormatting.grouped(c.packets)) packets")
        first.append((c.ports.count == 1 ? "port " : "ports ") + c.ports.map(String.init).joined(separator: ","))
        if let filter = c.filter { first.append("filter " + MarkdownText.code(filter)) }
        out.line(first.joined(separator: " · "))
        var second: [String] = []
        let servers = c.servers
        if servers.count == 1 {
            second.append("1 server (\(MarkdownText.text(servers[0])))")
        } else {
            second.append("\(servers.count) servers")
        }
        let conn = report.connections
        second.append("\(NumberFormatting.grouped(conn.total)) client " + (conn.total == 1 ? "connection" : "connections")
                      + " from \(NumberFormatting.grouped(conn.clients)) " + (conn.clients == 1 ? "host" : "hosts"))
        second.append("\(NumberFormatting.grouped(report.totals.commands)) commands (\(NumberFormatting.rate(report.totals.commandsPerSecond))/s)")
        out.line(second.joined(separator: " · "))
        let q = report.quality
        // An unusable capture's reason can quote the user's --filter.
        out.line("Capture quality: \(MarkdownText.text(q.verdict)) (\(q.gaps) gaps, \(NumberFormatting.grouped(q.unpairedReplies)) unpaired replies, "
                 + "\(NumberFormatting.grouped(q.parseErrors)) parse errors)")
        out.blank()
    }

    static func warnings(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard !report.warnings.isEmpty else { return }
        for warning in report.warnings { out.line("> **Warning:** \(MarkdownText.text(warning))") }
        out.blank()
    }

    static func commands(_ report: AnalysisReport, into out: inout MarkdownWriter) {
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

    static func errors(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard !report.errorsByPrefix.isEmpty else { return }
        out.line("## Errors")
        out.blank()
        let rows = report.errorsByPrefix.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { [MarkdownText.code($0.key, inTable: true), NumberFormatting.grouped($0.value)] }
        out.table(header: ["error code", "replies"], alignRight: [false, true], rows: rows)
        let byCommand = report.commands.filter { $0.errors > 0 }.map { "\(MarkdownText.code($0.name)) \(NumberFormatting.grouped($0.errors))" }
        if !byCommand.isEmpty {
            out.blank()
            out.line("By command: " + byCommand.joined(separator: ", "))
        }
        if let benign = report.benignErrors, !benign.isEmpty {
            out.blank()
            let total = benign.reduce(0) { $0 + $1.count }
            out.line("Expected errors, not counted by the error-rate finding (\(NumberFormatting.grouped(total)) "
                     + (total == 1 ? "reply" : "replies") + "):")
            out.blank()
            for entry in benign {
                out.line("- \(MarkdownText.code(entry.command)) → \(MarkdownText.code(entry.code)) "
                         + "\(NumberFormatting.grouped(entry.count)) (\(MarkdownText.text(entry.kind))): \(MarkdownText.text(entry.why))")
            }
        }
        out.blank()
    }

    static func connections(_ report: AnalysisReport, into out: inout MarkdownWriter) {
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

    static func pushes(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let p = report.pushes
        guard p.total > 0 else { return }
        out.line("## Pushes and pub/sub messages")
        out.blank()
        let kinds = p.byKind.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(MarkdownText.text($0.key)) \(NumberFormatting.grouped($0.value))" }
        out.line("\(NumberFormatting.grouped(p.total)) server messages that are not replies (\(NumberFormatting.bytes(p.bytes))): "
                 + kinds.joined(separator: ", "))
        out.blank()
    }

    static func quality(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let q = report.quality
        out.line("## Capture quality")
        out.blank()
        out.line("Verdict: **\(MarkdownText.text(q.verdict))**")
        out.blank()
        var rows: [[String]] = [
            ["TCP segments on Redis ports", NumberFormatting.grouped(q.tcpSegments)],
            ["packets stored out of timestamp order (put back in order)", NumberFormatting.grouped(q.packetsOutOfTimestampOrder)],
            ["out-of-order segments (reordered, then used)", NumberFormatting.grouped(q.outOfOrderSegments)],
            ["retransmitted segments / duplicate bytes (counted once)",
             "\(NumberFormatting.grouped(q.retransmittedSegments)) / \(NumberFormatting.grouped(q.duplicateBytes))"],
            ["gaps / bytes lost in gaps", "\(NumberFormatting.grouped(q.gaps)) / \(NumberFormatting.grouped(q.bytesLostInGaps))"],
            ["bytes cut by snaplen", NumberFormatting.grouped(q.snaplenCutBytes)],
            ["unpaired replies (no request seen)", NumberFormatting.grouped(q.unpairedReplies)],
            ["unanswered commands at close or end", NumberFormatting.grouped(q.unansweredCommands)],
            ["commands lost in gaps", NumberFormatting.grouped(q.commandsLostInGaps)],
            ["RESP parse errors", NumberFormatting.grouped(q.parseErrors)],
            ["bytes skipped to resynchronise", NumberFormatting.grouped(q.resyncSkippedBytes)],
            ["connections that are not RESP", NumberFormatting.grouped(q.notRedisConnections)],
        ]
        if q.packetsLateBeyondReorderWindow > 0 {
            rows.append(["packets too late to reorder (raise --reorder-window)", NumberFormatting.grouped(q.packetsLateBeyondReorderWindow)])
        }
        if q.connectionsEvicted > 0 { rows.append(["connections evicted (tracking limit)", NumberFormatting.grouped(q.connectionsEvicted)]) }
        if q.pendingOverflows > 0 { rows.append(["commands dropped (pending limit)", NumberFormatting.grouped(q.pendingOverflows)]) }
        for (reason, count) in q.packetsSkipped.sorted(by: { $0.key < $1.key }) {
            rows.append(["packets skipped: \(MarkdownText.text(reason))", NumberFormatting.grouped(count)])
        }
        if !q.parseErrorsByCode.isEmpty {
            rows.append(["parse errors by kind", q.parseErrorsByCode.sorted { $0.key < $1.key }
                .map { "\(MarkdownText.text($0.key)) \($0.value)" }.joined(separator: ", ")])
        }
        if q.truncated { rows.append(["capture file truncated", MarkdownText.text(q.truncationMessage ?? "yes")]) }
        if q.interrupted == true { rows.append(["reading interrupted (^C or SIGTERM)", "yes"]) }
        out.table(header: ["what", "count"], alignRight: [false, true], rows: rows)
        out.blank()
        if let tls = report.tls { tlsQuality(tls, into: &out) }
        if !q.gapDetails.isEmpty {
            out.line("\(NumberFormatting.grouped(q.connectionsWithGaps)) of \(NumberFormatting.grouped(report.connections.total)) connections "
                     + "have gaps; the others' numbers are exact. " + (q.gaps > q.gapDetails.count ? "First gaps:" : "Gaps:"))
            out.blank()
            out.table(header: ["at", "connection", "direction", "bytes lost", "after commands"],
                      alignRight: [false, false, false, true, true],
                      rows: q.gapDetails.prefix(10).map {
                          [displayTime($0.timestamp), "\(MarkdownText.text($0.client)) → \(MarkdownText.text($0.server))", MarkdownText.text($0.direction),
                           NumberFormatting.grouped($0.bytesLost), NumberFormatting.grouped($0.commandsBefore)]
                      })
            out.blank()
        }
        if let limitsHit = q.limitsHit, !limitsHit.isEmpty {
            out.line("Limits reached (each is an option; raise it to track more, at the cost of memory):")
            out.blank()
            out.table(header: ["limit", "value", "where", "count", "effect"], alignRight: [false, true, false, true, false],
                      rows: limitsHit.map {
                          [MarkdownText.code($0.limit, inTable: true), NumberFormatting.grouped($0.value), MarkdownText.text($0.scope),
                           NumberFormatting.grouped($0.count), MarkdownText.text($0.effect)]
                      })
            out.blank()
        }
        if !q.events.isEmpty {
            out.line("Parse errors and limits hit" + (q.eventsNotListed > 0 ? " (first \(q.events.count); \(NumberFormatting.grouped(q.eventsNotListed)) more)" : "") + ":")
            out.blank()
            out.table(header: ["at", "connection", "what", "detail"], alignRight: [false, false, false, false],
                      rows: q.events.prefix(10).map {
                          [displayTime($0.timestamp), "\(MarkdownText.text($0.client)) → \(MarkdownText.text($0.server))", MarkdownText.text($0.kind),
                           MarkdownText.text($0.detail)]
                      })
            out.blank()
        }
        out.line("<sub>respcap \(MarkdownText.text(report.generator.version)) · command table from "
                 + "\(MarkdownText.text(report.generator.commandTable))</sub>")
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
