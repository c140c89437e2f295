import Analysis
import Findings
import Pipeline
import Foundation
@testable import Report
import Testing

/// The `scripts` section on real captures: fixtures/scripts.pcap (redis-py: SCRIPT LOAD + EVALSHA, EVAL, a NOSCRIPT
/// then a load, FUNCTION LOAD + FCALL/FCALL_RO, XREADGROUP consumers; see scripts/fixtures/scenarios.py) and every
/// capture whose truth has script calls (BullMQ's, Dramatiq's... run their Lua through EVALSHA).
@Suite struct ScriptStatsTests {
    static let scriptCommands: Set<String> = ["eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro"]

    static func analyze(_ name: String, _ configure: (inout AnalysisOptions) -> Void = { _ in }) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(try FixtureTruth.load(name).port)]
        configure(&options)
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
    }

    static func scriptCalls(in commands: [String: Int]) -> Int {
        commands.filter { scriptCommands.contains($0.key) }.values.reduce(0, +)
    }

    static func scriptCalls(in report: AnalysisReport) -> Int {
        report.commands.filter { scriptCommands.contains($0.name) }.reduce(0) { $0 + $1.calls }
    }

    /// The scripts' calls add up to the EVAL*/EVALSHA*/FCALL* calls in `commands` and to the server's counts, on every
    /// fixture and corpus capture that has any; their NOSCRIPT replies to the server's errorstats.
    @Test(arguments: TestPaths.fixtureNames().map { ("", $0) } + TestPaths.corpusNames().map { ("corpus", $0) })
    func scriptCallsAddUpToTheServersCounts(_ directory: String, _ name: String) throws {
        let truthCommands: [String: Int]
        let truthErrors: [String: Int]
        let report: AnalysisReport
        if directory.isEmpty {
            let truth = try FixtureTruth.load(name)
            (truthCommands, truthErrors) = (truth.expected.commands, truth.expected.errorsByPrefix)
            report = try Self.analyze(name)
        } else {
            let truth = try CorpusTruth.load(name)
            (truthCommands, truthErrors) = (truth.expected.commands, truth.expected.errorsByPrefix)
            report = try CorpusReports.report(name)
        }
        let expected = Self.scriptCalls(in: truthCommands)
        guard expected > 0 else {
            #expect(report.scripts == nil)
            return
        }
        let scripts = try #require(report.scripts)
        #expect(scripts.reduce(0) { $0 + $1.calls } == expected)
        #expect(Self.scriptCalls(in: report) == expected)
        for kind in ScriptSummary.Kind.allCases {
            let names = [kind.rawValue, kind.rawValue + "_ro"]
            #expect(scripts.filter { $0.kind == kind }.reduce(0) { $0 + $1.calls }
                    == names.reduce(0) { $0 + (truthCommands[$1] ?? 0) }, "\(kind)")
        }
        #expect(scripts.reduce(0) { $0 + $1.noscript } == truthErrors["NOSCRIPT"] ?? 0)
        // Ranked by server time.
        let times = scripts.filter { $0.untracked != true }.map(\.totalLatencyMicros)
        #expect(times == times.sorted(by: >))
    }

    /// Each script of the fixture as its workload ran it: ids, calls, errors, NOSCRIPT, KEYS[1] and first lines.
    @Test func eachScriptOfTheFixture() throws {
        let report = try Self.analyze("scripts")
        let scripts = try #require(report.scripts)
        #expect(scripts.count == 5)
        func script(_ line: String) throws -> ScriptSummary { try #require(scripts.first { $0.firstLine == line }, "\(line)") }

        // SCRIPT LOAD, then EVALSHA of the sha it replied: the body's first line reaches the EVALSHA calls.
        let reserve = try script("-- Reserve one unit of a quota")
        #expect(reserve.kind == .evalsha && reserve.id.count == 40 && reserve.id.allSatisfy(\.isHexDigit))
        #expect((reserve.calls, reserve.errors, reserve.noscript) == (20, 0, 0))
        #expect((reserve.keyedCalls, reserve.topKey, reserve.topKeyCalls, reserve.keyPrefixes) == (20, "quota:user:*", 20, 1))
        #expect(reserve.latencyMicros.count == 20)

        // redis-py's Script: EVALSHA (NOSCRIPT), SCRIPT LOAD, EVALSHA; the 12th charge answers a script error. The
        // first line skips the `--[[` that opens the comment.
        let charge = try script("Charge an account: the amount is ARGV[1].")
        #expect(charge.kind == .evalsha && charge.id.count == 40)
        #expect((charge.calls, charge.errors, charge.noscript, charge.topKey) == (13, 1, 1, "account:*"))

        // EVAL: a body short enough to be kept whole, so its line is not marked as cut; the id is respcap's own.
        let eval = try script("return redis.call('GET', KEYS[1])")
        #expect(eval.kind == .eval && eval.id.hasPrefix("body:") && eval.id.count == 17)
        #expect((eval.calls, eval.topKey) == (6, "config:flags"))

        // FCALL: the library's first line, for the function its kept bytes register; FCALL_RO's function is
        // registered past them (the body is kept up to 120 bytes).
        let take = try #require(scripts.first { $0.id == "take_token" })
        #expect((take.kind, take.calls, take.firstLine) == (.fcall, 8, "#!lua name=ratelimit"))
        let peek = try #require(scripts.first { $0.id == "peek" })
        #expect((peek.kind, peek.calls, peek.firstLine, peek.topKey) == (.fcall, 4, nil, "bucket:api"))

        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("## Scripts"))
        let row = try #require(markdown.split(separator: "\n").first { $0.contains("`\(reserve.id.prefix(12))…`") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(cells.prefix(3)) == ["EVALSHA", "`\(reserve.id.prefix(12))…`", "20"])
        #expect(Array(cells.suffix(2)) == ["`quota:user:*`", "`-- Reserve one unit of a quota`"])
    }

    /// `--redact-keys` hashes the KEYS[1] prefixes the section shows.
    @Test func redactedKeys() throws {
        let report = try Self.analyze("scripts") { $0.redactKeys = true }
        let scripts = try #require(report.scripts)
        #expect(scripts.count == 5)
        for script in scripts {
            let key = try #require(script.topKey)
            #expect(key.hasPrefix("key#"), "\(key)")
        }
        let json = try JSONReportRenderer.render(report)
        for plain in ["quota:user", "account:7", "config:flags", "bucket:api"] {
            #expect(!json.contains(plain), "\(plain)")
        }
    }

    /// Past `maxTrackedScripts`, calls are counted per kind as `(untracked)`, still adding up, and the limit is reported.
    @Test func trackingLimit() throws {
        let whole = try #require(try Self.analyze("scripts").scripts)
        let report = try Self.analyze("scripts") { $0.maxTrackedScripts = 2 }
        let scripts = try #require(report.scripts)
        let tracked = scripts.filter { $0.untracked != true }
        let untracked = scripts.filter { $0.untracked == true }
        #expect(tracked.count == 2)
        #expect(untracked.allSatisfy { $0.id == "(untracked)" })
        #expect(scripts.reduce(0) { $0 + $1.calls } == whole.reduce(0) { $0 + $1.calls })
        let hit = try #require(report.quality.limitsHit?.first { $0.scope == "scripts" })
        #expect((hit.limit, hit.value, hit.count) == ("--max-tracked-scripts", 2, untracked.reduce(0) { $0 + $1.calls }))
        // The two tracked are the first two seen: the SCRIPT LOAD'ed one (EVALSHA), then EVAL's body.
        #expect(Set(tracked.map(\.kind)) == [.evalsha, .eval])
    }

    /// Merged with a BullMQ capture: the scripts of both, calls adding per (kind, id), latency from the histograms.
    @Test func mergeAddsPerScript() throws {
        var a = try Self.analyze("scripts")
        a.capture.files = ["scripts"]
        var b = try CorpusReports.report("bullmq-healthy")
        b.capture.files = ["bullmq-healthy"]
        let merged = try ReportMerger().merge([DiffMergeTests.document(a), DiffMergeTests.document(b)])
        let scripts = try #require(merged.scripts)
        let parts = (a.scripts ?? []) + (b.scripts ?? [])
        #expect(scripts.count == parts.count)
        for part in parts {
            let m = try #require(scripts.first { $0.kind == part.kind && $0.id == part.id })
            #expect((m.calls, m.errors, m.noscript, m.firstLine, m.topKey) == (part.calls, part.errors, part.noscript, part.firstLine, part.topKey))
            #expect(m.latencyMicros == part.latencyMicros)
        }
        #expect(scripts.reduce(0) { $0 + $1.calls } == Self.scriptCalls(in: merged))
    }

    /// A report compared with itself: the scripts' figures are equal on both sides.
    @Test func diffFigures() throws {
        let report = try Self.analyze("scripts")
        let document = try DiffMergeTests.document(report)
        let diff = ReportDiff(before: document, after: document)
        let metrics = diff.metrics("scripts")
        #expect(metrics.count == 2 + 2 * ScriptsSection.compared)
        let share = try #require(metrics.first { $0.id == "scripts.serverTimeShare" })
        #expect(share.before == share.after && (share.before ?? 0) > 0)
        #expect(metrics.allSatisfy { $0.before == $0.after })
    }

    /// XREADGROUP ... STREAMS k id (STREAMS past the third argument) and XREAD COUNT n [BLOCK ms] STREAMS k...: the key
    /// analyses see the first stream key, and the queues see the consumer group's reads.
    @Test func streamReadsNameTheirFirstKey() throws {
        let report = try Self.analyze("scripts")
        let byCommand = try #require(report.keys?.topKeysByCommand)
        let group = try #require(byCommand.first { $0.command == "xreadgroup" })
        #expect(group.calls == 4)
        #expect(group.topKeys.map(\.key) == ["events:orders"])
        let read = try #require(byCommand.first { $0.command == "xread" })
        #expect(read.calls == 2)
        #expect(read.topKeys.map(\.key) == ["events:orders"])
        // The consumer group's stream is a queue: 10 XADD; 4 XREADGROUP (4, 4 and 2 entries, then one that timed out
        // empty) and 3 XACK of the 10 entries. The stream only appended to (events:audit) is not.
        let queue = try #require(report.queues?.first { $0.key == "events:orders" })
        #expect((queue.type, queue.pushCommands, queue.elementsPushed) == ("stream", 10, 10))
        #expect((queue.popCommands, queue.emptyPops, queue.elementsPopped) == (4 + 3, 1, 10))
        #expect(report.queuesNotConsumed?.streams == 1)
    }
}
