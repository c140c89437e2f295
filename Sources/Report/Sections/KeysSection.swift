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

    // MARK: - Merge

    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        merged.keys = mergeKeys(reports, duration: context.duration, notes: &context.notes)
    }

    private static func mergeKeys(_ reports: [AnalysisReport], duration: Double, notes: inout ReportMerger.MergeNotes) -> KeySummary? {
        let parts = reports.compactMap(\.keys)
        guard var m = parts.first else { return nil }
        guard parts.count > 1 else { return m }
        m.commandsWithKeys = parts.reduce(0) { $0 + $1.commandsWithKeys }
        m.distinctKeysEstimate = parts.map(\.distinctKeysEstimate).max() ?? 0
        notes.approximate("keys.distinctKeysEstimate is the largest of the reports' estimates (a lower bound)")
        m.topKeysByCalls = Self.mergeKeyCounts(parts.map(\.topKeysByCalls), byBytes: false)
        m.topKeysByBytes = Self.mergeKeyCounts(parts.map(\.topKeysByBytes), byBytes: true)
        m.topPrefixesByCalls = Self.mergeKeyCounts(parts.map(\.topPrefixesByCalls), byBytes: false)
        m.topPrefixesByBytes = Self.mergeKeyCounts(parts.map(\.topPrefixesByBytes), byBytes: true)
        notes.approximate("top keys and prefixes (each report lists only its own top ones)")

        var byCommand: [String: CommandKeys] = [:]
        var commandOrder: [String] = []
        var keyLists: [String: [[KeyCount]]] = [:]
        for part in parts {
            for entry in part.topKeysByCommand {
                if var existing = byCommand[entry.command] {
                    existing.calls += entry.calls
                    byCommand[entry.command] = existing
                } else {
                    byCommand[entry.command] = entry
                    commandOrder.append(entry.command)
                }
                keyLists[entry.command, default: []].append(entry.topKeys)
            }
        }
        let commandLimit = parts.map(\.topKeysByCommand.count).max() ?? 0
        m.topKeysByCommand = commandOrder.compactMap { name in
            guard var entry = byCommand[name] else { return nil }
            entry.topKeys = Self.mergeKeyCounts(keyLists[name] ?? [], byBytes: false)
            return entry
        }.sorted { ($0.calls, $1.command) > ($1.calls, $0.command) }.prefix(commandLimit).map { $0 }

        let fullKeyspace = ReportMerger.combined(parts.map(\.fullKeyspaceCommands), by: \.command) { $0.calls += $1.calls }
        m.fullKeyspaceCommands = fullKeyspace.map { entry in
            var e = entry
            e.perSecond = duration > 0 ? (Double(e.calls) / duration * 100).rounded() / 100 : 0
            return e
        }.sorted { ($0.calls, $1.command) > ($1.calls, $0.command) }
        m.fullKeyspaceConnections = parts.reduce(0) { $0 + $1.fullKeyspaceConnections }
        let bigLimit = parts.map(\.biggest.count).max() ?? 0
        m.biggest = parts.flatMap(\.biggest).sorted { ($0.bytes, $1.timestamp) > ($1.bytes, $0.timestamp) }.prefix(bigLimit).map { $0 }
        m.trackingLimitHit = parts.contains(where: \.trackingLimitHit)
        m.maxTrackedKeys = parts.map(\.maxTrackedKeys).max() ?? 0
        m.redacted = parts.allSatisfy(\.redacted)
        let transferBound = parts.compactMap(\.transferBound)
        if var t = transferBound.first {
            for p in transferBound.dropFirst() {
                t.commands += p.commands
                t.bytes += p.bytes
                t.serviceSeconds += p.serviceSeconds
            }
            m.transferBound = t
        }
        if parts.contains(where: \.redacted) && !m.redacted {
            notes.other.append("some reports hash their keys (--redact-keys) and others do not: key lists mix hashed and plain keys")
        }
        return m
    }

    /// Adds the counts of the same key across lists, sorts by calls (or bytes) and keeps as many as the longest list.
    static func mergeKeyCounts(_ lists: [[KeyCount]], byBytes: Bool) -> [KeyCount] {
        var merged: [String: KeyCount] = [:]
        for list in lists {
            for entry in list {
                if var existing = merged[entry.key] {
                    existing.calls += entry.calls
                    existing.bytes += entry.bytes
                    existing.error += entry.error
                    merged[entry.key] = existing
                } else {
                    merged[entry.key] = entry
                }
            }
        }
        let limit = lists.map(\.count).max() ?? 0
        return merged.values.sorted { a, b in
            let ka = byBytes ? (a.bytes, Int64(a.calls)) : (Int64(a.calls), a.bytes)
            let kb = byBytes ? (b.bytes, Int64(b.calls)) : (Int64(b.calls), b.bytes)
            return ka != kb ? ka > kb : a.key < b.key
        }.prefix(limit).map { $0 }
    }
}
