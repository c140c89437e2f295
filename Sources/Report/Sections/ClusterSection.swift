import Formatting
import Analysis

/// Redis Cluster: hash slots and nodes, and the redirects and other cluster errors clients received.
enum ClusterSection: ReportSection {
    /// Rows of the hottest-slots, redirected-slots and clients tables (the JSON has every one).
    static let listed = 10

    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let c = report.cluster else { return }
        out.line("## Cluster")
        out.blank()
        let keyed = c.slots.reduce(0) { $0 + $1.calls }
        var intro = "\(c.nodes.count) \(c.nodes.count == 1 ? "node" : "nodes"); "
            + "\(NumberFormatting.grouped(c.keyedCalls)) commands named a key, in \(NumberFormatting.grouped(c.slots.count)) "
            + "hash \(c.slots.count == 1 ? "slot" : "slots") (CRC16 of the first key, or of its `{hash tag}`, mod 16384)."
        if let unknown = c.slotUnknownCalls {
            intro += " \(NumberFormatting.grouped(unknown)) keys were cut before their slot could be told (no hash tag in their kept bytes)."
        }
        out.line(intro)
        out.blank()
        let calls = c.nodes.reduce(0) { $0 + $1.calls }
        if calls > 0 {
            let even = 100 / Double(max(c.nodes.count, 1))
            if let busiest = c.nodes.first {
                out.line("Busiest node: \(MarkdownText.text(busiest.address)) with \(NumberFormatting.percent(busiest.share * 100, of: 100)) "
                         + "of the commands (even: \(NumberFormatting.percent(even, of: 100))); it saturates first, when the "
                         + "cluster carries \(NumberFormatting.decimal(1 / max(busiest.share, 1e-9), 1)) nodes' worth of load.")
                out.blank()
            }
            out.table(header: ["node", "calls", "share", "keyed", "bytes", "server time", "MOVED", "ASK"],
                      alignRight: [false, true, true, true, true, true, true, true],
                      rows: c.nodes.map {
                          [MarkdownText.text($0.address), NumberFormatting.grouped($0.calls),
                           NumberFormatting.percent($0.share * 100, of: 100), NumberFormatting.grouped($0.keyedCalls),
                           NumberFormatting.bytes($0.bytes), NumberFormatting.micros($0.serverMicros),
                           NumberFormatting.grouped($0.moved), NumberFormatting.grouped($0.ask)]
                      })
            out.blank()
        }
        if keyed > 0 {
            out.line("Hottest slots:")
            out.blank()
            let hottest = c.slots.sorted { ($0.calls, $1.slot) > ($1.calls, $0.slot) }.prefix(listed)
            out.table(header: ["slot", "calls", "share", "bytes", "server time", "node"],
                      alignRight: [true, true, true, true, true, false],
                      rows: hottest.map {
                          ["\($0.slot)", NumberFormatting.grouped($0.calls), NumberFormatting.percent($0.calls, of: keyed),
                           NumberFormatting.bytes($0.bytes), NumberFormatting.micros($0.serverMicros),
                           $0.node.map { MarkdownText.text($0) } ?? "-"]
                      })
            out.blank()
        }
        renderRedirects(c.redirects, into: &out)
    }

    private static func renderRedirects(_ r: ClusterSummary.Redirects, into out: inout MarkdownWriter) {
        let errors = r.moved + r.ask + r.tryagain + r.clusterdown + r.crossslot
        guard errors + r.asking > 0 else {
            out.line("No redirects (MOVED, ASK) or other cluster errors.")
            out.blank()
            return
        }
        var parts = ["\(NumberFormatting.grouped(r.moved)) MOVED", "\(NumberFormatting.grouped(r.ask)) ASK"]
        for (count, name) in [(r.asking, "ASKING"), (r.tryagain, "TRYAGAIN"), (r.clusterdown, "CLUSTERDOWN"),
                              (r.crossslot, "CROSSSLOT")] where count > 0 {
            parts.append("\(NumberFormatting.grouped(count)) \(name)")
        }
        var line = "Redirects and cluster errors: " + parts.joined(separator: ", ") + "."
        if r.movedRepeated > 0 {
            line += " \(NumberFormatting.grouped(r.movedRepeated)) MOVED were for a slot the same connection had already "
                + "been told had moved (its client did not update its slot map)."
        }
        out.line(line + " Each redirect costs the client a round trip.")
        out.blank()
        if !r.byClient.isEmpty {
            out.table(header: ["client", "MOVED", "repeated", "ASK", "ASKING", "TRYAGAIN", "CLUSTERDOWN", "CROSSSLOT", "MOVED round trips"],
                      alignRight: [false, true, true, true, true, true, true, true, true],
                      rows: r.byClient.prefix(listed).map {
                          [MarkdownText.text($0.client), NumberFormatting.grouped($0.moved), NumberFormatting.grouped($0.movedRepeated),
                           NumberFormatting.grouped($0.ask), NumberFormatting.grouped($0.asking), NumberFormatting.grouped($0.tryagain),
                           NumberFormatting.grouped($0.clusterdown), NumberFormatting.grouped($0.crossslot),
                           $0.movedRoundTripMicros.map { NumberFormatting.micros($0) } ?? "-"]
                      })
            out.blank()
        }
        if !r.bySlot.isEmpty {
            out.line("Redirected slots:")
            out.blank()
            let top = r.bySlot.sorted { ($0.moved + $0.ask, $1.slot) > ($1.moved + $1.ask, $0.slot) }.prefix(listed)
            out.table(header: ["slot", "MOVED", "ASK", "target"], alignRight: [true, true, true, false],
                      rows: top.map {
                          ["\($0.slot)", NumberFormatting.grouped($0.moved), NumberFormatting.grouped($0.ask),
                           $0.target.map { MarkdownText.text($0) } ?? "-"]
                      })
            out.blank()
            if r.bySlot.count > listed {
                out.line("… and \(r.bySlot.count - listed) more redirected slots in the JSON report.")
                out.blank()
            }
        }
    }

    // MARK: - Merge

    /// Calls, bytes, server time and redirects add per node (by address), per slot, per redirected slot and per
    /// client; node shares are computed again. A slot's node is the one of the report with the most calls for it,
    /// and a redirected slot's target the last report's (approximate when reports disagree).
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.cluster)
        guard !parts.isEmpty else { return }
        var m = ClusterSummary()
        var nodes: [String: ClusterSummary.Node] = [:]
        var slots: [Int: (slot: ClusterSummary.Slot, nodeCalls: Int)] = [:]
        var bySlot: [Int: ClusterSummary.SlotRedirects] = [:]
        var byClient: [String: ClusterSummary.ClientRedirects] = [:]
        var disagree = false
        func sum(_ a: Int?, _ b: Int?) -> Int? { a == nil && b == nil ? nil : (a ?? 0) + (b ?? 0) }
        for c in parts {
            m.keyedCalls += c.keyedCalls
            m.slotUnknownCalls = sum(m.slotUnknownCalls, c.slotUnknownCalls)
            m.untrackedNodeCalls = sum(m.untrackedNodeCalls, c.untrackedNodeCalls)
            m.clusterCommands = sum(m.clusterCommands, c.clusterCommands)
            for n in c.nodes {
                var row = nodes[n.address] ?? ClusterSummary.Node(address: n.address)
                row.calls += n.calls
                row.keyedCalls += n.keyedCalls
                row.bytes += n.bytes
                row.serverMicros = ((row.serverMicros + n.serverMicros) * 10).rounded() / 10
                row.moved += n.moved
                row.ask += n.ask
                nodes[n.address] = row
            }
            for s in c.slots {
                var entry = slots[s.slot] ?? (ClusterSummary.Slot(slot: s.slot), 0)
                entry.slot.calls += s.calls
                entry.slot.bytes += s.bytes
                entry.slot.serverMicros = ((entry.slot.serverMicros + s.serverMicros) * 10).rounded() / 10
                if let node = s.node {
                    if let known = entry.slot.node, known != node { disagree = true }
                    if s.calls > entry.nodeCalls || entry.slot.node == nil {
                        entry.slot.node = node
                        entry.nodeCalls = s.calls
                    }
                }
                slots[s.slot] = entry
            }
            m.redirects.moved += c.redirects.moved
            m.redirects.ask += c.redirects.ask
            m.redirects.tryagain += c.redirects.tryagain
            m.redirects.clusterdown += c.redirects.clusterdown
            m.redirects.crossslot += c.redirects.crossslot
            m.redirects.asking += c.redirects.asking
            m.redirects.movedRepeated += c.redirects.movedRepeated
            for s in c.redirects.bySlot {
                var row = bySlot[s.slot] ?? ClusterSummary.SlotRedirects(slot: s.slot, moved: 0, ask: 0, target: nil)
                row.moved += s.moved
                row.ask += s.ask
                if let target = s.target {
                    if let known = row.target, known != target { disagree = true }
                    row.target = target
                }
                bySlot[s.slot] = row
            }
            for client in c.redirects.byClient {
                var row = byClient[client.client] ?? ClusterSummary.ClientRedirects(client: client.client)
                row.moved += client.moved
                row.ask += client.ask
                row.tryagain += client.tryagain
                row.clusterdown += client.clusterdown
                row.crossslot += client.crossslot
                row.asking += client.asking
                row.movedRepeated += client.movedRepeated
                if let micros = client.movedRoundTripMicros {
                    row.movedRoundTripMicros = (((row.movedRoundTripMicros ?? 0) + micros) * 10).rounded() / 10
                }
                byClient[client.client] = row
            }
        }
        if disagree { context.notes.approximate("cluster slots' nodes and redirect targets (reports name different ones)") }
        let calls = nodes.values.reduce(0) { $0 + $1.calls }
        m.nodes = nodes.values.map { n in
            var n = n
            n.share = calls > 0 ? (Double(n.calls) / Double(calls) * 10_000).rounded() / 10_000 : 0
            return n
        }.sorted { ($0.calls, $1.address) > ($1.calls, $0.address) }
        m.slots = slots.values.map(\.slot).sorted { $0.slot < $1.slot }
        m.redirects.bySlot = bySlot.values.sorted { $0.slot < $1.slot }
        m.redirects.byClient = byClient.values.sorted { ($0.moved + $0.ask, $1.client) > ($1.moved + $1.ask, $0.client) }
        merged.cluster = m
    }

    // MARK: - Diff

    /// Nodes compared one by one (the busiest, after then before).
    static let comparedNodes = 5

    /// Redirects and cluster errors per second, how uneven the nodes and the hottest slot are, and each busy node's
    /// share of the commands.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard b.cluster != nil || a.cluster != nil else { return diff.setMetrics("cluster", []) }
        let cb = b.cluster, ca = a.cluster
        func rate(_ value: (ClusterSummary) -> Int) -> (Double?, Double?) {
            (context.rateBefore(Double(cb.map(value) ?? 0)), context.rateAfter(Double(ca.map(value) ?? 0)))
        }
        func metric(_ id: String, _ label: String, _ value: @escaping (ClusterSummary) -> Int) -> ReportDiff.Metric {
            let (before, after) = rate(value)
            return ReportDiff.Metric(id: "cluster.\(id)", label: label, unit: .perSecond, before: before, after: after)
        }
        func busiest(_ c: ClusterSummary?) -> Double? { c?.nodes.map(\.share).max() }
        func hottest(_ c: ClusterSummary?) -> Double? {
            guard let c else { return nil }
            let keyed = c.slots.reduce(0) { $0 + $1.calls }
            guard keyed > 0, let top = c.slots.map(\.calls).max() else { return nil }
            return Double(top) / Double(keyed)
        }
        var metrics = [
            ReportDiff.Metric(id: "cluster.nodes", label: "cluster nodes", unit: .count,
                              before: cb.map { Double($0.nodes.count) }, after: ca.map { Double($0.nodes.count) }),
            metric("movedPerSecond", "MOVED/s") { $0.redirects.moved },
            metric("movedRepeatedPerSecond", "repeated MOVED/s (slot map not updated)") { $0.redirects.movedRepeated },
            metric("askPerSecond", "ASK/s") { $0.redirects.ask },
            metric("otherErrorsPerSecond", "TRYAGAIN, CLUSTERDOWN, CROSSSLOT/s") {
                $0.redirects.tryagain + $0.redirects.clusterdown + $0.redirects.crossslot
            },
            ReportDiff.Metric(id: "cluster.busiestNodeShare", label: "busiest node's share of commands", unit: .share,
                              before: busiest(cb), after: busiest(ca)),
            ReportDiff.Metric(id: "cluster.hottestSlotShare", label: "hottest slot's share of keyed commands", unit: .share,
                              before: hottest(cb), after: hottest(ca)),
        ]
        let before = Dictionary((cb?.nodes ?? []).map { ($0.address, $0) }, uniquingKeysWith: { x, _ in x })
        let after = Dictionary((ca?.nodes ?? []).map { ($0.address, $0) }, uniquingKeysWith: { x, _ in x })
        let top = Set(before.keys).union(after.keys).sorted { x, y in
            let kx = (after[x]?.calls ?? 0, before[x]?.calls ?? 0), ky = (after[y]?.calls ?? 0, before[y]?.calls ?? 0)
            return kx != ky ? kx > ky : x < y
        }.prefix(comparedNodes)
        for address in top {
            metrics.append(ReportDiff.Metric(id: "cluster.node.\(address).share", label: "\(address) share of commands",
                                             unit: .share, before: before[address]?.share, after: after[address]?.share))
        }
        diff.setMetrics("cluster", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Cluster", diff.metrics("cluster"), into: &out,
                                         note: "Redirects per second of capture; shares of the listed nodes' commands.")
    }
}
