import Formatting
import Analysis

/// Lua scripts and functions: which script costs the server what.
enum ScriptsSection: ReportSection {
    /// Scripts listed in the Markdown report (all of them are in the JSON).
    static let listed = 15

    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let scripts = report.scripts, !scripts.isEmpty else { return }
        out.line("## Scripts")
        out.blank()
        let calls = scripts.reduce(0) { $0 + $1.calls }
        let scriptTime = scripts.reduce(0) { $0 + $1.totalLatencyMicros }
        let allTime = serverMicros(report)
        var intro = "\(NumberFormatting.grouped(calls)) script calls (EVAL, EVALSHA, FCALL and their `_RO` forms), "
            + "\(NumberFormatting.percent(calls, of: report.totals.commands)) of commands, took "
            + "\(NumberFormatting.micros(scriptTime)) of server time"
        if allTime > 0 { intro += ", \(NumberFormatting.percent(scriptTime, of: allTime)) of all commands' service time" }
        out.line(intro + ". The commands a script runs are not on the wire: their time is inside the script's, and "
                 + "INFO commandstats counts them, this capture cannot. Most server time first; `share` is of all "
                 + "commands' service time.")
        out.blank()
        let rows = scripts.prefix(listed).map { s -> [String] in
            let name = s.untracked == true ? "(untracked)" : s.id
            let key = s.topKey.map { key in
                MarkdownText.code(key, inTable: true) + (s.keyedCalls.map { $0 > 0 && s.topKeyCalls != $0 ? " (\(NumberFormatting.percent(s.topKeyCalls ?? 0, of: $0)))" : "" } ?? "")
            } ?? "-"
            let latency = s.latencyMicros.count > 0
            return [s.kind.rawValue.uppercased(), MarkdownText.code(shortID(name), inTable: true),
                    NumberFormatting.grouped(s.calls), NumberFormatting.micros(s.totalLatencyMicros),
                    allTime > 0 ? NumberFormatting.percent(s.totalLatencyMicros, of: allTime) : "-",
                    latency ? NumberFormatting.micros(s.latencyMicros.p50) : "-",
                    latency ? NumberFormatting.micros(s.latencyMicros.p99) : "-",
                    NumberFormatting.grouped(s.errors), NumberFormatting.grouped(s.noscript), key,
                    s.firstLine.map { MarkdownText.code($0, inTable: true) } ?? "-"]
        }
        out.table(header: ["kind", "script", "calls", "server time", "share", "p50", "p99", "errors", "NOSCRIPT", "KEYS[1]",
                           "first line"],
                  alignRight: [false, false, true, true, true, true, true, true, true, false, false], rows: Array(rows))
        out.blank()
        if scripts.count > listed {
            out.line("… and \(scripts.count - listed) more scripts in the JSON report.")
            out.blank()
        }
        out.line("`script`: the sha of EVALSHA (its first 12 digits), the function of FCALL, and for EVAL `body:` and a hash "
                 + "of the body respcap computed (not the server's sha). `KEYS[1]`: the first key's most frequent prefix "
                 + "(with its share when the script names others).")
        out.blank()
    }

    /// EVALSHA's 40 hex digits, cut to 12 in the table (the JSON has them whole).
    private static func shortID(_ id: String) -> String {
        id.count == 40 && id.allSatisfy(\.isHexDigit) ? String(id.prefix(12)) + "…" : id
    }

    /// All commands' service time, in microseconds: each command's mean times its count (from its histogram).
    static func serverMicros(_ report: AnalysisReport) -> Double {
        report.commands.reduce(0) { $0 + $1.latencyMicros.mean * Double($1.latencyMicros.count) }
    }

    // MARK: - Merge

    /// Calls, errors and server time add per (kind, id); latency percentiles come from the merged histograms; the
    /// first line is the first report's that has one; the top KEYS[1] prefix is the one with most calls in any one
    /// report (approximate when several reports list the script).
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let lists = reports.compactMap(\.scripts)
        guard !lists.isEmpty else { return }
        var order: [String] = []
        var groups: [String: [ScriptSummary]] = [:]
        for s in lists.joined() {
            let key = s.kind.rawValue + " " + s.id + (s.untracked == true ? " untracked" : "")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(s)
        }
        var result: [ScriptSummary] = []
        for key in order {
            let parts = groups[key] ?? []
            guard let first = parts.first else { continue }
            var m = ScriptSummary(kind: first.kind, id: first.id)
            m.untracked = first.untracked
            for p in parts {
                m.calls += p.calls
                m.errors += p.errors
                m.noscript += p.noscript
                m.totalLatencyMicros += p.totalLatencyMicros
                if let keyed = p.keyedCalls { m.keyedCalls = (m.keyedCalls ?? 0) + keyed }
            }
            m.totalLatencyMicros = (m.totalLatencyMicros * 10).rounded() / 10
            m.firstLine = parts.lazy.compactMap(\.firstLine).first
            if let top = parts.filter({ $0.topKey != nil }).max(by: { ($0.topKeyCalls ?? 0) < ($1.topKeyCalls ?? 0) }) {
                m.topKey = top.topKey
                m.topKeyCalls = top.topKeyCalls
                m.keyPrefixes = parts.compactMap(\.keyPrefixes).max()
                m.keyPrefixesCapped = parts.contains { $0.keyPrefixesCapped == true } ? true : nil
                if parts.count(where: { $0.topKey != nil }) > 1 {
                    context.notes.approximate("scripts' top KEYS[1] prefix (each report names its own)")
                }
            }
            let latency = ReportMerger.mergeLatency(parts.map { ($0.latencyMicros, $0.latencyHistogram) })
            m.latencyMicros = latency.summary
            m.latencyHistogram = latency.buckets
            if !latency.exact { context.notes.approximate("latency percentiles of script \(m.id) (a report has no latencyHistogram)") }
            result.append(m)
        }
        let tracked = result.filter { $0.untracked != true }
            .sorted { ($0.totalLatencyMicros, $1.kind.rawValue, $1.id) > ($1.totalLatencyMicros, $0.kind.rawValue, $0.id) }
        merged.scripts = tracked + result.filter { $0.untracked == true }.sorted { $0.kind.rawValue < $1.kind.rawValue }
    }

    // MARK: - Diff

    /// The top scripts compared (by server time, after then before).
    static let compared = 3

    /// Script calls per second and their share of server time, then calls/s and p99 of the costliest scripts.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard b.scripts != nil || a.scripts != nil else { return diff.setMetrics("scripts", []) }
        func calls(_ r: AnalysisReport) -> Double { Double(r.scripts?.reduce(0) { $0 + $1.calls } ?? 0) }
        func share(_ r: AnalysisReport) -> Double? {
            let all = serverMicros(r)
            guard all > 0 else { return nil }
            return (r.scripts?.reduce(0) { $0 + $1.totalLatencyMicros } ?? 0) / all
        }
        var metrics = [
            ReportDiff.Metric(id: "scripts.callsPerSecond", label: "script calls/s", unit: .perSecond,
                              before: context.rateBefore(calls(b)), after: context.rateAfter(calls(a))),
            ReportDiff.Metric(id: "scripts.serverTimeShare", label: "scripts' share of server time", unit: .share,
                              before: share(b), after: share(a)),
        ]
        func key(_ s: ScriptSummary) -> String { s.kind.rawValue + ":" + s.id }
        let before = Dictionary((b.scripts ?? []).filter { $0.untracked != true }.map { (key($0), $0) }, uniquingKeysWith: { x, _ in x })
        let after = Dictionary((a.scripts ?? []).filter { $0.untracked != true }.map { (key($0), $0) }, uniquingKeysWith: { x, _ in x })
        let top = Set(before.keys).union(after.keys).sorted { x, y in
            let kx = (after[x]?.totalLatencyMicros ?? 0, before[x]?.totalLatencyMicros ?? 0)
            let ky = (after[y]?.totalLatencyMicros ?? 0, before[y]?.totalLatencyMicros ?? 0)
            return kx != ky ? kx > ky : x < y
        }.prefix(compared)
        for name in top {
            let sb = before[name], sa = after[name]
            guard let s = sa ?? sb else { continue }
            let label = s.kind.rawValue.uppercased() + " " + shortID(s.id)
            metrics.append(ReportDiff.Metric(id: "scripts.\(name).perSecond", label: "\(label) calls/s", unit: .perSecond,
                                             before: context.rateBefore(Double(sb?.calls ?? 0)),
                                             after: context.rateAfter(Double(sa?.calls ?? 0))))
            metrics.append(ReportDiff.Metric(id: "scripts.\(name).p99", label: "\(label) p99 latency", unit: .micros,
                                             before: sb.flatMap { $0.latencyMicros.count > 0 ? $0.latencyMicros.p99 : nil },
                                             after: sa.flatMap { $0.latencyMicros.count > 0 ? $0.latencyMicros.p99 : nil }))
        }
        diff.setMetrics("scripts", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Scripts", diff.metrics("scripts"), into: &out,
                                         note: "Server time inside Lua scripts and functions; the commands they run are not on the wire.")
    }
}
