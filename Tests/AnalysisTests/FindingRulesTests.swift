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
        try t.set("roundTripsPerSecond=1000000")
        #expect(t.roundTripsPerSecond == 1_000_000)
        #expect(throws: FindingThresholdError.self) { try t.set("noSuchThreshold=1") }
        #expect(throws: FindingThresholdError.self) { try t.set("roundTripsPerSecond=abc") }
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
