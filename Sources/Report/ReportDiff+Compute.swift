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
        let db = Self.duration(b), da = Self.duration(a)
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }

        // Throughput.
        summary = [
            Metric(id: "commandsPerSecond", label: "commands/s", unit: .perSecond,
                   before: b.totals.commandsPerSecond, after: a.totals.commandsPerSecond),
            Metric(id: "commands", label: "commands", unit: .count, before: Double(b.totals.commands), after: Double(a.totals.commands)),
            Metric(id: "clientBytesPerSecond", label: "bytes/s to the server", unit: .bytesPerSecond,
                   before: rate(Double(b.totals.clientBytes), db), after: rate(Double(a.totals.clientBytes), da)),
            Metric(id: "serverBytesPerSecond", label: "bytes/s from the server", unit: .bytesPerSecond,
                   before: rate(Double(b.totals.serverBytes), db), after: rate(Double(a.totals.serverBytes), da)),
            Metric(id: "requestBytesPerCommand", label: "request bytes per command", unit: .bytes,
                   before: Self.perCall(Double(b.totals.clientBytes), b.totals.commands),
                   after: Self.perCall(Double(a.totals.clientBytes), a.totals.commands)),
            Metric(id: "durationSeconds", label: "capture duration", unit: .seconds,
                   before: b.capture.durationSeconds, after: a.capture.durationSeconds),
        ]

        // Commands, busiest (after, then before) first.
        let beforeCommands = Dictionary(b.commands.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let afterCommands = Dictionary(a.commands.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let names = Set(beforeCommands.keys).union(afterCommands.keys).sorted { x, y in
            let kx = (afterCommands[x]?.calls ?? 0, beforeCommands[x]?.calls ?? 0)
            let ky = (afterCommands[y]?.calls ?? 0, beforeCommands[y]?.calls ?? 0)
            return kx != ky ? kx > ky : x < y
        }
        for name in names {
            let cb = beforeCommands[name], ca = afterCommands[name]
            let blocking = (cb ?? ca).map { $0.blocking || ($0.latencyMicros.count == 0 && $0.blockingWaitMicros != nil) } ?? false
            let display = name.uppercased()
            func latency(_ c: AnalysisReport.CommandSummary?) -> AnalysisReport.Latency? {
                guard let c else { return nil }
                if c.latencyMicros.count > 0 { return c.latencyMicros }
                if let wait = c.blockingWaitMicros, wait.count > 0 { return wait }
                return nil
            }
            let lb = latency(cb), la = latency(ca)
            let what = blocking ? "wait" : "latency"
            commands.append(CommandChange(
                name: name, blocking: blocking,
                calls: Metric(id: "commands.\(name).calls", label: "\(display) calls", unit: .count,
                              before: Double(cb?.calls ?? 0), after: Double(ca?.calls ?? 0)),
                perSecond: Metric(id: "commands.\(name).perSecond", label: "\(display) calls/s", unit: .perSecond,
                                  before: rate(Double(cb?.calls ?? 0), db), after: rate(Double(ca?.calls ?? 0), da)),
                p50: Metric(id: "commands.\(name).p50", label: "\(display) p50 \(what)", unit: .micros, before: lb?.p50, after: la?.p50),
                p99: Metric(id: "commands.\(name).p99", label: "\(display) p99 \(what)", unit: .micros, before: lb?.p99, after: la?.p99),
                errors: Metric(id: "commands.\(name).errors", label: "\(display) error replies", unit: .count,
                               before: Double(cb?.errors ?? 0), after: Double(ca?.errors ?? 0))))
        }

        // Latency and pipelining.
        if b.latency != nil || a.latency != nil {
            let lb = b.latency, la = a.latency
            func metric(_ id: String, _ label: String, _ value: (LatencySummary) -> Double) -> Metric {
                Metric(id: "latency.\(id)", label: label, unit: .micros,
                       before: lb.flatMap { $0.allMicros.count > 0 ? value($0) : nil },
                       after: la.flatMap { $0.allMicros.count > 0 ? value($0) : nil })
            }
            latency = [
                metric("p50", "p50 latency (all commands)", { $0.allMicros.p50 }),
                metric("p90", "p90 latency (all commands)", { $0.allMicros.p90 }),
                metric("p99", "p99 latency (all commands)", { $0.allMicros.p99 }),
                metric("p999", "p99.9 latency (all commands)", { $0.allMicros.p999 }),
                metric("max", "max latency", { $0.allMicros.max }),
                Metric(id: "latency.readsP99", label: "p99 latency of reads", unit: .micros,
                       before: lb.flatMap { $0.readsMicros.count > 0 ? $0.readsMicros.p99 : nil },
                       after: la.flatMap { $0.readsMicros.count > 0 ? $0.readsMicros.p99 : nil }),
                Metric(id: "latency.writesP99", label: "p99 latency of writes", unit: .micros,
                       before: lb.flatMap { $0.writesMicros.count > 0 ? $0.writesMicros.p99 : nil },
                       after: la.flatMap { $0.writesMicros.count > 0 ? $0.writesMicros.p99 : nil }),
                Metric(id: "latency.roundTripsPerSecond", label: "round trips/s (commands sent with nothing outstanding)", unit: .perSecond,
                       before: lb.flatMap { l in rate(Double(l.roundTrips), db) }, after: la.flatMap { l in rate(Double(l.roundTrips), da) }),
                Metric(id: "latency.roundTripShare", label: "share of commands that waited for a round trip", unit: .share,
                       before: lb.flatMap { Self.share($0.roundTrips, b.totals.commands) },
                       after: la.flatMap { Self.share($0.roundTrips, a.totals.commands) }),
                Metric(id: "latency.maxPipelineDepth", label: "deepest pipeline", unit: .count,
                       before: lb.map { Double($0.maxPipelineDepth) }, after: la.map { Double($0.maxPipelineDepth) }),
            ]
        }

        // Connections.
        let cb = b.connections, ca = a.connections
        func opened(_ c: AnalysisReport.ConnectionSummary) -> Int { c.opened > 0 ? c.opened : c.withHandshake }
        connections = [
            Metric(id: "connections.openedPerSecond", label: "connections opened/s", unit: .perSecond,
                   before: rate(Double(opened(cb)), db), after: rate(Double(opened(ca)), da)),
            Metric(id: "connections.opened", label: "connections opened in the capture", unit: .count,
                   before: Double(opened(cb)), after: Double(opened(ca))),
            Metric(id: "connections.total", label: "connections seen", unit: .count, before: Double(cb.total), after: Double(ca.total)),
            Metric(id: "connections.clients", label: "client hosts", unit: .count, before: Double(cb.clients), after: Double(ca.clients)),
            Metric(id: "connections.commandsPerConnection", label: "commands per connection", unit: .number,
                   before: Self.perCall(Double(b.totals.commands), cb.total), after: Self.perCall(Double(a.totals.commands), ca.total)),
            Metric(id: "connections.closedByReset", label: "connections reset (RST)", unit: .count,
                   before: Double(cb.closedByReset), after: Double(ca.closedByReset)),
        ]
        if cb.peakConcurrent > 0 || ca.peakConcurrent > 0 {
            connections.append(Metric(id: "connections.peakConcurrent", label: "peak concurrent connections", unit: .count,
                                      before: Double(cb.peakConcurrent), after: Double(ca.peakConcurrent)))
        }

        // Blocking pops: the key-scan cost.
        let pb = BlockingPopFigures(before.json["blockingPops"]), pa = BlockingPopFigures(after.json["blockingPops"])
        if pb != nil || pa != nil {
            let commandNames = Set((pb?.byCommand.keys).map(Array.init) ?? []).union((pa?.byCommand.keys).map(Array.init) ?? [])
            let who = commandNames.count == 1 ? (commandNames.first?.uppercased() ?? "blocking-pop") : "blocking-pop"
            let zero = BlockingPopFigures()
            let fb = pb ?? zero, fa = pa ?? zero
            blockingPops = [
                Metric(id: "blockingPops.keysScannedPerCall", label: "\(who) keys scanned per call", unit: .number,
                       before: fb.keysScannedPerCall, after: fa.keysScannedPerCall),
                Metric(id: "blockingPops.keysScannedPerSecond", label: "\(who) keys scanned/s", unit: .perSecond,
                       before: rate(Double(fb.keysScanned ?? 0), db), after: rate(Double(fa.keysScanned ?? 0), da)),
                Metric(id: "blockingPops.callsPerSecond", label: "\(who) calls/s", unit: .perSecond,
                       before: rate(Double(fb.calls ?? 0), db), after: rate(Double(fa.calls ?? 0), da)),
                Metric(id: "blockingPops.typicalKeyCount", label: "\(who) most common keys per call", unit: .count,
                       before: fb.typicalKeyCount.map { Double($0.keys) }, after: fa.typicalKeyCount.map { Double($0.keys) }),
                Metric(id: "blockingPops.timedOutShare", label: "\(who) calls that timed out", unit: .share,
                       before: fb.timedOutShare, after: fa.timedOutShare),
                Metric(id: "blockingPops.keysScanned", label: "\(who) keys scanned", unit: .count,
                       before: fb.keysScanned.map(Double.init), after: fa.keysScanned.map(Double.init)),
            ]
        }

        // Errors.
        errors = [
            Metric(id: "errors.perSecond", label: "error replies/s", unit: .perSecond,
                   before: rate(Double(b.totals.errorReplies), db), after: rate(Double(a.totals.errorReplies), da)),
            Metric(id: "errors.share", label: "commands answered with an error", unit: .share,
                   before: Self.share(b.totals.errorReplies, b.totals.commands), after: Self.share(a.totals.errorReplies, a.totals.commands)),
        ]
        if b.benignErrors != nil || a.benignErrors != nil {
            func benign(_ r: AnalysisReport) -> Double { Double((r.benignErrors ?? []).reduce(0) { $0 + $1.count }) }
            errors.append(Metric(id: "errors.benignPerSecond", label: "expected error replies/s (handshake probes, script-cache misses)",
                                 unit: .perSecond, before: rate(benign(b), db), after: rate(benign(a), da)))
        }
        for prefix in Set(b.errorsByPrefix.keys).union(a.errorsByPrefix.keys).sorted() {
            errors.append(Metric(id: "errors.byPrefix.\(prefix)", label: "\(prefix) errors/s", unit: .perSecond,
                                 before: rate(Double(b.errorsByPrefix[prefix] ?? 0), db),
                                 after: rate(Double(a.errorsByPrefix[prefix] ?? 0), da)))
        }

        // Client libraries.
        var libraries: [String: (before: Int, after: Int)] = [:]
        func label(_ l: ClientLibrarySummary) -> String { l.name + (l.version.map { " " + $0 } ?? "") }
        for l in b.clientLibraries ?? [] { libraries[label(l), default: (0, 0)].before += l.connections }
        for l in a.clientLibraries ?? [] { libraries[label(l), default: (0, 0)].after += l.connections }
        clients = libraries.sorted { ($0.value.before + $0.value.after, $1.key) > ($1.value.before + $1.value.after, $0.key) }.map {
            Metric(id: "clients.\($0.key).connections", label: "connections declaring \($0.key)", unit: .count,
                   before: Double($0.value.before), after: Double($0.value.after))
        }

        // Capture quality (never headlines: it says how far to trust the rest).
        let qb = b.quality, qa = a.quality
        quality = [
            Metric(id: "quality.gaps", label: "capture gaps", unit: .count, before: Double(qb.gaps), after: Double(qa.gaps)),
            Metric(id: "quality.unpairedReplies", label: "unpaired replies", unit: .count,
                   before: Double(qb.unpairedReplies), after: Double(qa.unpairedReplies)),
            Metric(id: "quality.parseErrors", label: "RESP parse errors", unit: .count, before: Double(qb.parseErrors), after: Double(qa.parseErrors)),
            Metric(id: "quality.connectionsMidStream", label: "connections joined mid-stream", unit: .count,
                   before: Double(cb.withoutHandshake), after: Double(ca.withoutHandshake)),
        ]

        findings = Self.compare(b.findings, a.findings)
        headlines = Self.headlines(findings: findings, diff: self, beforeReport: b, afterReport: a)
        let everyMetric = summary + commands.flatMap { [$0.calls, $0.perSecond, $0.p50, $0.p99, $0.errors] } + latency + connections
            + blockingPops + errors + clients + quality
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
