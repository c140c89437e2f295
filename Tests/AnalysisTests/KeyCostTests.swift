import Analysis
import Findings
import Foundation
import Pipeline
import RedisSemantics
@testable import Report
import Testing

/// What each key cost (reads, writes, bytes, server time, client hosts, largest value), checked against the command
/// events (`--format ndjson`) of real captures, added up by `merge`, hashed by `--redact-keys`, and the `key-cost`
/// finding on a capture where one key takes the server's time.
@Suite struct KeyCostTests {
    struct Expected: Equatable {
        var calls = 0, reads = 0, writes = 0, clients = 0, maxValueBytes = 0
        var requestBytes: Int64 = 0, replyBytes: Int64 = 0, serverNanos: Int64 = 0
        var hosts = Set<String>()
    }

    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    /// The report and its command events.
    static func analyze(path: String, port: Int? = nil, redact: Bool = false,
                        maxTrackedKeys: Int? = nil) throws -> (report: AnalysisReport, events: [[String: Any]]) {
        let eventsPath = FileManager.default.temporaryDirectory.appendingPathComponent("key-cost-\(UUID().uuidString).ndjson").path
        defer { try? FileManager.default.removeItem(atPath: eventsPath) }
        let descriptor = open(eventsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let writer = NDJSONEventWriter(output: FileDescriptorOutput(descriptor: descriptor), redactKeys: false)
        var options = AnalysisOptions()
        if let port { options.serverPorts = [UInt16(port)] }
        options.redactKeys = redact
        if let maxTrackedKeys { options.maxTrackedKeys = maxTrackedKeys }
        let report = try CaptureAnalyzer(options: options).analyze(paths: [path], extraAnalyses: [writer])
        writer.flush()
        let text = try String(contentsOfFile: eventsPath, encoding: .utf8)
        let events = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (report, events)
    }

    /// Per key, from the events: server time of the replied, non-blocking commands outside MULTI (a queued
    /// command's reply is QUEUED); reads and writes by the command table's flags; hosts from the client address.
    static func expected(_ events: [[String: Any]]) -> (keys: [String: Expected], serverNanos: Int64) {
        var keys: [String: Expected] = [:]
        var inMulti = Set<Int>()
        var total: Int64 = 0
        for event in events {
            let name = event["command"] as! String
            let connection = (event["connection"] as! NSNumber).intValue
            let queued = inMulti.contains(connection) && name != "exec" && name != "discard"
            if name == "multi" { inMulti.insert(connection) }
            if name == "exec" || name == "discard" { inMulti.remove(connection) }
            var nanos: Int64 = 0
            if !queued, !(event["blocking"] as! NSNumber).boolValue, let micros = event["latencyMicros"] as? NSNumber {
                nanos = Int64((micros.doubleValue * 10).rounded()) * 100
            }
            total += nanos
            guard let key = event["key"] as? String else { continue }
            let request = (event["requestBytes"] as! NSNumber).intValue, reply = (event["replyBytes"] as! NSNumber).intValue
            var e = keys[key] ?? Expected()
            e.calls += 1
            if let index = CommandTable.index(named: name) {
                let flags = CommandTable.flags(at: index)
                if flags.contains(.readonly) { e.reads += 1 }
                if flags.contains(.write) { e.writes += 1 }
            }
            e.requestBytes += Int64(request)
            e.replyBytes += Int64(reply)
            e.serverNanos += nanos
            e.maxValueBytes = max(e.maxValueBytes, request, reply)
            let client = event["client"] as! String
            e.hosts.insert(String(client[..<client.lastIndex(of: ":")!]))
            keys[key] = e
        }
        return (keys, total)
    }

    static func actual(_ entry: KeyCount) -> Expected {
        Expected(calls: entry.calls, reads: entry.reads ?? -1, writes: entry.writes ?? -1, clients: entry.clients ?? -1,
                 maxValueBytes: entry.maxValueBytes ?? -1, requestBytes: entry.requestBytes ?? -1, replyBytes: entry.replyBytes ?? -1,
                 serverNanos: (entry.serverMicros ?? -1) * 1000)
    }

    static func checkAgainstEvents(_ report: AnalysisReport, _ events: [[String: Any]]) throws {
        let keys = try #require(report.keys)
        #expect(!keys.trackingLimitHit)
        let (expected, total) = Self.expected(events)
        // A µs capture: every service time is whole microseconds, so the sums are exact.
        #expect(keys.serverMicros == total / 1000)
        let listed = try #require(keys.topKeysByServerTime)
        #expect(listed.count == expected.count)
        var actual: [String: Expected] = [:]
        for entry in listed { actual[entry.key] = Self.actual(entry) }
        let wanted = expected.mapValues { e -> Expected in
            var e = e
            e.clients = min(e.hosts.count, KeyCost.hostLimit)
            e.hosts = []
            return e
        }
        #expect(actual == wanted)
        // Ranked by server time, then calls.
        #expect(listed.map { ($0.serverMicros ?? 0, $0.calls) }.elementsEqual(
            listed.map { ($0.serverMicros ?? 0, $0.calls) }.sorted { $0 > $1 }, by: ==))
        #expect(keys.keyedServerMicros == expected.values.reduce(0) { $0 + $1.serverNanos } / 1000)
        #expect(keys.keyedBytes == expected.values.reduce(0) { $0 + $1.requestBytes + $1.replyBytes })
        // The same entries in the other lists.
        for entry in keys.topKeysByCalls + keys.topKeysByBytes {
            #expect(Self.actual(entry) == actual[entry.key])
        }
    }

    @Test(arguments: ["unpipelined", "mixed", "multi-exec", "large-value"])
    func fixtureCostsMatchTheirEvents(name: String) throws {
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let (report, events) = try Self.analyze(path: path, port: try FixtureTruth.load(name).port)
        try Self.checkAgainstEvents(report, events)
    }

    @Test(arguments: ["celery-healthy", "bullmq-healthy"])
    func corpusCostsMatchTheirEvents(name: String) throws {
        let path = TestPaths.corpus.appendingPathComponent(name + ".pcap").path
        let (report, events) = try Self.analyze(path: path, port: try CorpusTruth.load(name).port)
        try Self.checkAgainstEvents(report, events)
    }

    /// Past the tracking limit the list holds as many keys as the limit; a key's costs count from when it was last
    /// tracked (at most the events' figures), and a key tracked since it was first seen has them exactly.
    @Test func pastTheLimitCostsAreLowerBounds() throws {
        let name = "unpipelined"
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let (report, events) = try Self.analyze(path: path, port: try FixtureTruth.load(name).port, maxTrackedKeys: 50)
        let keys = try #require(report.keys)
        #expect(keys.trackingLimitHit)
        let listed = try #require(keys.topKeysByServerTime)
        #expect(listed.count == 50)
        let expected = Self.expected(events).keys
        for entry in listed {
            let e = try #require(expected[entry.key])
            let a = Self.actual(entry)
            #expect(entry.calls - entry.error <= e.calls && e.calls <= entry.calls)
            #expect(a.reads <= e.reads && a.writes <= e.writes && a.requestBytes <= e.requestBytes && a.replyBytes <= e.replyBytes)
            #expect(a.serverNanos <= e.serverNanos && a.maxValueBytes <= e.maxValueBytes)
        }
        // redis-benchmark's three collection keys are named 300 or 600 times in a row: never dropped once in.
        for key in ["mylist", "myhash", "myset"] {
            let entry = try #require(listed.first { $0.key == key })
            var e = try #require(expected[key])
            e.clients = e.hosts.count
            e.hosts = []
            e.calls = entry.calls
            #expect(Self.actual(entry) == e)
        }
    }

    // MARK: - A key that takes the server's time

    /// 250 commands on one key answered after 5 ms (1.25 s in all), from two hosts, and 2,500 SETs on distinct keys
    /// answered at once.
    static func slowKeyWorkload(_ request: String, hostsOffset: UInt8 = 0, ports: UInt16 = 41_000, slowCalls: Int = 250,
                                serviceNanos: Int64 = 5_000_000, fastPerSlow: Int = 10) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var slow = [SyntheticCapture.Connection(clientPort: ports, serverPort: 6379, clientHost: 11 + hostsOffset),
                    SyntheticCapture.Connection(clientPort: ports + 1, serverPort: 6379, clientHost: 12 + hostsOffset)]
        var fast = SyntheticCapture.Connection(clientPort: ports + 2, serverPort: 6379, clientHost: 20 + hostsOffset)
        for index in slow.indices { capture.handshake(&slow[index]) }
        capture.handshake(&fast)
        for i in 0..<slowCalls {
            capture.send(&slow[i % 2], fromClient: true, request)
            _ = capture.tick(serviceNanos)
            capture.send(&slow[i % 2], fromClient: false, "$5\r\nvalue\r\n")
            for j in 0..<fastPerSlow {
                capture.exchange(&fast, Self.command("SET", "user:\(ports):\(i * fastPerSlow + j)", "v"), "+OK\r\n")
            }
        }
        return capture
    }

    static func analyze(_ capture: SyntheticCapture, redact: Bool = false) throws -> (report: AnalysisReport, events: [[String: Any]]) {
        let path = capture.write(name: "key-cost")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try analyze(path: path, redact: redact)
    }

    @Test func aReadKeyTakingTheServersTimeIsNamedWithCachingAdvice() throws {
        let (report, events) = try Self.analyze(Self.slowKeyWorkload(Self.command("GET", "config:flags")))
        try Self.checkAgainstEvents(report, events)
        let top = try #require(report.keys?.topKeysByServerTime?.first)
        #expect(top.key == "config:flags" && top.reads == 250 && top.writes == 0 && top.clients == 2)
        #expect(top.serverMicros == Int64(250 * 5_010))
        let finding = try #require(KeyCostRule().evaluate(report, FindingThresholds()))
        #expect(finding.id == "key-cost")
        #expect(finding.title.hasPrefix("`config:flags` takes "))
        #expect(finding.recommendation.contains("CLIENT TRACKING"))
        #expect(finding.evidence.contains("`config:flags`: 250 reads, 0 writes (read-heavy: ≥ 2 reads per write)"))
        #expect(!finding.recommendation.contains("Shard"))
        #expect(finding.severity == .warning)
        #expect(FindingRules.evaluate(report).contains { $0.id == "key-cost" })
        #expect(HotKeyRule().evaluate(report, FindingThresholds()) == nil)

        // The share of one thread decides: just above the measured load the rule is silent, just below it speaks.
        let thread = try #require(finding.metrics["threadPercent"])
        var above = FindingThresholds(), below = FindingThresholds()
        above.keyCostThreadPercent = thread + 0.01
        below.keyCostThreadPercent = thread - 0.01
        below.keyCostThreadWarningPercent = thread + 0.01
        #expect(KeyCostRule().evaluate(report, above) == nil)
        #expect(KeyCostRule().evaluate(report, below)?.severity == .info)
        var share = FindingThresholds()
        share.keyCostSharePercent = try #require(finding.metrics["serverTimeSharePercent"]) + 0.01
        #expect(KeyCostRule().evaluate(report, share) == nil)
        // Rates over a capture shorter than the least duration say nothing.
        var short = FindingThresholds()
        short.keyCostMinSeconds = report.capture.durationSeconds + 0.001
        #expect(KeyCostRule().evaluate(report, short) == nil)
    }

    @Test func aWrittenKeyIsToBeSharded() throws {
        let (report, _) = try Self.analyze(Self.slowKeyWorkload(Self.command("INCR", "counter:global")))
        let finding = try #require(KeyCostRule().evaluate(report, FindingThresholds()))
        #expect(finding.title.hasPrefix("`counter:global` takes "))
        #expect(finding.recommendation.contains("Shard `counter:global`"))
        #expect(finding.evidence.contains("`counter:global`: 250 writes, 0 reads (write-heavy)"))
        #expect(!finding.recommendation.contains("CLIENT TRACKING"))
    }

    @Test func aKeyHotKeyNamesIsLeftToIt() throws {
        // 1,200 slow GETs of one key and 120 SETs: the key takes most calls, so hot-key speaks for it.
        let workload = Self.slowKeyWorkload(Self.command("GET", "config:flags"), slowCalls: 1_200, serviceNanos: 1_000_000,
                                            fastPerSlow: 0)
        var capture = workload
        var other = SyntheticCapture.Connection(clientPort: 43_000, serverPort: 6379, clientHost: 30)
        capture.handshake(&other)
        for i in 0..<120 { capture.exchange(&other, Self.command("SET", "user:\(i)", "v"), "+OK\r\n") }
        let (report, _) = try Self.analyze(capture)
        let hot = try #require(HotKeyRule().evaluate(report, FindingThresholds()))
        #expect(hot.title.contains("`config:flags`"))
        #expect(KeyCostRule().evaluate(report, FindingThresholds()) == nil)
        // Without hot-key's finding, key-cost names it.
        var quiet = FindingThresholds()
        quiet.hotKeySharePercent = 101
        quiet.hotKeyRereadSharePercent = 101
        #expect(HotKeyRule().evaluate(report, quiet) == nil)
        #expect(KeyCostRule().evaluate(report, quiet)?.title.hasPrefix("`config:flags` takes ") == true)
    }

    @Test func redactionHashesTheKeysOfTheCostLists() throws {
        let workload = Self.slowKeyWorkload(Self.command("GET", "config:flags"))
        let plain = try #require(try Self.analyze(workload).report.keys)
        let hidden = try #require(try Self.analyze(workload, redact: true).report.keys)
        let hiddenLists = [hidden.topKeysByServerTime, hidden.topPrefixesByServerTime, hidden.topKeysByBigAndHot].map { $0 ?? [] }
        #expect(hiddenLists.allSatisfy { !$0.isEmpty })
        for entry in hiddenLists.joined() {
            #expect(!entry.key.contains("config") && !entry.key.contains("user"))
        }
        // Same costs, under other names.
        // As sets: keys tied on server time and calls sort by their (hashed) names.
        func costs(_ list: [KeyCount]?) -> [Expected] {
            (list ?? []).map(Self.actual).sorted {
                ($0.serverNanos, $0.calls, $0.requestBytes, $0.replyBytes) < ($1.serverNanos, $1.calls, $1.requestBytes, $1.replyBytes)
            }
        }
        #expect(costs(hidden.topKeysByServerTime) == costs(plain.topKeysByServerTime))
        #expect(costs(hidden.topPrefixesByServerTime) == costs(plain.topPrefixesByServerTime))
    }

    @Test func mergeAddsWhatEachKeyCost() throws {
        // The same keys from the same hosts in two captures: the merged figures are the sums; clients the larger.
        let request = Self.command("GET", "config:flags")
        let a = try Self.analyze(Self.slowKeyWorkload(request)).report
        let b = try Self.analyze(Self.slowKeyWorkload(request, hostsOffset: 1, ports: 42_000)).report
        func document(_ report: AnalysisReport) throws -> ReportDocument {
            try ReportDocument(jsonData: Data(JSONReportRenderer.render(report).utf8), label: UUID().uuidString)
        }
        let merged = try ReportMerger().merge([document(a), document(b)])
        let keys = try #require(merged.keys)
        let aTop = try #require(a.keys?.topKeysByServerTime?.first), bTop = try #require(b.keys?.topKeysByServerTime?.first)
        let top = try #require(keys.topKeysByServerTime?.first)
        #expect(top.key == "config:flags")
        var sum = Self.actual(aTop)
        let other = Self.actual(bTop)
        sum.calls += other.calls; sum.reads += other.reads; sum.writes += other.writes
        sum.requestBytes += other.requestBytes; sum.replyBytes += other.replyBytes; sum.serverNanos += other.serverNanos
        sum.maxValueBytes = max(sum.maxValueBytes, other.maxValueBytes)
        sum.clients = max(sum.clients, other.clients)
        #expect(Self.actual(top) == sum)
        #expect(top.calls == 500 && top.serverMicros == 2 * 250 * 5_010)
        #expect(keys.serverMicros == (a.keys?.serverMicros ?? 0) + (b.keys?.serverMicros ?? 0))
        // Each capture's user keys are its own: all of both are listed.
        #expect(keys.topKeysByServerTime?.count == (a.keys?.topKeysByServerTime?.count ?? 0) + (b.keys?.topKeysByServerTime?.count ?? 0) - 1)
    }
}
