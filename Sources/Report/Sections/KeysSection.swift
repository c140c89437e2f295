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
        renderCost(k, into: &out)
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

    /// The keys that took the most server time, with their share of all server time and how they were used.
    private static func renderCost(_ k: KeySummary, into out: inout MarkdownWriter) {
        guard let costly = k.topKeysByServerTime, let total = k.serverMicros, total > 0,
              costly.contains(where: { ($0.serverMicros ?? 0) > 0 }) else { return }
        out.line("What costs the server most (server time: reply start − request end of non-blocking commands; "
                 + "\(NumberFormatting.micros(Double(total))) in all):")
        out.blank()
        out.table(header: ["key", "server time", "share", "calls", "reads / writes", "request / reply", "largest", "clients"],
                  alignRight: [false, true, true, true, true, true, true, true],
                  rows: costly.prefix(10).filter { ($0.serverMicros ?? 0) > 0 }.map { key in
                      let micros = key.serverMicros ?? 0
                      return [MarkdownText.code(key.key, inTable: true), NumberFormatting.micros(Double(micros)),
                              NumberFormatting.percent(Double(micros), of: Double(total)),
                              NumberFormatting.grouped(key.calls) + (key.error > 0 ? " ±\(key.error)" : ""),
                              "\(NumberFormatting.grouped(key.reads ?? 0)) / \(NumberFormatting.grouped(key.writes ?? 0))",
                              "\(NumberFormatting.bytes(key.requestBytes ?? 0)) / \(NumberFormatting.bytes(key.replyBytes ?? 0))",
                              NumberFormatting.bytes(Int64(key.maxValueBytes ?? 0)),
                              "\(key.clients ?? 0)" + (key.clientsCapped == true ? "+" : "")]
                  })
        out.blank()
        // The other two rankings in a line each: bytes moved, and calls × largest value (big and hot).
        let allBytes = k.keyedBytes ?? 0
        if allBytes > 0, !k.topKeysByBytes.isEmpty {
            out.line("By bytes (of \(NumberFormatting.bytes(allBytes)) named with a key): " + k.topKeysByBytes.prefix(5).map {
                "\(MarkdownText.code($0.key)) \(NumberFormatting.bytes($0.bytes)) (\(NumberFormatting.percent(Double($0.bytes), of: Double(allBytes))))"
            }.joined(separator: ", ") + ".")
            out.blank()
        }
        if let hot = k.topKeysByBigAndHot?.filter({ ($0.maxValueBytes ?? 0) > 0 }), !hot.isEmpty {
            out.line("Big and hot (calls × largest value): " + hot.prefix(5).map {
                "\(MarkdownText.code($0.key)) \(NumberFormatting.grouped($0.calls)) × \(NumberFormatting.bytes(Int64($0.maxValueBytes ?? 0)))"
            }.joined(separator: ", ") + ".")
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
        if parts.contains(where: { $0.topKeysByServerTime != nil }) {
            // These list every tracked key: the merged lists keep as many as the largest tracking limit.
            let tracked = parts.map(\.maxTrackedKeys).max() ?? 0
            m.topKeysByServerTime = Self.mergeKeyCounts(parts.map { $0.topKeysByServerTime ?? [] }, by: .serverTime, limit: tracked)
            m.topPrefixesByServerTime = Self.mergeKeyCounts(parts.map { $0.topPrefixesByServerTime ?? [] }, by: .serverTime,
                                                            limit: tracked)
            m.topKeysByBigAndHot = Self.mergeKeyCounts(parts.map { $0.topKeysByBigAndHot ?? [] }, by: .bigAndHot)
            m.serverMicros = parts.reduce(0) { $0 + ($1.serverMicros ?? 0) }
            m.keyedServerMicros = parts.reduce(0) { $0 + ($1.keyedServerMicros ?? 0) }
            m.keyedBytes = parts.reduce(0) { $0 + ($1.keyedBytes ?? 0) }
            notes.approximate("what each key cost is added per key over the reports that list it; its clients are the "
                              + "largest count of one report (hosts may repeat across reports)")
        }

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
        mergeKeyCounts(lists, by: byBytes ? .bytes : .calls)
    }

    /// As `mergeKeyCounts(_:byBytes:)`, sorted by `ranking`; what each key cost adds up too.
    static func mergeKeyCounts(_ lists: [[KeyCount]], by ranking: BoundedCounter.Ranking, limit: Int? = nil) -> [KeyCount] {
        var merged: [String: KeyCount] = [:]
        for list in lists {
            for entry in list {
                if var existing = merged[entry.key] {
                    existing.calls += entry.calls
                    existing.bytes += entry.bytes
                    existing.error += entry.error
                    existing.addCost(of: entry)
                    merged[entry.key] = existing
                } else {
                    merged[entry.key] = entry
                }
            }
        }
        let limit = limit ?? (lists.map(\.count).max() ?? 0)
        func score(_ e: KeyCount) -> (Int64, Int64) {
            switch ranking {
            case .calls: return (Int64(e.calls), e.bytes)
            case .bytes: return (e.bytes, Int64(e.calls))
            case .serverTime: return (e.serverMicros ?? 0, Int64(e.calls))
            case .bigAndHot: return (Int64(e.calls) * Int64(e.maxValueBytes ?? 0), Int64(e.calls))
            }
        }
        return merged.values.sorted { a, b in
            let ka = score(a), kb = score(b)
            return ka != kb ? ka > kb : a.key < b.key
        }.prefix(limit).map { $0 }
    }
    // MARK: - Diff

    /// Keys compared one by one: the costliest by server time, after then before.
    static let comparedKeys = 5

    /// Keyed commands per second and the distinct-key estimate, then what the costliest keys took: their share of all
    /// server time, their calls and bytes per second of capture.
    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard b.keys != nil || a.keys != nil else { return diff.setMetrics("keys", []) }
        let kb = b.keys, ka = a.keys
        typealias Cost = (calls: Int, bytes: Int64, micros: Int64)
        func share(_ k: KeySummary?, _ key: Cost) -> Double? {
            guard let total = k?.serverMicros, total > 0 else { return nil }
            return Double(key.micros) / Double(total)
        }
        var metrics = [
            ReportDiff.Metric(id: "keys.keyedPerSecond", label: "commands with a key/s", unit: .perSecond,
                              before: kb.flatMap { context.rateBefore(Double($0.commandsWithKeys)) },
                              after: ka.flatMap { context.rateAfter(Double($0.commandsWithKeys)) }),
            ReportDiff.Metric(id: "keys.distinctEstimate", label: "distinct keys (estimate)", unit: .count,
                              before: kb.map { Double($0.distinctKeysEstimate) }, after: ka.map { Double($0.distinctKeysEstimate) }),
        ]
        func costly(_ k: KeySummary?) -> [String: KeyCount] {
            Dictionary((k?.topKeysByServerTime ?? []).map { ($0.key, $0) }, uniquingKeysWith: { x, _ in x })
        }
        let before = costly(kb), after = costly(ka)
        let top = Set(before.keys).union(after.keys).sorted { x, y in
            let kx = (after[x]?.serverMicros ?? 0, before[x]?.serverMicros ?? 0)
            let ky = (after[y]?.serverMicros ?? 0, before[y]?.serverMicros ?? 0)
            return kx != ky ? kx > ky : x < y
        }.filter { (after[$0]?.serverMicros ?? 0) + (before[$0]?.serverMicros ?? 0) > 0 }.prefix(comparedKeys)
        // Every tracked key is ranked: a key absent from a side was not named there (0), unless that side tracked too
        // many keys to tell (then it is missing).
        func entry(_ k: KeySummary?, _ ranked: [String: KeyCount], _ key: String) -> Cost? {
            if let found = ranked[key] { return (found.calls, found.bytes, found.serverMicros ?? 0) }
            guard let k, !k.trackingLimitHit else { return nil }
            return (0, 0, 0)
        }
        for key in top {
            let kb1 = entry(kb, before, key), ka1 = entry(ka, after, key)
            metrics.append(ReportDiff.Metric(id: "keys.\(key).serverTimeShare", label: "key \(key): share of server time",
                                             unit: .share, before: kb1.flatMap { share(kb, $0) }, after: ka1.flatMap { share(ka, $0) }))
            metrics.append(ReportDiff.Metric(id: "keys.\(key).perSecond", label: "key \(key): calls/s", unit: .perSecond,
                                             before: kb1.flatMap { context.rateBefore(Double($0.calls)) },
                                             after: ka1.flatMap { context.rateAfter(Double($0.calls)) }))
            metrics.append(ReportDiff.Metric(id: "keys.\(key).bytesPerSecond", label: "key \(key): bytes/s", unit: .bytesPerSecond,
                                             before: kb1.flatMap { context.rateBefore(Double($0.bytes)) },
                                             after: ka1.flatMap { context.rateAfter(Double($0.bytes)) }))
        }
        diff.setMetrics("keys", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Keys", diff.metrics("keys"), into: &out,
                                         note: "The keys that cost the server most time (after, then before): share of all server "
                                             + "time, calls and bytes per second of capture.")
    }
}
