import Formatting
import Analysis

/// Combines reports of several hosts or capture windows into one report (`respcap merge`).
///
/// Counts add. Latency percentiles are recomputed from the merged `latencyHistogram` buckets, so they are exact at the
/// histogram's precision (1%). Capture time is the union of the reports' time ranges; rates are per second of it.
/// Top-k lists (keys, prefixes, slowest commands, big values) merge approximately — an item cut from one report's
/// list is missing from the sum — and the merged report says so in `warnings`. Per-second series (timeline,
/// connections opened) are aligned by absolute time. Findings are evaluated again on the merged report.
public struct ReportMerger: Sendable {
    public var thresholds: FindingThresholds

    public init(thresholds: FindingThresholds = FindingThresholds()) { self.thresholds = thresholds }

    /// Merges `documents` (at least one) in the order given; that order only decides which report's text wins where
    /// reports disagree (a filter expression, a truncation message). A report of a capture already given
    /// (`duplicates(_:)`) is counted once, as `analyze` reads a file named twice once, and the warnings say so.
    public func merge(_ given: [ReportDocument]) throws(ReportLoadError) -> AnalysisReport {
        guard !given.isEmpty else {
            throw ReportLoadError(.incompatible, "merge", "no reports to merge")
        }
        let duplicates = Self.duplicates(given)
        let documents = given.indices.filter { index in !duplicates.contains { $0.index == index } }.map { given[$0] }
        let reports = documents.map(\.report)
        var notes = MergeNotes()
        var merged = AnalysisReport()
        merged.generator.commandTable = Self.distinct(reports.map(\.generator.commandTable)).joined(separator: " + ")

        mergeCapture(reports, into: &merged, notes: &notes)
        let origin = merged.capture.firstTimestampNanos
        let duration = merged.capture.durationSeconds

        // Totals and commands.
        for r in reports {
            merged.totals.commands += r.totals.commands
            merged.totals.errorReplies += r.totals.errorReplies
            merged.totals.clientBytes += r.totals.clientBytes
            merged.totals.serverBytes += r.totals.serverBytes
            merged.totals.replies += r.totals.replies
            for (prefix, count) in r.errorsByPrefix { merged.errorsByPrefix[prefix, default: 0] += count }
        }
        merged.benignErrors = Self.mergeBenignErrors(reports)
        merged.totals.commandsPerSecond = Self.rate(merged.totals.commands, duration)
        merged.commands = mergeCommands(reports, notes: &notes)

        mergeConnections(reports, origin: origin, duration: duration, into: &merged, notes: &notes)
        mergeClients(reports, into: &merged)
        for r in reports {
            merged.pushes.total += r.pushes.total
            merged.pushes.bytes += r.pushes.bytes
            for (kind, count) in r.pushes.byKind { merged.pushes.byKind[kind, default: 0] += count }
        }
        merged.keys = mergeKeys(reports, duration: duration, notes: &notes)
        merged.latency = mergeLatency(reports, commands: merged.commands, duration: duration, notes: &notes)
        merged.timeline = mergeTimeline(reports, origin: origin, notes: &notes)
        mergeQuality(reports, into: &merged)

        // Sections whose Swift types belong to other analyses: merged by field name on the JSON tree.
        merged = mergeSections(documents, into: merged, duration: duration, notes: &notes)

        merged.quality.verdict = QualityVerdict.verdict(for: merged)
        merged.findings = FindingRules.evaluate(merged, thresholds: thresholds)
        var warnings: [String] = []
        warnings.append("merged from \(documents.count) " + (documents.count == 1 ? "report" : "reports")
                        + " (\(documents.map(\.label).joined(separator: ", ")))")
        warnings += duplicates.map { Self.describe($0, in: given) }
        warnings += notes.approximate.map { "approximate after merging: \($0)" }
        warnings += notes.other
        for document in documents {
            warnings += document.report.warnings.map { "\(document.label): \($0)" }
        }
        merged.warnings = warnings
        return merged
    }

    /// What the merge could not do exactly, for the merged report's warnings.
    struct MergeNotes {
        var approximate: [String] = []
        var other: [String] = []

        mutating func approximate(_ what: String) {
            if !approximate.contains(what) { approximate.append(what) }
        }
    }

    // MARK: - Capture

