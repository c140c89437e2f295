@testable import Analysis
@testable import Findings
@testable import Pipeline
import Foundation
import Report
import Testing

/// Job frameworks recognised from the keys on the wire: every corpus capture names the framework its truth file
/// records (plain redis-py and node-redis captures none), each pattern alone in a synthetic capture, and the
/// advice that follows from the framework found.
@Suite struct FrameworkRecognitionTests {
    static let names = TestPaths.corpusNames()

    /// The truth file's framework as the report names it: `bullmq (Python)` is `bullmq`; a plain client is no
    /// job framework.
    static func expectedFramework(_ truth: CorpusTruth) -> String? {
        let name = truth.framework.name.lowercased().split(separator: " ").first.map(String.init) ?? ""
        return ["redis-py", "node-redis"].contains(name) ? nil : name
    }

    @Test(arguments: names)
    func corpusCaptureNamesItsFramework(_ name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let found = (report.frameworks ?? []).map(\.name)
        if let expected = Self.expectedFramework(truth) {
            #expect(found == [expected], "\(name): \(report.frameworks ?? [])")
            let framework = try #require(report.frameworks?.first)
            #expect(framework.connections > 0 && framework.commands > 0)
            #expect(framework.commands <= report.totals.commands)
            #expect(framework.evidence.hasPrefix("keys "))
        } else {
            #expect(report.frameworks == nil, "\(name): \(report.frameworks ?? [])")
        }
    }

