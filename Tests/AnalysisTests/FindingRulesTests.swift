import Foundation
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// Each rule fires on traffic that shows its problem and stays silent on healthy traffic.
@Suite struct FindingRulesTests {
    static func report(_ name: String) throws -> AnalysisReport {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
    }

    @Test func pipelinedWellPooledTrafficHasNoFindings() throws {
        #expect(try Self.report("pipelined").findings.isEmpty)
        #expect(try Self.report("large-value").findings.isEmpty)
    }

    @Test func unpipelinedBenchmarkIsOneRoundTripPerCommand() throws {
        let findings = try Self.report("unpipelined").findings
        #expect(findings.map(\.id) == ["unpipelined-round-trips"])
        #expect(findings.first?.metrics["roundTripSharePercent"] ?? 0 > 99)
    }

    @Test func scanPerRequestIsFlagged() throws {
        let findings = try Self.report("mixed").findings
        let scan = try #require(findings.first { $0.id == "keyspace-scan-in-request-path" })
        #expect(scan.severity == .critical)
        #expect(scan.metrics["calls"] == 24)  // mixed: 24 SCAN calls (truth: commandstats scan)
    }

    @Test func slowWrites() {
        var report = AnalysisReport()
        var latency = LatencySummary()
        latency.readsMicros = AnalysisReport.Latency(count: 500, p50: 60, p90: 80, p99: 120, p999: 200, max: 300, mean: 65)
        latency.writesMicros = AnalysisReport.Latency(count: 200, p50: 5_500, p90: 7_000, p99: 9_000, p999: 12_000, max: 15_000, mean: 5_800)
        report.latency = latency
        let finding = SlowWritesRule().evaluate(report, FindingThresholds())
        #expect(finding?.severity == .critical)
        latency.writesMicros.p50 = 90
        report.latency = latency
        #expect(SlowWritesRule().evaluate(report, FindingThresholds()) == nil)
    }

    @Test func errorRateNamesTheDominantCode() {
        var report = AnalysisReport()
        report.totals.replies = 1000
        report.totals.errorReplies = 120
        report.errorsByPrefix = ["NOSCRIPT": 100, "ERR": 20]
        let finding = ErrorRateRule().evaluate(report, FindingThresholds())
        #expect(finding?.severity == .critical)
        #expect(finding?.recommendation.hasPrefix("NOSCRIPT") == true)
        report.totals.errorReplies = 5
        report.errorsByPrefix = ["ERR": 5]
        #expect(ErrorRateRule().evaluate(report, FindingThresholds()) == nil)
    }