    func mergeCapture(_ reports: [AnalysisReport], into merged: inout AnalysisReport, notes: inout MergeNotes) {
        var c = AnalysisReport().capture
        var ranges: [(Int64, Int64)] = []
        var durationWithoutTimes = 0.0
        for r in reports {
            c.files += r.capture.files
            c.formats += r.capture.formats
            c.linkTypes += r.capture.linkTypes
            c.packets += r.capture.packets
            c.bytes += r.capture.bytes
            c.ports += r.capture.ports
            c.servers += r.capture.servers
            if let first = r.capture.firstTimestampNanos, let last = r.capture.lastTimestampNanos {
                ranges.append((first, max(first, last)))
            } else {
                durationWithoutTimes += r.capture.durationSeconds
            }
        }
        c.linkTypes = Self.distinct(c.linkTypes).sorted()
        c.ports = Array(Set(c.ports)).sorted()
        c.servers = Array(Set(c.servers)).sorted()
        let filters = Self.distinct(reports.map { $0.capture.filter ?? "" })
        if filters.count == 1 {
            c.filter = reports.first?.capture.filter
        } else {
            c.filter = nil
            notes.other.append("the reports used different capture filters (\(filters.map { $0.isEmpty ? "none" : $0 }.joined(separator: ", ")))")
        }
        if let first = ranges.map(\.0).min(), let last = ranges.map(\.1).max() {
            c.firstTimestampNanos = first
            c.lastTimestampNanos = last
            c.firstTimestamp = Timestamp.iso8601(first)
            c.lastTimestamp = Timestamp.iso8601(last)
        }
        // Union of the time ranges: overlapping windows (hosts captured at once) count once, gaps between windows not at all.
        var covered: Int64 = 0
        var end = Int64.min
        for (start, stop) in ranges.sorted(by: { $0.0 < $1.0 }) {
            if stop <= end { continue }
            covered += stop - max(start, end)
            end = stop
        }
        c.durationSeconds = (Double(covered) / 1e6).rounded() / 1e3 + durationWithoutTimes
        if ranges.count > 1, let first = c.firstTimestampNanos, let last = c.lastTimestampNanos, covered < last - first {
            notes.other.append("the captures leave gaps between them: \(Self.seconds(Double(last - first - covered) / 1e9)) of "
                               + "\(Self.seconds(Double(last - first) / 1e9)) not captured; rates are per second captured")
        }
        c.fingerprint = Self.mergedFingerprint(reports)
        let redactions = Self.distinct(reports.compactMap(\.capture.keyRedaction))
        c.keyRedaction = redactions.count == 1 ? redactions[0] : nil
        merged.capture = c
    }

    // MARK: - Commands

    func mergeCommands(_ reports: [AnalysisReport], notes: inout MergeNotes) -> [AnalysisReport.CommandSummary] {
        var order: [String] = []
        var groups: [String: [AnalysisReport.CommandSummary]] = [:]
        for r in reports {
            for c in r.commands {
                if groups[c.name] == nil { order.append(c.name) }
                groups[c.name, default: []].append(c)
            }
        }
        var result: [AnalysisReport.CommandSummary] = []
        for name in order {
            let parts = groups[name] ?? []
            var m = AnalysisReport.CommandSummary(name: name)
            for p in parts {
                m.calls += p.calls
                m.errors += p.errors
                m.requestBytes += p.requestBytes
                m.replyBytes += p.replyBytes
                m.unanswered += p.unanswered
                m.noReply += p.noReply
                m.lostInGap += p.lostInGap
                m.queuedInTransaction += p.queuedInTransaction
            }
            m.known = parts.allSatisfy(\.known)
            m.blocking = parts.contains(where: \.blocking)
            m.flags = parts.first?.flags ?? []
            let latency = Self.mergeLatency(parts.map { ($0.latencyMicros, $0.latencyHistogram) })
            m.latencyMicros = latency.summary
            m.latencyHistogram = latency.buckets
            if !latency.exact { notes.approximate("latency percentiles of `\(name)` (a report has no latencyHistogram)") }
            let waits = parts.compactMap { p in p.blockingWaitMicros.map { ($0, p.blockingWaitHistogram) } }
            if !waits.isEmpty {
                let wait = Self.mergeLatency(waits)
                m.blockingWaitMicros = wait.summary
                m.blockingWaitHistogram = wait.buckets
                if !wait.exact { notes.approximate("blocking wait of `\(name)` (a report has no blockingWaitHistogram)") }
            }
            result.append(m)
        }
        result.sort { ($0.calls, $1.name) > ($1.calls, $0.name) }
        return result
    }

