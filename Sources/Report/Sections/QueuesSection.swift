import Formatting
import Analysis

enum QueuesSection: ReportSection {
    /// Lists and streams used as queues: pushed versus popped per key and per prefix.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let queues = report.queues, !queues.isEmpty else { return }
        out.line("## Queues")
        out.blank()
        out.line("Lists and streams written with LPUSH/RPUSH/LINSERT/XADD and consumed with (B)LPOP/(B)RPOP/(B)LMPOP/(B)LMOVE "
                 + "or XACK. Elements count what the server's replies say really moved; pushes inside MULTI count when EXEC "
                 + "ran them.")
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
}
