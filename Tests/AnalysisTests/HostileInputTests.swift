import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// Hostile RESP and floods through the whole pipeline: the bad connection gets a parse error (or a limit event) in
/// the quality section, naming it; every other connection is analysed exactly; memory stays within the limits.
@Suite struct HostileInputTests {
    /// A capture with one healthy connection before and after one hostile connection.
    static func sandwich(_ hostile: (inout SyntheticCapture, inout SyntheticCapture.Connection) -> Void) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var before = SyntheticCapture.Connection(clientPort: 40001, serverPort: 6379)
        var bad = SyntheticCapture.Connection(clientPort: 40002, serverPort: 6379)
        var after = SyntheticCapture.Connection(clientPort: 40003, serverPort: 6379)
        capture.handshake(&before)
        capture.exchange(&before, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n")
        capture.handshake(&bad)
        hostile(&capture, &bad)
        capture.handshake(&after)
        capture.exchange(&after, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$1\r\nv\r\n")
        capture.exchange(&before, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "+OK\r\n")
        capture.close(&bad)
        capture.close(&before)
        capture.close(&after)
        return capture
    }

    static func analyze(_ capture: SyntheticCapture, configure: (inout AnalysisOptions) -> Void = { _ in }) throws -> AnalysisReport {
        let path = capture.write(name: "hostile")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        configure(&options)
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    /// `hostilePings`: PINGs the hostile connection sends after its bad bytes (counted once the decoder resynchronises).
    static func expectHealthyConnectionsExact(_ report: AnalysisReport, _ context: String, hostilePings: Int = 0) {
        let calls = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(calls["ping"] == 1 + hostilePings, "\(context)")
        #expect(calls["get"] == 1, "\(context)")
        #expect(calls["set"] == 1, "\(context)")
        #expect(report.connections.total == 3, "\(context)")
    }

    /// Name, bytes, expected parse error code (prefix), PINGs a resynchronised decoder finds after the bad part.
    static let hostileRequests: [(String, [UInt8], String, Int)] = [
        ("absurd array length", Array("*2147483647\r\n$4\r\nPING\r\n".utf8), "client:lengthLimitExceeded", 0),
        ("absurd bulk length", Array("*2\r\n$3\r\nGET\r\n$9223372036854775807\r\nxx\r\n".utf8), "client:lengthLimitExceeded", 0),
        ("negative bulk length", Array("*2\r\n$3\r\nGET\r\n$-7\r\nxx\r\n".utf8), "client:invalidLength", 0),
        ("overflowing length", Array("*1\r\n$99999999999999999999999\r\n".utf8), "client:invalidLength", 0),
        ("non-numeric length", Array("*1\r\n$4x\r\nPING\r\n".utf8), "client:invalidLength", 0),
        ("attribute on the client side", Array("|1\r\n+a\r\n+b\r\n*1\r\n$4\r\nPING\r\n".utf8), "client:", 1),
        ("nesting 1,000,000 deep", Array(String(repeating: "*1\r\n", count: 1_000_000).utf8), "client:", 0),
        ("100 MB inline line", [UInt8](repeating: UInt8(ascii: "a"), count: 100 << 20), "client:", 0),
    ]

    @Test(arguments: hostileRequests.indices)
    func hostileRequestIsAParseErrorOnItsConnectionOnly(index: Int) throws {
        let (name, bytes, code, pings) = Self.hostileRequests[index]
        let capture = Self.sandwich { capture, bad in
            capture.send(&bad, fromClient: true, bytes, mss: 65_000)
            capture.send(&bad, fromClient: false, "-ERR Protocol error\r\n")
        }
        let report = try Self.analyze(capture)
        Self.expectHealthyConnectionsExact(report, name, hostilePings: pings)
        #expect(report.quality.parseErrors >= 1, "\(name)")
        #expect(report.quality.parseErrorsByCode.keys.contains { $0.hasPrefix(code) }, "\(name): \(report.quality.parseErrorsByCode)")
        let event = report.quality.events.first { $0.kind == "parseError" || $0.kind == "notRedis" }
        #expect(event?.client == "10.0.0.1:40002", "\(name): the event names the hostile connection")
        #expect(report.quality.verdict != "complete", "\(name)")
    }

    @Test func hostileRepliesDoNotBreakPairingElsewhere() throws {
        for reply in ["*2147483647\r\n", "$9223372036854775807\r\n", "$-7\r\n", "%-3\r\n", ":notanumber\r\n"] {
            let capture = Self.sandwich { capture, bad in
                capture.exchange(&bad, "*1\r\n$4\r\nPING\r\n", reply)
            }
            let report = try Self.analyze(capture)
            let calls = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
            #expect(calls["ping"] == 2, "\(reply.debugDescription)")
            #expect(calls["get"] == 1 && calls["set"] == 1, "\(reply.debugDescription)")
            #expect(report.quality.parseErrorsByCode.keys.contains { $0.hasPrefix("server:") }, "\(reply.debugDescription)")
        }
    }

    @Test func pendingLimitIsReportedWithItsConnection() throws {
        let capture = Self.sandwich { capture, bad in
            capture.send(&bad, fromClient: true, Array(String(repeating: "*1\r\n$4\r\nPING\r\n", count: 50).utf8))
        }
        let report = try Self.analyze(capture) { $0.session.maxPendingCommands = 10 }
        Self.expectHealthyConnectionsExact(report, "pending", hostilePings: 50)
        #expect(report.quality.pendingOverflows == 40)
        let event = try #require(report.quality.events.first { $0.kind == "pendingLimit" })
        #expect(event.client == "10.0.0.1:40002")
    }

    /// Every limit reached is listed in `quality.limitsHit` with its option, value, scope and count; those not
    /// reached are not.
    @Test func everyLimitReachedIsListedWithWhatItCost() throws {
        var capture = SyntheticCapture()
        // 5 clients (addresses), one connection each, on distinct keys, queues and blocking-pop keys.
        for host in 1...5 {
            var c = SyntheticCapture.Connection(clientPort: UInt16(40_000 + host), serverPort: 6379, clientHost: UInt8(10 + host))
            capture.handshake(&c)
            for i in 0..<10 {
                let key = "k\(host):\(i)"
                capture.exchange(&c, "*2\r\n$3\r\nGET\r\n$\(key.utf8.count)\r\n\(key)\r\n", "$-1\r\n")
                capture.exchange(&c, "*3\r\n$5\r\nLPUSH\r\n$\(key.utf8.count + 1)\r\nq\(key)\r\n$1\r\nv\r\n", ":1\r\n")
                // 1 to 6 keys: more distinct key counts than --max-tracked-keys 4 allows in the distribution.
                let extra = (0..<(i % 6)).map { "$\(key.utf8.count + 2)\r\nx\($0)\(key)\r\n" }.joined()
                capture.exchange(&c, "*\(3 + i % 6)\r\n$5\r\nBRPOP\r\n$\(key.utf8.count + 1)\r\nq\(key)\r\n\(extra)$1\r\n0\r\n",
                                 "*2\r\n$\(key.utf8.count + 1)\r\nq\(key)\r\n$1\r\nv\r\n")
            }
            // Nested deeper than --max-depth, then a healthy PING.
            capture.send(&c, fromClient: false, String(repeating: "*1\r\n", count: 8) + ":1\r\n")
            capture.exchange(&c, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n")
            capture.close(&c)
        }
        let report = try Self.analyze(capture) {
            $0.maxTrackedKeys = 4
            $0.maxTrackedClients = 2
            $0.session.resp.maxDepth = 4
        }
        let hits = report.quality.limitsHit ?? []
        func hit(_ limit: String, _ scope: String) -> AnalysisReport.LimitHit? { hits.first { $0.limit == limit && $0.scope == scope } }
        #expect(hit("--max-tracked-keys", "keys")?.value == 4)
        #expect((hit("--max-tracked-keys", "keys")?.count ?? 0) > 0)
        #expect((hit("--max-tracked-keys", "queues")?.count ?? 0) > 0)
        #expect((hit("--max-tracked-keys", "blockingPops")?.count ?? 0) > 0)
        #expect((hit("--max-tracked-keys", "blockingPopKeyCounts")?.count ?? 0) > 0)
        #expect(hit("--max-tracked-clients", "clients")?.count == 3, "5 client addresses, 2 tracked")
        #expect(hit("--max-depth", "replies")?.count == 5)
        #expect(hit("--max-connections", "reassembly") == nil && hit("--max-pending", "commands") == nil)
        #expect(hits.allSatisfy { !$0.effect.isEmpty })
        #expect(Set(hits.map { "\($0.limit) \($0.scope)" }).count == hits.count, "one entry per (limit, scope): merge adds by it")
        // The analyses kept counting in the totals.
        let calls = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(calls["get"] == 50 && calls["lpush"] == 50 && calls["brpop"] == 50 && calls["ping"] == 5)

        // Within the defaults nothing is listed.
        #expect(try Self.analyze(capture).quality.limitsHit == nil)
    }

    @Test func connectionAndPendingLimitsAreListed() throws {
        let capture = Self.sandwich { capture, bad in
            capture.send(&bad, fromClient: true, Array(String(repeating: "*1\r\n$4\r\nPING\r\n", count: 50).utf8))
        }
        let report = try Self.analyze(capture) {
            $0.session.maxPendingCommands = 10
            $0.reassembly.maxConnections = 2
        }
        let hits = report.quality.limitsHit ?? []
        #expect(hits.first { $0.limit == "--max-pending" }?.count == 40)
        #expect(hits.first { $0.limit == "--max-connections" }?.count == report.quality.connectionsEvicted)
        #expect(report.quality.connectionsEvicted > 0)
    }

    /// fuzz-pcap found both: a first packet stamped 1970 before traffic stamped today padded the per-second
    /// connection series with 1.7 billion zeros (a 10 GB allocation), and pcapng timestamps at both ends of Int64
    /// overflowed the duration. Timestamps are clamped to 1970...2116 and the series to `maxSeconds`.
    @Test func forgedTimestampsCostNoMemoryAndNoOverflow() throws {
        let capture = Self.sandwich { capture, bad in capture.exchange(&bad, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n") }
        let arp = CapturePerturbation.Packet(timestampNanos: 0, linkType: 1, originalLength: 42,
                                             bytes: [UInt8](repeating: 0xFF, count: 12) + [0x08, 0x06] + [UInt8](repeating: 0, count: 28))
        let path = CapturePerturbation.write(CapturePerturbation.pcap([arp] + capture.packets), name: "forged-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
        Self.expectHealthyConnectionsExact(report, "1970 first packet", hostilePings: 1)
        #expect(report.connections.openedPerSecond.count <= 86_400)
        #expect(report.capture.durationSeconds >= 1.7e9)
    }

    /// `count` connections one after another, each sending `line` `times` times in one burst, never answered.
    static func connections(_ count: Int, firstPort: UInt16, eachSending line: String, times: Int, close: Bool) -> SyntheticCapture {
        var capture = SyntheticCapture()
        for index in 0..<count {
            var c = SyntheticCapture.Connection(clientPort: firstPort + UInt16(index), serverPort: 6379)
            capture.handshake(&c)
            capture.send(&c, fromClient: true, Array(String(repeating: line, count: times).utf8))
            if close { capture.close(&c) }
        }
        return capture
    }

    /// Unanswered pipelines on many connections: each connection stays under --max-pending, all of them together
    /// are held to --max-pending-total (a pending command holds a whole record: a 15 MB capture of them asked for
    /// 1.3 GB before this bound).
    @Test func pendingCommandsOnAllConnectionsAreBoundedTogether() throws {
        let capture = Self.connections(20, firstPort: 41_000, eachSending: "*1\r\n$4\r\nPING\r\n", times: 50, close: false)
        let report = try Self.analyze(capture) { $0.session.maxPendingTotal = 100 }
        #expect(report.commands.first { $0.name == "ping" }?.calls == 1_000, "every command is still counted")
        #expect(report.quality.unansweredCommands == 100, "at most 100 were held to the end")
        #expect(report.quality.pendingOverflows == 900)
        let hits = report.quality.limitsHit ?? []
        #expect(hits.first { $0.limit == "--max-pending-total" }?.count == 900)
        #expect(hits.first { $0.limit == "--max-pending-total" }?.value == 100)
        #expect(!hits.contains { $0.limit == "--max-pending" }, "no connection passed its own limit")
        // Within the default total, every command is held until the end.
        let unbounded = try Self.analyze(capture)
        #expect(unbounded.quality.unansweredCommands == 1_000 && unbounded.quality.pendingOverflows == 0)
    }

    /// Text lines naming unknown commands are held (a whole record each) until their connection proves to carry
    /// Redis; on all connections together at most --max-held are (a 12 MB capture of them asked for 800 MB before).
    @Test func heldLinesOnAllConnectionsAreBoundedTogether() throws {
        let capture = Self.connections(30, firstPort: 42_000, eachSending: "xyzzy a b\r\n", times: 50, close: true)
        // Connections close one after another, each releasing what it held: 50 at a time fit in 100.
        let roomy = try Self.analyze(capture) { $0.maxHeldTotal = 100 }
        #expect(roomy.quality.limitsHit?.first { $0.limit == "--max-held" } == nil)
        #expect(roomy.totals.commands == 1_500)
        // All 30 open at once: together they may hold 100.
        var interleaved = SyntheticCapture()
        var connections = (0..<30).map { SyntheticCapture.Connection(clientPort: UInt16(43_000 + $0), serverPort: 6379) }
        for index in connections.indices { interleaved.handshake(&connections[index]) }
        for index in connections.indices {
            // Answered, so each becomes a command at once, held while the connection is not known to carry Redis.
            for _ in 0..<50 { interleaved.exchange(&connections[index], "xyzzy a b\r\n", "-ERR unknown command 'xyzzy'\r\n") }
        }
        for index in connections.indices { interleaved.close(&connections[index]) }
        let crowded = try Self.analyze(interleaved) { $0.maxHeldTotal = 100 }
        let crowdedHit = try #require(crowded.quality.limitsHit?.first { $0.limit == "--max-held" })
        #expect(crowded.totals.commands == 100)
        #expect(crowdedHit.count == 1_400, "every line is analysed or counted as not analysed")
        #expect(try Self.analyze(interleaved).totals.commands == 1_500, "within the default bound every line counts")
    }

    @Test func bufferLimitIsReportedWithItsConnection() throws {
        let capture = Self.sandwich { capture, bad in
            // A 100-byte hole never filled, then 20 kB behind it: more than the 4 kB the connection may hold.
            bad.clientSeq &+= 100
            capture.send(&bad, fromClient: true, Array(String(repeating: "*1\r\n$4\r\nPING\r\n", count: 1_500).utf8))
        }
        let report = try Self.analyze(capture) { $0.reassembly.maxBufferedBytesPerConnection = 4096 }
        Self.expectHealthyConnectionsExact(report, "buffer limit", hostilePings: report.commands.first { $0.name == "ping" }.map { $0.calls - 1 } ?? 0)
        #expect(report.quality.bufferLimitDrops > 0)
        let events = report.quality.events.filter { $0.kind == "bufferLimit" }
        #expect(events.count == 1, "one event per connection")
        #expect(events.first?.client == "10.0.0.1:40002")
        #expect(events.first?.detail.contains("--max-buffered-bytes (4096)") == true)
        #expect(report.quality.limitsHit?.contains { $0.limit == "--max-buffered-bytes" && $0.value == 4096 } == true)
    }

    @Test func floodOfSYNsStaysWithinTheConnectionLimit() throws {
        // 100,000 SYNs from distinct ports with nothing after them, tracking at most 1,000 connections.
        var capture = SyntheticCapture()
        for i in 0..<100_000 {
            let c = SyntheticCapture.Connection(clientPort: UInt16(1024 + i % 64_000), serverPort: 6379,
                                                clientSeq: UInt32(i), serverSeq: 0)
            capture.append(c, fromClient: true, flags: 0x02, payload: [])
            if i % 64_000 == 63_999 { _ = capture.tick(700_000_000_000) }  // past the idle timeout before ports repeat
        }
        var healthy = SyntheticCapture.Connection(clientPort: 65_000, serverPort: 6379)
        capture.handshake(&healthy)
        capture.exchange(&healthy, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n")
        let report = try Self.analyze(capture) { $0.reassembly.maxConnections = 1_000 }
        #expect(report.connections.total == 100_001)
        #expect(report.quality.connectionsEvicted >= 98_000)
        #expect(report.quality.events.contains { $0.kind == "connectionLimit" })
        #expect(report.commands.map(\.name) == ["ping"])
        #expect(report.commands.first?.calls == 1)
    }
}
