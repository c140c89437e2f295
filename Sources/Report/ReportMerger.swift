import Formatting
import Analysis
import Findings

/// Combines reports of several hosts or capture windows into one report (`respcap merge`).
///
/// Counts add. Latency percentiles are recomputed from the merged `latencyHistogram` buckets, so they are exact at the
/// histogram's precision (1%). Capture time is the union of the reports' time ranges; rates are per second of it.
/// Top-k lists (keys, prefixes, slowest commands, big values) merge approximately — an item cut from one report's
/// list is missing from the sum — and the merged report says so in `warnings`. Per-second series (timeline,
/// connections opened) are aligned by absolute time. Findings are evaluated again on the merged report.
public struct ReportMerger: Sendable {
    public var thresholds: FindingThresholds

    public init(thresholds: FindingThresholds = FindingThresholds()) { self.thresholds = thresholds }

    /// Merges `documents` (at least one) in the order given; that order only decides which report's text wins where
    /// reports disagree (a filter expression, a truncation message). A report of a capture already given
    /// (`duplicates(_:)`) is counted once, as `analyze` reads a file named twice once, and the warnings say so.
    public func merge(_ given: [ReportDocument]) throws(ReportLoadError) -> AnalysisReport {
        guard !given.isEmpty else {
            throw ReportLoadError(.incompatible, "merge", "no reports to merge")
        }
        let duplicates = Self.duplicates(given)
        let documents = given.indices.filter { index in !duplicates.contains { $0.index == index } }.map { given[$0] }
        let reports = documents.map(\.report)
        var merged = AnalysisReport()
        var context = MergeContext(origin: nil, duration: 0)
        for section in ReportSections.all { section.merge(reports, into: &merged, context: &context) }
        var notes = context.notes
        let leftOut = Self.distinct(documents.flatMap(\.sectionsLeftOut))
        if !leftOut.isEmpty {
            notes.other.append("left out of the merged report (their fields do not match this version): \(leftOut.joined(separator: ", "))")
        }

        merged.quality.verdict = QualityVerdict.verdict(for: merged)
        merged.findings = FindingRules.evaluate(merged, thresholds: thresholds)
        var warnings: [String] = []
        warnings.append("merged from \(documents.count) " + (documents.count == 1 ? "report" : "reports")
                        + " (\(documents.map(\.label).joined(separator: ", ")))")
        warnings += duplicates.map { Self.describe($0, in: given) }
        warnings += notes.approximate.map { "approximate after merging: \($0)" }
        warnings += notes.other
        for document in documents {
            warnings += document.report.warnings.map { "\(document.label): \($0)" }
        }
        merged.warnings = warnings
        return merged
    }

    /// What the merge could not do exactly, for the merged report's warnings.
    struct MergeNotes {
        var approximate: [String] = []
        var other: [String] = []

        mutating func approximate(_ what: String) {
            if !approximate.contains(what) { approximate.append(what) }
        }
    }

    // MARK: - Capture

    // MARK: - Commands

    /// Merges latency distributions: exactly from histogram buckets when every non-empty part has them, otherwise
    /// counts add, max is the max, and the percentiles and mean are averages weighted by count (an approximation).
    static func mergeLatency(_ parts: [(AnalysisReport.Latency, [[UInt64]]?)]) -> (summary: AnalysisReport.Latency, buckets: [[UInt64]]?, exact: Bool) {
        let nonEmpty = parts.filter { $0.0.count > 0 }
        guard !nonEmpty.isEmpty else { return (Self.emptyLatency, parts.contains { $0.1 != nil } ? [] : nil, true) }
        if nonEmpty.allSatisfy({ $0.1 != nil }) {
            var histogram = LatencyHistogram()
            for part in nonEmpty { histogram.add(LatencyHistogram(buckets: part.1 ?? [])) }
            return (histogram.summaryMicros, histogram.buckets, true)
        }
        return (approximate(nonEmpty.map(\.0)), nil, false)
    }

    static func approximate(_ parts: [AnalysisReport.Latency]) -> AnalysisReport.Latency {
        var m = Self.emptyLatency
        m.count = parts.reduce(0) { $0 + $1.count }
        guard m.count > 0 else { return m }
        func weighted(_ value: (AnalysisReport.Latency) -> Double) -> Double {
            (parts.reduce(0.0) { $0 + value($1) * Double($1.count) } / Double(m.count) * 10).rounded() / 10
        }
        m.p50 = weighted(\.p50)
        m.p90 = weighted(\.p90)
        m.p99 = weighted(\.p99)
        m.p999 = weighted(\.p999)
        m.mean = weighted(\.mean)
        m.max = parts.map(\.max).max() ?? 0
        return m
    }

    static func approximate(_ parts: [Percentiles]) -> Percentiles {
        let count = parts.reduce(0) { $0 + $1.count }
        guard count > 0 else { return Percentiles() }
        func weighted(_ value: (Percentiles) -> Double) -> Double {
            let v = parts.reduce(0.0) { $0 + value($1) * Double($1.count) } / Double(count)
            return (v * 1000).rounded() / 1000
        }
        return Percentiles(count: count, p50: weighted(\.p50), p90: weighted(\.p90), p99: weighted(\.p99),
                           max: parts.map(\.max).max() ?? 0, mean: weighted(\.mean),
                           min: parts.contains { $0.min == nil } ? nil : parts.compactMap(\.min).min())
    }

    // MARK: - Connections

    /// Whole seconds from the merged capture's start to this report's start (its per-second series' index 0).
    static func secondOffset(_ r: AnalysisReport, origin: Int64?) -> Int {
        guard let origin, let first = r.capture.firstTimestampNanos else { return 0 }
        return Int(max(0, first - origin) / 1_000_000_000)
    }

    static func addAligned(_ values: [Int], at offset: Int, into series: inout [Int]) {
        guard !values.isEmpty else { return }
        if series.count < offset + values.count { series += repeatElement(0, count: offset + values.count - series.count) }
        for (i, v) in values.enumerated() { series[offset + i] += v }
    }

    static func windowsOverlap(_ reports: [AnalysisReport]) -> Bool {
        let ranges = reports.compactMap { r -> (Int64, Int64)? in
            guard let a = r.capture.firstTimestampNanos, let b = r.capture.lastTimestampNanos else { return nil }
            return (a, b)
        }.sorted { $0.0 < $1.0 }
        guard ranges.count == reports.count else { return true }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 { return true }
        return false
    }

    // MARK: - Quality

    // MARK: - Helpers

    /// An empty latency summary (the type's own initialiser is internal to Analysis).
    static var emptyLatency: AnalysisReport.Latency { AnalysisReport.CommandSummary(name: "").latencyMicros }

    static func rate(_ count: Int, _ duration: Double) -> Double {
        duration > 0 ? (Double(count) / duration * 10).rounded() / 10 : 0
    }

    /// The entries of several lists with equal `identity` folded into one (`add` folds a later entry into the first
    /// seen), in the order first seen: how per-key, per-command and per-bucket lists of several reports merge.
    static func combined<Entry, Identity: Hashable>(_ lists: [[Entry]], by identity: (Entry) -> Identity,
                                                    adding add: (inout Entry, Entry) -> Void) -> [Entry] {
        var order: [Identity] = []
        var entries: [Identity: Entry] = [:]
        for entry in lists.joined() {
            let id = identity(entry)
            if entries[id] == nil {
                order.append(id)
                entries[id] = entry
            } else {
                add(&entries[id]!, entry)
            }
        }
        return order.compactMap { entries[$0] }
    }

    static func distinct(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    static func seconds(_ value: Double) -> String { NumberFormatting.seconds(value) }
}
