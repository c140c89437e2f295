import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// Events (NDJSON) of commands queued in MULTI carry the error of their element of EXEC's reply, whatever else
/// happens in the transaction: pipelined transactions, WATCH refused inside MULTI, DISCARD, a connection that ends
/// before EXEC. The errors in the events are the report's errors, code by code and command by command.
@Suite struct TransactionEventTests {
    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static let wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"

    static func analyze(_ capture: SyntheticCapture) throws -> (report: AnalysisReport, events: [[String: Any]]) {
        let path = capture.write(name: "transactions")
        let eventsPath = path + ".ndjson"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: eventsPath)
        }
        let descriptor = open(eventsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let output = FileDescriptorOutput(descriptor: descriptor)
        let writer = NDJSONEventWriter(output: output, redactKeys: false)
        let report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path], extraAnalyses: [writer])
        writer.flush()
        let text = try String(contentsOfFile: eventsPath, encoding: .utf8)
        let events = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (report, events)
    }

    @Test func queuedCommandsCarryTheirExecElementsErrors() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        // Two transactions pipelined: the second element of the first EXEC and the first of the second fail.
        capture.exchange(&c, Self.command("MULTI") + Self.command("SET", "k", "v") + Self.command("LPUSH", "k", "x")
                         + Self.command("INCR", "n") + Self.command("EXEC")
                         + Self.command("MULTI") + Self.command("LPUSH", "k", "y") + Self.command("GET", "k") + Self.command("EXEC"),
                         "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n" + Self.wrongType + ":1\r\n"
                         + "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n" + Self.wrongType + "$1\r\nv\r\n")
        // WATCH is refused inside MULTI, and the transaction goes on.
        capture.exchange(&c, Self.command("MULTI"), "+OK\r\n")
        capture.exchange(&c, Self.command("SET", "s", "1"), "+QUEUED\r\n")
        capture.exchange(&c, Self.command("WATCH", "s"), "-ERR WATCH inside MULTI is not allowed\r\n")
        capture.exchange(&c, Self.command("HSET", "k", "f", "v"), "+QUEUED\r\n")
        capture.exchange(&c, Self.command("EXEC"), "*2\r\n+OK\r\n" + Self.wrongType)
        // Discarded: nothing ran, nothing failed.
        capture.exchange(&c, Self.command("MULTI"), "+OK\r\n")
        capture.exchange(&c, Self.command("LPUSH", "k", "z"), "+QUEUED\r\n")
        capture.exchange(&c, Self.command("DISCARD"), "+OK\r\n")
        // The capture ends inside a transaction: its queued command is still written, once.
        capture.exchange(&c, Self.command("MULTI"), "+OK\r\n")
        capture.exchange(&c, Self.command("DEL", "k"), "+QUEUED\r\n")

        let (report, events) = try Self.analyze(capture)
        let outcome = events.map { "\($0["command"] as? String ?? "?"):\($0["error"] as? String ?? "-")" }
        #expect(outcome == [
            "multi:-", "set:-", "lpush:WRONGTYPE", "incr:-", "exec:-",
            "multi:-", "lpush:WRONGTYPE", "get:-", "exec:-",
            "multi:-", "watch:ERR", "set:-", "hset:WRONGTYPE", "exec:-",
            "multi:-", "lpush:-", "discard:-",
            "multi:-", "del:-",
        ])
        var byCode: [String: Int] = [:]
        for event in events { if let code = event["error"] as? String { byCode[code, default: 0] += 1 } }
        #expect(byCode == report.errorsByPrefix)
        #expect(report.errorsByPrefix == ["WRONGTYPE": 3, "ERR": 1])
        for summary in report.commands {
            let errors = events.filter { $0["command"] as? String == summary.name && $0["error"] is String }.count
            #expect(errors == summary.errors, "\(summary.name)")
        }
    }
}
