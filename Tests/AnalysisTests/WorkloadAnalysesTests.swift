import Foundation
import RedisSemantics
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// Blocking pops, queues and connection churn on the fixtures, against what the server counted (INFO
/// commandstats, total_connections_received) and what the clients are documented to do.
@Suite struct WorkloadAnalysesTests {
    static func report(_ name: String, configure: (inout AnalysisOptions) -> Void = { _ in }) throws -> AnalysisReport {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        configure(&options)
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
    }

    @Test func blockingPopsThatTimeOut() throws {
        // mixed: each of the 8 threads sends one BRPOP with one key and timeout 1 on an empty list; all time out.
        let truth = try FixtureTruth.load("mixed")
        let b = try #require(try Self.report("mixed").blockingPops)
        let calls = try #require(truth.server.commandstats["brpop"]?.calls)
        #expect(b.calls == calls)
        #expect(b.byCommand == ["brpop": calls])
        #expect(b.keyCountDistribution.map(\.keys) == [1])
        #expect(b.keyCountDistribution.first?.calls == calls)
        #expect(b.arrayLengthDistribution == [.init(length: 3, calls: calls)])
        #expect(b.timeoutDistribution == [.init(timeoutSeconds: 1, calls: calls)])
        #expect(b.timedOut == calls && b.served == 0 && b.pendingAtEnd == 0 && b.abandoned == 0)
        #expect(b.keysScanned == Int64(calls))
        #expect(b.servedByKey.isEmpty)
        // Each waited its whole timeout (1 s; the server's timer resolution adds up to ~100 ms).
        let wait = try #require(b.timedOutWaitMicros)
        #expect(wait.count == calls && wait.p50 >= 1_000_000 && wait.max < 1_200_000)
    }

    @Test func noBlockingPopsNoSection() throws {
        #expect(try Self.report("pipelined").blockingPops == nil)
    }

    @Test func queuePushesAndPopsFollowTheServer() throws {
        // unpipelined: redis-benchmark LPUSHes `mylist` 300 times (one element each), then RPOPs it 300 times: the
        // list holds 300 elements when the RPOP test starts, so every RPOP pops one.
        let truth = try FixtureTruth.load("unpipelined")
        let queues = try #require(try Self.report("unpipelined").queues)
        let q = try #require(queues.first { $0.key == "mylist" })
        #expect(queues.count == 1)
        #expect(q.pushCommands == truth.server.commandstats["lpush"]?.calls)
        #expect(q.elementsPushed == 300)
        #expect(q.popCommands == truth.server.commandstats["rpop"]?.calls)
        #expect(q.elementsPopped == 300 && q.emptyPops == 0 && q.netGrowth == 0)
    }

    @Test func keysOnlyAppendedToAreNotQueues() throws {
        // mixed: 40 LPUSHes of one element each onto events:0 ... events:7, which nothing pops.
        let truth = try FixtureTruth.load("mixed")
        let report = try Self.report("mixed")
        #expect(report.queues == nil && report.queuePrefixes == nil)
        let appended = try #require(report.queuesNotConsumed)
        #expect(appended.keys == 8 && appended.streams == 0)
        #expect(appended.pushCommands == truth.server.commandstats["lpush"]?.calls)
        #expect(appended.elementsPushed == 40)
    }

    @Test func failedPushInsideExecDoesNotCount() throws {
        // multi-exec: the only LPUSH is queued in MULTI and fails with WRONGTYPE inside EXEC (the key holds a string).
        #expect(try Self.report("multi-exec").queues == nil)
    }

    @Test func shortConnectionsChurn() throws {
        // short-connections: one setup connection, then 150 sequential connections of PING + GET (+ QUIT on 100 of
        // them); 50 end with RST.
        let truth = try FixtureTruth.load("short-connections")
        let c = try Self.report("short-connections").connections
        #expect(c.opened == truth.server.totalConnectionsReceived)
        #expect(c.closed == truth.server.totalConnectionsReceived)
        #expect(c.closedByReset == 50)
        // The client resets its 50 (SO_LINGER 0); after QUIT either side may send the first FIN (a race).
        #expect(c.closes["resetByClient"] == 50)
        #expect((c.closes["finByClient"] ?? 0) + (c.closes["finByServer"] ?? 0) == 101)
        #expect(c.resetPerSecond.reduce(0, +) == 50)
        #expect(c.peakConcurrent <= 2)
        #expect(c.openedPerSecond.reduce(0, +) == c.opened)
        #expect(c.closedPerSecond.reduce(0, +) == c.closed)
        #expect(c.completeConnections == 151)
        #expect(c.lifetimeSeconds?.count == 151)
        #expect(c.commandsPerConnection?.max == 3)
        let short = try #require(c.shortLived)
        #expect(short.count == 151 && short.ofConnections == 151)
        let setup = try #require(c.setupCommands)
        #expect(setup.byCommand == ["ping": truth.server.commandstats["ping"]?.calls ?? -1])
        #expect(c.byServer.first?.connections == 151)
        #expect(c.byServer.first?.commands == truth.expected.commands.values.reduce(0, +))
    }

    @Test func pooledConnectionsAreLongLivedAndConcurrent() throws {
        // mixed: 8 threads share one pool of at most 8 connections, used for the whole run.
        let truth = try FixtureTruth.load("mixed")
        let c = try Self.report("mixed").connections
        #expect(c.opened == truth.server.totalConnectionsReceived)
        #expect(c.peakConcurrent <= 8 && c.peakConcurrent >= 2)
        #expect(c.shortLived?.fewCommands == 0)
        #expect(c.setupCommands?.total == 0)
        #expect(c.concurrentPerSecond.max() == c.peakConcurrent)
    }

