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
        if let tls = report.tls { MarkdownReportRenderer.tlsQuality(tls, quality: q, into: &out) }
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

    // MARK: - Merge

    /// Counts add; the first gaps and events of each report are kept, as many as one report lists; limits reached
    /// add per (limit, scope). The verdict is decided again on the whole merged report.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        var q = AnalysisReport().quality
        for r in reports {
            let x = r.quality
            for (k, v) in x.packetsSkipped { q.packetsSkipped[k, default: 0] += v }
            q.tcpSegments += x.tcpSegments
            q.packetsOutOfTimestampOrder += x.packetsOutOfTimestampOrder
            q.packetsLateBeyondReorderWindow += x.packetsLateBeyondReorderWindow
            q.outOfOrderSegments += x.outOfOrderSegments
            q.retransmittedSegments += x.retransmittedSegments
            q.duplicateBytes += x.duplicateBytes
            q.gaps += x.gaps
            q.bytesLostInGaps += x.bytesLostInGaps
            q.connectionsWithGaps += x.connectionsWithGaps
            q.eventsNotListed += x.eventsNotListed
            q.snaplenCutBytes += x.snaplenCutBytes
            q.unpairedReplies += x.unpairedReplies
            q.unansweredCommands += x.unansweredCommands
            q.commandsLostInGaps += x.commandsLostInGaps
            q.parseErrors += x.parseErrors
            for (k, v) in x.parseErrorsByCode { q.parseErrorsByCode[k, default: 0] += v }
            q.resyncSkippedBytes += x.resyncSkippedBytes
            q.truncated = q.truncated || x.truncated
            if x.interrupted == true { q.interrupted = true }
            if q.truncationMessage == nil { q.truncationMessage = x.truncationMessage }
            q.connectionsEvicted += x.connectionsEvicted
            q.bufferLimitDrops += x.bufferLimitDrops
            q.pendingOverflows += x.pendingOverflows
            q.notRedisConnections += x.notRedisConnections
            q.notRedisServerMessages += x.notRedisServerMessages
            q.notRedisCommandLines += x.notRedisCommandLines
            if let tls = x.tlsConnections { q.tlsConnections = (q.tlsConnections ?? 0) + tls }
        }
        // Where problems happened: the first ones of each report, as many as one report lists; the rest are counted.
        let gapLimit = reports.map(\.quality.gapDetails.count).max() ?? 0
        let allGaps = reports.flatMap(\.quality.gapDetails)
        q.gapDetails = Array(allGaps.prefix(gapLimit))
        // Limits: one row per (limit, scope), counts added; the value is the largest any report ran with.
        var hits: [AnalysisReport.LimitHit] = []
        for hit in reports.flatMap({ $0.quality.limitsHit ?? [] }) {
            if let index = hits.firstIndex(where: { $0.limit == hit.limit && $0.scope == hit.scope }) {
                hits[index].count += hit.count
                hits[index].value = max(hits[index].value, hit.value)
            } else {
                hits.append(hit)
            }
        }
        q.limitsHit = hits.isEmpty ? nil : hits
        let eventLimit = reports.map(\.quality.events.count).max() ?? 0
        let allEvents = reports.flatMap(\.quality.events)
        q.events = Array(allEvents.prefix(eventLimit))
        q.eventsNotListed += allEvents.count - q.events.count
        let tlsGroups = reports.compactMap(\.quality.tls)
        if !tlsGroups.isEmpty {
            q.tls = ReportMerger.combined(tlsGroups, by: { [$0.version, $0.sni ?? ""] }) { sum, group in
                sum.connections += group.connections
                sum.decrypted += group.decrypted
            }.sorted { ($1.connections, $0.version, $0.sni ?? "") < ($0.connections, $1.version, $1.sni ?? "") }
        }
        merged.quality = q
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        // Capture quality (never headlines: it says how far to trust the rest).
        let qb = b.quality, qa = a.quality
        let metrics: [ReportDiff.Metric] = [
            ReportDiff.Metric(id: "quality.gaps", label: "capture gaps", unit: .count, before: Double(qb.gaps), after: Double(qa.gaps)),
            ReportDiff.Metric(id: "quality.unpairedReplies", label: "unpaired replies", unit: .count,
                              before: Double(qb.unpairedReplies), after: Double(qa.unpairedReplies)),
            ReportDiff.Metric(id: "quality.parseErrors", label: "RESP parse errors", unit: .count, before: Double(qb.parseErrors), after: Double(qa.parseErrors)),
            ReportDiff.Metric(id: "quality.connectionsMidStream", label: "connections joined mid-stream", unit: .count,
                              before: Double(b.connections.withoutHandshake), after: Double(a.connections.withoutHandshake)),
        ]
        diff.setMetrics("quality", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Capture quality", diff.metrics("quality"), into: &out)
    }
}
