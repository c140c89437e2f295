import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// Errors that are normal client behaviour — handshake probes an older server refuses, script-cache misses the
/// client follows with a load — are reported apart and do not raise `error-rate`; `errorsByPrefix` still counts
/// every error the server sent.
@Suite struct BenignErrorTests {
    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static let unknownSubcommand = "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"
    static let noScript = "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    static let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"

    static func analyze(_ capture: SyntheticCapture) throws -> AnalysisReport {
        let path = capture.write(name: "benign-errors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    static func benign(_ report: AnalysisReport) -> [String: Int] {
        Dictionary((report.benignErrors ?? []).map { ("\($0.command) \($0.code)", $0.count) }, uniquingKeysWith: +)
    }

    /// `connections` connections, each set up with `setup` (request, reply) exchanges, then `work` GETs.
    static func connections(_ count: Int, setup: [(String, String)], work: Int = 2) -> SyntheticCapture {
        var capture = SyntheticCapture()
        for index in 0..<count {
            var c = SyntheticCapture.Connection(clientPort: UInt16(40_000 + index), serverPort: 6379)
            capture.handshake(&c)
            for (request, reply) in setup { capture.exchange(&c, request, reply) }
            for _ in 0..<work { capture.exchange(&c, command("GET", "k"), "$1\r\nv\r\n") }
            capture.close(&c)
        }
        return capture
    }

    @Test func refusedSetInfoProbesAreExpected() throws {
        // redis-py 5 against Redis 7.0: two refused probes per connection, a third of all replies.
        let capture = Self.connections(20, setup: [
            (Self.command("CLIENT", "SETINFO", "LIB-NAME", "redis-py"), Self.unknownSubcommand),
            (Self.command("CLIENT", "SETINFO", "LIB-VER", "5.3.1"), Self.unknownSubcommand),
        ])
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["ERR": 40])
        #expect(Self.benign(report) == ["client|setinfo ERR": 40])
        #expect(report.benignErrors?.first?.kind == "handshake-probe")
        #expect(!report.findings.contains { $0.id == "error-rate" })
    }

