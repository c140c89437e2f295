import Formatting
import Analysis

enum QueuesSection: ReportSection {
    /// Lists and streams used as queues: pushed versus popped per key and per prefix.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let queues = report.queues, !queues.isEmpty else { return }
        out.line("## Queues")
        out.blank()
        out.line("Lists and streams written with LPUSH/RPUSH/LINSERT/XADD and consumed with (B)LPOP/(B)RPOP/(B)LMPOP/(B)LMOVE "
                 + "or XREADGROUP and XACK. Elements count what the server's replies say really moved; pushes inside MULTI "
                 + "count when EXEC ran them.")
        if let appended = report.queuesNotConsumed, appended.keys > 0 {
            out.blank()
            out.line("\(NumberFormatting.grouped(appended.keys)) more " + (appended.keys == 1 ? "key was" : "keys were")
                     + " only appended to (\(NumberFormatting.grouped(appended.elementsPushed)) elements"
                     + (appended.streams > 0 ? ", \(NumberFormatting.grouped(appended.streams)) of them streams" : "")
                     + "): nothing consumed " + (appended.keys == 1 ? "it" : "them") + " in this capture, so "
                     + (appended.keys == 1 ? "it is" : "they are") + " not listed as queues.")
        }
        out.blank()
        func row(_ name: String, pushCommands: Int, pushed: Int, popCommands: Int, emptyPops: Int, popped: Int, length: Int64?) -> [String] {
            [name, NumberFormatting.grouped(pushCommands), NumberFormatting.grouped(pushed), NumberFormatting.grouped(popCommands),
             NumberFormatting.grouped(emptyPops), NumberFormatting.grouped(popped), length.map { NumberFormatting.grouped($0) } ?? "-"]
        }
        let header = ["push cmds", "pushed", "pop cmds", "empty pops", "popped", "last length"]
        if let prefixes = report.queuePrefixes, prefixes.count > 1 || (prefixes.first?.keys ?? 0) > 1 {
            out.table(header: ["prefix", "keys"] + header, alignRight: [false] + Array(repeating: true, count: 7),
                      rows: prefixes.prefix(10).map {
                          [MarkdownText.code($0.prefix, inTable: true), NumberFormatting.grouped($0.keys)]
                              + row("", pushCommands: $0.pushCommands, pushed: $0.elementsPushed, popCommands: $0.popCommands,
                                    emptyPops: $0.emptyPops, popped: $0.elementsPopped, length: $0.lastLength).dropFirst()
                      })
            out.blank()
        }
        out.table(header: ["key"] + header, alignRight: [false] + Array(repeating: true, count: 6),
                  rows: queues.prefix(15).map {
                      row(MarkdownText.code($0.key, inTable: true) + ($0.type == "stream" ? " (stream)" : ""),
                          pushCommands: $0.pushCommands, pushed: $0.elementsPushed, popCommands: $0.popCommands,
                          emptyPops: $0.emptyPops, popped: $0.elementsPopped, length: $0.lastLength)
                  })
        if queues.count > 15 {
            // After a blank line: a line right under a table is one more row of it.
            out.blank()
            out.line("… and \(queues.count - 15) more keys in the JSON report.")
        }
        out.blank()
    }

    // MARK: - Merge

    /// Queues add per key: each report lists every queue it tracked, so the sums are exact; a queue's last length
    /// is the latest capture's. Prefixes add per prefix and keep as many as the longest list (each report lists its
    /// top ones: approximate). Keys only appended to add.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        // The latest capture last, so that its last lengths win.
        let byTime = reports.enumerated().sorted { a, b in
            let ta = a.element.capture.firstTimestampNanos ?? Int64.min
            let tb = b.element.capture.firstTimestampNanos ?? Int64.min
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
        let queueLists = byTime.compactMap(\.queues)
        if !queueLists.isEmpty {
            merged.queues = ReportMerger.combined(queueLists, by: \.key) { sum, q in
                sum.pushCommands += q.pushCommands
                sum.elementsPushed += q.elementsPushed
                sum.popCommands += q.popCommands
                sum.emptyPops += q.emptyPops
                sum.elementsPopped += q.elementsPopped
                sum.netGrowth += q.netGrowth
                if let length = q.lastLength { sum.lastLength = length }
            }.sorted { ($0.elementsPushed, $1.key) > ($1.elementsPushed, $0.key) }
        }
        let prefixLists = byTime.compactMap(\.queuePrefixes)
        if !prefixLists.isEmpty {
            let prefixes = ReportMerger.combined(prefixLists, by: \.prefix) { sum, p in
                sum.keys += p.keys
                sum.pushCommands += p.pushCommands
                sum.elementsPushed += p.elementsPushed
                sum.popCommands += p.popCommands
                sum.emptyPops += p.emptyPops
                sum.elementsPopped += p.elementsPopped
                if let length = p.lastLength { sum.lastLength = length }
            }
            let limit = prefixLists.map(\.count).max() ?? 0
            merged.queuePrefixes = Array(prefixes.sorted { ($0.elementsPushed, $1.prefix) > ($1.elementsPushed, $0.prefix) }.prefix(limit))
            if prefixLists.count > 1 {
                context.notes.approximate("queuePrefixes (each report lists its top prefixes; a prefix's keys add across reports)")
            }
        }
        let notConsumed = byTime.compactMap(\.queuesNotConsumed)
        if var m = notConsumed.first {
            for n in notConsumed.dropFirst() {
                m.keys += n.keys
                m.streams += n.streams
                m.pushCommands += n.pushCommands
                m.elementsPushed += n.elementsPushed
            }
            merged.queuesNotConsumed = m
        }
    }
}