    /// Expected errors add per (command, code); nil when no report has any.
    static func mergeBenignErrors(_ reports: [AnalysisReport]) -> [BenignErrorSummary]? {
        let all = reports.flatMap { $0.benignErrors ?? [] }
        guard !all.isEmpty else { return nil }
        var order: [[String]] = []
        var merged: [[String]: BenignErrorSummary] = [:]
        for entry in all {
            let key = [entry.command, entry.code]
            if var existing = merged[key] {
                existing.count += entry.count
                merged[key] = existing
            } else {
                order.append(key)
                merged[key] = entry
            }
        }
        return order.compactMap { merged[$0] }.sorted { ($0.count, $1.command, $1.code) > ($1.count, $0.command, $0.code) }
    }

    /// Merges latency distributions: exactly from histogram buckets when every non-empty part has them, otherwise
    /// counts add, max is the max, and the percentiles and mean are averages weighted by count (an approximation).
    static func mergeLatency(_ parts: [(AnalysisReport.Latency, [[UInt64]]?)]) -> (summary: AnalysisReport.Latency, buckets: [[UInt64]]?, exact: Bool) {
        let nonEmpty = parts.filter { $0.0.count > 0 }
        guard !nonEmpty.isEmpty else { return (Self.emptyLatency, parts.contains { $0.1 != nil } ? [] : nil, true) }
        if nonEmpty.allSatisfy({ $0.1 != nil }) {
            var histogram = LatencyHistogram()
            for part in nonEmpty { histogram.add(LatencyHistogram(buckets: part.1 ?? [])) }
            return (histogram.summaryMicros, histogram.buckets, true)
        }
        return (approximate(nonEmpty.map(\.0)), nil, false)
    }

    static func approximate(_ parts: [AnalysisReport.Latency]) -> AnalysisReport.Latency {
        var m = Self.emptyLatency
        m.count = parts.reduce(0) { $0 + $1.count }
        guard m.count > 0 else { return m }
        func weighted(_ value: (AnalysisReport.Latency) -> Double) -> Double {
            (parts.reduce(0.0) { $0 + value($1) * Double($1.count) } / Double(m.count) * 10).rounded() / 10
        }
        m.p50 = weighted(\.p50)
        m.p90 = weighted(\.p90)
        m.p99 = weighted(\.p99)
        m.p999 = weighted(\.p999)
        m.mean = weighted(\.mean)
        m.max = parts.map(\.max).max() ?? 0
        return m
    }

    static func approximate(_ parts: [Percentiles]) -> Percentiles {
        let count = parts.reduce(0) { $0 + $1.count }
        guard count > 0 else { return Percentiles() }
        func weighted(_ value: (Percentiles) -> Double) -> Double {
            let v = parts.reduce(0.0) { $0 + value($1) * Double($1.count) } / Double(count)
            return (v * 1000).rounded() / 1000
        }
        return Percentiles(count: count, p50: weighted(\.p50), p90: weighted(\.p90), p99: weighted(\.p99),
                           max: parts.map(\.max).max() ?? 0, mean: weighted(\.mean),
                           min: parts.contains { $0.min == nil } ? nil : parts.compactMap(\.min).min())
    }

    // MARK: - Connections