    @Test func thresholdsAreConfigurable() throws {
        var t = FindingThresholds()
        try t.set("pipelineSavingWarning=2")
        #expect(t.pipelineSavingWarning == 2)
        #expect(throws: FindingThresholdError.self) { try t.set("noSuchThreshold=1") }
        #expect(throws: FindingThresholdError.self) { try t.set("pipelineSavingWarning=abc") }
        try t.set("roundTripChainLength=100")
        var options = AnalysisOptions()
        options.thresholds = t
        let truth = try FixtureTruth.load("unpipelined")
        options.serverPorts = [UInt16(truth.port)]
        let report = try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent("unpipelined.pcap").path])
        #expect(report.findings.isEmpty)
    }

    static func report(_ name: String, thresholds: [String]) throws -> AnalysisReport {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        for t in thresholds { try options.thresholds.set(t) }
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
    }

    /// The rules no seed fixture triggers at their defaults, on real fixtures with lowered thresholds.
    @Test func errorRateOnTheErrorsFixture() throws {
        // errors: 12 commands, 7 error replies (ERR 4, WRONGTYPE 2, NOSCRIPT 1 — errorstats); below the default
        // minimum of 10 errors, so silent by default.
        #expect(try Self.report("errors").findings.isEmpty)
        let finding = try #require(try Self.report("errors", thresholds: ["errorRateMinErrors=5"]).findings.first { $0.id == "error-rate" })
        #expect(finding.severity == .critical)
        #expect(finding.recommendation.hasPrefix("ERR") || finding.title.contains("ERR"))
    }

    @Test func bigValuesOnTheLargeValueFixture() throws {
        // large-value: one SET of a 614,400-byte value (614,433 bytes on the wire).
        let finding = try #require(try Self.report("large-value", thresholds: ["bigValueBytes=500000"]).findings.first { $0.id == "big-values" })
        #expect(finding.evidence.first?.hasPrefix("SET `big`") == true)
        #expect(finding.metrics.values.contains(614_433))
    }

    @Test func hotKeyOnThePipelinedFixture() throws {
        // pipelined: 2,256 LPUSH + 256 LRANGE on `mylist` of 6,516 keyed commands (39%).
        let finding = try #require(try Self.report("pipelined", thresholds: ["hotKeySharePercent=30"]).findings.first { $0.id == "hot-key" })
        #expect(finding.title.contains("mylist"))
    }

    // MARK: cost models (connection-churn, connection-growth, big-values, hot-key)

    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static func analyze(_ capture: SyntheticCapture) throws -> AnalysisReport {
        let path = capture.write(name: "finding-rules")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    static let setInfo = "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"

    /// `count` connections of two refused CLIENT SETINFO probes and `gets` GETs each; `pooled`: all opened first and
    /// closed together at the end (a pool and its shutdown), otherwise one after another (a client per request).
    static func connections(_ count: Int, gets: Int, pooled: Bool) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var all = (0..<count).map { SyntheticCapture.Connection(clientPort: UInt16(41_000 + $0), serverPort: 6379) }
        for index in all.indices {
            capture.handshake(&all[index])
            capture.exchange(&all[index], command("CLIENT", "SETINFO", "LIB-NAME", "redis-py"), setInfo)
            capture.exchange(&all[index], command("CLIENT", "SETINFO", "LIB-VER", "5.3.1"), setInfo)
            for _ in 0..<gets { capture.exchange(&all[index], command("GET", "session:\(index)"), "$2\r\nok\r\n") }
            if !pooled { capture.close(&all[index]) }
        }
        if pooled { for index in all.indices { capture.close(&all[index]) } }
        return capture
    }

    @Test func churnWeighsEachConnectionsHandshakeAgainstItsWork() throws {
        // A client per request: TCP connect + two probe round trips for one GET. Every connection but the last
        // was replaced by the next; the last closed at the client's shutdown.
        let churn = try Self.analyze(Self.connections(30, gets: 1, pooled: false))
        let h = try #require(churn.connections.setupCommands?.handshakes)
        #expect(h.handshakeBound == 29 && h.closedAtShutdown == 1)
        #expect(h.handshakeRoundTrips == 3 * h.handshakeBound && h.workRoundTrips == h.handshakeBound)
        let finding = try #require(churn.findings.first { $0.id == ConnectionChurnRule.id })
        #expect(finding.metrics["handshakePerWorkRoundTrip"] == 3)
        // The same connections doing more work than their handshake (RQ's work horse): not churn.
        let working = try Self.analyze(Self.connections(30, gets: 4, pooled: false))
        #expect(working.connections.setupCommands?.handshakes?.handshakeBound == 0)
        #expect(!working.findings.contains { $0.id == ConnectionChurnRule.id })
        // A pool opened up front and closed at shutdown: short-lived and handshake-heavy, but nothing replaced them.
        let pool = try Self.analyze(Self.connections(30, gets: 1, pooled: true))
        #expect(pool.connections.setupCommands?.handshakes?.handshakeBound == 0)
        #expect(pool.connections.setupCommands?.handshakes?.closedAtShutdown == 30)
        #expect(!pool.findings.contains { $0.id == ConnectionChurnRule.id })
    }

    /// RQ: a worker's connection per job (its forked work horse) against a producer's connection per enqueue. Both
    /// are handshake-bound and replaced; only the producers push a job, and only they are the client-per-request
    /// anti-pattern. The work horses are how RQ runs: information, with RQ's knob.
    @Test func aWorkerProcessPerJobIsInformationAndAProducerPerEnqueueIsNot() throws {
        func capture(producersPerEnqueue: Bool) -> SyntheticCapture {
            var capture = SyntheticCapture()
            var producer = SyntheticCapture.Connection(clientPort: 40_900, serverPort: 6379)
            capture.handshake(&producer)
            for job in 0..<30 {
                var c = SyntheticCapture.Connection(clientPort: UInt16(41_000 + job), serverPort: 6379)
                capture.handshake(&c)
                capture.exchange(&c, Self.command("CLIENT", "SETINFO", "LIB-NAME", "redis-py"), Self.setInfo)
                capture.exchange(&c, Self.command("CLIENT", "SETINFO", "LIB-VER", "5.3.1"), Self.setInfo)
                if producersPerEnqueue {
                    capture.exchange(&c, Self.command("RPUSH", "rq:queue:default", "job-\(job)"), ":1\r\n")
                } else {
                    capture.exchange(&producer, Self.command("RPUSH", "rq:queue:default", "job-\(job)"), ":1\r\n")
                    capture.exchange(&c, Self.command("HSET", "rq:job:job-\(job)", "status", "finished"), ":1\r\n")
                }
                capture.close(&c)
                _ = capture.tick(100_000_000)  // a job every 100 ms
            }
            capture.close(&producer)
            return capture
        }
        let horses = try Self.analyze(capture(producersPerEnqueue: false))
        #expect(horses.connections.setupCommands?.handshakes?.enqueued == 0)
        let horse = try #require(horses.findings.first { $0.id == ConnectionChurnRule.id })
        #expect(horse.severity == .info)
        #expect(horse.title.hasPrefix("A worker process per job"))
        #expect(horse.evidence.contains { $0.contains("RQ's per-job worker processes") })
        let producers = try Self.analyze(capture(producersPerEnqueue: true))
        let h = try #require(producers.connections.setupCommands?.handshakes)
        #expect(h.enqueued == h.handshakeBound && h.handshakeBound > 0)
        let producer = try #require(producers.findings.first { $0.id == ConnectionChurnRule.id })
        #expect(producer.severity >= .warning)
        #expect(producer.title.hasPrefix("Clients connect per request"))
    }

    static func churnReport(bound: Int, workShare: Double, closedByClient: Int, duration: Double) -> AnalysisReport {
        var report = AnalysisReport()
        report.capture.durationSeconds = duration
        let work = bound * 2
        report.connections.setupCommands = SetupCommands(
            total: bound * 2, share: 0.2, perConnection: 2, byCommand: ["client|setinfo": bound * 2],
            handshakes: ConnectionHandshakes(
                handshakeBound: bound, handshakeRoundTrips: bound * 3, workRoundTrips: work, commands: bound * 4,
                setupCommands: bound * 2, closedByClient: closedByClient,
                allWorkRoundTrips: Int((Double(work) * 100 / workShare).rounded()), closedAtShutdown: 0))
        return report
    }

    @Test func churnSeverityFollowsTheTrafficThatPaysIt() throws {
        let t = FindingThresholds()
        let some = try #require(ConnectionChurnRule().evaluate(Self.churnReport(bound: 100, workShare: 10, closedByClient: 100, duration: 10), t))
        #expect(some.severity == .warning)
        #expect(some.metrics["handshakePerWorkRoundTrip"] == 1.5)
        #expect(!some.evidence.joined().contains("critical at"))
        // Most of the work on such connections: every request pays it.
        let most = try #require(ConnectionChurnRule().evaluate(Self.churnReport(bound: 100, workShare: 80, closedByClient: 100, duration: 10), t))
        #expect(most.severity == .critical)
        #expect(most.evidence.contains { $0.contains("critical at ≥ 50%") })
        // Closes fast enough to hold half the ephemeral ports in TIME_WAIT (60 s each).
        let ports = Int((ConnectionChurnRule.ephemeralPorts / 2 / ConnectionChurnRule.timeWaitSeconds).rounded(.up))
        let fast = try #require(ConnectionChurnRule().evaluate(Self.churnReport(bound: ports, workShare: 10, closedByClient: ports, duration: 1), t))
        #expect(fast.severity == .critical)
        #expect((fast.metrics["timeWaitPortsPercent"] ?? 0) >= t.churnTimeWaitPortsPercent)
        // Too few connections to call it a pattern.
        #expect(ConnectionChurnRule().evaluate(Self.churnReport(bound: Int(t.churnMinConnections) - 1, workShare: 80, closedByClient: 0, duration: 10), t) == nil)
    }

    static func growthReport(_ concurrent: [Int], opened: [Int], closed: [Int], busy: Double = 0.5) -> AnalysisReport {
        var report = AnalysisReport()
        report.connections.concurrentPerSecond = concurrent
        report.connections.openedPerSecond = opened
        report.connections.closedPerSecond = closed
        report.connections.opened = opened.reduce(0, +)
        report.connections.peakConcurrent = concurrent.max() ?? 0
        report.connections.utilisation = ConnectionUtilisation(
            connections: report.connections.opened, busyShare: 0.02, perConnection: nil, idleGapMicros: nil,
            peakBusyConnections: busy, connectionsHeldByDesign: 0)
        return report
    }

    @Test func growthEndsAtTheClientsShutdownAndIsWeighedAgainstTheLoad() {
        let t = FindingThresholds()
        let rule = ConnectionGrowthRule()
        // A pool grown by two bursts, closed as the clients exit before the capture ends.
        let exited = Self.growthReport([13, 28, 27, 2], opened: [13, 15, 0, 0], closed: [0, 0, 25, 3])
        #expect(rule.evaluate(exited, t) != nil)
        // The same peak given back second by second while the clients run: a bounded pool, not growth.
        let released = Self.growthReport([13, 28, 27, 20, 12, 5, 2], opened: [13, 15, 0, 0, 0, 0, 0], closed: [0, 0, 1, 7, 8, 7, 3])
        #expect(rule.evaluate(released, t) == nil)
        // Grown under load after the first second, then held for the rest of a long capture.
        let held = Self.growthReport([16, 16, 40, 40, 40, 40, 40, 40, 40, 40], opened: [16, 0, 24, 0, 0, 0, 0, 0, 0, 0],
                                     closed: [0, 0, 0, 0, 0, 0, 0, 0, 0, 40])
        #expect(rule.evaluate(held, t) != nil)
        // The same connections kept busy by the load: needed, not growth.
        let needed = Self.growthReport([16, 16, 40, 40, 40, 40, 40, 40, 40, 40], opened: [16, 0, 24, 0, 0, 0, 0, 0, 0, 0],
                                       closed: [0, 0, 0, 0, 0, 0, 0, 0, 0, 40], busy: 30)
        #expect(rule.evaluate(needed, t) == nil)
        // A pool sized by its 20 threads, two more connections after the first second while the load kept two
        // busy: the pool filled up, it did not grow.
        let filled = Self.growthReport([18, 20, 19], opened: [18, 2, 0], closed: [0, 0, 20], busy: 2.2)
        #expect(rule.evaluate(filled, t) == nil)
        // A pool sized as its clients started (one step in the first second) and held: sized.
        let sized = Self.growthReport([16, 16, 16, 16, 16, 16], opened: [16, 0, 0, 0, 0, 0], closed: [0, 0, 0, 0, 0, 16])
        #expect(rule.evaluate(sized, t) == nil)
    }

    static func valueCapture(gets: Int, valueBytes: Int) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 42_000, serverPort: 6379)
        capture.handshake(&c)
        let value = String(repeating: "v", count: valueBytes)
        capture.exchange(&c, command("SET", "page", value), "+OK\r\n")
        for _ in 0..<gets {
            capture.exchange(&c, command("GET", "page"), "$\(valueBytes)\r\n\(value)\r\n")
            capture.exchange(&c, command("INCR", "views"), ":1\r\n")
        }
        capture.close(&c)
        return capture
    }

    @Test func valuesThatTakeLongerOnTheWireThanInRedis() throws {
        // 40 kB takes 320 µs on a 1 Gbit/s link; the synthetic server answers within 10 µs.
        let big = try Self.analyze(Self.valueCapture(gets: 12, valueBytes: 40_000))
        let bound = try #require(big.keys?.transferBound)
        #expect(bound.commands == 13)  // the SET and the 12 GETs, not the INCRs
        let finding = try #require(big.findings.first { $0.id == BigValuesRule.id })
        #expect(finding.title.contains("longer on the wire than in Redis"))
        // Too few of them to be what the clients pay for.
        #expect(try !Self.analyze(Self.valueCapture(gets: 5, valueBytes: 40_000)).findings.contains { $0.id == BigValuesRule.id })
        // Small values cross the link faster than Redis answers.
        #expect(try Self.analyze(Self.valueCapture(gets: 12, valueBytes: 100)).keys?.transferBound == nil)
    }

    @Test func bigValueSeverityFollowsTheLinkShare() throws {
        var report = AnalysisReport()
        var keys = KeySummary()
        keys.biggest = [BigValue(command: "get", bytes: 81_600, requestBytes: 37, replyBytes: 81_600, client: "10.0.0.1:1",
                                 timestamp: "", key: "page")]
        keys.transferBound = TransferBoundCommands(commands: 14, bytes: 14 * 81_600, serviceSeconds: 14 * 200e-6, linkBitsPerSecond: 1e9)
        report.keys = keys
        report.totals.serverBytes = 14 * 81_600 + 20_000
        report.capture.durationSeconds = 2
        let t = FindingThresholds()
        #expect(BigValuesRule().evaluate(report, t)?.severity == .info)
        // The same 9 Mbit in 50 ms fill more than a tenth of the link.
        report.capture.durationSeconds = 0.05
        #expect(BigValuesRule().evaluate(report, t)?.severity == .warning)
        // When they are a minority of the bytes on the wire, moving them is not what the clients pay for.
        report.totals.serverBytes = 10 * 14 * 81_600
        #expect(BigValuesRule().evaluate(report, t) == nil)
    }

    static func keyCapture(hot: String, hotCalls: Int, others: Int) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 43_000, serverPort: 6379)
        capture.handshake(&c)
        for index in 0..<max(hotCalls, others) {
            if index < hotCalls { capture.exchange(&c, hot, "$2\r\non\r\n") }
            if index < others { capture.exchange(&c, command("GET", "session:\(index)"), "$1\r\ns\r\n") }
        }
        capture.close(&c)
        return capture
    }

    @Test func hotKeyWeighsReReadsOfAnUnchangedValue() throws {
        // One flag read 1,000 times among 1,900 other keys: 34% of keyed commands, every read but one avoidable.
        let flag = try Self.analyze(Self.keyCapture(hot: Self.command("GET", "flags"), hotCalls: 1000, others: 1900))
        let finding = try #require(flag.findings.first { $0.id == HotKeyRule.id })
        #expect(finding.title.contains("`flags`"))
        #expect((finding.metrics["rereadSharePercent"] ?? 0) >= FindingThresholds().hotKeyRereadSharePercent)
        // The same share of writes (a list pushed to): nothing a cache could save, and short of a majority.
        let list = try Self.analyze(Self.keyCapture(hot: Self.command("LPUSH", "events", "e"), hotCalls: 1000, others: 1900))
        #expect(!list.findings.contains { $0.id == HotKeyRule.id })
        // A namespace passed as KEYS[1] to one dispatch script on every call: the script's keys are unknown.
        let script = Self.command("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "1", "dramatiq", "enqueue")
        let dispatch = try Self.analyze(Self.keyCapture(hot: script, hotCalls: 2000, others: 100))
        #expect(dispatch.keys?.topKeysByCalls.first?.key == "dramatiq")
        #expect(!dispatch.findings.contains { $0.id == HotKeyRule.id })
    }

    @Test func damagedCaptureIsFlagged() throws {
        let path = TestPaths.fixtures.appendingPathComponent("pipelined.pcap").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = CapturePerturbation.write(Array(bytes.prefix(bytes.count / 2)), name: "findings-cut")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        var options = AnalysisOptions()
        options.serverPorts = [6379]
        let report = try CaptureAnalyzer(options: options).analyze(paths: [cut])
        #expect(report.findings.contains { $0.id == "capture-quality" })
    }
}
