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

    // MARK: - Merge

    /// Counts and distributions add (bucket by bucket, by keys per call, array length and timeout); the wait of
    /// served calls comes from the merged histogram; rates and ratios are computed again from the merged counts.
    /// Distinct clients add (a host in several reports counts more than once), and so does the timed-out wait's
    /// summary, weighted by calls: both noted as approximate.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.blockingPops)
        guard var m = parts.first else { return }
        guard parts.count > 1 else { merged.blockingPops = m; return }
        for p in parts.dropFirst() {
            m.calls += p.calls
            for (name, count) in p.byCommand { m.byCommand[name, default: 0] += count }
            m.served += p.served
            m.timedOut += p.timedOut
            m.pendingAtEnd += p.pendingAtEnd
            m.abandoned += p.abandoned
            m.errors += p.errors
            m.inTransaction += p.inTransaction
            m.lostInGap += p.lostInGap
            m.keysScanned += p.keysScanned
            m.keysScannedByTimedOut += p.keysScannedByTimedOut
            m.maxKeysPerCall = max(m.maxKeysPerCall, p.maxKeysPerCall)
            m.clients += p.clients
            for (key, count) in p.servedByKey { m.servedByKey[key, default: 0] += count }
            m.servedByKeyApproximate = m.servedByKeyApproximate || p.servedByKeyApproximate
            m.distributionLimitHit = m.distributionLimitHit || p.distributionLimitHit
            if let varying = p.callsNamingVaryingKeySets { m.callsNamingVaryingKeySets = (m.callsNamingVaryingKeySets ?? 0) + varying }
        }
        m.keyCountDistribution = mergeBuckets(parts.map(\.keyCountDistribution), by: \.keys) { sum, b in
            sum.calls += b.calls
            sum.clients += b.clients
            if b.clientsCapped == true { sum.clientsCapped = true }
        }
        m.arrayLengthDistribution = mergeBuckets(parts.map(\.arrayLengthDistribution), by: \.length) { $0.calls += $1.calls }
        m.timeoutDistribution = mergeBuckets(parts.map(\.timeoutDistribution), by: \.timeoutSeconds) { $0.calls += $1.calls }
        let wait = ReportMerger.mergeLatency(parts.map { ($0.waitMicros, $0.waitHistogram) })
        m.waitMicros = wait.summary
        m.waitHistogram = wait.buckets ?? []
        let timedOutWaits = parts.compactMap(\.timedOutWaitMicros)
        m.timedOutWaitMicros = timedOutWaits.isEmpty ? nil : ReportMerger.approximate(timedOutWaits)
        m.keysPerCall = m.calls > 0 ? (Double(m.keysScanned) / Double(m.calls) * 10).rounded() / 10 : 0
        m.callsPerSecond = context.duration > 0 ? (Double(m.calls) / context.duration * 10).rounded() / 10 : 0
        m.keysScannedPerSecond = context.duration > 0 ? (Double(m.keysScanned) / context.duration * 10).rounded() / 10 : 0
        let decided = m.served + m.timedOut
        m.timedOutShare = decided > 0 ? (Double(m.timedOut) / Double(decided) * 1000).rounded() / 1000 : 0
        context.notes.approximate("blockingPops.clients adds each report's distinct connections, and the timed-out wait "
                                  + "percentiles are averages weighted by calls")
        merged.blockingPops = m
    }

    /// Buckets of several distributions added where their `identity` is equal, in ascending order of it.
    static func mergeBuckets<Bucket, Identity: Comparable & Hashable>(_ lists: [[Bucket]], by identity: KeyPath<Bucket, Identity>,
                                                                      adding add: (inout Bucket, Bucket) -> Void) -> [Bucket] {
        ReportMerger.combined(lists, by: { $0[keyPath: identity] }, adding: add).sorted { $0[keyPath: identity] < $1[keyPath: identity] }
    }

    // MARK: - Diff

    /// The key-scan cost: keys named per call and per second, calls per second, the most common key count, and the
    /// share of calls that timed out. A side without blocking pops has rates of zero and no per-call figures.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let pb = b.blockingPops, pa = a.blockingPops
        guard pb != nil || pa != nil else { return diff.setMetrics("blockingPops", []) }
        let commandNames = Set(pb?.byCommand.keys.map { $0 } ?? []).union(pa?.byCommand.keys.map { $0 } ?? [])
        let who = commandNames.count == 1 ? (commandNames.first?.uppercased() ?? "blocking-pop") : "blocking-pop"
        func perCall(_ p: BlockingPopSummary?) -> Double? {
            guard let p, p.calls > 0 else { return nil }
            return Double(p.keysScanned) / Double(p.calls)
        }
        func typical(_ p: BlockingPopSummary?) -> Double? {
            (p?.keyCountDistribution.max { ($0.calls, -$0.keys) < ($1.calls, -$1.keys) }).map { Double($0.keys) }
        }
        func timedOutShare(_ p: BlockingPopSummary?) -> Double? {
            guard let p, p.served + p.timedOut > 0 else { return nil }
            return Double(p.timedOut) / Double(p.served + p.timedOut)
        }
        diff.setMetrics("blockingPops", [
            ReportDiff.Metric(id: "blockingPops.keysScannedPerCall", label: "\(who) keys scanned per call", unit: .number,
                              before: perCall(pb), after: perCall(pa)),
            ReportDiff.Metric(id: "blockingPops.keysScannedPerSecond", label: "\(who) keys scanned/s", unit: .perSecond,
                              before: context.rateBefore(Double(pb?.keysScanned ?? 0)), after: context.rateAfter(Double(pa?.keysScanned ?? 0))),
            ReportDiff.Metric(id: "blockingPops.callsPerSecond", label: "\(who) calls/s", unit: .perSecond,
                              before: context.rateBefore(Double(pb?.calls ?? 0)), after: context.rateAfter(Double(pa?.calls ?? 0))),
            ReportDiff.Metric(id: "blockingPops.typicalKeyCount", label: "\(who) most common keys per call", unit: .count,
                              before: typical(pb), after: typical(pa)),
            ReportDiff.Metric(id: "blockingPops.timedOutShare", label: "\(who) calls that timed out", unit: .share,
                              before: timedOutShare(pb), after: timedOutShare(pa)),
            ReportDiff.Metric(id: "blockingPops.keysScanned", label: "\(who) keys scanned", unit: .count,
                              before: pb.map { Double($0.keysScanned) }, after: pa.map { Double($0.keysScanned) }),
        ])
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Blocking pops (key-scan cost)", diff.metrics("blockingPops"), into: &out,
                                         note: "Redis checks every key a blocking pop names on each call: keys scanned per call is its CPU cost.")
    }
}
