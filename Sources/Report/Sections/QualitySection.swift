import Formatting
import Analysis

/// How far to trust the numbers: gaps, parse errors, limits reached, and where.
enum QualitySection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
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
        if !q.gapDetails.isEmpty {
            out.line("\(NumberFormatting.grouped(q.connectionsWithGaps)) of \(NumberFormatting.grouped(report.connections.total)) connections "
                     + "have gaps; the others' numbers are exact. " + (q.gaps > q.gapDetails.count ? "First gaps:" : "Gaps:"))
            out.blank()
            out.table(header: ["at", "connection", "direction", "bytes lost", "after commands"],
                      alignRight: [false, false, false, true, true],
                      rows: q.gapDetails.prefix(10).map {
                          [MarkdownReportRenderer.displayTime($0.timestamp), "\(MarkdownText.text($0.client)) → \(MarkdownText.text($0.server))", MarkdownText.text($0.direction),
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
                          [MarkdownReportRenderer.displayTime($0.timestamp), "\(MarkdownText.text($0.client)) → \(MarkdownText.text($0.server))", MarkdownText.text($0.kind),
                           MarkdownText.text($0.detail)]
                      })
            out.blank()
        }
        out.line("<sub>respcap \(MarkdownText.text(report.generator.version)) · command table from "
                 + "\(MarkdownText.text(report.generator.commandTable))</sub>")
    }
}
