import Formatting
import Analysis

enum LatencySection: ReportSection {
    /// Latency distribution, reads versus writes, pipelining and the timeline.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let l = report.latency, l.allMicros.count > 0 else { return }
        out.line("## Latency and pipelining")
        out.blank()
        out.line("Service latency of \(NumberFormatting.grouped(l.allMicros.count)) replies: p50 \(NumberFormatting.micros(l.allMicros.p50)), "
                 + "p99 \(NumberFormatting.micros(l.allMicros.p99)), p99.9 \(NumberFormatting.micros(l.allMicros.p999)), "
                 + "max \(NumberFormatting.micros(l.allMicros.max)).")
        if l.readsMicros.count > 0 && l.writesMicros.count > 0 {
            out.line("Reads p50 \(NumberFormatting.micros(l.readsMicros.p50)) / p99 \(NumberFormatting.micros(l.readsMicros.p99)) "
                     + "(\(NumberFormatting.grouped(l.readsMicros.count))) · writes p50 \(NumberFormatting.micros(l.writesMicros.p50)) / "
                     + "p99 \(NumberFormatting.micros(l.writesMicros.p99)) (\(NumberFormatting.grouped(l.writesMicros.count))).")
        }
        if let reads = l.readServiceMicros, let writes = l.writeServiceMicros, reads.count > 0, writes.count > 0,
           l.pipelineDepth.contains(where: { $0.fromDepth > 1 }) {
            out.line("Service time without waits behind earlier commands of a pipeline: reads p50 \(NumberFormatting.micros(reads.p50)) · "
                     + "writes p50 \(NumberFormatting.micros(writes.p50)) (\(NumberFormatting.grouped(writes.count)), a MULTI/EXEC with "
                     + "writes counted once).")
        }
        out.blank()
        let total = l.histogram.reduce(0) { $0 + $1.count }
        let widest = l.histogram.map(\.count).max() ?? 1
        // Only the range that holds replies.
        let first = l.histogram.firstIndex { $0.count > 0 } ?? 0
        let last = l.histogram.lastIndex { $0.count > 0 } ?? 0
        out.table(header: ["latency", "replies", "share", ""], alignRight: [false, true, true, false],
                  rows: l.histogram[first...last].map { bucket in
                      let range = bucket.toMicros.map { "< \(NumberFormatting.micros(Double($0)))" }
                          ?? "≥ \(NumberFormatting.micros(Double(bucket.fromMicros)))"
                      let bar = String(repeating: "#", count: widest > 0 ? (bucket.count * 30 + widest - 1) / widest : 0)
                      return [range, NumberFormatting.grouped(bucket.count), NumberFormatting.percent(bucket.count, of: total), bar]
                  })
        out.blank()
        let pipelined = l.pipelineDepth.filter { $0.fromDepth > 1 }.reduce(0) { $0 + $1.commands }
        let commands = l.pipelineDepth.reduce(0) { $0 + $1.commands }
        out.line("Pipelining: \(NumberFormatting.grouped(l.roundTrips)) commands (\(NumberFormatting.percent(l.roundTrips, of: commands))) "
                 + "were sent with nothing else in flight on their connection — one network round trip each, "
                 + "\(NumberFormatting.rate(l.roundTripsPerSecond))/s; \(NumberFormatting.grouped(pipelined)) were pipelined "
                 + "(deepest: \(NumberFormatting.grouped(l.maxPipelineDepth)) in flight).")
        out.blank()
        if !l.slowest.isEmpty {
            out.line("Slowest commands:")
            out.blank()
            out.table(header: ["command", "latency", "client", "at", "req", "reply"], alignRight: [false, true, false, false, true, true],
                      rows: l.slowest.prefix(5).map {
                          [MarkdownText.code($0.command, inTable: true), NumberFormatting.micros($0.latencyMicros), MarkdownText.text($0.client),
                           MarkdownReportRenderer.displayTime($0.timestamp), NumberFormatting.bytes(Int64($0.requestBytes)), NumberFormatting.bytes(Int64($0.replyBytes))]
                      })
            out.blank()
        }
        timeline(report, into: &out)
    }

    static func timeline(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        for chart in [ReportChart.commandsPerSecond(report), ReportChart.p99(report)].compactMap({ $0 }) {
            out.line(chart.caption ?? "")
            out.blank()
            out.line(chart.mermaid)
            out.blank()
        }
    }
}
