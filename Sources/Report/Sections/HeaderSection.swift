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
}
