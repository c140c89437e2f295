import Analysis
import Formatting

/// Replication links after the connections: the replicas' syncs and the stream their master propagated, which is
/// not in the command figures (the master ran those commands for its own clients, counted there already).
enum ReplicationSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let r = report.replication else { return }
        out.line("## Replication")
        out.blank()
        if !r.replicas.isEmpty {
            out.table(header: ["replica", "full syncs", "RDB", "sync time", "partial syncs", "propagated",
                               "master offset", "acked offset", "lag"],
                      alignRight: [false, true, true, true, true, true, true, true, true],
                      rows: r.replicas.map { p in
                          [MarkdownText.code(p.address), NumberFormatting.grouped(p.fullSyncs),
                           NumberFormatting.bytes(p.rdbBytes),
                           p.fullSyncs > 0 ? NumberFormatting.seconds(p.syncSeconds) : "–",
                           NumberFormatting.grouped(p.partialSyncs), NumberFormatting.bytes(p.propagatedBytes),
                           p.masterOffset.map { NumberFormatting.grouped($0) } ?? "–",
                           p.ackedOffset.map { NumberFormatting.grouped($0) } ?? "–",
                           p.lagBytes.map { NumberFormatting.grouped($0) + " B" } ?? "–"]
                      })
            out.blank()
        }
        guard !r.propagated.isEmpty else { return }
        let calls = r.propagated.reduce(0) { $0 + $1.calls }
        let bytes = r.propagated.reduce(Int64(0)) { $0 + $1.bytes }
        out.line("Propagated to replicas: \(NumberFormatting.grouped(calls)) commands, \(NumberFormatting.bytes(bytes))"
                 + (r.durationSeconds > 0 ? " (\(NumberFormatting.bytes(Double(bytes) / r.durationSeconds))/s)" : "")
                 + "; not in the command figures above.")
        out.blank()
        out.table(header: ["command", "calls", "bytes", "per second"], alignRight: [false, true, true, true],
                  rows: r.propagated.map { p in
                      [MarkdownText.code(p.name), NumberFormatting.grouped(p.calls), NumberFormatting.bytes(p.bytes),
                       r.durationSeconds > 0 ? NumberFormatting.rate(Double(p.calls) / r.durationSeconds) : "–"]
                  })
        out.blank()
    }

    /// Replicas are listed side by side (one replica seen in two reports is two rows); propagated commands add by
    /// name; spans add.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.replication)
        guard !parts.isEmpty else { return }
        var byName: [String: ReplicationSummary.Propagated] = [:]
        for p in parts.flatMap(\.propagated) {
            byName[p.name, default: .init(name: p.name, calls: 0, bytes: 0)].calls += p.calls
            byName[p.name, default: .init(name: p.name, calls: 0, bytes: 0)].bytes += p.bytes
        }
        merged.replication = ReplicationSummary(
            replicas: parts.flatMap(\.replicas),
            propagated: byName.values.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) },
            durationSeconds: context.duration)
    }

    // MARK: - Diff

    /// The propagated stream per second (commands and bytes), full syncs, and the largest lag of any replica; only
    /// when either report has replication, so that reports without it keep their diff.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard b.replication != nil || a.replication != nil else { return }
        func calls(_ r: AnalysisReport) -> Double { Double(r.replication?.propagated.reduce(0) { $0 + $1.calls } ?? 0) }
        func bytes(_ r: AnalysisReport) -> Double { Double(r.replication?.propagated.reduce(Int64(0)) { $0 + $1.bytes } ?? 0) }
        func fullSyncs(_ r: AnalysisReport) -> Double { Double(r.replication?.replicas.reduce(0) { $0 + $1.fullSyncs } ?? 0) }
        func lag(_ r: AnalysisReport) -> Double? { r.replication?.replicas.compactMap(\.lagBytes).max().map(Double.init) }
        diff.setMetrics("replication", [
            ReportDiff.Metric(id: "replication.propagatedPerSecond", label: "propagated commands/s", unit: .perSecond,
                              before: context.rateBefore(calls(b)), after: context.rateAfter(calls(a))),
            ReportDiff.Metric(id: "replication.propagatedBytesPerSecond", label: "propagated bytes/s", unit: .bytesPerSecond,
                              before: context.rateBefore(bytes(b)), after: context.rateAfter(bytes(a))),
            ReportDiff.Metric(id: "replication.fullSyncs", label: "full syncs", unit: .count,
                              before: fullSyncs(b), after: fullSyncs(a)),
            ReportDiff.Metric(id: "replication.maxLagBytes", label: "largest replica lag", unit: .bytes,
                              before: lag(b), after: lag(a)),
        ])
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Replication", diff.metrics("replication"), into: &out,
                                         note: "The stream masters propagated to their replicas; not in the command figures.")
    }
}