    @Test func churnRuleFiresOnShortConnectionsOnly() throws {
        let churn = try Self.report("short-connections").findings.first { $0.id == "connection-churn" }
        #expect(churn?.severity == .critical)
        for healthy in ["pipelined", "mixed", "unpipelined", "large-value"] {
            let ids = try Self.report(healthy).findings.map(\.id)
            #expect(!ids.contains("connection-churn"), "\(healthy)")
            #expect(!ids.contains("connection-growth"), "\(healthy)")
            #expect(!ids.contains("pool-saturation"), "\(healthy)")
            #expect(!ids.contains("blocking-pop-many-keys"), "\(healthy)")
        }
    }

    @Test func blockingPopManyKeysRule() {
        var report = AnalysisReport()
        var b = BlockingPopSummary()
        b.calls = 1000
        b.keyCountDistribution = [.init(keys: 234, calls: 900, clients: 40), .init(keys: 1, calls: 100, clients: 5)]
        b.keysScanned = 234 * 900 + 100
        b.maxKeysPerCall = 234
        b.keysPerCall = Double(b.keysScanned) / 1000
        b.served = 100
        b.timedOut = 900
        report.blockingPops = b
        let finding = BlockingPopManyKeysRule().evaluate(report, FindingThresholds())
        #expect(finding?.severity == .critical)
        #expect(finding?.title.contains("234 keys") == true)
        // Few keys per call: silent.
        b.keyCountDistribution = [.init(keys: 3, calls: 1000, clients: 40)]
        b.keysScanned = 3000
        b.maxKeysPerCall = 3
        report.blockingPops = b
        #expect(BlockingPopManyKeysRule().evaluate(report, FindingThresholds()) == nil)
    }

    @Test func connectionGrowthRule() {
        var report = AnalysisReport()
        report.connections.opened = 60
        report.connections.concurrentPerSecond = [4, 4, 6, 10, 15, 22, 30, 40, 52, 64]
        report.connections.peakConcurrent = 64
        #expect(ConnectionGrowthRule().evaluate(report, FindingThresholds())?.severity == .critical)
        report.connections.concurrentPerSecond = [8, 8, 8, 8, 8, 8, 8, 8, 8, 8]
        #expect(ConnectionGrowthRule().evaluate(report, FindingThresholds()) == nil)
        // A burst that recedes is not growth.
        report.connections.concurrentPerSecond = [4, 40, 40, 30, 20, 10, 4, 4, 4, 4]
        #expect(ConnectionGrowthRule().evaluate(report, FindingThresholds()) == nil)
        // Pools that open their connections as the clients start, then hold them: sized, not growing.
        report.connections.concurrentPerSecond = [5, 16, 16, 17, 13, 13, 14]
        #expect(ConnectionGrowthRule().evaluate(report, FindingThresholds()) == nil)
    }

    @Test func poolSaturationRule() {
        var report = AnalysisReport()
        report.totals.commands = 50_000
        report.connections.peakConcurrent = 4
        report.connections.opened = 4
        report.connections.utilisation = ConnectionUtilisation(
            connections: 4, busyShare: 0.3, perConnection: Percentiles(count: 4, p50: 0.3, p90: 0.35, p99: 0.35, max: 0.35, mean: 0.3),
            idleGapMicros: AnalysisReport.Latency(count: 49_000, p50: 40, p90: 60, p99: 200, p999: 400, max: 900, mean: 45),
            inUseShare: 0.97, inUsePerConnection: Percentiles(count: 4, p50: 0.97, p90: 0.99, p99: 0.99, max: 0.99, mean: 0.97),
            pauseThresholdMillis: 50)
        var latency = LatencySummary()
        latency.allMicros = AnalysisReport.Latency(count: 50_000, p50: 30, p90: 50, p99: 90, p999: 200, max: 900, mean: 35)
        latency.roundTrips = 50_000
        report.latency = latency
        #expect(PoolSaturationRule().evaluate(report, FindingThresholds())?.id == "pool-saturation")
        // Connections with pauses (the client had no work for them): not saturated.
        report.connections.utilisation?.inUseShare = 0.4
        #expect(PoolSaturationRule().evaluate(report, FindingThresholds()) == nil)
        report.connections.utilisation?.inUseShare = 0.97
        // Slow server: Redis, not the pool, is the bottleneck.
        report.latency?.allMicros.p50 = 5_000
        #expect(PoolSaturationRule().evaluate(report, FindingThresholds()) == nil)
        report.latency?.allMicros.p50 = 30
        // A connection per request is churn, not a saturated pool.
        report.connections.opened = 400
        #expect(PoolSaturationRule().evaluate(report, FindingThresholds()) == nil)
    }
}

/// Blocking pops are recognised from the command table's flags and key specs, not from a list of names.
@Suite struct BlockingPopShapeTests {
    @Test func theTableNamesExactlyTheBlockingPops() {
        var found: [String: String] = [:]
        for index in 0..<CommandTable.count {
            let spec = CommandTable.spec(at: index)
            switch BlockingPopStats.shape(of: spec) {
            case .keysThenTimeout: found[spec.name] = "keys, timeout"
            case .sourceThenTimeout: found[spec.name] = "source, ..., timeout"
            case .timeoutNumkeysKeys: found[spec.name] = "timeout, numkeys, keys"
            case .notBlockingPop: break
            }
        }
        #expect(found == [
            "brpop": "keys, timeout", "blpop": "keys, timeout", "bzpopmin": "keys, timeout", "bzpopmax": "keys, timeout",
            "brpoplpush": "source, ..., timeout", "blmove": "source, ..., timeout",
            "blmpop": "timeout, numkeys, keys", "bzmpop": "timeout, numkeys, keys",
        ])
    }
}
