import Analysis
import Findings
import Pipeline
import Foundation
import TLSDecryption
import Testing

/// The TLS fixtures (`fixtures/tls/`, scripts/capture-tls.sh): real redis-server TLS traffic and the clients' key
/// logs. Decrypted, respcap's numbers must equal the server's own accounting exactly; connections the key log
/// cannot open must be named with their reason, never decoded.
@Suite struct TLSFixtureTests {
    struct Truth: Decodable {
        struct Expected: Decodable {
            let commands: [String: Int]
            let clientBytes: Int64
            let serverBytes: Int64
            let tls: TLS
        }
        struct TLS: Decodable {
            let connections: Int
            let decrypted: Int
            let withoutKeys: Int
            let handshakeNotSeen: Int
            let authenticationFailures: Int
            let byVersionAndSuite: [Suite]
        }
        struct Suite: Decodable {
            let version: String
            let cipherSuite: String
            let connections: Int
        }
        struct Server: Decodable {
            let commandstats: [String: Int]
        }
        struct Connection: Decodable {
            let commands: [String: Int]
            let expect: String
        }
        let port: Int
        let connections: [Connection]
        let keyLog: String
        let expected: Expected
        let server: Server
    }

    static let directory = TestPaths.fixtures.appendingPathComponent("tls")
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".truth.json") }.map { String($0.dropLast(".truth.json".count)) }.sorted()
    }()

    static func truth(_ name: String) throws -> Truth {
        try JSONDecoder().decode(Truth.self, from: Data(contentsOf: directory.appendingPathComponent(name + ".truth.json")))
    }

    static func analyze(_ name: String, path: String? = nil, keyLog: Bool = true) throws -> (AnalysisReport, Truth) {
        let truth = try truth(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        if keyLog { options.tlsKeys = try TLSKeyStore(path: directory.appendingPathComponent(truth.keyLog).path) }
        let capture = path ?? directory.appendingPathComponent(name + ".pcap").path
        return (try CaptureAnalyzer(options: options).analyze(paths: [capture]), truth)
    }

    static func expectMatches(_ report: AnalysisReport, _ truth: Truth, _ name: String) throws {
        let seen = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        #expect(seen == truth.expected.commands, "\(name): commands by name")
        #expect(report.totals.clientBytes == truth.expected.clientBytes, "\(name): request bytes (the server's net input)")
        #expect(report.totals.serverBytes == truth.expected.serverBytes, "\(name): reply bytes (the server's net output)")
        let tls = try #require(report.tls)
        #expect(tls.connections == truth.expected.tls.connections, "\(name): TLS connections")
        #expect(tls.decrypted == truth.expected.tls.decrypted, "\(name): decrypted")
        #expect(tls.withoutKeys == truth.expected.tls.withoutKeys, "\(name): without keys")
        #expect(tls.handshakeNotSeen == truth.expected.tls.handshakeNotSeen, "\(name): handshake not seen")
        #expect(tls.authenticationFailures == truth.expected.tls.authenticationFailures, "\(name): authentication failures")
        #expect(tls.otherFailures.isEmpty, "\(name): \(tls.otherFailures)")
        #expect(tls.byVersionAndSuite.map { "\($0.version) \($0.cipherSuite) \($0.connections)" }
            == truth.expected.tls.byVersionAndSuite.map { "\($0.version) \($0.cipherSuite) \($0.connections)" })
        #expect(report.quality.parseErrors == 0 && report.quality.notRedisConnections == 0 && report.quality.unpairedReplies == 0,
                "\(name): nothing undecrypted reaches the RESP decoder")
    }

    @Test func fixturesCoverEveryVersionAndSuite() throws {
        let suites = Set(try Self.names.flatMap { try Self.truth($0).expected.tls.byVersionAndSuite.map(\.cipherSuite) })
        #expect(suites == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                           "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                           "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"])
    }

    @Test(arguments: names)
    func decryptedCountsEqualTheServers(name: String) throws {
        let (report, truth) = try Self.analyze(name)
        try Self.expectMatches(report, truth, name)
        // Every command the server counted is either decoded or on a connection named as not decrypted.
        if truth.expected.tls.decrypted == truth.expected.tls.connections {
            #expect(truth.expected.commands == truth.server.commandstats)
            #expect(report.quality.verdict == "complete")
        } else {
            #expect(report.quality.verdict.contains("TLS connection"), "\(report.quality.verdict)")
        }
    }

    /// The analysis on its own thread (as the command line runs it) gives the same report, byte for byte.
    @Test(arguments: names)
    func aSecondThreadGivesTheSameReport(name: String) throws {
        let truth = try Self.truth(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        options.tlsKeys = try TLSKeyStore(path: Self.directory.appendingPathComponent(truth.keyLog).path)
        let path = Self.directory.appendingPathComponent(name + ".pcap").path
        var threaded = CaptureAnalyzer(options: options)
        threaded.threads = 2
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let one = try encoder.encode(try CaptureAnalyzer(options: options).analyze(paths: [path]))
        let two = try encoder.encode(try threaded.analyze(paths: [path]))
        #expect(one == two)
    }

    /// The same byte streams cut into other segments (1 byte, a few, a record and a half) decrypt to the same.
    @Test(arguments: names)
    func segmentationDoesNotMatter(name: String) throws {
        let path = Self.directory.appendingPathComponent(name + ".pcap").path
        let packets = try CapturePerturbation.read(path)
        for sizes in [[1], [3, 7, 1], [5, 24_000, 2]] {
            let cut = CapturePerturbation.write(CapturePerturbation.pcap(CapturePerturbation.resegment(packets, sizes: sizes)),
                                                name: "tls-\(name)-\(sizes.count)")
            defer { try? FileManager.default.removeItem(atPath: cut) }
            let (report, truth) = try Self.analyze(name, path: cut)
            try Self.expectMatches(report, truth, "\(name) cut \(sizes)")
        }
    }

    /// The same captures as pcapng with the key log inside (`editcap --inject-secrets`): no --tls-keylog needed.
    @Test(arguments: ["tls13-aes256", "tls12"])
    func secretsInsideThePcapngDecryptToTheSame(name: String) throws {
        let path = Self.directory.appendingPathComponent(name + ".secrets.pcapng").path
        let (report, truth) = try Self.analyze(name, path: path, keyLog: false)
        try Self.expectMatches(report, truth, name + ".secrets.pcapng")
        let tls = try #require(report.tls)
        #expect(tls.keyLog == nil && tls.secretsInCapture == truth.expected.tls.connections && tls.secretsBlocksRejected == nil)
    }

    /// The first connection's key log lines left out, or its secrets altered (TLS 1.2's master secret, TLS 1.3's
    /// traffic secrets): only that connection is lost, named with its reason; the others' commands are exact.
    @Test(arguments: ["tls12", "tls13-aes128"], [false, true])
    func oneConnectionsKeysMissingOrWrong(name: String, altered: Bool) throws {
        let truth = try Self.truth(name)
        let text = try String(contentsOf: Self.directory.appendingPathComponent(truth.keyLog), encoding: .utf8)
        let lines = text.split(separator: "\n" as Character).map { $0.split(separator: " " as Character).map(String.init) }
        let firstRandom = try #require(lines.first?[1])
        let edited = lines.compactMap { fields -> String? in
            guard fields[1] == firstRandom else { return fields.joined(separator: " ") }
            guard altered else { return nil }
            return [fields[0], fields[1], String(fields[2].reversed())].joined(separator: " ")
        }.joined(separator: "\n")
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        options.tlsKeys = TLSKeyStore(keyLog: try TLSKeyLog(bytes: Array(edited.utf8)))
        let report = try CaptureAnalyzer(options: options).analyze(paths: [Self.directory.appendingPathComponent(name + ".pcap").path])
        let tls = try #require(report.tls)
        #expect(tls.decrypted == truth.connections.count - 1)
        #expect((altered ? tls.authenticationFailures : tls.withoutKeys) == 1)
        var expected: [String: Int] = [:]
        for connection in truth.connections.dropFirst() { expected.merge(connection.commands, uniquingKeysWith: +) }
        #expect(Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) }) == expected)
        #expect(report.quality.parseErrors == 0 && report.quality.unpairedReplies == 0)
    }

    /// Partial records count against --max-buffered-total: past it a connection stops, named, as a limit hit.
    /// (Cut into 1,460-byte segments, as on a real network, 16 KB records arrive in pieces.)
    @Test func partialRecordsPastTheBufferBoundStopTheConnection() throws {
        let truth = try Self.truth("tls13-aes128")
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        options.reassembly.maxBufferedBytesTotal = 4096
        options.tlsKeys = try TLSKeyStore(path: Self.directory.appendingPathComponent(truth.keyLog).path)
        let packets = try CapturePerturbation.read(Self.directory.appendingPathComponent("tls13-aes128.pcap").path)
        let cut = CapturePerturbation.write(CapturePerturbation.pcap(CapturePerturbation.resegment(packets, sizes: [1460])),
                                            name: "tls-mss")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let report = try CaptureAnalyzer(options: options).analyze(paths: [cut])
        let tls = try #require(report.tls)
        #expect(tls.otherFailures["bufferLimit"] == 1 && tls.decrypted == 1, "\(tls)")
        let hit = try #require(report.quality.limitsHit?.first { $0.scope == "tls" })
        #expect(hit.limit == "--max-buffered-total" && hit.value == 4096 && hit.count == 1)
        #expect(report.quality.parseErrors == 0)
    }

    /// The fixture's one connection as (from the client, payload) in capture order, each byte once.
    static func payloads(_ name: String) throws -> [(fromClient: Bool, bytes: [UInt8])] {
        let truth = try truth(name)
        var next: [Bool: UInt32] = [:]
        var out: [(Bool, [UInt8])] = []
        for p in try CapturePerturbation.read(directory.appendingPathComponent(name + ".pcap").path) {
            guard let (start, count) = CapturePerturbation.payloadRange(p), count > 0 else { continue }
            let tcp = 14 + Int(p.bytes[14] & 0x0F) * 4
            let fromClient = Int(p.bytes[tcp + 2]) << 8 | Int(p.bytes[tcp + 3]) == truth.port
            let seq = p.bytes[(tcp + 4)..<(tcp + 8)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if let expected = next[fromClient], expected != seq { continue }
            next[fromClient] = seq &+ UInt32(count)
            out.append((fromClient, Array(p.bytes[start...])))
        }
        return out
    }

    static func decrypt(_ payloads: [(fromClient: Bool, bytes: [UInt8])], with decryptor: TLSConnectionDecryptor,
                        afterEach: (Int) throws -> Void = { _ in }) rethrows -> [Bool: [UInt8]] {
        var plaintext: [Bool: [UInt8]] = [true: [], false: []]
        for (index, payload) in payloads.enumerated() {
            payload.bytes.withUnsafeBytes { bytes in
                decryptor.feed(bytes, fromClient: payload.fromClient) { data, fromClient in plaintext[fromClient, default: []] += data }
            }
            try afterEach(index)
        }
        return plaintext
    }

    /// `live`: a client writes its secrets as it connects, so its first encrypted records may be read before its
    /// lines are in the key log. The connection waits for them, then decrypts everything it held, in order.
    @Test(arguments: ["tls13-aes256", "tls13-key-update"])
    func aConnectionWaitsForSecretsTheKeyLogDoesNotHoldYet(name: String) throws {
        let truth = try Self.truth(name)
        let payloads = try Self.payloads(name)
        let keyLog = try Data(contentsOf: Self.directory.appendingPathComponent(truth.keyLog))
        let reference = TLSConnectionDecryptor(keys: TLSKeyStore(keyLog: try TLSKeyLog(bytes: Array(keyLog))))
        let expected = try Self.decrypt(payloads, with: reference)
        #expect(reference.failure == nil && !(expected[true] ?? []).isEmpty && !(expected[false] ?? []).isEmpty)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-growing-\(name)-\(getpid()).keylog").path
        FileManager.default.createFile(atPath: path, contents: Data("# nothing yet\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try TLSKeyStore(path: path)
        store.waitsForGrowth = true
        let budget = TLSBufferBudget(limit: 1 << 20)
        let decryptor = TLSConnectionDecryptor(keys: store, budget: budget)
        // The lines appear after the server's first flight (its encrypted handshake) and before the rest.
        let firstFromServer = try #require(payloads.firstIndex { !$0.fromClient })
        let got = try Self.decrypt(payloads, with: decryptor) { index in
            if index == firstFromServer + 1 { try keyLog.write(to: URL(fileURLWithPath: path)) }
        }
        #expect(decryptor.failure == nil)
        #expect(got == expected)
        #expect(store.reloads == 1)
        decryptor.release()
        #expect(budget.used == 0)
    }

    /// Secrets that never come: the records held are given back and the connection is without keys.
    @Test func secretsThatNeverComeLeaveTheConnectionWithoutKeys() throws {
        let payloads = try Self.payloads("tls13-aes256")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-never-\(getpid()).keylog").path
        FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try TLSKeyStore(path: path)
        store.waitsForGrowth = true
        let budget = TLSBufferBudget(limit: 1 << 20)
        let decryptor = TLSConnectionDecryptor(keys: store, budget: budget)
        let got = try Self.decrypt(payloads, with: decryptor)
        #expect(got.values.allSatisfy { $0.isEmpty })
        #expect(budget.used > 0 && decryptor.failure == nil)
        decryptor.release()
        #expect(budget.used == 0 && decryptor.failure == .noKeys)
    }

    @Test func withoutAKeyLogTLSIsNamedNotParsed() throws {
        let (report, truth) = try Self.analyze("tls13-aes128", keyLog: false)
        let tls = try #require(report.tls)
        #expect(tls.connections == truth.expected.tls.connections)
        #expect(tls.withoutKeys == tls.connections && tls.decrypted == 0 && tls.keyLog == nil)
        #expect(tls.problems.allSatisfy { $0.detail.contains("--tls-keylog") })
        #expect(report.totals.commands == 0 && report.quality.parseErrors == 0 && report.quality.notRedisConnections == 0)
        #expect(report.quality.verdict.hasPrefix("unusable: the traffic on port \(truth.port) is TLS"), "\(report.quality.verdict)")
        #expect(report.quality.verdict.contains("--tls-keylog"))
        // Named in the quality section: how many, which version, which server name (capture_tls.py connects with
        // server_hostname "localhost"), none decrypted.
        #expect(report.quality.tlsConnections == truth.expected.tls.connections)
        #expect(report.quality.tls == [TLSConnections(version: "TLS 1.3", sni: "localhost", connections: truth.expected.tls.connections,
                                                      decrypted: 0)])
    }

    /// With the key log, the quality section's TLS groups count the connections decrypted, one missing from the key log
    /// apart.
    @Test(arguments: names)
    func tlsConnectionsAreNamedByVersionAndServerName(name: String) throws {
        let (report, truth) = try Self.analyze(name)
        #expect(report.quality.tlsConnections == truth.expected.tls.connections)
        let groups = try #require(report.quality.tls)
        #expect(groups.reduce(0) { $0 + $1.connections } == truth.expected.tls.connections)
        #expect(groups.reduce(0) { $0 + $1.decrypted } == truth.expected.tls.decrypted)
        // Python's clients name the server; `openssl s_client` without -servername does not, and a connection whose
        // handshake came before the capture has neither version nor name.
        #expect(groups.allSatisfy { $0.sni == nil || $0.sni == "localhost" })
        #expect(groups.allSatisfy { $0.version != "unknown" || $0.sni == nil })
        #expect(groups.first { $0.version == "unknown" }?.connections ?? 0 == report.tls?.handshakeNotSeen ?? 0)
    }

    /// Bytes damaged on the wire fail authentication: the connection stops being decoded, nothing is invented.
    @Test func damagedRecordsFailAuthenticationAndDecodeNothingAfter() throws {
        let name = "tls13-aes128"
        let path = Self.directory.appendingPathComponent(name + ".pcap").path
        let damaged = CapturePerturbation.write(
            CapturePerturbation.pcap(CapturePerturbation.flipBytes(try CapturePerturbation.read(path), every: 10, seed: 5)),
            name: "tls-flipped")
        defer { try? FileManager.default.removeItem(atPath: damaged) }
        let (clean, _) = try Self.analyze(name)
        let (report, _) = try Self.analyze(name, path: damaged)
        let tls = try #require(report.tls)
        #expect(tls.decrypted < tls.connections)
        let cleanCalls = Dictionary(uniqueKeysWithValues: clean.commands.map { ($0.name, $0.calls) })
        for command in report.commands {
            #expect(command.calls <= cleanCalls[command.name] ?? 0, "\(command.name): decoded from damaged bytes")
        }
        #expect(report.quality.parseErrors == 0)
    }

    @Test func theReportNamesTheKeyLogButNoSecret() throws {
        let (report, truth) = try Self.analyze("tls-partial-keys")
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains(truth.keyLog))
        let keyLog = try String(contentsOf: Self.directory.appendingPathComponent(truth.keyLog), encoding: .utf8)
        for line in keyLog.split(separator: "\n" as Character) {
            let fields = line.split(separator: " " as Character)
            guard fields.count == 3 else { continue }
            #expect(!json.contains(String(fields[2])) && !json.contains(String(fields[1])))
        }
    }
}