    @Test func blockingPopAdviceFollowsTheFramework() throws {
        let celery = try #require(try CorpusReports.report("celery-priority-queues").findings.first { $0.id == BlockingPopManyKeysRule.id })
        let sidekiq = try #require(try CorpusReports.report("sidekiq-many-queues").findings.first { $0.id == BlockingPopManyKeysRule.id })
        let rq = try #require(try CorpusReports.report("rq-many-queues").findings.first { $0.id == BlockingPopManyKeysRule.id })
        #expect(celery.recommendation != sidekiq.recommendation)
        #expect(celery.recommendation.contains("priority_steps"))
        #expect(celery.recommendation.contains("Do not sample"))
        #expect(!celery.recommendation.contains("random sample"))
        #expect(sidekiq.recommendation.hasPrefix("Sidekiq"))
        #expect(sidekiq.recommendation.contains("weighted random sample"))
        #expect(rq.recommendation.hasPrefix("RQ"))
        for finding in [celery, sidekiq, rq] { #expect(!finding.recommendation.contains("framework not recognised")) }
    }

    @Test func churnAdviceFollowsTheFramework() throws {
        let bullmq = try #require(try CorpusReports.report("bullmq-queue-per-job").findings.first { $0.id == ConnectionChurnRule.id })
        #expect(bullmq.recommendation.contains("addBulk"))
        let redisPy = try #require(try CorpusReports.report("redispy-connection-churn").findings.first { $0.id == ConnectionChurnRule.id })
        #expect(redisPy.recommendation.hasPrefix("redis-py"))
        // node-redis 4.5 declares no library and uses no framework keys.
        let node = try #require(try CorpusReports.report("node-redis-client-per-request").findings.first { $0.id == ConnectionChurnRule.id })
        #expect(node.recommendation.contains("framework not recognised"))
        let saturation = try #require(try CorpusReports.report("redispy-pool-saturation").findings.first { $0.id == PoolSaturationRule.id })
        #expect(saturation.recommendation.contains("BlockingConnectionPool"))
        #expect(saturation.recommendation.contains("max_connections"))
    }

    @Test func rqChurnAdviceNamesTheWorkHorse() throws {
        var report = AnalysisReport()
        report.frameworks = [FrameworkSummary(name: "rq", evidence: "keys rq:queue:*", connections: 3, commands: 30)]
        let advice = ConnectionChurnRule.advice(ClientSoftware(report))
        #expect(advice.contains("SimpleWorker"))
        #expect(advice.contains("how RQ runs"))
    }

    // MARK: - Synthetic captures, one pattern each

    static func command(_ words: String...) -> String { command(words) }

    static func command(_ words: [String]) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static func analyze(_ requests: [[String]], reply: String = "+OK\r\n", connections: Int = 1) throws -> AnalysisReport {
        var capture = SyntheticCapture()
        for n in 0..<connections {
            var c = SyntheticCapture.Connection(clientPort: UInt16(41_000 + n), serverPort: 6379)
            capture.handshake(&c)
            for words in requests { capture.exchange(&c, command(words), reply) }
            capture.close(&c)
        }
        let path = capture.write(name: "frameworks")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    static let patterns: [(framework: String, requests: [[String]])] = [
        ("sidekiq", [["BRPOP", "queue:default", "queue:low", "2"], ["SADD", "processes", "host:1:abc"]]),
        ("sidekiq", [["LPUSH", "queue:critical", "{}"], ["INCRBY", "stat:processed", "1"]]),
        ("sidekiq", [["ZADD", "schedule", "1700000000", "{}"]]),
        ("resque", [["LPOP", "resque:queue:default"]]),
        ("celery", [["SMEMBERS", "_kombu.binding.celery"]]),
        ("celery", [["ZADD", "unacked_index", "1", "tag"]]),
        ("celery", [["GET", "celery-task-meta-1f2e"]]),
        ("celery", [["BRPOP", "celery", "celery\u{06}\u{16}3", "celery\u{06}\u{16}6", "1"]]),
        ("rq", [["BLPOP", "rq:queue:default", "5"]]),
        ("rq", [["HSET", "rq:job:abc", "status", "queued"]]),
        ("rq", [["SADD", "rq:workers", "rq:worker:w1"]]),
        ("rq", [["ZADD", "rq:results:abc", "1", "x"]]),
        ("bullmq", [["EVALSHA", "ef9feb35a83fa9a8c571510f20e2d57c75f68fd3", "8", "bull:thumbnails:wait", "bull:thumbnails:paused"]]),
        ("bullmq", [["BZPOPMIN", "bull:thumbnails:marker", "5"]]),
        ("dramatiq", [["EVALSHA", "fdacc359c79a5adc3b8eeb53ff5772d7c42144e3", "1", "dramatiq", "fetch", "1700000000"]]),
        ("dramatiq", [["LPUSH", "dramatiq:default", "id"]]),
        ("arq", [["ZADD", "arq:queue", "1", "id"]]),
        ("arq", [["SET", "arq:job:abc", "x"]]),
        ("arq", [["PSETEX", "arq:in-progress:abc", "60000", "1"]]),
    ]

    @Test(arguments: patterns.indices)
    func eachPatternAloneNamesItsFramework(_ index: Int) throws {
        let pattern = Self.patterns[index]
        let report = try Self.analyze(pattern.requests, connections: 2)
        let framework = try #require(report.frameworks?.first, "\(pattern)")
        #expect(report.frameworks?.count == 1)
        #expect(framework.name == pattern.framework)
        #expect(framework.connections == 2)
        #expect(framework.commands == 2 * pattern.requests.count)
    }

    /// The finder's marks equal every mark's own rule (`FrameworkStats.matches`) for arguments around kombu's
    /// priority suffix: trailing digit runs of every length, the separator and near-digits on both sides of it.
    @Test func finderAgreesWithEveryMarksRule() {
        let finder = FrameworkMarkFinder()
        let tail: [UInt8] = [0x30, 0x39, 0x35, 0x2F, 0x3A, 0x06, 0x16, 0xB0, 0xB9, 0x61]
        let heads = ["", "c", "celery", "queue:x", "bull:q:", "\u{06}\u{16}"].map { Array($0.utf8) }
        var generator = SeededGenerator(state: 0x6B6F_6D62)
        for head in heads {
            for length in 0...24 {
                for draw in 0..<40 {
                    var bytes = head + (0..<length).map { _ in tail[Int.random(in: 0..<tail.count, using: &generator)] }
                    if draw % 4 == 0, bytes.count >= 2 {
                        // A separator followed by digits only, at a random place.
                        let at = Int.random(in: 0...(bytes.count - 2), using: &generator)
                        bytes[at] = 0x06
                        bytes[at + 1] = 0x16
                        for index in (at + 2)..<bytes.count { bytes[index] = 0x30 + UInt8(index % 10) }
                    }
                    for firstArgument in [true, false] {
                        let expected = bytes.withUnsafeBytes { argument in
                            FrameworkStats.marks.enumerated().reduce(UInt64(0)) { found, entry in
                                (entry.element.firstArgumentOnly && !firstArgument) || !FrameworkStats.matches(entry.element, argument)
                                    ? found : found | 1 << UInt64(entry.offset)
                            }
                        }
                        let marks = bytes.withUnsafeBytes { finder.marks(in: $0, firstArgument: firstArgument) }
                        #expect(marks == expected, "\(bytes) first argument: \(firstArgument)")
                    }
                }
            }
        }
    }

    @Test func genericKeysNameNoFramework() throws {
        // Sidekiq's queue lists alone are any application's `queue:` keys; its words as values are not keys.
        let report = try Self.analyze([["LPUSH", "queue:emails", "x"], ["SET", "user:1", "processes"], ["GET", "retry:1"],
                                       ["HSET", "jobs", "unacked", "1"]])
        #expect(report.frameworks == nil)
        #expect(!MarkdownReportRenderer.render(report).contains("Frameworks"))
    }

    @Test func frameworksShowInMarkdownAndMerge() throws {
        let report = try Self.analyze([["BLPOP", "rq:queue:default", "5"], ["HSET", "rq:job:abc", "status", "queued"]])
        #expect(report.frameworks?.first?.evidence == "keys rq:queue:*, rq:job:*")
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("## Clients"))
        #expect(markdown.contains("Frameworks, recognised by their keys: **rq**"))
        var other = report
        other.capture.fingerprint = "another host"
        let merged = try ReportMerger().merge([try ReportDocument(report: report), try ReportDocument(report: other)])
        #expect(merged.frameworks == [FrameworkSummary(name: "rq", evidence: "keys rq:queue:*, rq:job:*", connections: 2, commands: 4)])
        #expect(try JSONValue(encoding: merged)["frameworks"]?.array?.count == 1)
    }

    /// A merged report's framework list comes from JSON files: whatever it holds stays inside its line.
    @Test func hostileFrameworkNamesKeepTheStructure() throws {
        let report = try Self.analyze([["BLPOP", "rq:queue:default", "5"]])
        var hostile = report
        hostile.frameworks = [FrameworkSummary(name: "rq\n## injected", evidence: "keys `a|b` <img src=x> - [x]", connections: 1, commands: 1)]
        let structure = MarkdownStructure(MarkdownReportRenderer.render(hostile))
        #expect(structure.problems.isEmpty, "\(structure.problems)")
        #expect(!structure.headings.contains { $0.contains("injected") })
        #expect(MarkdownStructure(MarkdownReportRenderer.render(report)).problems.isEmpty)
    }

    // MARK: - Blocking pops that already sample

    /// A fixed seed: the same draws every run.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    /// GitLab's fix for its 234-queue BRPOPs: each call names 24 queues (10%) drawn at random, so that together
    /// the workers still cover them all. Each worker's calls name different key sets.
    @Test func samplingClientsAreNotToldToSample() throws {
        var generator = SeededGenerator(state: 234)
        let queues = (0..<234).map { "queue:catchall_\($0)" }
        let calls = (0..<12).map { _ in ["BRPOP"] + Array(queues.shuffled(using: &generator).prefix(24)) + ["2"] }
        let report = try Self.analyze(calls, reply: "*-1\r\n", connections: 4)
        let pops = try #require(report.blockingPops)
        #expect(pops.callsNamingVaryingKeySets == 48)
        #expect(pops.clientsSample)
        let finding = try #require(report.findings.first { $0.id == BlockingPopManyKeysRule.id })
        #expect(finding.recommendation.contains("already pass each call a sample"))
        #expect(!finding.recommendation.contains("random sample of the queues (e.g. 10%)"))
        #expect(finding.recommendation.contains("framework not recognised"))
        var other = report
        other.capture.fingerprint = "another host"
        let merged = try ReportMerger().merge([try ReportDocument(report: report), try ReportDocument(report: other)])
        #expect(merged.blockingPops?.callsNamingVaryingKeySets == 96)
        #expect(merged.findings.first { $0.id == BlockingPopManyKeysRule.id }?.recommendation == finding.recommendation)
    }

    /// The same 24 keys every call, rotated as kombu's queue cycle does: one set, not a sample.
    @Test func rotatedFixedSetIsNotASample() throws {
        let queues = (0..<24).map { "jobs:q\($0)" }
        let calls = (0..<30).map { i in ["BRPOP"] + Array(queues[(i % 24)...] + queues[..<(i % 24)]) + ["1"] }
        let report = try Self.analyze(calls, reply: "*-1\r\n")
        let pops = try #require(report.blockingPops)
        #expect(pops.callsNamingVaryingKeySets == nil)
        #expect(!pops.clientsSample)
        let finding = try #require(report.findings.first { $0.id == BlockingPopManyKeysRule.id })
        #expect(finding.recommendation.contains("framework not recognised"))
        #expect(finding.recommendation.contains("random sample of the queues"))
    }
}
