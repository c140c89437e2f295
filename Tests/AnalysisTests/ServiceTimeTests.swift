import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// What slow-writes and unpipelined-round-trips measure: a server's service time, not the wait of a reply behind
/// the earlier commands of its pipeline; and chains of commands that could have gone together, not a cursor loop
/// whose every step needs the previous reply.
@Suite struct ServiceTimeTests {
    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static func analyze(_ capture: SyntheticCapture) throws -> AnalysisReport {
        let path = capture.write(name: "service-time")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    /// `count` lone GETs answered after `micros`.
    static func reads(_ count: Int, micros: Int64, on c: inout SyntheticCapture.Connection, in capture: inout SyntheticCapture) {
        for _ in 0..<count {
            capture.send(&c, fromClient: true, command("GET", "k"))
            _ = capture.tick(micros * 1000)
            capture.send(&c, fromClient: false, "$1\r\nv\r\n")
            _ = capture.tick(5_000_000)
        }
    }

    @Test func pipelinedWritesWaitingTheirTurnAreNotSlow() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        Self.reads(30, micros: 50, on: &c, in: &capture)
        // Batches of 100 SETs: each reply 10 µs after the one before, so the later ones have waited up to 1 ms.
        for _ in 0..<5 {
            capture.send(&c, fromClient: true, (0..<100).map { Self.command("SET", "k\($0)", "v") }.joined())
            for _ in 0..<100 { capture.send(&c, fromClient: false, "+OK\r\n") }
            _ = capture.tick(5_000_000)
        }
        let report = try Self.analyze(capture)
        let latency = try #require(report.latency)
        #expect(latency.writesMicros.p50 > 400)
        #expect(try #require(latency.writeServiceMicros).p50 < 20)
        #expect(!report.findings.contains { $0.id == "slow-writes" })
    }

    @Test func transactionsWaitingOnTheDiskAreSlowWrites() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        Self.reads(30, micros: 50, on: &c, in: &capture)
        // appendfsync always: a transaction's replies all wait for the fsync of its writes.
        for _ in 0..<20 {
            capture.send(&c, fromClient: true, Self.command("MULTI") + Self.command("INCR", "n") + Self.command("EXPIRE", "n", "60")
                         + Self.command("EXEC"))
            _ = capture.tick(3_000_000)
            capture.send(&c, fromClient: false, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n")
            _ = capture.tick(5_000_000)
        }
        let report = try Self.analyze(capture)
        #expect(try #require(report.latency?.writeServiceMicros).count == 20)
        let finding = try #require(report.findings.first { $0.id == "slow-writes" })
        #expect(finding.evidence.first?.hasPrefix("write service time p50 3.") == true)
    }

    /// What a pipeline would save a chain: each chained command's wait between the previous reply and its request,
    /// summed, and quoted by the finding.
    @Test func pipeliningSavesTheChainsWaits() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_003, serverPort: 6379)
        capture.handshake(&c)
        for _ in 0..<200 {
            capture.send(&c, fromClient: true, Self.command("GET", "k"))
            _ = capture.tick(50_000)
            capture.send(&c, fromClient: false, "$1\r\nv\r\n")
            _ = capture.tick(300_000)
        }
        let report = try Self.analyze(capture)
        let latency = try #require(report.latency)
        #expect(latency.chainedRoundTrips == 199)
        // Each packet comes 10 µs after the one before (`SyntheticCapture.tick`): a wait is 300 + 10 µs.
        #expect(latency.chainedWaitMicros == Double(199 * 310))
        let finding = try #require(report.findings.first { $0.id == UnpipelinedRoundTripsRule.id })
        #expect(finding.evidence.contains { $0.hasPrefix("one pipeline per chain would save about 61.7 ms of waiting in all") },
                "\(finding.evidence)")
        #expect(finding.metrics["pipelineSavingSeconds"] == 0.06169)
    }

    @Test func aCursorLoopIsNotAChainOfRoundTrips() throws {
        var scans = SyntheticCapture()
        var gets = SyntheticCapture()
        var s = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        var g = SyntheticCapture.Connection(clientPort: 40_002, serverPort: 6379)
        scans.handshake(&s)
        gets.handshake(&g)
        for _ in 0..<20 {
            // Each SCAN sends the cursor the previous one returned; the loop ends when it returns 0.
            var cursor = "0"
            for step in 1...8 {
                let next = step == 8 ? "0" : "\(step * 17)"
                scans.exchange(&s, Self.command("SCAN", cursor, "MATCH", "user:*", "COUNT", "100"), "*2\r\n$\(next.count)\r\n\(next)\r\n*0\r\n")
                gets.exchange(&g, Self.command("GET", "user:\(step)"), "$1\r\nv\r\n")
                cursor = next
            }
            _ = scans.tick(10_000_000)
            _ = gets.tick(10_000_000)
        }
        let scanReport = try Self.analyze(scans)
        #expect(scanReport.totals.commands == 160)
        #expect(!scanReport.findings.contains { $0.id == "unpipelined-round-trips" })
        let getReport = try Self.analyze(gets)
        #expect(getReport.findings.contains { $0.id == "unpipelined-round-trips" })
    }
}