    func mergeConnections(_ reports: [AnalysisReport], origin: Int64?, duration: Double, into merged: inout AnalysisReport,
                          notes: inout MergeNotes) {
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
            let offset = Self.secondOffset(r, origin: origin)
            Self.addAligned(x.openedPerSecond, at: offset, into: &c.openedPerSecond)
            Self.addAligned(x.closedPerSecond, at: offset, into: &c.closedPerSecond)
            // Peaks of different reports in the same second add (an upper bound when hosts overlap).
            Self.addAligned(x.concurrentPerSecond, at: offset, into: &c.concurrentPerSecond)
            Self.addAligned(x.resetPerSecond, at: offset, into: &c.resetPerSecond)
            for (how, count) in x.closes { c.closes[how, default: 0] += count }
        }
        if reports.count > 1 && c.clients > 0 {
            notes.approximate("connections.clients adds each report's distinct hosts (a host in several reports counts more than once)")
        }
        // Peak concurrency: windows that overlap in time may peak together (sum, an upper bound); disjoint ones cannot.
        let peaks = reports.map(\.connections.peakConcurrent)
        if Self.windowsOverlap(reports) {
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
            c.lifetimeSeconds = Self.approximate(lifetimes)
            if lifetimes.count > 1 { notes.approximate("connection lifetime percentiles (weighted averages)") }
        }
        let perConnection = reports.compactMap(\.connections.commandsPerConnection)
        if !perConnection.isEmpty {
            c.commandsPerConnection = Self.approximate(perConnection)
            if perConnection.count > 1 { notes.approximate("commands-per-connection percentiles (weighted averages)") }
        }
        // shortLived, setupCommands, byClient, utilisation: merged by name in `mergeSections`.
        merged.connections = c
    }

    /// Whole seconds from the merged capture's start to this report's start (its per-second series' index 0).
    static func secondOffset(_ r: AnalysisReport, origin: Int64?) -> Int {
        guard let origin, let first = r.capture.firstTimestampNanos else { return 0 }
        return Int(max(0, first - origin) / 1_000_000_000)
    }

    static func addAligned(_ values: [Int], at offset: Int, into series: inout [Int]) {
        guard !values.isEmpty else { return }
        if series.count < offset + values.count { series += repeatElement(0, count: offset + values.count - series.count) }
        for (i, v) in values.enumerated() { series[offset + i] += v }
    }

    static func windowsOverlap(_ reports: [AnalysisReport]) -> Bool {
        let ranges = reports.compactMap { r -> (Int64, Int64)? in
            guard let a = r.capture.firstTimestampNanos, let b = r.capture.lastTimestampNanos else { return nil }
            return (a, b)
        }.sorted { $0.0 < $1.0 }
        guard ranges.count == reports.count else { return true }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 { return true }
        return false
    }

    // MARK: - Quality

    func mergeQuality(_ reports: [AnalysisReport], into merged: inout AnalysisReport) {
        var q = AnalysisReport().quality
        for r in reports {
            let x = r.quality
            for (k, v) in x.packetsSkipped { q.packetsSkipped[k, default: 0] += v }
            q.tcpSegments += x.tcpSegments
            q.packetsOutOfTimestampOrder += x.packetsOutOfTimestampOrder
            q.packetsLateBeyondReorderWindow += x.packetsLateBeyondReorderWindow
            q.outOfOrderSegments += x.outOfOrderSegments
            q.retransmittedSegments += x.retransmittedSegments
            q.duplicateBytes += x.duplicateBytes
            q.gaps += x.gaps
            q.bytesLostInGaps += x.bytesLostInGaps
            q.connectionsWithGaps += x.connectionsWithGaps
            q.eventsNotListed += x.eventsNotListed
            q.snaplenCutBytes += x.snaplenCutBytes
            q.unpairedReplies += x.unpairedReplies
            q.unansweredCommands += x.unansweredCommands
            q.commandsLostInGaps += x.commandsLostInGaps
            q.parseErrors += x.parseErrors
            for (k, v) in x.parseErrorsByCode { q.parseErrorsByCode[k, default: 0] += v }
            q.resyncSkippedBytes += x.resyncSkippedBytes
            q.truncated = q.truncated || x.truncated
            if x.interrupted == true { q.interrupted = true }
            if q.truncationMessage == nil { q.truncationMessage = x.truncationMessage }
            q.connectionsEvicted += x.connectionsEvicted
            q.bufferLimitDrops += x.bufferLimitDrops
            q.pendingOverflows += x.pendingOverflows
            q.notRedisConnections += x.notRedisConnections
            q.notRedisServerMessages += x.notRedisServerMessages
            q.notRedisCommandLines += x.notRedisCommandLines
        }
        // Where problems happened: the first ones of each report, as many as one report lists; the rest are counted.
        let gapLimit = reports.map(\.quality.gapDetails.count).max() ?? 0
        let allGaps = reports.flatMap(\.quality.gapDetails)
        q.gapDetails = Array(allGaps.prefix(gapLimit))
        // Limits: one row per (limit, scope), counts added; the value is the largest any report ran with.
        var hits: [AnalysisReport.LimitHit] = []
        for hit in reports.flatMap({ $0.quality.limitsHit ?? [] }) {
            if let index = hits.firstIndex(where: { $0.limit == hit.limit && $0.scope == hit.scope }) {
                hits[index].count += hit.count
                hits[index].value = max(hits[index].value, hit.value)
            } else {
                hits.append(hit)
            }
        }
        q.limitsHit = hits.isEmpty ? nil : hits
        let eventLimit = reports.map(\.quality.events.count).max() ?? 0
        let allEvents = reports.flatMap(\.quality.events)
        q.events = Array(allEvents.prefix(eventLimit))
        q.eventsNotListed += allEvents.count - q.events.count
        merged.quality = q
    }

    // MARK: - Helpers

    /// An empty latency summary (the type's own initialiser is internal to Analysis).
    static var emptyLatency: AnalysisReport.Latency { AnalysisReport.CommandSummary(name: "").latencyMicros }

    static func rate(_ count: Int, _ duration: Double) -> Double {
        duration > 0 ? (Double(count) / duration * 10).rounded() / 10 : 0
    }

    static func distinct(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    static func seconds(_ value: Double) -> String { NumberFormatting.seconds(value) }
}
