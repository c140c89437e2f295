import Formatting
import Analysis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ReportDiff {
    /// Most headlines shown; the tables below them hold every figure.
    public static let maxHeadlines = 10
    /// A metric is a headline when it moved by at least this factor (either way), or appeared or vanished.
    public static let headlineFactor = 1.2
    /// Commands below this share of both captures' traffic are left out of the headlines (still in the table).
    public static let headlineCommandShare = 0.01
    /// A latency or a rate enters the headlines only with at least this many calls (or commands) on both sides:
    /// the p99 of a handful of calls is noise.
    public static let headlineMinimumSample = 100

    public init(before: ReportDocument, after: ReportDocument) {
        self.before = Self.side(before)
        self.after = Self.side(after)
        let b = before.report, a = after.report
        let context = DiffContext(beforeSeconds: Self.duration(b), afterSeconds: Self.duration(a))
        for section in ReportSections.all { section.compare(b, a, into: &self, context: context) }
        findings = Self.compare(b.findings, a.findings)
        headlines = Self.headlines(findings: findings, diff: self, beforeReport: b, afterReport: a)
        let everyMetric = metricGroups.flatMap(\.metrics) + commands.flatMap { [$0.calls, $0.perSecond, $0.p50, $0.p99, $0.errors] }
        unchanged = findings.raised.isEmpty && findings.cleared.isEmpty
            && findings.persisting.allSatisfy { $0.before == $0.after }
            && !everyMetric.contains { $0.changed } && self.before.verdict == self.after.verdict
    }

    static func side(_ document: ReportDocument) -> Side {
        let r = document.report
        return Side(label: document.label, files: r.capture.files, firstTimestamp: r.capture.firstTimestamp,
                    lastTimestamp: r.capture.lastTimestamp, durationSeconds: r.capture.durationSeconds,
                    commands: r.totals.commands, commandsPerSecond: r.totals.commandsPerSecond,
                    connections: r.connections.total, verdict: r.quality.verdict,
                    firstTimestampNanos: r.capture.firstTimestampNanos, lastTimestampNanos: r.capture.lastTimestampNanos)
    }

    /// The capture's duration for rates; nil when it is zero (a single packet) and rates mean nothing.
    static func duration(_ report: AnalysisReport) -> Double? {
        report.capture.durationSeconds > 0 ? report.capture.durationSeconds : nil
    }

    static func perCall(_ total: Double, _ calls: Int) -> Double? { calls > 0 ? total / Double(calls) : nil }

    static func share(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }

    static func compare(_ before: [Finding], _ after: [Finding]) -> FindingChanges {
        func ref(_ f: Finding) -> FindingRef { FindingRef(id: f.id, severity: f.severity.rawValue, title: f.title) }
        var changes = FindingChanges()
        let afterIDs = Set(after.map(\.id)), beforeIDs = Set(before.map(\.id))
        changes.raised = after.filter { !beforeIDs.contains($0.id) }.map(ref)
        changes.cleared = before.filter { !afterIDs.contains($0.id) }.map(ref)
        for f in after where beforeIDs.contains(f.id) {
            if let old = before.first(where: { $0.id == f.id }) {
                changes.persisting.append(FindingChange(id: f.id, before: ref(old), after: ref(f)))
            }
        }
        return changes
    }

    /// Findings raised, cleared or changed in severity first, by severity (critical first, raised or cleared alike);
    /// then throughput and latency figures with enough samples on both sides, by how far they moved; then the rest.
    /// Latencies of pipelined traffic are told as queueing, and connection rates that only reflect capture length
    /// (every connection opened in the first second of both captures) stay out.
    static func headlines(findings: FindingChanges, diff: ReportDiff, beforeReport: AnalysisReport,
                          afterReport: AnalysisReport) -> [Headline] {
        func rank(_ severity: String) -> Int { severity == "critical" ? 2 : severity == "warning" ? 1 : 0 }
        var findingLines: [(rank: Int, line: Headline)] = []
        for f in findings.raised {
            findingLines.append((rank(f.severity), Headline(kind: "findingRaised", text: "Finding raised: \(f.severity.uppercased()) \(f.id) — \(f.title)", finding: f.id)))
        }
        for f in findings.cleared {
            findingLines.append((rank(f.severity), Headline(kind: "findingCleared", text: "Finding cleared: \(f.severity.uppercased()) \(f.id) — \(f.title)", finding: f.id)))
        }
        for f in findings.persisting where f.before.severity != f.after.severity {
            findingLines.append((max(rank(f.before.severity), rank(f.after.severity)), Headline(
                kind: "findingSeverity",
                text: "Finding \(f.id): \(f.before.severity.uppercased()) → \(f.after.severity.uppercased()) — \(f.after.title)",
                finding: f.id)))
        }
        // Stable: equal severities keep raised, cleared, changed order.
        var lines = findingLines.enumerated().sorted { ($0.element.rank, -$0.offset) > ($1.element.rank, -$1.offset) }.map(\.element.line)

        // Commands below the share threshold on both sides stay out of the headlines.
        func material(_ name: String) -> Bool {
            func share(_ r: AnalysisReport) -> Double {
                let calls = r.commands.first { $0.name == name }?.calls ?? 0
                return r.totals.commands > 0 ? Double(calls) / Double(r.totals.commands) : 0
            }
            return max(share(beforeReport), share(afterReport)) >= headlineCommandShare
        }
        func enough(_ before: Int?, _ after: Int?) -> Bool {
            (before ?? 0) >= headlineMinimumSample && (after ?? 0) >= headlineMinimumSample
        }
        // Blocking pops that appear or vanish are told by their key-scan cost; their calls by the command lines.
        var rest: [Metric] = diff.blockingPops.filter { m in
            m.id != "blockingPops.keysScanned" && !(m.id == "blockingPops.callsPerSecond" && (m.before == 0 || m.after == 0))
        }
        var primary: [Metric] = []
        if enough(beforeReport.totals.commands, afterReport.totals.commands) {
            primary += diff.summary.filter { $0.id == "commandsPerSecond" }
        }
        rest += diff.summary.filter { $0.id == "requestBytesPerCommand" }
        let lb = beforeReport.latency, la = afterReport.latency
        for m in diff.latency where m.id != "latency.max" {
            switch m.id {
            case "latency.readsP99":
                if enough(lb?.readsMicros.count, la?.readsMicros.count) { primary.append(m) }
            case "latency.writesP99":
                if enough(lb?.writesMicros.count, la?.writesMicros.count) { primary.append(m) }
            case "latency.p50", "latency.p90", "latency.p99", "latency.p999":
                if enough(lb?.allMicros.count, la?.allMicros.count) { primary.append(m) }
            default:
                if enough(beforeReport.totals.commands, afterReport.totals.commands) { rest.append(m) }
            }
        }
        // Connections opened/s where every connection opened in the first second of both captures follows capture
        // length, not the client.
        func openedAtStartOnly(_ c: AnalysisReport.ConnectionSummary) -> Bool { c.openedPerSecond.dropFirst().allSatisfy { $0 == 0 } }
        let openedRateIsCaptureLength = openedAtStartOnly(beforeReport.connections) && openedAtStartOnly(afterReport.connections)
        rest += diff.connections.filter { ($0.id == "connections.openedPerSecond" && !openedRateIsCaptureLength)
            || $0.id == "connections.commandsPerConnection" || $0.id == "connections.peakConcurrent" }
        rest += diff.errors.filter { $0.id == "errors.share" || $0.id.hasPrefix("errors.byPrefix.") }
        // Commands on one side only: one line each way, not one per command and figure.
        var extra: [(Headline, Double)] = []
        for (vanished, kind) in [(true, "commandsGone"), (false, "commandsNew")] {
            let listed = diff.commands.filter { c in
                material(c.name) && (vanished ? (c.calls.before ?? 0) > 0 && (c.calls.after ?? 0) == 0
                                              : (c.calls.before ?? 0) == 0 && (c.calls.after ?? 0) > 0)
            }
            guard !listed.isEmpty else { continue }
            let items = listed.map { c in
                "\(c.name.uppercased()) (\(c.perSecond.format((vanished ? c.perSecond.before : c.perSecond.after) ?? 0))/s)"
            }
            let text = (vanished ? "Commands no longer sent: " : "Commands sent only after: ") + items.joined(separator: ", ")
            extra.append((Headline(kind: kind, text: text), 2.5))
        }
        for c in diff.commands where material(c.name) && enough(c.calls.before.map(Int.init), c.calls.after.map(Int.init)) {
            primary += [c.perSecond, c.p99]
        }

        // Pipelined traffic: a command's latency runs from its request to its reply, so it includes its wait behind
        // the commands ahead of it in the pipeline. The report knows how many commands went without a round trip.
        func pipelinedShare(_ r: AnalysisReport) -> Double? {
            guard let l = r.latency, r.totals.commands > 0, l.maxPipelineDepth > 1 else { return nil }
            return 1 - Double(l.roundTrips) / Double(r.totals.commands)
        }
        let queueing: String? = {
            let sb = pipelinedShare(beforeReport) ?? 0, sa = pipelinedShare(afterReport) ?? 0
            guard max(sb, sa) >= 0.5 else { return nil }
            return " — queueing: \(NumberFormatting.fixed(sb * 100, 0))% → \(NumberFormatting.fixed(sa * 100, 0))% of commands "
                + "pipelined (up to \(lb?.maxPipelineDepth ?? 0) → \(la?.maxPipelineDepth ?? 0) deep); the latency includes the wait "
                + "behind the commands ahead"
        }()

        let threshold = log(headlineFactor)
        func score(_ m: Metric) -> Double? {
            // A figure one side cannot have (no latency measured, no blocking pops) is not news; its count is.
            guard m.changed, m.before != nil, m.after != nil else { return nil }
            if let ratio = m.ratio {
                guard ratio > 0 else { return 5 }
                let s = abs(log(ratio))
                return s >= threshold ? s : nil
            }
            // Appeared or vanished: as big as a hundredfold change, when the side that has it is not zero.
            return (m.before ?? 0) != 0 || (m.after ?? 0) != 0 ? 4.6 : nil
        }
        func ordered(_ items: [(Headline, Double)]) -> [Headline] {
            items.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : ($0.0.metric ?? $0.0.kind) < ($1.0.metric ?? $1.0.kind) }.map(\.0)
        }
        var first: [(Headline, Double)] = [], second: [(Headline, Double)] = extra
        for m in primary {
            guard let s = score(m) else { continue }
            if m.unit == .micros, let queueing {
                // Told as queueing, after the figures that say what changed for the operator.
                second.append((Headline(kind: "metric", text: m.sentence + queueing, metric: m.id), s))
            } else {
                first.append((Headline(kind: "metric", text: m.sentence, metric: m.id), s))
            }
        }
        for m in rest { if let s = score(m) { second.append((Headline(kind: "metric", text: m.sentence, metric: m.id), s)) } }
        lines += (ordered(first) + ordered(second)).prefix(max(0, maxHeadlines - lines.count))
        return lines
    }
}

