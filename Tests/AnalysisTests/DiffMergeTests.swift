import Analysis
import Findings
import Pipeline
import Foundation
@testable import Report
import Testing

/// `respcap diff` and `respcap merge` as library calls: merging the halves of a capture gives the whole, a report
/// compared with itself shows no change, ratios are right, and reports/diff-unpipelined-vs-pipelined.md is current.
@Suite struct DiffMergeTests {
    static func analyze(_ name: String) throws -> AnalysisReport {
        try analyze(path: TestPaths.fixtures.appendingPathComponent(name + ".pcap").path, port: FixtureTruth.load(name).port,
                    label: "fixtures/\(name).pcap")
    }

    static func analyze(path: String, port: Int, label: String) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        var report = try CaptureAnalyzer(options: options).analyze(paths: [path])
        report.capture.files = [label]
        return report
    }

    /// Through the JSON document, as `respcap merge` reads reports.
    static func document(_ report: AnalysisReport) throws -> ReportDocument {
        try ReportDocument(jsonData: Data(JSONReportRenderer.render(report).utf8), label: report.capture.files.joined(separator: ", "))
    }

    // MARK: - Merge

    /// fixtures/unpipelined.pcap cut in two at a moment no connection is open (redis-benchmark runs its tests one
    /// after another): the merged report of the halves must equal the report of the whole — counts exactly, latency
    /// percentiles exactly at the histogram's precision.
    @Test func mergingTheHalvesOfACaptureGivesTheWhole() throws {
        let name = "unpipelined"
        let port = try FixtureTruth.load(name).port
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let whole = try Self.analyze(path: path, port: port, label: "whole")
        let packets = try CapturePerturbation.read(path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-halves-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // Candidate cuts: a connection's SYN nearest the middle; keep the first where neither half is cut mid-connection.
        let syns = CapturePerturbation.connectionStarts(packets)
        var halves: (AnalysisReport, AnalysisReport)?
        for cut in syns.prefix(40) where cut > 0 {
            let first = directory.appendingPathComponent("first.pcap"), second = directory.appendingPathComponent("second.pcap")
            let (before, after) = CapturePerturbation.split(packets, at: cut)
            try Data(CapturePerturbation.pcap(before)).write(to: first)
            try Data(CapturePerturbation.pcap(after)).write(to: second)
            let a = try Self.analyze(path: first.path, port: port, label: "first")
            let b = try Self.analyze(path: second.path, port: port, label: "second")
            if a.connections.openAtEnd == 0 && b.connections.withoutHandshake == 0 && a.quality.unansweredCommands == 0
                && b.quality.unpairedReplies == 0 && a.totals.commands > 0 && b.totals.commands > 0 {
                halves = (a, b)
                break
            }
        }
        let (a, b) = try #require(halves, "no moment between connections to cut the capture at")

        let merged = try ReportMerger().merge([Self.document(a), Self.document(b)])
        #expect(merged.totals.commands == whole.totals.commands)
        #expect(merged.totals.errorReplies == whole.totals.errorReplies)
        #expect(merged.totals.replies == whole.totals.replies)
        #expect(merged.totals.clientBytes == whole.totals.clientBytes)
        #expect(merged.totals.serverBytes == whole.totals.serverBytes)
        #expect(merged.capture.packets == whole.capture.packets)
        #expect(merged.capture.firstTimestampNanos == whole.capture.firstTimestampNanos)
        #expect(merged.capture.lastTimestampNanos == whole.capture.lastTimestampNanos)
        #expect(merged.errorsByPrefix == whole.errorsByPrefix)
        #expect(merged.commands.map(\.name) == whole.commands.map(\.name))
        for c in whole.commands {
            let m = try #require(merged.commands.first { $0.name == c.name })
            #expect(m.calls == c.calls && m.errors == c.errors, "\(c.name)")
            #expect(m.requestBytes == c.requestBytes && m.replyBytes == c.replyBytes, "\(c.name)")
            #expect(m.latencyMicros == c.latencyMicros, "\(c.name): percentiles differ")
            #expect(m.latencyHistogram == c.latencyHistogram, "\(c.name): histograms differ")
        }
        let c = merged.connections, w = whole.connections
        let mergedCounts: [Int] = [c.total, c.withHandshake, c.withoutHandshake, c.closedByFin, c.closedByReset, c.openAtEnd]
        let wholeCounts: [Int] = [w.total, w.withHandshake, w.withoutHandshake, w.closedByFin, w.closedByReset, w.openAtEnd]
        #expect(mergedCounts == wholeCounts)
        #expect(c.opened == w.opened && c.closed == w.closed && c.completeConnections == w.completeConnections)
        #expect(c.closes == w.closes)
        #expect(c.openedPerSecond.reduce(0, +) == w.openedPerSecond.reduce(0, +))
        let ml = try #require(merged.latency), wl = try #require(whole.latency)
        #expect(ml.allMicros == wl.allMicros)
        #expect(ml.readsMicros == wl.readsMicros)
        #expect(ml.writesMicros == wl.writesMicros)
        #expect(ml.roundTrips == wl.roundTrips)
        #expect(ml.chainedRoundTrips == wl.chainedRoundTrips)
        #expect(ml.longestRoundTripChain == wl.longestRoundTripChain)
        #expect(ml.maxPipelineDepth == wl.maxPipelineDepth)
        #expect(ml.histogram.map(\.count) == wl.histogram.map(\.count))
        #expect(ml.pipelineDepth.map(\.commands) == wl.pipelineDepth.map(\.commands))
        #expect(merged.keys?.commandsWithKeys == whole.keys?.commandsWithKeys)
        #expect(merged.quality.tcpSegments == whole.quality.tcpSegments)
        #expect(merged.quality.verdict == whole.quality.verdict)
        let timeline = try #require(merged.timeline)
        #expect(timeline.buckets.reduce(0) { $0 + $1.commands } == whole.totals.commands)
        // The union of the halves' time ranges leaves out only the instant between them.
        #expect(abs(merged.capture.durationSeconds - whole.capture.durationSeconds) < 0.01)
        #expect(merged.findings.map(\.id) == FindingRules.evaluate(merged).map(\.id))
    }

    @Test func mergingDistinctFixturesAddsTheirCounts() throws {
        let names = ["unpipelined", "pipelined", "errors", "mixed", "pubsub"]
        let reports = try names.map(Self.analyze)
        let merged = try ReportMerger().merge(reports.map(Self.document))
        #expect(merged.totals.commands == reports.reduce(0) { $0 + $1.totals.commands })
        #expect(merged.totals.errorReplies == reports.reduce(0) { $0 + $1.totals.errorReplies })
        #expect(merged.totals.clientBytes == reports.reduce(0) { $0 + $1.totals.clientBytes })
        #expect(merged.connections.total == reports.reduce(0) { $0 + $1.connections.total })
        #expect(merged.pushes.total == reports.reduce(0) { $0 + $1.pushes.total })
        #expect(merged.capture.files == names.map { "fixtures/\($0).pcap" })
        var calls: [String: Int] = [:], latencyCounts: [String: Int] = [:], errors: [String: Int] = [:]
        for r in reports {
            for c in r.commands {
                calls[c.name, default: 0] += c.calls
                latencyCounts[c.name, default: 0] += c.latencyMicros.count
            }
            for (prefix, n) in r.errorsByPrefix { errors[prefix, default: 0] += n }
        }
        #expect(Dictionary(uniqueKeysWithValues: merged.commands.map { ($0.name, $0.calls) }) == calls)
        #expect(Dictionary(uniqueKeysWithValues: merged.commands.map { ($0.name, $0.latencyMicros.count) }) == latencyCounts)
        #expect(merged.errorsByPrefix == errors)
        #expect(merged.latency?.allMicros.count == reports.reduce(0) { $0 + ($1.latency?.allMicros.count ?? 0) })
        // Busiest first, as in an analysed report.
        #expect(merged.commands.map(\.calls) == merged.commands.map(\.calls).sorted(by: >))
        #expect(merged.warnings.first?.hasPrefix("merged from 5 reports") == true)
        #expect(merged.warnings.contains { $0.contains("top keys and prefixes") })
        #expect(merged.findings.map(\.id) == FindingRules.evaluate(merged).map(\.id))
        // Rates are per second of the union of the capture windows (these captures do not overlap).
        let covered = reports.reduce(0.0) { $0 + $1.capture.durationSeconds }
        #expect(abs(merged.capture.durationSeconds - covered) < 0.01)
    }

    /// The Sidekiq capture (BRPOP on 234 queues) merged with itself, as two hosts captured at the same time would be.
    @Test func blockingPopsOfTwoHostsAdd() throws {
        let report = try Self.analyze("sidekiq-brpop-many-queues")
        let pops = try #require(report.blockingPops)
        // The second host's capture has its own identity (a report of one capture given twice is counted once).
        var otherHost = report
        otherHost.capture.fingerprint = "another host"
        let merged = try ReportMerger().merge([Self.document(report), Self.document(otherHost)])
        let m = try #require(merged.blockingPops)
        #expect(m.calls == 2 * pops.calls)
        #expect(m.keysScanned == 2 * pops.keysScanned)
        #expect(m.keysPerCall == pops.keysPerCall)
        #expect(m.served == 2 * pops.served && m.timedOut == 2 * pops.timedOut)
        #expect(m.timedOutShare == pops.timedOutShare)
        #expect(m.keyCountDistribution.map(\.keys) == pops.keyCountDistribution.map(\.keys))
        #expect(m.keyCountDistribution.map(\.calls) == pops.keyCountDistribution.map { 2 * $0.calls })
        #expect(m.waitMicros.count == 2 * pops.waitMicros.count)
        #expect(m.waitMicros.p99 == pops.waitMicros.p99)
        // The same window twice: rates double, as for two hosts at once.
        #expect(abs(m.callsPerSecond - 2 * pops.callsPerSecond) <= 0.1)
        #expect(merged.findings.contains { $0.id == "blocking-pop-many-keys" })
        let diff = ReportDiff(before: try Self.document(report), after: try Self.document(merged))
        #expect(diff.blockingPops.first { $0.id == "blockingPops.keysScannedPerCall" }?.changed == false)
        #expect(diff.blockingPops.first { $0.id == "blockingPops.callsPerSecond" }?.ratio.map { abs($0 - 2) < 0.05 } == true)
    }

    @Test func mergingOneReportKeepsItsFigures() throws {
        let report = try Self.analyze("mixed")
        let merged = try ReportMerger().merge([Self.document(report)])
        #expect(merged.totals.commands == report.totals.commands)
        #expect(merged.commands.map(\.latencyMicros) == report.commands.map(\.latencyMicros))
        #expect(merged.latency?.allMicros == report.latency?.allMicros)
        #expect(merged.findings == report.findings)
        #expect(merged.capture.durationSeconds == report.capture.durationSeconds)
        #expect(merged.quality.verdict == report.quality.verdict)
    }

    /// Two hosts' TLS sections: connections, outcomes and suites add; a connection missing from one key log stays
    /// counted as such.
    @Test func tlsSectionsMerge() throws {
        let (a, _) = try TLSFixtureTests.analyze("tls13-aes128")
        let (b, _) = try TLSFixtureTests.analyze("tls-partial-keys")
        let ta = try #require(a.tls), tb = try #require(b.tls)
        let merged = try ReportMerger().merge([Self.document(a), Self.document(b)])
        let m = try #require(merged.tls)
        #expect(m.connections == ta.connections + tb.connections)
        #expect(m.decrypted == ta.decrypted + tb.decrypted)
        #expect(m.withoutKeys == ta.withoutKeys + tb.withoutKeys)
        #expect(m.bytesDecrypted == ta.bytesDecrypted + tb.bytesDecrypted)
        #expect(m.byVersionAndSuite.reduce(0) { $0 + $1.connections }
                == (ta.byVersionAndSuite + tb.byVersionAndSuite).reduce(0) { $0 + $1.connections })
        let diff = ReportDiff(before: try Self.document(a), after: try Self.document(b))
        #expect(diff.metrics("tls").first { $0.id == "tls.decryptedShare" }?.before == 1)
    }

    @Test func mergingNothingIsAnError() {
        #expect(throws: ReportLoadError.self) { try ReportMerger().merge([]) }
    }

    /// A real report's tree with `sections` (paths to values) replaced, as another host's or version's report.
    static func document(_ base: JSONValue, label: String, _ sections: [[String]: JSONValue]) throws -> ReportDocument {
        var tree = base.setting(["capture", "fingerprint"], to: .string(label))
        for (path, value) in sections.sorted(by: { $0.key.joined() < $1.key.joined() }) {
            // A field inside a section the base has.
            tree = tree.setting(path, to: value)
        }
        return try ReportDocument(jsonData: JSONEncoder().encode(tree), label: label)
    }

    /// The blocking-pop section of a real report, with the figures a test sets.
    static func blockingPops(calls: Int, keys: Int, served: Int, timedOut: Int, waits: [[UInt64]]) throws -> JSONValue {
        var section = try #require(try JSONValue(encoding: Self.analyze("sidekiq-brpop-many-queues"))["blockingPops"])
        let fields: [String: JSONValue] = [
            "calls": .integer(Int64(calls)), "keysScanned": .integer(Int64(calls * keys)),
            "byCommand": .object(["brpop": .integer(Int64(calls))]),
            "keyCountDistribution": .array([.object(["keys": .integer(Int64(keys)), "calls": .integer(Int64(calls)),
                                                     "clients": .integer(3)])]),
            "arrayLengthDistribution": .array([.object(["length": .integer(Int64(keys + 2)), "calls": .integer(Int64(calls))])]),
            "served": .integer(Int64(served)), "timedOut": .integer(Int64(timedOut)),
            "keysPerCall": .number(Double(keys)), "maxKeysPerCall": .integer(Int64(keys)), "timedOutShare": .number(0),
            "waitHistogram": .array(waits.map { .array($0.map { .integer(Int64($0)) }) }),
            "waitMicros": try JSONValue(encoding: LatencyHistogram(buckets: waits).summaryMicros),
        ]
        for (name, value) in fields { section = section.setting([name], to: value) }
        return section
    }

    /// The sections analyses own merge by their types: counts add, distributions add bucket by bucket, histograms
    /// merge exactly, rates and shares are computed again from the merged counts, a queue's last length is the latest
    /// capture's.
    @Test func sectionsMergeByTheirTypes() throws {
        let base = try JSONValue(encoding: Self.analyze("unpipelined"))
        func shortLived(_ count: Int, of: Int) -> JSONValue {
            .object(["count": .integer(Int64(count)), "share": .number(Double(count) / Double(of)), "thresholdSeconds": .number(1),
                     "fewCommands": .integer(0), "fewCommandsShare": .number(0), "maxCommands": .integer(2),
                     "ofConnections": .integer(Int64(of))])
        }
        func queue(_ key: String, pushed: Int, length: Int) -> JSONValue {
            .object(["key": .string(key), "type": .string("list"), "pushCommands": .integer(Int64(pushed)),
                     "elementsPushed": .integer(Int64(pushed)), "popCommands": .integer(0), "emptyPops": .integer(0),
                     "elementsPopped": .integer(0), "lastLength": .integer(Int64(length)), "netGrowth": .integer(Int64(pushed))])
        }
        let first = try #require(base["capture"]?["firstTimestampNanos"]?.int)
        let a = try Self.document(base, label: "a", [
            ["blockingPops"]: Self.blockingPops(calls: 100, keys: 234, served: 4, timedOut: 96, waits: [[1_000_000, 4]]),
            ["connections", "shortLived"]: shortLived(2, of: 4),
            ["queues"]: .array([queue("q:a", pushed: 5, length: 1), queue("q:b", pushed: 3, length: 2)]),
        ])
        let b = try Self.document(base, label: "b", [
            ["capture", "firstTimestampNanos"]: .integer(first + 1_000_000_000),
            ["blockingPops"]: Self.blockingPops(calls: 50, keys: 23, served: 40, timedOut: 10, waits: [[2_000_000, 40]]),
            ["connections", "shortLived"]: shortLived(1, of: 10),
            ["queues"]: .array([queue("q:b", pushed: 4, length: 9)]),
        ])
        let merged = try ReportMerger().merge([a, b])
        let pops = try #require(merged.blockingPops)
        #expect(pops.calls == 150)
        #expect(pops.keysScanned == Int64(100 * 234 + 50 * 23))
        #expect(pops.byCommand["brpop"] == 150)
        #expect(pops.maxKeysPerCall == 234)
        #expect(pops.keyCountDistribution.map(\.keys) == [23, 234])
        #expect(pops.keyCountDistribution.map(\.calls) == [50, 100])
        #expect(pops.arrayLengthDistribution.map(\.length) == [25, 236])
        let keysScanned: Double = 100 * 234 + 50 * 23
        #expect(pops.keysPerCall == (keysScanned / 150 * 10).rounded() / 10)
        #expect(pops.timedOutShare == (106.0 / 150 * 1000).rounded() / 1000)
        var expected = LatencyHistogram(buckets: [[1_000_000, 4]])
        expected.add(LatencyHistogram(buckets: [[2_000_000, 40]]))
        #expect(pops.waitHistogram == expected.buckets)
        #expect(pops.waitMicros.count == 44)
        #expect(pops.waitMicros.p50 == expected.summaryMicros.p50)
        #expect(pops.callsPerSecond == (150 / merged.capture.durationSeconds * 10).rounded() / 10)

        // Shares from the merged counts; the threshold is a setting, not a count.
        let churn = try #require(merged.connections.shortLived)
        #expect(churn.count == 3)
        #expect(churn.share == 0.214)
        #expect(churn.thresholdSeconds == 1)

        // Every queue of every report, ranked again; the last length from the later capture.
        #expect(merged.queues?.map(\.key) == ["q:b", "q:a"])
        #expect(merged.queues?.first?.elementsPushed == 7)
        #expect(merged.queues?.first?.lastLength == 9)
    }

    // MARK: - Diff

    @Test(arguments: ["unpipelined", "errors", "pubsub", "resp3"])
    func aReportComparedWithItselfShowsNoChange(name: String) throws {
        let document = try Self.document(Self.analyze(name))
        let diff = ReportDiff(before: document, after: document)
        #expect(diff.unchanged)
        #expect(diff.headlines.isEmpty)
        #expect(diff.findings.raised.isEmpty && diff.findings.cleared.isEmpty)
        #expect(MarkdownDiffRenderer.render(diff).contains("No changes: every figure and finding is the same in both reports."))
    }

    @Test func ratiosBetweenTwoFixtures() throws {
        let before = try Self.analyze("unpipelined"), after = try Self.analyze("pipelined")
        let diff = ReportDiff(before: try Self.document(before), after: try Self.document(after))
        #expect(!diff.unchanged)
        let perSecond = try #require(diff.summary.first { $0.id == "commandsPerSecond" })
        #expect(perSecond.ratio == after.totals.commandsPerSecond / before.totals.commandsPerSecond)
        let get = try #require(diff.commands.first { $0.name == "get" })
        let getBefore = Double(before.commands.first { $0.name == "get" }?.calls ?? 0) / before.capture.durationSeconds
        let getAfter = Double(after.commands.first { $0.name == "get" }?.calls ?? 0) / after.capture.durationSeconds
        #expect(abs((get.perSecond.ratio ?? 0) - getAfter / getBefore) < 1e-9)
        #expect(get.p99.before == before.commands.first { $0.name == "get" }?.latencyMicros.p99)
        let share = try #require(diff.latency.first { $0.id == "latency.roundTripShare" })
        let expectedShare = Double(after.latency?.roundTrips ?? 0) / Double(after.totals.commands)
            / (Double(before.latency?.roundTrips ?? 0) / Double(before.totals.commands))
        #expect(abs((share.ratio ?? 0) - expectedShare) < 1e-9)
        #expect((share.ratio ?? 1) < 0.2, "pipelining removes most round trips")
        // Commands on one side only are new or gone, not ratios.
        #expect(diff.commands.first { $0.name == "hset" }?.perSecond.after == 0)
        #expect(diff.commands.first { $0.name == "lrange" }?.perSecond.ratio == nil)
        // Cause first: the finding that cleared leads the headlines.
        #expect(diff.findings.cleared.map(\.id).contains("unpipelined-round-trips"))
        #expect(diff.headlines.first?.finding == "unpipelined-round-trips")
        #expect(diff.headlines.count <= ReportDiff.maxHeadlines)
        // Swapping the sides inverts every ratio.
        let reverse = ReportDiff(before: try Self.document(after), after: try Self.document(before))
        let back = try #require(reverse.summary.first { $0.id == "commandsPerSecond" })
        #expect(abs((back.ratio ?? 0) * (perSecond.ratio ?? 0) - 1) < 1e-9)
        #expect(reverse.findings.raised.map(\.id).contains("unpipelined-round-trips"))
    }

    @Test func blockingPopKeyScanCostIsCompared() throws {
        let base = try JSONValue(encoding: Self.analyze("unpipelined"))
        func document(keys: Int, calls: Int, label: String) throws -> ReportDocument {
            let section = try Self.blockingPops(calls: calls, keys: keys, served: 10, timedOut: calls - 10, waits: [[1_000_000, 10]])
            return try ReportDocument(jsonData: JSONEncoder().encode(base.setting(["blockingPops"], to: section)), label: label)
        }
        let diff = ReportDiff(before: try document(keys: 234, calls: 1000, label: "before"),
                              after: try document(keys: 23, calls: 1000, label: "after"))
        let perCall = try #require(diff.blockingPops.first { $0.id == "blockingPops.keysScannedPerCall" })
        #expect(perCall.sentence == "BRPOP keys scanned per call 234 → 23.0, ×0.10")
        #expect(diff.headlines.first?.metric == "blockingPops.keysScannedPerCall")
        #expect(MarkdownDiffRenderer.render(diff).contains("## Blocking pops"))
        // Reports without the section compare without it.
        let plain = try Self.document(Self.analyze("unpipelined"))
        #expect(ReportDiff(before: plain, after: plain).blockingPops.isEmpty)
    }

    @Test func diffJSONHasItsSchema() throws {
        let document = try Self.document(Self.analyze("errors"))
        let json = try JSONReportRenderer.render(ReportDiff(before: document, after: document))
        let tree = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(tree["schema"]?.string == "respcap.diff/1")
        #expect(tree["unchanged"] == .bool(true))
        #expect(tree["commands"]?.array?.isEmpty == false)
    }

    /// reports/diff-unpipelined-vs-pipelined.md is `respcap diff fixtures/unpipelined.pcap fixtures/pipelined.pcap`.
    /// RESPCAP_RECORD=1 rewrites it.
    @Test func goldenDiffIsCurrent() throws {
        let diff = ReportDiff(before: try ReportDocument(report: Self.analyze("unpipelined")),
                              after: try ReportDocument(report: Self.analyze("pipelined")))
        let markdown = MarkdownDiffRenderer.render(diff)
        let golden = TestPaths.reports.appendingPathComponent("diff-unpipelined-vs-pipelined.md")
        if GoldenReportTests.record {
            try markdown.write(to: golden, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(markdown == expected,
                "reports/diff-unpipelined-vs-pipelined.md is stale: regenerate with RESPCAP_RECORD=1 swift test --filter DiffMergeTests")
    }

    // MARK: - Reading reports

    /// A section another version shapes differently does not stop a report from loading: it is left out of the
    /// typed report (and of a merge, which says so) and stays in the tree.
    @Test func aSectionThisVersionCannotDecodeIsLeftOut() throws {
        var tree = try JSONValue(encoding: Self.analyze("errors"))
        tree = tree.setting(["blockingPops"], to: .array([.integer(1)]))
        tree = tree.setting(["queues"], to: .string("not a list"))
        let document = try ReportDocument(jsonData: JSONEncoder().encode(tree), label: "other-version.json")
        #expect(document.report.queues == nil)
        #expect(document.json["blockingPops"] == .array([.integer(1)]))
        #expect(document.report.totals.commands > 0)
        let otherHost = try ReportDocument(jsonData: JSONEncoder().encode(tree.setting(["capture", "fingerprint"], to: .string("another host"))),
                                           label: "other-host.json")
        let merged = try ReportMerger().merge([document, otherHost])
        #expect(merged.totals.commands == 2 * document.report.totals.commands)
        #expect(merged.warnings.contains { $0.contains("left out of the merged report") })
    }

    @Test func unusableJSONIsAClearError() throws {
        func code(_ text: String) -> ReportLoadError? {
            do {
                _ = try ReportDocument(jsonData: Data(text.utf8), label: "x.json")
                return nil
            } catch {
                return error
            }
        }
        #expect(code("{ \"schema\": ")?.code == .invalidJSON)
        #expect(code("[1, 2]")?.code == .notAReport)
        #expect(code("{\"a\": 1}")?.description == "x.json: not a respcap report: no \"schema\" field (expected \"respcap.report/1\")")
        #expect(code("{\"schema\": \"respcap.diff/1\"}")?.message.contains("a diff cannot be compared or merged") == true)
        #expect(code("{\"schema\": \"respcap.report/9\"}")?.code == .unsupportedSchema)
        let missing = try #require(code("{\"schema\": \"respcap.report/1\"}"))
        #expect(missing.code == .notAReport)
        #expect(missing.message.contains("missing field"), "\(missing)")
        #expect(ReportDocument.looksLikeJSON(Array(" \n {".utf8)))
        #expect(!ReportDocument.looksLikeJSON([0xD4, 0xC3, 0xB2, 0xA1]))
    }

    // MARK: - Biggest changes

    /// A cleared critical finding leads a newly raised warning: severity first, raised or cleared alike.
    @Test func findingsLeadBySeverity() throws {
        var before = try Self.analyze("unpipelined"), after = before
        before.findings = [Finding(id: "connection-churn", severity: .critical, title: "churn", evidence: [], recommendation: "")]
        after.findings = [Finding(id: "error-rate", severity: .warning, title: "errors", evidence: [], recommendation: "")]
        let diff = ReportDiff(before: try Self.document(before), after: try Self.document(after))
        #expect(diff.headlines.prefix(2).map(\.finding) == ["connection-churn", "error-rate"])
        #expect(diff.headlines.first?.kind == "findingCleared")
    }

    /// unpipelined → pipelined: throughput leads; the pipelined commands' latency is told as queueing; connections
    /// opened/s, all opened in the first second of both captures, follow capture length and stay out.
    @Test func biggestChangesTellThroughputBeforeQueueing() throws {
        let before = try Self.analyze("unpipelined"), after = try Self.analyze("pipelined")
        let diff = ReportDiff(before: try Self.document(before), after: try Self.document(after))
        let metrics = diff.headlines.compactMap(\.metric)
        #expect(!metrics.contains("connections.openedPerSecond"))
        let lpush = try #require(diff.headlines.first { $0.metric == "commands.lpush.p99" })
        #expect(lpush.text.contains("queueing"), "\(lpush.text)")
        let throughput = try #require(metrics.firstIndex(of: "commandsPerSecond"))
        let queueing = try #require(metrics.firstIndex(of: "commands.lpush.p99"))
        #expect(throughput < queueing)
        // Commands with fewer than 100 calls on a side have no latency or rate headline.
        for c in diff.commands where min(c.calls.before ?? 0, c.calls.after ?? 0) < Double(ReportDiff.headlineMinimumSample) {
            #expect(!metrics.contains(c.p99.id) && !metrics.contains(c.perSecond.id), "\(c.name)")
        }
    }

    /// The p99 of a handful of calls does not make a headline, however far it moved.
    @Test func fewCallsMakeNoLatencyHeadline() throws {
        let before = try Self.analyze("unpipelined")
        var after = before
        let index = try #require(after.commands.firstIndex { $0.name == "get" })
        var fewer = before
        fewer.commands[index].calls = 5
        after.commands[index].calls = 5
        after.commands[index].latencyMicros.p99 *= 20
        let diff = ReportDiff(before: try Self.document(fewer), after: try Self.document(after))
        #expect(diff.commands.first { $0.name == "get" }?.p99.changed == true)
        #expect(!diff.headlines.contains { $0.metric == "commands.get.p99" })
    }
}
