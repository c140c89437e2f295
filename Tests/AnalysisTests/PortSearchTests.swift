import Analysis
import ExternalCaptureLocation
import Foundation
import Pipeline
import Testing

/// Redis found on any port by what its connections carry (the command line's default, without `--port`): every
/// capture whose Redis is not on 6379 gives, without being told the port, the numbers it gives with it.
@Suite struct PortSearchTests {
    /// The figures a report gives that the port search must not change.
    struct Figures: Equatable, CustomStringConvertible {
        var commands: [String: Int]
        var totalCommands: Int
        var errorReplies: Int
        var errorsByPrefix: [String: Int]
        var clientBytes: Int64
        var serverBytes: Int64
        var connections: Int
        var unpairedReplies: Int
        var pushes: Int
        var propagated: [String: Int]
        var verdict: String

        init(_ report: AnalysisReport) {
            commands = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
            totalCommands = report.totals.commands
            errorReplies = report.totals.errorReplies
            errorsByPrefix = report.errorsByPrefix
            clientBytes = report.totals.clientBytes
            serverBytes = report.totals.serverBytes
            connections = report.connections.total
            unpairedReplies = report.quality.unpairedReplies
            pushes = report.pushes.total
            propagated = Dictionary(uniqueKeysWithValues: (report.replication?.propagated ?? []).map { ($0.name, $0.calls) })
            verdict = report.quality.verdict
        }

        var description: String {
            "\(totalCommands) commands, \(connections) connections, \(clientBytes)/\(serverBytes) bytes, \(verdict)"
        }
    }

