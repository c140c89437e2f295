import Analysis

extension ReportMerger {
    /// Merges the sections whose Swift types belong to other analyses (`ReportDocument.sectionsReadByName`) into
    /// `merged` by field name on the JSON tree, so that every field a report holds is merged, whatever this build's
    /// type names (through its JSON tree). Rules, by field name: counts
    /// add; `max*`/`peak*` take the max; `last*` take the latest capture's; rates (`perSecond`), shares, averages
    /// and percentiles without a histogram are averaged (approximate); `*Histogram` bucket lists merge exactly and
    /// their `*Micros` summaries are recomputed; lists of objects merge by their identity field (`key`, `prefix`,
    /// `keys`, `length`...). Blocking-pop rates and ratios are then recomputed from the merged counts.
    func mergeSections(_ documents: [ReportDocument], into merged: AnalysisReport, duration: Double,
                       notes: inout MergeNotes) -> AnalysisReport {
        // Latest capture last, so `last*` fields come from it.
        let ordered = documents.enumerated().sorted { a, b in
            let ta = a.element.report.capture.firstTimestampNanos ?? Int64.min
            let tb = b.element.report.capture.firstTimestampNanos ?? Int64.min
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
        guard var tree = try? JSONValue(encoding: merged) else { return merged }
        var mergedSections: [String] = []
        for path in ReportDocument.sectionsReadByName {
            let values = ordered.compactMap { document -> JSONValue? in
                var value: JSONValue? = document.json
                for key in path { value = value?[key] }
                guard let value, !value.isNull else { return nil }
                return value
            }
            guard !values.isEmpty else { continue }
            var approximate = false
            var value = Self.mergeValues(values, name: path.last ?? "", approximate: &approximate)
            if path == ["blockingPops"] { value = Self.recomputeBlockingPops(value, duration: duration) }
            if path == ["connections", "shortLived"] { value = Self.recomputeShares(value, base: "ofConnections", parts: ["count": "share", "fewCommands": "fewCommandsShare"]) }
            if path == ["connections", "setupCommands"] {
                value = Self.recomputeShares(value, total: Double(merged.totals.commands), parts: ["total": "share"])
                if let total = value["total"]?.double, value["perConnection"] != nil, merged.connections.total > 0 {
                    value = Self.setting(value, ["perConnection"], to: .number((total / Double(merged.connections.total) * 100).rounded() / 100))
                }
            }
            if values.count > 1 && approximate { mergedSections.append(path.joined(separator: ".")) }
            tree = Self.setting(tree, path, to: value)
        }
        if !mergedSections.isEmpty {
            notes.approximate("\(mergedSections.joined(separator: ", ")) (merged by field name: counts add, lists keep their "
                              + "top entries, shares and percentiles without histograms are averaged)")
        }
        do {
            let (report, leftOut) = try ReportDocument.decodeReport(tree)
            if !leftOut.isEmpty {
                notes.other.append("left out of the merged report (their fields do not match this version): \(leftOut.joined(separator: ", "))")
            }
            return report
        } catch {
            notes.other.append("could not merge the blocking-pop, queue and connection-churn sections: " + ReportDocument.describe(error))
            return merged
        }
    }

    static func setting(_ tree: JSONValue, _ path: [String], to value: JSONValue) -> JSONValue {
        guard let key = path.first, case .object(var fields) = tree else { return tree }
        if path.count == 1 {
            fields[key] = value
        } else {
            fields[key] = setting(fields[key] ?? .object([:]), Array(path.dropFirst()), to: value)
        }
        return .object(fields)
    }

    static let identityFields = ["key", "prefix", "address", "command", "name", "keys", "length", "timeoutSeconds", "fromDepth"]
    static let rankingFields = ["elementsPushed", "calls", "opened", "connections", "commands", "count"]

    static func isMax(_ name: String) -> Bool { name.hasPrefix("max") || name.hasPrefix("peak") }
    static func isLast(_ name: String) -> Bool { name.hasPrefix("last") }
    /// Settings that describe an entry rather than count in it.
    static func isSetting(_ name: String) -> Bool { name.lowercased().contains("threshold") || name == "type" }
    static func isRatio(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["persecond", "share", "percall", "perconnection", "average", "mean", "ratio"].contains { lower.contains($0) }
            || ["p50", "p90", "p99", "p999"].contains(name)
    }

    /// Merges values found under the same field name in several reports (see `mergeSections`).
    static func mergeValues(_ values: [JSONValue], name: String, identity: String? = nil, approximate: inout Bool) -> JSONValue {
        let present = values.filter { !$0.isNull }
        guard let first = present.first else { return .null }
        if present.count == 1 { return first }
        if isLast(name) { return present[present.count - 1] }
        if isSetting(name) { return first }

        if present.allSatisfy({ $0.object != nil }) {
            var keys: [String] = []
            for value in present { for key in (value.object ?? [:]).keys where !keys.contains(key) { keys.append(key) } }
            var fields: [String: JSONValue] = [:]
            for key in keys {
                let parts = present.compactMap { $0[key] }
                fields[key] = key == identity ? parts[0] : mergeValues(parts, name: key, approximate: &approximate)
            }
            // A latency summary next to its histogram is recomputed from the merged histogram.
            for (key, value) in fields where key.hasSuffix("Histogram") {
                let summaryKey = String(key.dropLast("Histogram".count)) + "Micros"
                if fields[summaryKey] != nil, let pairs = histogramPairs(value),
                   let summary = try? JSONValue(encoding: LatencyHistogram(buckets: pairs).summaryMicros) {
                    fields[summaryKey] = summary
                }
            }
            return .object(fields)
        }
        if name.hasSuffix("Histogram") || name == "histogram", present.allSatisfy({ histogramPairs($0) != nil }) {
            var histogram = LatencyHistogram()
            for value in present { histogram.add(LatencyHistogram(buckets: histogramPairs(value) ?? [])) }
            return .array(histogram.buckets.map { .array($0.map { .integer(Int64(clamping: $0)) }) })
        }
        if present.allSatisfy({ $0.array != nil }) {
            return mergeArrays(present.map { $0.array ?? [] }, name: name, approximate: &approximate)
        }
        if present.allSatisfy({ $0.double != nil }) {
            let numbers = present.compactMap(\.double)
            if isMax(name) { return present.max { ($0.double ?? 0) < ($1.double ?? 0) } ?? first }
            if isRatio(name) {
                approximate = true
                return .number((numbers.reduce(0, +) / Double(numbers.count) * 1e6).rounded() / 1e6)
            }
            if present.allSatisfy({ if case .integer = $0 { return true } else { return false } }) {
                return .integer(present.reduce(Int64(0)) { $0 &+ ($1.int ?? 0) })
            }
            return .number(numbers.reduce(0, +))
        }
        if present.allSatisfy({ if case .bool = $0 { return true } else { return false } }) {
            return .bool(present.contains(.bool(true)))
        }
        return first
    }

    static func histogramPairs(_ value: JSONValue) -> [[UInt64]]? {
        guard let rows = value.array else { return nil }
        var pairs: [[UInt64]] = []
        for row in rows {
            guard let cells = row.array, cells.count == 2, let v = cells[0].int, let c = cells[1].int, v >= 0, c >= 0 else { return nil }
            pairs.append([UInt64(v), UInt64(c)])
        }
        return pairs
    }

    /// Lists of objects merge entry by entry on their identity field; other lists (per-second series) add position
    /// by position.
    static func mergeArrays(_ arrays: [[JSONValue]], name: String, approximate: inout Bool) -> JSONValue {
        let elements = arrays.flatMap { $0 }
        if elements.isEmpty { return .array([]) }
        if elements.allSatisfy({ $0.object != nil }) {
            guard let identity = identityFields.first(where: { field in elements.allSatisfy { $0[field] != nil } }) else {
                approximate = true
                return .array(arrays.max { $0.count < $1.count } ?? [])
            }
            var order: [JSONValue] = []
            var groups: [JSONValue: [JSONValue]] = [:]
            for element in elements {
                let id = element[identity] ?? .null
                if groups[id] == nil { order.append(id) }
                groups[id, default: []].append(element)
            }
            var merged = order.map { mergeValues(groups[$0] ?? [], name: "", identity: identity, approximate: &approximate) }
            if order.allSatisfy({ $0.double != nil }) {
                merged.sort { ($0[identity]?.double ?? 0) < ($1[identity]?.double ?? 0) }
            } else {
                // A ranked top list: rank again and keep as many as the longest input (entries cut from one report's
                // list are missing from the sums).
                if let ranking = rankingFields.first(where: { field in merged.allSatisfy { $0[field]?.double != nil } }) {
                    merged.sort { a, b in
                        let (x, y) = (a[ranking]?.double ?? 0, b[ranking]?.double ?? 0)
                        return x != y ? x > y : (a[identity]?.string ?? "") < (b[identity]?.string ?? "")
                    }
                }
                let limit = arrays.map(\.count).max() ?? merged.count
                if merged.count > limit || arrays.filter({ !$0.isEmpty }).count > 1 { approximate = true }
                merged = Array(merged.prefix(limit))
            }
            return .array(merged)
        }
        if elements.allSatisfy({ $0.int != nil }) {
            var sums: [Int64] = []
            for array in arrays {
                for (i, value) in array.enumerated() {
                    if sums.count <= i { sums.append(0) }
                    sums[i] &+= value.int ?? 0
                }
            }
            approximate = true
            return .array(sums.map { .integer($0) })
        }
        approximate = true
        return .array(arrays.max { $0.count < $1.count } ?? [])
    }

    /// Shares (3 decimals) of merged counts: `parts` maps a count field to its share field; the base is the field
    /// `base` of the same object, or `total`.
    static func recomputeShares(_ section: JSONValue, base: String? = nil, total: Double? = nil, parts: [String: String]) -> JSONValue {
        guard case .object(var f) = section, let whole = base.flatMap({ f[$0]?.double }) ?? total else { return section }
        for (count, share) in parts {
            guard let n = f[count]?.double, f[share] != nil else { continue }
            f[share] = .number(whole > 0 ? (n / whole * 1000).rounded() / 1000 : 0)
        }
        return .object(f)
    }

    /// Blocking-pop rates and ratios from the merged counts (as `BlockingPopStats` computes them).
    static func recomputeBlockingPops(_ section: JSONValue, duration: Double) -> JSONValue {
        guard case .object(var f) = section else { return section }
        let calls = f["calls"]?.double, keysScanned = f["keysScanned"]?.double
        if let calls, let keysScanned, f["keysPerCall"] != nil {
            f["keysPerCall"] = .number(calls > 0 ? (keysScanned / calls * 10).rounded() / 10 : 0)
        }
        if let calls, f["callsPerSecond"] != nil {
            f["callsPerSecond"] = .number(duration > 0 ? (calls / duration * 10).rounded() / 10 : 0)
        }
        if let keysScanned, f["keysScannedPerSecond"] != nil {
            f["keysScannedPerSecond"] = .number(duration > 0 ? (keysScanned / duration * 10).rounded() / 10 : 0)
        }
        if let served = f["served"]?.double, let timedOut = f["timedOut"]?.double, f["timedOutShare"] != nil {
            let decided = served + timedOut
            f["timedOutShare"] = .number(decided > 0 ? (timedOut / decided * 1000).rounded() / 1000 : 0)
        }
        return .object(f)
    }
}
