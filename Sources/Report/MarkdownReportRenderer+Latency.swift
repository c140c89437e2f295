import Analysis

extension MarkdownReportRenderer {
    /// Latency distribution, reads versus writes, pipelining and the timeline.
    static func sectionLatency(_ report: AnalysisReport, into out: inout MarkdownWriter) {
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
                          ["`\($0.command)`", NumberFormatting.micros($0.latencyMicros), $0.client,
                           displayTime($0.timestamp), NumberFormatting.bytes(Int64($0.requestBytes)), NumberFormatting.bytes(Int64($0.replyBytes))]
                      })
            out.blank()
        }
        timeline(report, into: &out)
    }

    static func timeline(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard let t = report.timeline, t.buckets.count >= 2 else { return }
        // At most ~60 points: group buckets for the chart.
        let group = max(1, (t.buckets.count + 59) / 60)
        var xs: [String] = []
        var rates: [String] = []
        var p99s: [String] = []
        var index = 0
        while index < t.buckets.count {
            let slice = t.buckets[index..<min(t.buckets.count, index + group)]
            let commands = slice.reduce(0) { $0 + $1.commands }
            let seconds = t.bucketSeconds * Double(slice.count)
            xs.append(NumberFormatting.fixed(slice.first?.offsetSeconds ?? 0, 0))
            rates.append(NumberFormatting.fixed(Double(commands) / seconds, 0).replacingOccurrences(of: ",", with: ""))
            // The worst p99 of the grouped buckets (0 where nothing was answered).
            let p99 = slice.compactMap(\.p99Micros).max() ?? 0
            p99s.append(NumberFormatting.fixed(p99, 0).replacingOccurrences(of: ",", with: ""))
            index += group
        }
        let step = NumberFormatting.fixed(t.bucketSeconds * Double(group), t.bucketSeconds * Double(group) < 10 ? 1 : 0)
        out.line("Commands per second over the capture (\(step) s steps):")
        out.blank()
        out.line("```mermaid")
        out.line("xychart-beta")
        out.line("    x-axis \"seconds\" [\(xs.joined(separator: ", "))]")
        out.line("    y-axis \"commands/s\"")
        out.line("    line [\(rates.joined(separator: ", "))]")
        out.line("```")
        out.blank()
        guard p99s.contains(where: { $0 != "0" }) else { return }
        out.line("Service latency p99 over the capture (µs, \(step) s steps):")
        out.blank()
        out.line("```mermaid")
        out.line("xychart-beta")
        out.line("    x-axis \"seconds\" [\(xs.joined(separator: ", "))]")
        out.line("    y-axis \"p99 µs\"")
        out.line("    line [\(p99s.joined(separator: ", "))]")
        out.line("```")
        out.blank()
    }
}
