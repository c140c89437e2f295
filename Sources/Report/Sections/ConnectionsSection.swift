import Formatting
import Analysis

enum ConnectionsSection: ReportSection {
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        counts(report, into: &out)
        churn(report, into: &out)
    }

    /// How many connections, how they began and ended.
    static func counts(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let c = report.connections
        out.line("## Connections")
        out.blank()
        out.line("\(NumberFormatting.grouped(c.total)) " + (c.total == 1 ? "connection" : "connections") + " (\(NumberFormatting.grouped(c.withHandshake)) opened in the capture, "
                 + "\(NumberFormatting.grouped(c.withoutHandshake)) already open when it started) · closed: "
                 + "\(NumberFormatting.grouped(c.closedByFin)) FIN, \(NumberFormatting.grouped(c.closedByReset)) RST"
                 + (c.closedByIdle > 0 ? ", \(NumberFormatting.grouped(c.closedByIdle)) idle" : "")
                 + " · \(NumberFormatting.grouped(c.openAtEnd)) still open at the end"
                 + (c.resp3 > 0 ? " · \(NumberFormatting.grouped(c.resp3)) using RESP3" : ""))
        out.blank()
    }

    /// Churn and pools: opened per second against commands per second, lifetimes, setup overhead, concurrency over
    /// time, per client and per server, and how busy each connection was.
    static func churn(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        let c = report.connections
        guard c.total > 0 else { return }
        var lines: [String] = []
        let commandsPerSecond = report.totals.commandsPerSecond
        if c.opened > 0 {
            lines.append("Opened: \(NumberFormatting.grouped(c.opened)) (\(NumberFormatting.rate(c.openedPerSecondAverage))/s against "
                         + "\(NumberFormatting.rate(commandsPerSecond)) commands/s); closed in the capture: \(NumberFormatting.grouped(c.closed))"
                         + (c.closes.isEmpty ? "" : " (" + c.closes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                             .map { "\(Self.closeKindText($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ") + ")") + ".")
        }
        lines.append("Concurrent connections: peak \(NumberFormatting.grouped(c.peakConcurrent)), average \(NumberFormatting.fixed(c.averageConcurrent, 1)).")
        if let life = c.lifetimeSeconds, life.count > 0 {
            lines.append("Lifetime of the \(NumberFormatting.grouped(life.count)) connections opened and closed in the capture: "
                         + Self.distribution(life, seconds) + ".")
        }
        if let per = c.commandsPerConnection, per.count > 0 {
            lines.append("Commands per connection: " + Self.distribution(per, exactBelow: 256, NumberFormatting.trimmed) + ".")
        }
        if let s = c.shortLived, s.ofConnections > 0, s.count + s.fewCommands > 0 {
            lines.append("Short-lived: \(NumberFormatting.grouped(s.count)) of \(NumberFormatting.grouped(s.ofConnections)) lasted under "
                         + "\(NumberFormatting.trimmed(s.thresholdSeconds)) s; \(NumberFormatting.grouped(s.fewCommands)) sent at most "
                         + "\(s.maxCommands) commands besides setup.")
        }
        if let setup = c.setupCommands, setup.total > 0 {
            let names = setup.byCommand.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.value))" }.joined(separator: ", ")
            lines.append("Setup and check commands: \(NumberFormatting.grouped(setup.total)) (\(NumberFormatting.fixed(setup.share * 100, 1))% of "
                         + "all commands, \(NumberFormatting.fixed(setup.perConnection, 1)) per connection): \(names).")
        }
        if let u = c.utilisation, u.connections > 0 {
            // One name, one definition: "in use" is what the pool-saturation finding measures (first request to last
            // reply, less pauses); time with a command outstanding is named as such, never "use" or "utilisation".
            var text: String
            let counted = "\(NumberFormatting.grouped(u.connections)) connections without blocking commands"
            if let inUse = u.inUsePerConnection {
                text = "In use (from a connection's first request to its last reply, less pauses over "
                    + "\(NumberFormatting.decimal(u.pauseThresholdMillis, 0)) ms; \(counted)): "
                    + "\(Self.inUsePercent(u.inUseShare))% overall, per connection p50 \(Self.inUsePercent(inUse.p50))%, "
                    + "max \(Self.inUsePercent(inUse.max))%; a command outstanding \(NumberFormatting.fixed(u.busyShare * 100, 1))% "
                    + "of the time observed"
            } else {
                text = "A command outstanding (\(counted)): \(NumberFormatting.fixed(u.busyShare * 100, 1))% of the time observed"
            }
            if let per = u.perConnection { text += " (per connection p50 \(NumberFormatting.fixed(per.p50 * 100, 0))%, max \(NumberFormatting.fixed(per.max * 100, 0))%)" }
            if let gap = u.idleGapMicros, gap.count > 0 {
                text += "; idle gap between a reply and the next request p50 \(NumberFormatting.micros(gap.p50)), p99 \(NumberFormatting.micros(gap.p99))"
            }
            lines.append(text + ".")
        }
        for line in lines { out.line("- " + line) }
        out.blank()
        concurrencyChart(report, into: &out)
        if c.byClient.count > 1 || c.byServer.count > 1 {
            var rows: [[String]] = []
            for group in c.byServer where c.byServer.count > 1 { rows.append(["server " + MarkdownText.text(group.address)] + groupCells(group)) }
            for group in c.byClient.prefix(10) where c.byClient.count > 1 { rows.append(["client " + MarkdownText.text(group.address)] + groupCells(group)) }
            out.table(header: ["", "connections", "opened", "commands", "peak concurrent", "short-lived"],
                      alignRight: [false, true, true, true, true, true], rows: rows)
            out.blank()
        }
    }

    /// Exact extremes and percentiles, marked ≈ where they are bucket values: "min 2, p50 ≈ 480, p90 ≈ 600, max 603".
    /// The histograms keep values under `exactBelow` exactly. Reports without `min` show the percentiles and max.
    private static func distribution(_ p: Percentiles, exactBelow: Double = 0, _ format: (Double) -> String) -> String {
        guard let min = p.min else { return "p50 \(format(p.p50)), p90 \(format(p.p90)), max \(format(p.max))" }
        if min == p.max { return p.count == 1 ? format(min) : "all \(format(min))" }
        func approximate(_ value: Double) -> String { value < exactBelow ? format(value) : "≈ " + format(value) }
        return "min \(format(min)), p50 \(approximate(p.p50)), p90 \(approximate(p.p90)), max \(format(p.max))"
    }

    /// A share of time in use (0...1), printed as the pool-saturation finding prints it.
    private static func inUsePercent(_ share: Double) -> String { NumberFormatting.decimal(share * 100, 1) }

    /// `finByClient` -> "FIN by client".
    static func closeKindText(_ kind: String) -> String {
        let how = kind.hasPrefix("reset") ? "RST" : "FIN"
        let side = kind.split(separator: "By").last.map { $0.lowercased() } ?? ""
        return "\(how) by \(MarkdownText.text(side))"
    }

    private static func groupCells(_ g: ClientConnections) -> [String] {
        [NumberFormatting.grouped(g.connections), NumberFormatting.grouped(g.opened), NumberFormatting.grouped(g.commands),
         NumberFormatting.grouped(g.peakConcurrent), NumberFormatting.grouped(g.shortLived)]
    }

    private static func seconds(_ s: Double) -> String {
        s < 1 ? NumberFormatting.micros(s * 1e6) : NumberFormatting.seconds(s)
    }

    /// Concurrent connections and connections opened, per second (at most ~60 points).
    private static func concurrencyChart(_ report: AnalysisReport, into out: inout MarkdownWriter) {
        guard let chart = ReportChart.connections(report) else { return }
        out.line(chart.caption ?? "")
        out.blank()
        out.line(chart.mermaid)
        out.blank()
    }

    // MARK: - Merge

    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        mergeCounts(reports, origin: context.origin, duration: context.duration, into: &merged, notes: &context.notes)
        mergeChurn(reports, into: &merged, context: &context)
    }

    private static func mergeCounts(_ reports: [AnalysisReport], origin: Int64?, duration: Double, into merged: inout AnalysisReport,
                                    notes: inout ReportMerger.MergeNotes) {
        var c = AnalysisReport().connections
        var concurrentSeconds = 0.0
        for r in reports {
            let x = r.connections
            c.total += x.total
            c.withHandshake += x.withHandshake
            c.withoutHandshake += x.withoutHandshake
            c.closedByFin += x.closedByFin
            c.closedByReset += x.closedByReset
            c.closedByIdle += x.closedByIdle
            c.evicted += x.evicted
            c.openAtEnd += x.openAtEnd
            c.closedByClient += x.closedByClient
            c.closedByServer += x.closedByServer
            c.clients += x.clients
            c.resp3 += x.resp3
            c.opened += x.opened
            c.closed += x.closed
            c.completeConnections += x.completeConnections
            concurrentSeconds += x.averageConcurrent * r.capture.durationSeconds
            let offset = ReportMerger.secondOffset(r, origin: origin)
            ReportMerger.addAligned(x.openedPerSecond, at: offset, into: &c.openedPerSecond)
            ReportMerger.addAligned(x.closedPerSecond, at: offset, into: &c.closedPerSecond)
            // Peaks of different reports in the same second add (an upper bound when hosts overlap).
            ReportMerger.addAligned(x.concurrentPerSecond, at: offset, into: &c.concurrentPerSecond)
            ReportMerger.addAligned(x.resetPerSecond, at: offset, into: &c.resetPerSecond)
            for (how, count) in x.closes { c.closes[how, default: 0] += count }
        }
        if reports.count > 1 && c.clients > 0 {
            notes.approximate("connections.clients adds each report's distinct hosts (a host in several reports counts more than once)")
        }
        // Peak concurrency: windows that overlap in time may peak together (sum, an upper bound); disjoint ones cannot.
        let peaks = reports.map(\.connections.peakConcurrent)
        if ReportMerger.windowsOverlap(reports) {
            c.peakConcurrent = peaks.reduce(0, +)
            if reports.count > 1 && c.peakConcurrent > 0 {
                notes.approximate("connections.peakConcurrent adds the peaks of overlapping captures (an upper bound)")
            }
        } else {
            c.peakConcurrent = peaks.max() ?? 0
        }
        c.averageConcurrent = duration > 0 ? (concurrentSeconds / duration * 10).rounded() / 10 : 0
        c.openedPerSecondAverage = duration > 0 ? (Double(c.opened) / duration * 100).rounded() / 100 : 0
        let lifetimes = reports.compactMap(\.connections.lifetimeSeconds)
        if !lifetimes.isEmpty {
            c.lifetimeSeconds = ReportMerger.approximate(lifetimes)
            if lifetimes.count > 1 { notes.approximate("connection lifetime percentiles (weighted averages)") }
        }
        let perConnection = reports.compactMap(\.connections.commandsPerConnection)
        if !perConnection.isEmpty {
            c.commandsPerConnection = ReportMerger.approximate(perConnection)
            if perConnection.count > 1 { notes.approximate("commands-per-connection percentiles (weighted averages)") }
        }
        // shortLived, setupCommands, byClient, utilisation: merged by name in `mergeSections`.
        merged.connections = c
    }

    /// Short-lived connections, setup commands and per-client and per-server groups add, with their shares computed
    /// again from the merged counts; groups keep as many as the longest list. Utilisation shares are averages weighted
    /// by connections measured (approximate).
    private static func mergeChurn(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        func share(_ part: Int, _ whole: Int) -> Double { whole > 0 ? (Double(part) / Double(whole) * 1000).rounded() / 1000 : 0 }
        let shortLived = reports.compactMap(\.connections.shortLived)
        if var m = shortLived.first {
            for s in shortLived.dropFirst() {
                m.count += s.count
                m.fewCommands += s.fewCommands
                m.ofConnections += s.ofConnections
                m.maxCommands = max(m.maxCommands, s.maxCommands)
                m.withCommands = s.withCommands.map { (m.withCommands ?? 0) + $0 } ?? m.withCommands
                m.commands = s.commands.map { (m.commands ?? 0) + $0 } ?? m.commands
            }
            m.share = share(m.count, m.ofConnections)
            m.fewCommandsShare = share(m.fewCommands, m.ofConnections)
            merged.connections.shortLived = m
        }
        let setup = reports.compactMap(\.connections.setupCommands)
        if var m = setup.first {
            for s in setup.dropFirst() {
                m.total += s.total
                for (name, count) in s.byCommand { m.byCommand[name, default: 0] += count }
                if let h = s.handshakes {
                    guard var sum = m.handshakes else { m.handshakes = h; continue }
                    sum.handshakeBound += h.handshakeBound
                    sum.handshakeRoundTrips += h.handshakeRoundTrips
                    sum.workRoundTrips += h.workRoundTrips
                    sum.commands += h.commands
                    sum.setupCommands += h.setupCommands
                    sum.closedByClient += h.closedByClient
                    sum.allWorkRoundTrips += h.allWorkRoundTrips
                    sum.closedAtShutdown += h.closedAtShutdown
                    if let enqueued = h.enqueued { sum.enqueued = (sum.enqueued ?? 0) + enqueued }
                    m.handshakes = sum
                }
            }
            m.share = share(m.total, merged.totals.commands)
            let connections = merged.connections.total
            m.perConnection = connections > 0 ? (Double(m.total) / Double(connections) * 100).rounded() / 100 : 0
            merged.connections.setupCommands = m
        }
        merged.connections.byClient = mergeGroups(reports.map(\.connections.byClient))
        merged.connections.byServer = mergeGroups(reports.map(\.connections.byServer))
        let untracked = reports.compactMap(\.connections.clientsUntracked)
        merged.connections.clientsUntracked = untracked.isEmpty ? nil : untracked.reduce(0, +)
        let utilisation = reports.compactMap(\.connections.utilisation)
        if var m = utilisation.first, utilisation.count > 1 {
            let measured = utilisation.reduce(0) { $0 + $1.connections }
            func weighted(_ value: (ConnectionUtilisation) -> Double) -> Double {
                guard measured > 0 else { return 0 }
                return (utilisation.reduce(0.0) { $0 + value($1) * Double($1.connections) } / Double(measured) * 1000).rounded() / 1000
            }
            m.connections = measured
            m.busyShare = weighted(\.busyShare)
            m.inUseShare = weighted(\.inUseShare)
            let perConnection = utilisation.compactMap(\.perConnection)
            m.perConnection = perConnection.isEmpty ? nil : ReportMerger.approximate(perConnection)
            let inUse = utilisation.compactMap(\.inUsePerConnection)
            m.inUsePerConnection = inUse.isEmpty ? nil : ReportMerger.approximate(inUse)
            let gaps = utilisation.compactMap(\.idleGapMicros)
            m.idleGapMicros = gaps.isEmpty ? nil : ReportMerger.approximate(gaps)
            // Busy connections of different hosts may peak in the same second: their sum is an upper bound.
            let peaks = utilisation.compactMap(\.peakBusyConnections)
            m.peakBusyConnections = peaks.isEmpty ? nil : peaks.reduce(0, +)
            let held = utilisation.compactMap(\.connectionsHeldByDesign)
            m.connectionsHeldByDesign = held.isEmpty ? nil : held.reduce(0, +)
            context.notes.approximate("connections.utilisation (shares and percentiles averaged, weighted by connections measured)")
            merged.connections.utilisation = m
        } else {
            merged.connections.utilisation = utilisation.first
        }
        if reports.filter({ !$0.connections.byClient.isEmpty }).count > 1 {
            context.notes.approximate("connections.byClient and byServer (each report lists its top groups; peaks are the largest of the reports')")
        }
    }

    /// Per-client or per-server groups added by address, ranked as the analysis ranks them, as many as the longest list.
    private static func mergeGroups(_ lists: [[ClientConnections]]) -> [ClientConnections] {
        let groups = ReportMerger.combined(lists, by: \.address) { sum, g in
            sum.opened += g.opened
            sum.connections += g.connections
            sum.commands += g.commands
            sum.peakConcurrent = max(sum.peakConcurrent, g.peakConcurrent)
            sum.shortLived += g.shortLived
        }
        let limit = lists.map(\.count).max() ?? 0
        return Array(groups.sorted { ($0.connections, $0.commands, $1.address) > ($1.connections, $1.commands, $0.address) }
            .prefix(limit))
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        let db = context.beforeSeconds, da = context.afterSeconds
        func rate(_ count: Double, _ duration: Double?) -> Double? { duration.map { count / $0 } }
        // Connections.
        let cb = b.connections, ca = a.connections
        func opened(_ c: AnalysisReport.ConnectionSummary) -> Int { c.opened > 0 ? c.opened : c.withHandshake }
        var metrics: [ReportDiff.Metric] = [
            ReportDiff.Metric(id: "connections.openedPerSecond", label: "connections opened/s", unit: .perSecond,
                   before: rate(Double(opened(cb)), db), after: rate(Double(opened(ca)), da)),
            ReportDiff.Metric(id: "connections.opened", label: "connections opened in the capture", unit: .count,
                   before: Double(opened(cb)), after: Double(opened(ca))),
            ReportDiff.Metric(id: "connections.total", label: "connections seen", unit: .count, before: Double(cb.total), after: Double(ca.total)),
            ReportDiff.Metric(id: "connections.clients", label: "client hosts", unit: .count, before: Double(cb.clients), after: Double(ca.clients)),
            ReportDiff.Metric(id: "connections.commandsPerConnection", label: "commands per connection", unit: .number,
                   before: ReportDiff.perCall(Double(b.totals.commands), cb.total), after: ReportDiff.perCall(Double(a.totals.commands), ca.total)),
            ReportDiff.Metric(id: "connections.closedByReset", label: "connections reset (RST)", unit: .count,
                   before: Double(cb.closedByReset), after: Double(ca.closedByReset)),
        ]
        if cb.peakConcurrent > 0 || ca.peakConcurrent > 0 {
            metrics.append(ReportDiff.Metric(id: "connections.peakConcurrent", label: "peak concurrent connections", unit: .count,
                                      before: Double(cb.peakConcurrent), after: Double(ca.peakConcurrent)))
        }
        diff.setMetrics("connections", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Connections", diff.metrics("connections"), into: &out)
    }
}
