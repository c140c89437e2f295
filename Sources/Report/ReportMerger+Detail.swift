import Analysis

extension ReportMerger {
    /// Most timeline buckets in a merged report (as in one analysis); the bucket width doubles past it.
    static let maxTimelineBuckets = 3600

    // MARK: - Keys

    func mergeKeys(_ reports: [AnalysisReport], duration: Double, notes: inout MergeNotes) -> KeySummary? {
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

        var fullKeyspace: [String: FullKeyspaceCommand] = [:]
        for part in parts {
            for entry in part.fullKeyspaceCommands {
                if var existing = fullKeyspace[entry.command] {
                    existing.calls += entry.calls
                    fullKeyspace[entry.command] = existing
                } else {
                    fullKeyspace[entry.command] = entry
                }
            }
        }
        m.fullKeyspaceCommands = fullKeyspace.values.map { entry in
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

    // MARK: - Latency

    /// Percentiles from the merged per-command histograms (every non-blocking command; reads and writes by the
    /// command's flags), which is how the analysis fills them; the rest adds or takes the max.
    func mergeLatency(_ reports: [AnalysisReport], commands: [AnalysisReport.CommandSummary], duration: Double,
                      notes: inout MergeNotes) -> LatencySummary? {
        let parts = reports.compactMap(\.latency)
        guard var m = parts.first else { return nil }
        guard parts.count > 1 else { return m }
        let exact = commands.allSatisfy { $0.latencyMicros.count == 0 || $0.latencyHistogram != nil }
        if exact {
            var all = LatencyHistogram(), reads = LatencyHistogram(), writes = LatencyHistogram()
            for c in commands {
                guard let buckets = c.latencyHistogram, !buckets.isEmpty else { continue }
                let h = LatencyHistogram(buckets: buckets)
                all.add(h)
                if c.flags.contains("write") { writes.add(h) } else if c.flags.contains("readonly") { reads.add(h) }
            }
            m.allMicros = all.summaryMicros
            m.readsMicros = reads.summaryMicros
            m.writesMicros = writes.summaryMicros
        } else {
            m.allMicros = Self.approximate(parts.map(\.allMicros))
            m.readsMicros = Self.approximate(parts.map(\.readsMicros))
            m.writesMicros = Self.approximate(parts.map(\.writesMicros))
            notes.approximate("overall latency percentiles (weighted averages: a report has no latency histograms)")
        }
        // Service times merge exactly from their histograms, when every report has them.
        if parts.allSatisfy({ $0.readServiceHistogram != nil && $0.writeServiceHistogram != nil }) {
            var reads = LatencyHistogram(), writes = LatencyHistogram()
            for part in parts {
                reads.add(LatencyHistogram(buckets: part.readServiceHistogram ?? []))
                writes.add(LatencyHistogram(buckets: part.writeServiceHistogram ?? []))
            }
            m.readServiceMicros = reads.summaryMicros
            m.writeServiceMicros = writes.summaryMicros
            m.readServiceHistogram = reads.buckets
            m.writeServiceHistogram = writes.buckets
        } else {
            m.readServiceMicros = nil
            m.writeServiceMicros = nil
            m.readServiceHistogram = nil
            m.writeServiceHistogram = nil
        }
        if parts.allSatisfy({ $0.histogram.count == m.histogram.count }) {
            for part in parts.dropFirst() {
                for i in part.histogram.indices { m.histogram[i].count += part.histogram[i].count }
            }
        }
        let slowLimit = parts.map(\.slowest.count).max() ?? 0
        m.slowest = parts.flatMap(\.slowest).sorted { ($0.latencyMicros, $1.timestamp) > ($1.latencyMicros, $0.timestamp) }
            .prefix(slowLimit).map { $0 }
        var depth: [Int: DepthBucket] = [:]
        for part in parts {
            for bucket in part.pipelineDepth {
                if var existing = depth[bucket.fromDepth] {
                    existing.commands += bucket.commands
                    depth[bucket.fromDepth] = existing
                } else {
                    depth[bucket.fromDepth] = bucket
                }
            }
        }
        m.pipelineDepth = depth.values.sorted { $0.fromDepth < $1.fromDepth }
        m.maxPipelineDepth = parts.map(\.maxPipelineDepth).max() ?? 0
        m.roundTrips = parts.reduce(0) { $0 + $1.roundTrips }
        m.roundTripsPerSecond = Self.rate(m.roundTrips, duration)
        // Chains of single round trips: counts add; the mean is weighted by chains (each mean is rounded to 0.1).
        m.chainedRoundTrips = parts.reduce(0) { $0 + $1.chainedRoundTrips }
        m.roundTripChains = parts.reduce(0) { $0 + $1.roundTripChains }
        m.longestRoundTripChain = parts.map(\.longestRoundTripChain).max() ?? 0
        let chained = parts.reduce(0.0) { $0 + $1.meanRoundTripChain * Double($1.roundTripChains) }
        m.meanRoundTripChain = m.roundTripChains > 0 ? (chained / Double(m.roundTripChains) * 10).rounded() / 10 : 0
        return m
    }

    // MARK: - Timeline

    /// Buckets aligned by absolute time from the merged capture's start; counts add; a bucket's p99 is the largest
    /// of its parts' (an upper bound).
    func mergeTimeline(_ reports: [AnalysisReport], origin: Int64?, notes: inout MergeNotes) -> TimelineSummary? {
        let parts = reports.compactMap { r in r.timeline.map { (r, $0) } }
        guard let template = parts.first?.1 else { return nil }
        guard parts.count > 1, let origin, let zero = parts.lazy.compactMap({ $0.1.buckets.first }).first else { return template }
        var width = Int64((parts.map(\.1.bucketSeconds).max() ?? 1) * 1e9)
        width = max(width, 1)
        var placed: [(Int64, TimelineBucket)] = []
        for (report, timeline) in parts {
            let start = report.capture.firstTimestampNanos ?? origin
            for bucket in timeline.buckets {
                placed.append((start - origin + Int64(bucket.offsetSeconds * 1e9), bucket))
            }
        }
        let span = placed.map(\.0).max() ?? 0
        while span / width >= Int64(Self.maxTimelineBuckets) { width *= 2 }
        var empty = zero
        empty.commands = 0; empty.errors = 0; empty.requestBytes = 0; empty.replyBytes = 0
        empty.connectionsOpened = 0; empty.connectionsClosed = 0; empty.p99Micros = nil
        var buckets: [TimelineBucket] = []
        for (offset, bucket) in placed {
            let index = Int(max(0, offset) / width)
            while buckets.count <= index {
                var b = empty
                b.offsetSeconds = Double(Int64(buckets.count) * width) / 1e9
                buckets.append(b)
            }
            buckets[index].commands += bucket.commands
            buckets[index].errors += bucket.errors
            buckets[index].requestBytes += bucket.requestBytes
            buckets[index].replyBytes += bucket.replyBytes
            buckets[index].connectionsOpened += bucket.connectionsOpened
            buckets[index].connectionsClosed += bucket.connectionsClosed
            if let p99 = bucket.p99Micros { buckets[index].p99Micros = max(buckets[index].p99Micros ?? 0, p99) }
        }
        notes.approximate("timeline buckets re-aligned to the merged start (counts move by less than a bucket), and each bucket's p99 is the largest of its parts'")
        var merged = template
        merged.bucketSeconds = Double(width) / 1e9
        merged.buckets = buckets
        return merged
    }
}
