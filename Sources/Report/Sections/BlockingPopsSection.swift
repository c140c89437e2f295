import Formatting
import Analysis

enum BlockingPopsSection: ReportSection {
    /// Blocking pops: keys per call (and the RESP array length, as `grep '^\*234'` on a pcap shows it), how calls
    /// end, how long they wait, which keys serve them.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let b = report.blockingPops, b.calls > 0 else { return }
        out.line("## Blocking pops")
        out.blank()
        let commands = b.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
        out.line("\(NumberFormatting.grouped(b.calls)) calls (\(commands)) from \(NumberFormatting.grouped(b.clients)) connections, "
                 + "\(NumberFormatting.rate(b.callsPerSecond))/s. They named \(NumberFormatting.grouped(b.keysScanned)) keys in all "
                 + "(**\(NumberFormatting.fixed(b.keysPerCall, 1)) per call**, at most \(NumberFormatting.grouped(b.maxKeysPerCall)); "
                 + "\(NumberFormatting.rate(b.keysScannedPerSecond)) keys/s): Redis checks each named key on every call and "
                 + "registers the client on each one while it waits, so this is the cost that grows with the number of queues.")
        out.blank()
        var outcomes = ["**\(NumberFormatting.grouped(b.served))** served", "**\(NumberFormatting.grouped(b.timedOut))** timed out on empty keys"]
        if b.pendingAtEnd > 0 { outcomes.append("\(NumberFormatting.grouped(b.pendingAtEnd)) still blocked at the end") }
        if b.abandoned > 0 { outcomes.append("\(NumberFormatting.grouped(b.abandoned)) abandoned when their connection closed") }
        if b.errors > 0 { outcomes.append("\(NumberFormatting.grouped(b.errors)) errors") }
        if b.inTransaction > 0 { outcomes.append("\(NumberFormatting.grouped(b.inTransaction)) inside MULTI (not blocking)") }
        if b.lostInGap > 0 { outcomes.append("\(NumberFormatting.grouped(b.lostInGap)) lost in capture gaps") }
        var line = "Outcome: " + outcomes.joined(separator: ", ") + "."
        if b.served + b.timedOut > 0 {
            line += " \(NumberFormatting.percent(b.timedOut, of: b.served + b.timedOut)) of answered calls timed out"
                + " (\(NumberFormatting.grouped(b.keysScannedByTimedOut)) of the keys scanned found nothing)."
        }
        out.line(line)
        if b.waitMicros.count > 0 {
            out.line("Wait before being served: p50 \(NumberFormatting.micros(b.waitMicros.p50)), p99 \(NumberFormatting.micros(b.waitMicros.p99)), "
                     + "max \(NumberFormatting.micros(b.waitMicros.max)).")
        }
        if !b.timeoutDistribution.isEmpty {
            out.line("Timeout argument: " + b.timeoutDistribution.map {
                "\(NumberFormatting.trimmed($0.timeoutSeconds)) s × \(NumberFormatting.grouped($0.calls))"
            }.joined(separator: ", ") + ".")
        }
        out.blank()
        out.line("Keys per call (array length = keys + 2 for BRPOP/BLPOP/BZPOP*):")
        out.blank()
        let lengthByKeys = Dictionary(b.arrayLengthDistribution.map { ($0.length, $0.calls) }, uniquingKeysWith: +)
        let singleShape = b.byCommand.keys.allSatisfy { ["brpop", "blpop", "bzpopmin", "bzpopmax"].contains($0) }
        let rows = b.keyCountDistribution.sorted { ($0.calls, $0.keys) > ($1.calls, $1.keys) }.prefix(15).map { k -> [String] in
            let length = singleShape && lengthByKeys[k.keys + 2] == k.calls ? "`*\(k.keys + 2)`" : ""
            return [NumberFormatting.grouped(k.keys), length, NumberFormatting.grouped(k.calls), NumberFormatting.percent(k.calls, of: b.calls),
                    NumberFormatting.grouped(k.clients) + (k.clientsCapped == true ? "+" : ""),
                    NumberFormatting.grouped(Int64(k.keys) * Int64(k.calls))]
        }
        out.table(header: ["keys", "array", "calls", "share", "connections", "keys scanned"],
                  alignRight: [true, true, true, true, true, true], rows: rows)
        out.blank()
        if let chart = ReportChart.blockingPopKeys(report) {
            out.line(chart.mermaid)
            out.blank()
        }
        if !b.servedByKey.isEmpty {
            let top = b.servedByKey.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            out.line("Pops served by key" + (b.servedByKeyApproximate ? " (top-k estimate)" : "") + ": "
                     + top.prefix(10).map { "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
                     + (top.count > 10 ? ", and \(top.count - 10) more keys" : "") + ".")
            out.blank()
        }
    }
}