    @Test func otherProbesAtConnectionStartAreExpected() throws {
        let capture = Self.connections(10, setup: [
            (Self.command("HELLO", "3"), "-NOPROTO unsupported protocol version\r\n"),
            (Self.command("AUTH", "secret"), "+OK\r\n"),
            (Self.command("CLIENT", "MAINT_NOTIFICATIONS", "on", "moving-endpoint-type", "internal-ip"),
             "-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n"),
        ])
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["ERR": 10, "NOPROTO": 10])
        #expect(Self.benign(report) == ["hello NOPROTO": 10, "client|maint_notifications ERR": 10])
        #expect(!report.findings.contains { $0.id == "error-rate" })
    }

    @Test func aRefusedHelloThatEndsTheConnectionIsAnError() throws {
        // A client that cannot do without RESP3 gives up and reconnects: it never got to work.
        let capture = Self.connections(12, setup: [(Self.command("HELLO", "3"), "-ERR unknown command 'HELLO'\r\n")], work: 0)
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["ERR": 12])
        #expect(report.benignErrors == nil)
        #expect(report.findings.contains { $0.id == "error-rate" })
    }

    @Test func aProbeAfterWorkIsAnError() throws {
        // Sent after a command that does work, CLIENT SETINFO is not part of setting the connection up.
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        for _ in 0..<20 {
            capture.exchange(&c, Self.command("GET", "k"), "$1\r\nv\r\n")
            capture.exchange(&c, Self.command("CLIENT", "SETINFO", "LIB-NAME", "x"), Self.unknownSubcommand)
        }
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["ERR": 20])
        #expect(report.benignErrors == nil)
        #expect(report.findings.contains { $0.id == "error-rate" })
    }

    @Test func scriptCacheMissFollowedByALoadIsExpected() throws {
        var capture = SyntheticCapture()
        for index in 0..<12 {
            var c = SyntheticCapture.Connection(clientPort: UInt16(40_000 + index), serverPort: 6379)
            capture.handshake(&c)
            // redis-py's Script: EVALSHA, NOSCRIPT, SCRIPT LOAD, EVALSHA again.
            capture.exchange(&c, Self.command("EVALSHA", Self.sha, "1", "q"), Self.noScript)
            capture.exchange(&c, Self.command("SCRIPT", "LOAD", "return redis.call('lpop', KEYS[1])"), "$40\r\n\(Self.sha)\r\n")
            capture.exchange(&c, Self.command("EVALSHA", Self.sha, "1", "q"), "$-1\r\n")
            capture.close(&c)
        }
        // A pipelining client: three EVALSHA in flight fail, then each falls back to EVAL.
        var p = SyntheticCapture.Connection(clientPort: 41_000, serverPort: 6379)
        capture.handshake(&p)
        let evalsha = Self.command("EVALSHA", Self.sha, "1", "q")
        capture.exchange(&p, evalsha + evalsha + evalsha, Self.noScript + Self.noScript + Self.noScript)
        let eval = Self.command("EVAL", "return redis.call('lpop', KEYS[1])", "1", "q")
        capture.exchange(&p, eval + eval + eval, "$-1\r\n$-1\r\n$-1\r\n")
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["NOSCRIPT": 15])
        #expect(Self.benign(report) == ["evalsha NOSCRIPT": 15])
        #expect(report.benignErrors?.first?.kind == "script-cache-miss")
        #expect(!report.findings.contains { $0.id == "error-rate" })
    }

    @Test func scriptCacheMissNeverReloadedIsAnError() throws {
        // After a failover the scripts are gone and this client never loads them: every EVALSHA fails.
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        for _ in 0..<30 {
            capture.exchange(&c, Self.command("EVALSHA", Self.sha, "1", "q"), Self.noScript)
            for _ in 0..<10 { capture.exchange(&c, Self.command("GET", "k"), "$1\r\nv\r\n") }
        }
        capture.exchange(&c, Self.command("EVALSHA", Self.sha, "1", "q"), Self.noScript)
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["NOSCRIPT": 31])
        #expect(report.benignErrors == nil)
        let finding = try #require(report.findings.first { $0.id == "error-rate" })
        #expect(finding.recommendation.hasPrefix("NOSCRIPT"))
    }

    @Test func anEvalLongAfterTheMissIsNoReload() throws {
        // The client went on with other work: an EVAL four commands later is another script, not the fallback.
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        capture.exchange(&c, Self.command("EVALSHA", Self.sha, "0"), Self.noScript)
        for _ in 0..<3 { capture.exchange(&c, Self.command("INCR", "n"), ":1\r\n") }
        capture.exchange(&c, Self.command("EVAL", "return 1", "0"), ":1\r\n")
        let report = try Self.analyze(capture)
        #expect(report.errorsByPrefix == ["NOSCRIPT": 1])
        #expect(report.benignErrors == nil)
    }

    @Test func errorRateCountsOnlyTheOtherErrors() {
        var report = AnalysisReport()
        report.totals.replies = 1000
        report.totals.errorReplies = 130
        report.errorsByPrefix = ["ERR": 100, "OOM": 30]
        report.commands = [AnalysisReport.CommandSummary(name: "client|setinfo"), AnalysisReport.CommandSummary(name: "set")]
        report.commands[0].errors = 100
        report.commands[1].errors = 30
        report.benignErrors = [BenignErrorSummary(command: "client|setinfo", code: "ERR", count: 100, kind: "handshake-probe", why: "")]
        let finding = ErrorRateRule().evaluate(report, FindingThresholds())
        #expect(finding?.severity == .warning)
        #expect(finding?.title.contains("mostly OOM") == true)
        #expect(finding?.metrics["errors"] == 30)
        #expect(finding?.metrics["benignErrors"] == 100)
        #expect(finding?.evidence.first?.hasPrefix("30 error replies of 1,000") == true)
        #expect(finding?.evidence.contains { $0.hasPrefix("from SET 30") } == true)
        report.errorsByPrefix = ["ERR": 100, "OOM": 5]
        report.totals.errorReplies = 105
        report.commands[1].errors = 5
        #expect(ErrorRateRule().evaluate(report, FindingThresholds()) == nil)
    }

    @Test func reportsShowAndMergeExpectedErrors() throws {
        let capture = Self.connections(3, setup: [
            (Self.command("CLIENT", "SETINFO", "LIB-NAME", "redis-py"), Self.unknownSubcommand),
        ])
        let report = try Self.analyze(capture)
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("Expected errors, not counted by the error-rate finding (3 replies):"))
        #expect(markdown.contains("- `client|setinfo` → `ERR` 3 (handshake-probe): "))
        let document = try ReportDocument(report: report)
        // The same traffic seen on a second host: another capture (merge counts one capture given twice once).
        var otherHost = report
        otherHost.capture.fingerprint = "another host"
        let merged = try ReportMerger().merge([document, try ReportDocument(report: otherHost)])
        #expect(Self.benign(merged) == ["client|setinfo ERR": 6])
        #expect(merged.errorsByPrefix == ["ERR": 6])
        let diff = ReportDiff(before: document, after: try ReportDocument(report: merged))
        #expect(diff.errors.contains { $0.id == "errors.benignPerSecond" })
    }

    /// Every refused CLIENT SETINFO and every NOSCRIPT of the framework corpus is expected: redis-py announces itself
    /// on each connection, and each script-cache miss there is followed by its load.
    @Test(arguments: TestPaths.corpusNames())
    func corpusProbesAndMissesAreExpected(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        var expected: [String: Int] = [:]
        if let probes = truth.expected.commands["client|setinfo"] { expected["client|setinfo ERR"] = probes }
        if let misses = truth.expected.errorsByPrefix["NOSCRIPT"] { expected["evalsha NOSCRIPT"] = misses }
        #expect(Self.benign(report) == expected, "\(name)")
    }
}
