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

    // MARK: - Merge

    /// Percentiles from the merged per-command histograms (every non-blocking command; reads and writes by the
    /// command's flags), which is how the analysis fills them; the rest adds or takes the max.
    /// Most timeline buckets in a merged report (as in one analysis); the bucket width doubles past it.
    static let maxTimelineBuckets = 3600

    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        merged.latency = mergeLatency(reports, commands: merged.commands, duration: context.duration, notes: &context.notes)
        merged.timeline = mergeTimeline(reports, origin: context.origin, notes: &context.notes)
    }

    private static func mergeLatency(_ reports: [AnalysisReport], commands: [AnalysisReport.CommandSummary], duration: Double,
                                     notes: inout ReportMerger.MergeNotes) -> LatencySummary? {
        let parts = reports.compactMap(\.latency)
        guard var m = parts.first else { return nil }
        guard parts.count > 1 else { return m }
        let exact = commands.allSatisfy { $0.latencyMicros.count == 0 || $0.latencyHistogram != nil }
        if exact {
            var all = LatencyHistogram(), reads = LatencyHistogram(), writes = LatencyHistogram()
            for c in commands {
                guard let buckets = c.latencyHistogram, !buckets.isEmpty else { continue }
                let h = LatencyHistogram(buckets: buckets)
                all.add(h)
                if c.flags.contains("write") { writes.add(h) } else if c.flags.contains("readonly") { reads.add(h) }
            }
            m.allMicros = all.summaryMicros
            m.readsMicros = reads.summaryMicros
            m.writesMicros = writes.summaryMicros
        } else {
            m.allMicros = ReportMerger.approximate(parts.map(\.allMicros))
            m.readsMicros = ReportMerger.approximate(parts.map(\.readsMicros))
            m.writesMicros = ReportMerger.approximate(parts.map(\.writesMicros))
            notes.approximate("overall latency percentiles (weighted averages: a report has no latency histograms)")
        }
        // Service times merge exactly from their histograms, when every report has them.
        if parts.allSatisfy({ $0.readServiceHistogram != nil && $0.writeServiceHistogram != nil }) {
            var reads = LatencyHistogram(), writes = LatencyHistogram()
            for part in parts {
                reads.add(LatencyHistogram(buckets: part.readServiceHistogram ?? []))
                writes.add(LatencyHistogram(buckets: part.writeServiceHistogram ?? []))
            }
            m.readServiceMicros = reads.summaryMicros
            m.writeServiceMicros = writes.summaryMicros
            m.readServiceHistogram = reads.buckets
            m.writeServiceHistogram = writes.buckets
        } else {
            m.readServiceMicros = nil
            m.writeServiceMicros = nil
            m.readServiceHistogram = nil
            m.writeServiceHistogram = nil
        }
        if parts.allSatisfy({ $0.histogram.count == m.histogram.count }) {
            for part in parts.dropFirst() {
                for i in part.histogram.indices { m.histogram[i].count += part.histogram[i].count }
            }
        }
        let slowLimit = parts.map(\.slowest.count).max() ?? 0
        m.slowest = parts.flatMap(\.slowest).sorted { ($0.latencyMicros, $1.timestamp) > ($1.latencyMicros, $0.timestamp) }
            .prefix(slowLimit).map { $0 }
        m.pipelineDepth = ReportMerger.combined(parts.map(\.pipelineDepth), by: \.fromDepth) { $0.commands += $1.commands }
            .sorted { $0.fromDepth < $1.fromDepth }
        m.maxPipelineDepth = parts.map(\.maxPipelineDepth).max() ?? 0
        m.roundTrips = parts.reduce(0) { $0 + $1.roundTrips }
        m.roundTripsPerSecond = ReportMerger.rate(m.roundTrips, duration)
        // Chains of single round trips: counts add; the mean is weighted by chains (each mean is rounded to 0.1).
        m.chainedRoundTrips = parts.reduce(0) { $0 + $1.chainedRoundTrips }
        m.roundTripChains = parts.reduce(0) { $0 + $1.roundTripChains }
        m.longestRoundTripChain = parts.map(\.longestRoundTripChain).max() ?? 0
        let waits = parts.compactMap(\.chainedWaitMicros)
        m.chainedWaitMicros = waits.isEmpty ? nil : waits.reduce(0, +)
        let chained = parts.reduce(0.0) { $0 + $1.meanRoundTripChain * Double($1.roundTripChains) }
        m.meanRoundTripChain = m.roundTripChains > 0 ? (chained / Double(m.roundTripChains) * 10).rounded() / 10 : 0
        return m
    }

    /// Buckets aligned by absolute time from the merged capture's start; counts add; a bucket's p99 is the largest
    /// of its parts' (an upper bound).
    private static func mergeTimeline(_ reports: [AnalysisReport], origin: Int64?, notes: inout ReportMerger.MergeNotes) -> TimelineSummary? {
        let parts = reports.compactMap { r in r.timeline.map { (r, $0) } }
        guard let template = parts.first?.1 else { return nil }
        guard parts.count > 1, let origin, let zero = parts.lazy.compactMap({ $0.1.buckets.first }).first else { return template }
        var width = Int64((parts.map(\.1.bucketSeconds).max() ?? 1) * 1e9)
        width = max(width, 1)
        var placed: [(Int64, TimelineBucket)] = []
        for (report, timeline) in parts {
            let start = report.capture.firstTimestampNanos ?? origin
            for bucket in timeline.buckets {
                placed.append((start - origin + Int64(bucket.offsetSeconds * 1e9), bucket))
            }
        }
        let span = placed.map(\.0).max() ?? 0
        while span / width >= Int64(LatencySection.maxTimelineBuckets) { width *= 2 }
        var empty = zero
        empty.commands = 0; empty.errors = 0; empty.requestBytes = 0; empty.replyBytes = 0
        empty.connectionsOpened = 0; empty.connectionsClosed = 0; empty.p99Micros = nil
        var buckets: [TimelineBucket] = []
        for (offset, bucket) in placed {
            let index = Int(max(0, offset) / width)
            while buckets.count <= index {
                var b = empty
                b.offsetSeconds = Double(Int64(buckets.count) * width) / 1e9
                buckets.append(b)
            }
            buckets[index].commands += bucket.commands
            buckets[index].errors += bucket.errors
            buckets[index].requestBytes += bucket.requestBytes
            buckets[index].replyBytes += bucket.replyBytes
            buckets[index].connectionsOpened += bucket.connectionsOpened
            buckets[index].connectionsClosed += bucket.connectionsClosed
            if let p99 = bucket.p99Micros { buckets[index].p99Micros = max(buckets[index].p99Micros ?? 0, p99) }
        }
        notes.approximate("timeline buckets re-aligned to the merged start (counts move by less than a bucket), and each bucket's p99 is the largest of its parts'")
        var merged = template
        merged.bucketSeconds = Double(width) / 1e9
        merged.buckets = buckets
        return merged
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let db = context.beforeSeconds, da = context.afterSeconds
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }
        var metrics: [ReportDiff.Metric] = []
        if b.latency != nil || a.latency != nil {
            let lb = b.latency, la = a.latency
            func metric(_ id: String, _ label: String, _ value: (LatencySummary) -> Double) -> ReportDiff.Metric {
                ReportDiff.Metric(id: "latency.\(id)", label: label, unit: .micros,
                                  before: lb.flatMap { $0.allMicros.count > 0 ? value($0) : nil },
                                  after: la.flatMap { $0.allMicros.count > 0 ? value($0) : nil })
            }
            metrics = [
                metric("p50", "p50 latency (all commands)", { $0.allMicros.p50 }),
                metric("p90", "p90 latency (all commands)", { $0.allMicros.p90 }),
                metric("p99", "p99 latency (all commands)", { $0.allMicros.p99 }),
                metric("p999", "p99.9 latency (all commands)", { $0.allMicros.p999 }),
                metric("max", "max latency", { $0.allMicros.max }),
                ReportDiff.Metric(id: "latency.readsP99", label: "p99 latency of reads", unit: .micros,
                                  before: lb.flatMap { $0.readsMicros.count > 0 ? $0.readsMicros.p99 : nil },
                                  after: la.flatMap { $0.readsMicros.count > 0 ? $0.readsMicros.p99 : nil }),
                ReportDiff.Metric(id: "latency.writesP99", label: "p99 latency of writes", unit: .micros,
                                  before: lb.flatMap { $0.writesMicros.count > 0 ? $0.writesMicros.p99 : nil },
                                  after: la.flatMap { $0.writesMicros.count > 0 ? $0.writesMicros.p99 : nil }),
                ReportDiff.Metric(id: "latency.roundTripsPerSecond", label: "round trips/s (commands sent with nothing outstanding)", unit: .perSecond,
                                  before: lb.flatMap { l in rate(Double(l.roundTrips), db) }, after: la.flatMap { l in rate(Double(l.roundTrips), da) }),
                ReportDiff.Metric(id: "latency.roundTripShare", label: "share of commands that waited for a round trip", unit: .share,
                                  before: lb.flatMap { ReportDiff.share($0.roundTrips, b.totals.commands) },
                                  after: la.flatMap { ReportDiff.share($0.roundTrips, a.totals.commands) }),
                ReportDiff.Metric(id: "latency.maxPipelineDepth", label: "deepest pipeline", unit: .count,
                                  before: lb.map { Double($0.maxPipelineDepth) }, after: la.map { Double($0.maxPipelineDepth) }),
            ]
        }
        diff.setMetrics("latency", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Latency and pipelining", diff.metrics("latency"), into: &out)
    }
}
