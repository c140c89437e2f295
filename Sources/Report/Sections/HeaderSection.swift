import Formatting
import Analysis

/// The report's first lines: what was captured, how much, and how far to trust it.
enum HeaderSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        let c = report.capture
        let name = context.title ?? (c.files.isEmpty ? "capture" : c.files.map(MarkdownReportRenderer.baseName).joined(separator: ", "))
        out.line("# respcap report — \(MarkdownText.text(name))")
        out.blank()
        var first: [String] = []
        first.append("\(NumberFormatting.captureDuration(c)) captured")
        if let start = c.firstTimestamp, let end = c.lastTimestamp {
            first.append("\(MarkdownReportRenderer.displayTime(start))–\(MarkdownReportRenderer.displayTime(end, timeOnly: start.prefix(10) == end.prefix(10))) UTC")
        }
        first.append(NumberFormatting.bytes(c.bytes))
        first.append("\(NumberFormatting.grouped(c.packets)) packets")
        // Looked for on every port (no --port): the ports where Redis was found.
        let ports = c.serverPortsFound ?? c.ports
        first.append(ports.isEmpty ? "no Redis port found" : (ports.count == 1 ? "port " : "ports ") + ports.map(String.init).joined(separator: ","))
        if let other = c.otherProtocolConnections, other > 0 {
            first.append("\(NumberFormatting.grouped(other)) " + (other == 1 ? "connection" : "connections") + " of other protocols skipped")
        }
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

    // MARK: - Merge

    /// The capture (files, time span as the union of the reports' ranges, fingerprint) and the totals; sets the
    /// merged span every later section's rates use.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        merged.generator.commandTable = ReportMerger.distinct(reports.map(\.generator.commandTable)).joined(separator: " + ")
        mergeCapture(reports, into: &merged, notes: &context.notes)
        context.origin = merged.capture.firstTimestampNanos
        context.duration = merged.capture.durationSeconds
        for r in reports {
            merged.totals.commands += r.totals.commands
            merged.totals.errorReplies += r.totals.errorReplies
            merged.totals.clientBytes += r.totals.clientBytes
            merged.totals.serverBytes += r.totals.serverBytes
            merged.totals.replies += r.totals.replies
        }
        merged.totals.commandsPerSecond = context.rate(merged.totals.commands)
    }

    private static func mergeCapture(_ reports: [AnalysisReport], into merged: inout AnalysisReport, notes: inout ReportMerger.MergeNotes) {
        var c = AnalysisReport().capture
        var ranges: [(Int64, Int64)] = []
        var durationWithoutTimes = 0.0
        for r in reports {
            c.files += r.capture.files
            c.formats += r.capture.formats
            c.linkTypes += r.capture.linkTypes
            c.packets += r.capture.packets
            c.bytes += r.capture.bytes
            c.ports += r.capture.ports
            c.servers += r.capture.servers
            if let found = r.capture.serverPortsFound { c.serverPortsFound = (c.serverPortsFound ?? []) + found }
            if let other = r.capture.otherProtocolConnections { c.otherProtocolConnections = (c.otherProtocolConnections ?? 0) + other }
            if let first = r.capture.firstTimestampNanos, let last = r.capture.lastTimestampNanos {
                ranges.append((first, max(first, last)))
            } else {
                durationWithoutTimes += r.capture.durationSeconds
            }
        }
        c.linkTypes = ReportMerger.distinct(c.linkTypes).sorted()
        c.ports = Array(Set(c.ports)).sorted()
        c.servers = Array(Set(c.servers)).sorted()
        c.serverPortsFound = c.serverPortsFound.map { Array(Set($0)).sorted() }
        let filters = ReportMerger.distinct(reports.map { $0.capture.filter ?? "" })
        if filters.count == 1 {
            c.filter = reports.first?.capture.filter
        } else {
            c.filter = nil
            notes.other.append("the reports used different capture filters (\(filters.map { $0.isEmpty ? "none" : $0 }.joined(separator: ", ")))")
        }
        if let first = ranges.map(\.0).min(), let last = ranges.map(\.1).max() {
            c.firstTimestampNanos = first
            c.lastTimestampNanos = last
            c.firstTimestamp = Timestamp.iso8601(first)
            c.lastTimestamp = Timestamp.iso8601(last)
        }
        // Union of the time ranges: overlapping windows (hosts captured at once) count once, gaps between windows not at all.
        var covered: Int64 = 0
        var end = Int64.min
        for (start, stop) in ranges.sorted(by: { $0.0 < $1.0 }) {
            if stop <= end { continue }
            covered += stop - max(start, end)
            end = stop
        }
        c.durationSeconds = (Double(covered) / 1e6).rounded() / 1e3 + durationWithoutTimes
        if ranges.count > 1, let first = c.firstTimestampNanos, let last = c.lastTimestampNanos, covered < last - first {
            notes.other.append("the captures leave gaps between them: \(ReportMerger.seconds(Double(last - first - covered) / 1e9)) of "
                               + "\(ReportMerger.seconds(Double(last - first) / 1e9)) not captured; rates are per second captured")
        }
        c.fingerprint = ReportMerger.mergedFingerprint(reports)
        let redactions = ReportMerger.distinct(reports.compactMap(\.capture.keyRedaction))
        c.keyRedaction = redactions.count == 1 ? redactions[0] : nil
        merged.capture = c
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let db = context.beforeSeconds, da = context.afterSeconds
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }
        // Throughput.
        let metrics: [ReportDiff.Metric] = [
            ReportDiff.Metric(id: "commandsPerSecond", label: "commands/s", unit: .perSecond,
                              before: b.totals.commandsPerSecond, after: a.totals.commandsPerSecond),
            ReportDiff.Metric(id: "commands", label: "commands", unit: .count, before: Double(b.totals.commands), after: Double(a.totals.commands)),
            ReportDiff.Metric(id: "clientBytesPerSecond", label: "bytes/s to the server", unit: .bytesPerSecond,
                              before: rate(Double(b.totals.clientBytes), db), after: rate(Double(a.totals.clientBytes), da)),
            ReportDiff.Metric(id: "serverBytesPerSecond", label: "bytes/s from the server", unit: .bytesPerSecond,
                              before: rate(Double(b.totals.serverBytes), db), after: rate(Double(a.totals.serverBytes), da)),
            ReportDiff.Metric(id: "requestBytesPerCommand", label: "request bytes per command", unit: .bytes,
                              before: ReportDiff.perCall(Double(b.totals.clientBytes), b.totals.commands),
                              after: ReportDiff.perCall(Double(a.totals.clientBytes), a.totals.commands)),
            ReportDiff.Metric(id: "durationSeconds", label: "capture duration", unit: .seconds,
                              before: b.capture.durationSeconds, after: a.capture.durationSeconds),
        ]
        diff.setMetrics("summary", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Throughput", diff.metrics("summary"), into: &out)
    }
}
