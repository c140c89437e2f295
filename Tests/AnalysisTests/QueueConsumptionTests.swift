import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// A key is a queue when something consumes it; the JSON lists every queue tracked, the prefixes group them.
@Suite struct QueueConsumptionTests {
    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static func analyze(_ capture: SyntheticCapture, redact: Bool = false) throws -> AnalysisReport {
        let path = capture.write(name: "queue-consumption")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        options.redactKeys = redact
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    /// 60 job queues `jobs:q0`... pushed and served by BRPOP, a stream consumed through its group (XACK), a log list
    /// and 5 per-job result streams only appended to.
    static var workload: SyntheticCapture {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        for i in 0..<60 {
            let key = "jobs:q\(i)"
            capture.exchange(&c, command("LPUSH", key, "a", "b"), ":2\r\n")
            capture.exchange(&c, command("BRPOP", key, "other", "1"), "*2\r\n$\(key.utf8.count)\r\n\(key)\r\n$1\r\na\r\n")
        }
        capture.exchange(&c, command("XADD", "events", "*", "f", "v"), "$15\r\n1700000000000-0\r\n")
        capture.exchange(&c, command("XACK", "events", "g", "1700000000000-0"), ":1\r\n")
        capture.exchange(&c, command("RPUSH", "audit:log", "x"), ":1\r\n")
        for i in 0..<5 {
            capture.exchange(&c, command("XADD", "rq:results:\(i)", "*", "r", "ok"), "$15\r\n1700000000001-0\r\n")
        }
        return capture
    }

    @Test func consumedKeysAreQueuesAndEveryOneIsListed() throws {
        let report = try Self.analyze(Self.workload)
        let queues = try #require(report.queues)
        #expect(queues.count == 61, "every consumed key, past the top 50 the Markdown shows")
        #expect(Set(queues.map(\.key)) == Set((0..<60).map { "jobs:q\($0)" } + ["events"]))
        let events = try #require(queues.first { $0.key == "events" })
        #expect(events.type == "stream" && events.elementsPushed == 1 && events.elementsPopped == 1)
        #expect(queues.filter { $0.key.hasPrefix("jobs:") }.allSatisfy {
            $0.pushCommands == 1 && $0.elementsPushed == 2 && $0.popCommands == 1 && $0.elementsPopped == 1 && $0.netGrowth == 1
        })
        let appended = try #require(report.queuesNotConsumed)
        #expect(appended.keys == 6 && appended.streams == 5 && appended.pushCommands == 6 && appended.elementsPushed == 6)
        let prefixes = try #require(report.queuePrefixes)
        let jobs = try #require(prefixes.first { $0.prefix == "jobs:*" })
        #expect(jobs.keys == 60 && jobs.elementsPushed == 120 && jobs.elementsPopped == 60)
        #expect(!prefixes.contains { $0.prefix.hasPrefix("rq:") || $0.prefix.hasPrefix("audit:") })
        #expect(report.warnings.allSatisfy { !$0.hasPrefix("queues:") }, "no limit was reached")
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("6 more keys were only appended to (6 elements, 5 of them streams)"))
        #expect(markdown.contains("… and 46 more keys in the JSON report."))
    }

    @Test func queueKeysAreRedacted() throws {
        let report = try Self.analyze(Self.workload, redact: true)
        let queues = try #require(report.queues)
        #expect(queues.allSatisfy { $0.key.hasPrefix("key#") })
        #expect(report.queuePrefixes?.first?.prefix.hasSuffix(":*") == true)
    }
}
