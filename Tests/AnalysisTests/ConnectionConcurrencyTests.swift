import Foundation
import Report
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// Concurrent connections counted from when each was open, and the per-second connection series in the timeline's
/// buckets (seconds from the capture's first packet).
@Suite struct ConnectionConcurrencyTests {
    static func analyze(_ capture: SyntheticCapture, ports: Set<UInt16> = [6379]) throws -> AnalysisReport {
        let path = capture.write(name: "concurrency")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        options.serverPorts = ports
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    static let ping = "*1\r\n$4\r\nPING\r\n"

    /// Four connections open before the capture (no handshake) and never closed, each first seen at a different
    /// second: all four were open in every second.
    @Test func connectionsOpenBeforeTheCaptureCountFromItsStart() throws {
        var capture = SyntheticCapture()
        var connections = (0..<4).map { SyntheticCapture.Connection(clientPort: UInt16(41_000 + $0), serverPort: 6379) }
        for index in connections.indices {
            capture.exchange(&connections[index], Self.ping, "+PONG\r\n")
            _ = capture.tick(1_100_000_000)
        }
        capture.exchange(&connections[0], Self.ping, "+PONG\r\n")
        let c = try Self.analyze(capture).connections
        #expect(c.opened == 0)
        #expect(c.peakConcurrent == 4)
        #expect(c.concurrentPerSecond.count == 5)
        #expect(c.concurrentPerSecond.allSatisfy { $0 == 4 }, "\(c.concurrentPerSecond)")
    }

    /// One connection, open before the capture, first heard from two seconds in: it was open from the start.
    @Test func aSilentConnectionIsOpenBeforeItSpeaks() throws {
        var capture = SyntheticCapture()
        var opened = SyntheticCapture.Connection(clientPort: 41_100, serverPort: 6379)
        var silent = SyntheticCapture.Connection(clientPort: 41_101, serverPort: 6379)
        capture.handshake(&opened)
        capture.exchange(&opened, Self.ping, "+PONG\r\n")
        capture.close(&opened)
        _ = capture.tick(2_000_000_000)
        capture.exchange(&silent, Self.ping, "+PONG\r\n")
        let c = try Self.analyze(capture).connections
        #expect(c.concurrentPerSecond == [2, 1, 1], "\(c.concurrentPerSecond)")
        #expect(c.peakConcurrent == 2)
    }

    /// A connection still open when the capture ends is open in its last second, though its last packet is earlier.
    @Test func aConnectionOpenAtTheEndIsOpenInTheLastSecond() throws {
        var capture = SyntheticCapture()
        var quiet = SyntheticCapture.Connection(clientPort: 41_200, serverPort: 6379)
        var busy = SyntheticCapture.Connection(clientPort: 41_201, serverPort: 6379)
        capture.handshake(&quiet)
        capture.exchange(&quiet, Self.ping, "+PONG\r\n")
        capture.handshake(&busy)
        capture.exchange(&busy, Self.ping, "+PONG\r\n")
        capture.close(&busy)
        _ = capture.tick(3_000_000_000)
        // Traffic on another port the analysis ignores carries the capture on.
        var other = SyntheticCapture.Connection(clientPort: 41_202, serverPort: 9999)
        capture.handshake(&other)
        let c = try Self.analyze(capture).connections
        #expect(c.concurrentPerSecond.count == 4, "\(c.concurrentPerSecond)")
        #expect(c.concurrentPerSecond.last == 1, "\(c.concurrentPerSecond)")
    }

    /// The per-second connection series and the timeline count the same connections in the same seconds.
    @Test(arguments: [("sentinel-churn", [UInt16(6379), 26379]), ("short-connections", [UInt16(6379)])])
    func connectionSeriesAgreeWithTheTimeline(name: String, ports: [UInt16]) throws {
        var options = AnalysisOptions()
        options.serverPorts = Set(ports)
        let report = try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
        let timeline = try #require(report.timeline)
        #expect(timeline.bucketSeconds == 1)
        let c = report.connections
        let opened = timeline.buckets.map(\.connectionsOpened)
        let closed = timeline.buckets.map(\.connectionsClosed)
        #expect(opened.reduce(0, +) == c.openedPerSecond.reduce(0, +))
        #expect(closed.reduce(0, +) == c.closedPerSecond.reduce(0, +))
        #expect(Self.trimmed(opened) == Self.trimmed(c.openedPerSecond), "timeline \(opened), connections \(c.openedPerSecond)")
        #expect(Self.trimmed(closed) == Self.trimmed(c.closedPerSecond), "timeline \(closed), connections \(c.closedPerSecond)")
        for (index, bucket) in timeline.buckets.enumerated() { #expect(bucket.offsetSeconds == Double(index)) }
    }

    /// Without trailing zero seconds (the two series may end at different seconds of silence).
    static func trimmed(_ series: [Int]) -> [Int] {
        var series = series
        while series.last == 0 { series.removeLast() }
        return series
    }
}

/// Commands per connection and lifetimes keep their exact extremes beside the histogram's bucket values.
@Suite struct ConnectionDistributionTests {
    @Test func extremesAreTheValuesRecorded() throws {
        var capture = SyntheticCapture()
        var busy = SyntheticCapture.Connection(clientPort: 41_300, serverPort: 6379)
        var brief = SyntheticCapture.Connection(clientPort: 41_301, serverPort: 6379)
        capture.handshake(&busy)
        capture.handshake(&brief)
        capture.exchange(&brief, ConnectionConcurrencyTests.ping, "+PONG\r\n")
        capture.exchange(&brief, ConnectionConcurrencyTests.ping, "+PONG\r\n")
        capture.close(&brief)
        // 1,001 commands: in a histogram bucket 8 wide (1,000 to 1,007).
        for _ in 0..<1_001 { capture.exchange(&busy, ConnectionConcurrencyTests.ping, "+PONG\r\n") }
        _ = capture.tick(3_000_000_000)
        capture.close(&busy)
        let report = try ConnectionConcurrencyTests.analyze(capture)
        let per = try #require(report.connections.commandsPerConnection)
        #expect(per.max == 1_001)
        #expect(per.min == 2)
        let life = try #require(report.connections.lifetimeSeconds)
        let first = try #require(report.capture.firstTimestampNanos), last = try #require(report.capture.lastTimestampNanos)
        let duration = Double(last - first) / 1e9
        #expect(life.max <= duration, "lifetime \(life.max) s in a \(duration) s capture")
        #expect(try #require(life.min) < 0.001)
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("Commands per connection: min 2, p50 2, p90 ≈ 1,00"), "\(markdown)")
        #expect(markdown.contains("max 1,001."))
    }
}
