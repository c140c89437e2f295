import Formatting
import Analysis

enum KeysSection: ReportSection {
    /// Keys and prefixes: where the traffic goes, full-keyspace commands, the biggest values.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard let k = report.keys, k.commandsWithKeys > 0 else { return }
        out.line("## Keys and prefixes")
        out.blank()
        var intro = "\(NumberFormatting.grouped(k.commandsWithKeys)) commands named a key; about "
            + "\(NumberFormatting.grouped(k.distinctKeysEstimate)) distinct keys (HyperLogLog estimate, first key of each command)."
        if k.redacted { intro += " Keys are shown hashed (--redact-keys)." }
        if k.trackingLimitHit {
            intro += " More than \(NumberFormatting.grouped(k.maxTrackedKeys)) keys: the counts below are top-k estimates (`±` bounds)."
        }
        out.line(intro)
        out.blank()
        if !k.fullKeyspaceCommands.isEmpty {
            // The reply size says whether a walk is costly: HGETALL of a 62-byte hash is not a scan.
            let commands = Dictionary(report.commands.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            let parts = k.fullKeyspaceCommands.map { walk -> String in
                var text = "\(MarkdownText.code(walk.command)) \(NumberFormatting.grouped(walk.calls)) (\(NumberFormatting.rate(walk.perSecond))/s"
                if let command = commands[walk.command], command.calls > 0 {
                    text += ", \(NumberFormatting.bytes(command.replyBytes / Int64(command.calls))) per reply"
                }
                return text + ")"
            }
            out.line("Commands that walk a collection or the keyspace: " + parts.joined(separator: ", ")
                     + " — from \(NumberFormatting.grouped(k.fullKeyspaceConnections)) "
                     + (k.fullKeyspaceConnections == 1 ? "connection." : "connections."))
            out.blank()
        }
        func rows(_ counts: [KeyCount], total: Int) -> [[String]] {
            counts.prefix(10).map {
                [MarkdownText.code($0.key, inTable: true), NumberFormatting.grouped($0.calls) + ($0.error > 0 ? " ±\($0.error)" : ""),
                 NumberFormatting.percent($0.calls, of: total), NumberFormatting.bytes($0.bytes)]
            }
        }
        out.line("Top prefixes by calls:")
        out.blank()
        out.table(header: ["prefix", "calls", "share", "bytes"], alignRight: [false, true, true, true],
                  rows: rows(k.topPrefixesByCalls, total: k.commandsWithKeys))
        out.blank()
        out.line("Top keys by calls:")
        out.blank()
        out.table(header: ["key", "calls", "share", "bytes"], alignRight: [false, true, true, true],
                  rows: rows(k.topKeysByCalls, total: k.commandsWithKeys))
        out.blank()
        if let big = k.biggest.first, big.bytes >= 10_000 {
            out.line("Biggest requests and replies:")
            out.blank()
            out.table(header: ["command", "request", "reply", "client", "key"], alignRight: [false, true, true, false, false],
                      rows: k.biggest.prefix(5).map {
                          [MarkdownText.code($0.command, inTable: true), NumberFormatting.bytes(Int64($0.requestBytes)),
                           NumberFormatting.bytes(Int64($0.replyBytes)), MarkdownText.text($0.client),
                           $0.key.map { MarkdownText.code($0, inTable: true) } ?? ""]
                      })
            out.blank()
        }
    }
}