    static func analyze(_ path: String, ports: Set<UInt16>?) throws -> AnalysisReport {
        var options = AnalysisOptions()
        if let ports {
            options.serverPorts = ports
        } else {
            options.searchesEveryPort = true
        }
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    /// Fixtures whose Redis listens elsewhere than 6379 alone, with the ports their truth names.
    static let fixtures: [(file: String, ports: Set<UInt16>)] = [
        ("cluster-unpipelined.pcap", [7000]),
        ("cluster-hot-slot.pcap", [7000]),
        ("cluster-redirects.pcap", [7000]),
        ("sentinel-churn.pcap", [6379, 26379]),
        ("sentinel-commands.pcap", [6379, 26379]),
        ("valkey-sentinel-commands.pcap", [6379, 26379]),
        ("replication/full-sync-disk.pcap", [6379]),
        ("replication/partial-resync.pcap", [6379]),
    ]

    @Test(arguments: fixtures.map(\.file))
    func fixtureGivesTheSameNumbersWithoutItsPorts(file: String) throws {
        let ports = try #require(Self.fixtures.first { $0.file == file }?.ports)
        let path = TestPaths.fixtures.appendingPathComponent(file).path
        let told = try Self.analyze(path, ports: ports)
        let found = try Self.analyze(path, ports: nil)
        #expect(Figures(found) == Figures(told), "\(file): \(Figures(found)) against \(Figures(told))")
        #expect(found.capture.serverPortsFound == ports.sorted().map(Int.init), "\(file)")
        #expect(found.capture.otherProtocolConnections == 0, "\(file)")
    }

    static let external = ExternalCaptures.all.filter {
        FileManager.default.fileExists(atPath: ExternalCaptureLocation.path("\($0.directory)/\($0.file)"))
    }

    @Test(.enabled(if: ExternalCaptureLocation.testsEnabled, Comment(rawValue: ExternalCaptureLocation.skipReason)),
          arguments: external.map(\.directory))
    func externalCaptureGivesTheSameNumbersWithoutItsPorts(directory: String) throws {
        let e = try #require(ExternalCaptures.all.first { $0.directory == directory })
        let path = ExternalCaptureLocation.path("\(e.directory)/\(e.file)")
        let told = try Self.analyze(path, ports: Set(e.ports))
        let found = try Self.analyze(path, ports: nil)
        let expected = Figures(told)
        let seen = Figures(found)
        if told.quality.notRedisConnections > 0 && !e.ports.contains(6379) {
            // Not RESP on a port not named: skipped, never decoded, rather than analysed and reported as not RESP.
            #expect(seen.commands == expected.commands && seen.totalCommands == 0, "\(directory): \(seen)")
            #expect((found.capture.otherProtocolConnections ?? 0) > 0, "\(directory)")
            return
        }
        #expect(seen == expected, "\(directory): \(seen) against \(expected)")
    }

    // MARK: Redis on 6401 among other protocols (scripts/capture-ports.sh)

    struct PortsTruth: Decodable {
        struct Expected: Decodable {
            let commands: [String: Int]
            let errorsByPrefix: [String: Int]?
            let clientBytes: Int64?
            let serverBytes: Int64?
            let connections: Int?
            let otherProtocolConnections: Int
            let serverPortsFound: [Int]
        }
        let redisPort: Int
        let expected: Expected
    }

    static func portsFixture(_ name: String) throws -> (PortsTruth, String) {
        let directory = TestPaths.fixtures.appendingPathComponent("ports")
        let truth = try JSONDecoder().decode(
            PortsTruth.self, from: Data(contentsOf: directory.appendingPathComponent(name + ".truth.json")))
        return (truth, directory.appendingPathComponent(name + ".pcap").path)
    }

    @Test func redisOnAnotherPortIsFoundAndExactAgainstItsServer() throws {
        let (truth, path) = try Self.portsFixture("redis-6401")
        let report = try Self.analyze(path, ports: nil)
        let e = truth.expected
        #expect(Figures(report).commands == e.commands)
        #expect(report.errorsByPrefix == e.errorsByPrefix)
        #expect(report.totals.clientBytes == e.clientBytes)
        #expect(report.totals.serverBytes == e.serverBytes)
        #expect(report.connections.total == e.connections)
        #expect(report.quality.verdict == "complete")
        #expect(report.quality.parseErrors == 0 && report.quality.unpairedReplies == 0)
        #expect(report.capture.serverPortsFound == e.serverPortsFound)
        #expect(report.capture.otherProtocolConnections == e.otherProtocolConnections)
        #expect(report.capture.servers == ["127.0.0.1:\(truth.redisPort)"])
    }

    @Test func otherProtocolsYieldNoCommands() throws {
        let (truth, path) = try Self.portsFixture("other-protocols")
        let report = try Self.analyze(path, ports: nil)
        #expect(report.totals.commands == 0 && report.commands.isEmpty)
        #expect(report.quality.unpairedReplies == 0 && report.pushes.total == 0)
        #expect(report.connections.total == 0)
        #expect(report.totals.clientBytes == 0 && report.totals.serverBytes == 0)
        #expect(report.capture.serverPortsFound == [])
        #expect(report.capture.otherProtocolConnections == truth.expected.otherProtocolConnections)
        #expect(report.quality.verdict.hasPrefix("unusable: no Redis traffic found on any port"), "\(report.quality.verdict)")
    }

    /// Without the handshakes every connection is picked up mid-stream: the sides are told by content.
    @Test func redisIsFoundMidStreamToo() throws {
        let (truth, path) = try Self.portsFixture("redis-6401")
        let packets = try CapturePerturbation.read(path).filter { packet in
            // Ethernet + IPv4 without options (lo): the TCP flags are at byte 47.
            !(packet.bytes.count > 47 && packet.bytes[47] & 0x02 != 0)
        }
        let file = CapturePerturbation.write(CapturePerturbation.pcap(packets), name: "ports-mid-stream")
        defer { try? FileManager.default.removeItem(atPath: file) }
        // Mid-stream, a session waits for a RESP array before it trusts text lines (the inline connection's
        // commands are not taken), with the port named or found alike.
        let found = try Self.analyze(file, ports: nil)
        let told = try Self.analyze(file, ports: [UInt16(truth.redisPort)])
        #expect(Figures(found) == Figures(told), "\(Figures(found)) against \(Figures(told))")
        #expect(found.totals.commands >= truth.expected.commands.values.reduce(0, +) - 4)
        #expect(found.capture.serverPortsFound == [truth.redisPort])
        #expect(found.capture.otherProtocolConnections == truth.expected.otherProtocolConnections)
    }

    /// Picked up mid-stream with the client on the lower port, the reassembler's guess of the server is wrong; the
    /// bytes put it right.
    @Test func sidesAreToldByContentMidStream() throws {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: 1000, serverPort: 6401)
        capture.append(connection, fromClient: true, flags: 0x10, payload: [])
        capture.exchange(&connection, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$1\r\nv\r\n")
        capture.exchange(&connection, "PING\r\n", "+PONG\r\n")
        capture.close(&connection)
        let file = capture.write(name: "ports-sides")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let report = try Self.analyze(file, ports: nil)
        #expect(Figures(report).commands == ["get": 1, "ping": 1])
        #expect(report.capture.servers == ["10.0.0.2:6401"])
        #expect(report.capture.serverPortsFound == [6401])
        #expect(report.quality.unpairedReplies == 0)
    }

    /// A subscriber picked up mid-stream that only listens: the messages it receives show it is the client.
    @Test(arguments: [1000, 50000] as [UInt16])
    func listeningSubscriberIsFoundMidStream(clientPort: UInt16) throws {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: clientPort, serverPort: 6401)
        capture.append(connection, fromClient: true, flags: 0x10, payload: [])
        for channel in ["orders", "alerts"] {
            capture.send(&connection, fromClient: false, "*3\r\n$7\r\nmessage\r\n$\(channel.count)\r\n\(channel)\r\n$2\r\nhi\r\n")
        }
        capture.send(&connection, fromClient: false, ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n")
        let file = capture.write(name: "ports-subscriber")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let found = try Self.analyze(file, ports: nil)
        let told = try Self.analyze(file, ports: [6401])
        #expect(found.capture.servers == ["10.0.0.2:6401"])
        #expect(found.pushes.total == told.pushes.total && found.quality.unpairedReplies == told.quality.unpairedReplies)
        #expect(found.pushes.total + found.quality.unpairedReplies == 3)
    }

    /// A first request larger than what is held while a connection is judged (a 64 KiB loopback segment) proves
    /// Redis by its start and is replayed whole.
    @Test func largeFirstRequestIsFound() throws {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: 40000, serverPort: 6401)
        capture.handshake(&connection)
        let value = String(repeating: "v", count: 150_000)
        capture.send(&connection, fromClient: true, Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$150000\r\n\(value)\r\n".utf8), mss: 65_000)
        capture.send(&connection, fromClient: false, "+OK\r\n")
        capture.exchange(&connection, "*2\r\n$6\r\nSTRLEN\r\n$1\r\nk\r\n", ":150000\r\n")
        capture.close(&connection)
        let file = capture.write(name: "ports-large")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let report = try Self.analyze(file, ports: nil)
        #expect(Figures(report).commands == ["set": 1, "strlen": 1])
        #expect(report.totals.clientBytes == Int64(150_000 + 31 + 23))
        #expect(report.quality.verdict == "complete", "\(report.quality.verdict)")
    }

    /// Text that names Redis commands is not Redis unless a Redis server answers it, and a Redis server never speaks
    /// first.
    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        ("get session:1\r\n", "END\r\n", false),
        ("set k 0 0 1\r\nv\r\n", "STORED\r\n", false),
        ("", "+OK POP3 server ready\r\n", true),
        ("\u{16}\u{03}\u{01}\u{00}\u{05}hello", "\u{16}\u{03}\u{03}\u{00}\u{02}hi", false),
    ])
    func otherProtocolsNamingCommandsAreNotRedis(request: String, reply: String, serverFirst: Bool) throws {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: 40000, serverPort: 110)
        capture.handshake(&connection)
        if serverFirst {
            capture.send(&connection, fromClient: false, reply)
            capture.send(&connection, fromClient: true, "AUTH user secret\r\n")
            capture.send(&connection, fromClient: false, "+OK\r\n")
        } else {
            capture.exchange(&connection, request, reply)
        }
        capture.close(&connection)
        let file = capture.write(name: "ports-other")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let report = try Self.analyze(file, ports: nil)
        #expect(report.totals.commands == 0 && report.quality.unpairedReplies == 0)
        #expect(report.capture.otherProtocolConnections == 1)
    }

    /// Random openings (garbage, cut RESP, text lines naming commands or not, server-first bytes) on random ports, with
    /// and without handshakes: nothing crashes, and every connection that carried bytes is either analysed as Redis
    /// or counted as another protocol.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomOpeningsAreJudgedOneWayOrTheOther(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let openings = ["*1\r\n$4\r\nPING\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "GET / HTTP/1.1\r\n\r\n",
                        "+OK\r\n", "$5\r\nhello\r\n", "*1\r\n$4\r\nPI", "NOSUCH x\r\n", "\u{16}\u{03}\u{01}\u{00}", "*3\r\n$7\r\nmessage\r\n"]
        var capture = SyntheticCapture()
        let count = 120
        for index in 0..<count {
            var connection = SyntheticCapture.Connection(clientPort: UInt16(20_000 + index), serverPort: UInt16.random(in: 1...9_000, using: &random))
            if Bool.random(using: &random) { capture.handshake(&connection) }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                var bytes = Array(openings.randomElement(using: &random)!.utf8)
                if Bool.random(using: &random) { bytes += (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } }
                capture.send(&connection, fromClient: Bool.random(using: &random), bytes, mss: Int.random(in: 1...64, using: &random))
            }
            capture.close(&connection)
        }
        let file = capture.write(name: "ports-random")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let report = try Self.analyze(file, ports: nil)
        #expect(report.connections.total + (report.capture.otherProtocolConnections ?? 0) == count, "seed \(seed)")
    }
}