extension ReportDiff.Metric {
    /// "BRPOP keys scanned per call 234 → 23, ×0.10"; "FOO calls/s 0 → 12 (new)".
    public var sentence: String {
        let from = before.map { format($0) } ?? "–"
        let to = after.map { format($0) } ?? "–"
        var text = "\(label) \(from) → \(to)"
        if let ratio, ratio > 0 {
            text += ", " + Self.formatRatio(ratio)
        } else if (before ?? 0) == 0 && (after ?? 0) != 0 {
            text += " (new)"
        } else if (before ?? 0) != 0 && (after ?? 0) == 0 {
            text += " (gone)"
        }
        return text
    }

    public func format(_ value: Double) -> String {
        switch unit {
        case .count: value.rounded() == value ? NumberFormatting.grouped(Int64(value)) : NumberFormatting.fixed(value, 1)
        case .perSecond: NumberFormatting.rate(value)
        case .micros: NumberFormatting.micros(value)
        case .bytes: NumberFormatting.bytes(Int64(value.rounded()))
        case .bytesPerSecond: NumberFormatting.bytes(Int64(value.rounded())) + "/s"
        case .share: NumberFormatting.fixed(value * 100, value * 100 < 10 ? 1 : 0) + "%"
        case .number: value >= 100 ? NumberFormatting.fixed(value, 0) : NumberFormatting.fixed(value, value >= 10 ? 1 : 2)
        case .seconds: NumberFormatting.seconds(value)
        }
    }

    /// ×0.0031, ×0.10, ×2.50, ×34.0, ×340.
    public static func formatRatio(_ ratio: Double) -> String {
        if ratio < 0.01 { return "×" + NumberFormatting.fixed(ratio, 4) }
        if ratio < 10 { return "×" + NumberFormatting.fixed(ratio, 2) }
        if ratio < 100 { return "×" + NumberFormatting.fixed(ratio, 1) }
        return "×" + NumberFormatting.fixed(ratio, 0)
    }
}
