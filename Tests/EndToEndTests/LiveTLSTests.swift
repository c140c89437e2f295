import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live --tls-keylog` against a real TLS redis-server: the clients start after respcap and append their
/// secrets to the key log while it captures, so respcap must read the file again when a connection's client random
/// is not in it yet. Counts must equal the server's commandstats. Part of the serialized live suite.
extension LiveCaptureTests {
    /// TLS connections (1.3, then 1.2) writing the key log, pipelined and not; prints nothing.
    static let tlsWorkload = """
        import socket, ssl, sys
        port, ca, keylog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        def pack(*args):
            out = b"*%d\\r\\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\\r\\n%s\\r\\n" % (len(a), a)
            return out
        def replies(sock, n):
            data = b""
            while data.count(b"\\r\\n") < n:
                chunk = sock.recv(65536)
                if not chunk:
                    raise SystemExit("closed")
                data += chunk
        for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(ca)
            ctx.check_hostname = False
            ctx.minimum_version = ctx.maximum_version = version
            ctx.keylog_filename = keylog
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
            for i in range(20):
                s.sendall(pack("SET", "tls:%d" % i, "v" * 10))
                replies(s, 1)
            s.sendall(b"".join(pack("INCR", "tls:counter") for _ in range(30)))
            replies(s, 30)
            s.unwrap()
            s.close()
        """

    @Test(.enabled(if: unavailable == nil && LiveTLSServer.openssl != nil,
                   Comment(rawValue: "live TLS test skipped: \(unavailable ?? "no openssl")")),
          .timeLimit(.minutes(2)))
    func liveDecryptsWithAKeyLogWrittenWhileItCaptures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-live-tls-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try LiveTLSServer.start(in: directory)
        defer { server.stop() }
        let keyLog = directory.appendingPathComponent("keys.log").path
        FileManager.default.createFile(atPath: keyLog, contents: Data())
        let reportPath = directory.appendingPathComponent("live.json").path

        let before = try server.commandstats()
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.tlsPort)", "--tls-keylog", keyLog,
                                          "--format", "json", "-o", reportPath])
        try Shell.run(LiveEnvironment.python ?? "python3", ["-c", Self.tlsWorkload, "\(server.tlsPort)", server.ca, keyLog])
        let after = try server.commandstats()
        usleep(300_000)
        let result = try live.stop()
        #expect(result.status == 0, "\(result.stderr)")

        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        var expected: [String: Int] = [:]
        // INFO over the plain port is the test's own traffic, not on the captured port.
        for (name, calls) in after where name != "info" && calls != (before[name] ?? 0) { expected[name] = calls - (before[name] ?? 0) }
        let commands = try #require(report["commands"] as? [[String: Any]])
        var seen: [String: Int] = [:]
        for command in commands { seen[command["name"] as? String ?? ""] = command["calls"] as? Int }
        #expect(seen == expected && expected == ["set": 40, "incr": 60])
        let tls = try #require(report["tls"] as? [String: Any])
        #expect(tls["connections"] as? Int == 2 && tls["decrypted"] as? Int == 2, "\(tls)")
        let suites = try #require(tls["byVersionAndSuite"] as? [[String: Any]])
        #expect(Set(suites.compactMap { $0["version"] as? String }) == ["TLS 1.2", "TLS 1.3"])
        let secrets = try String(contentsOfFile: keyLog, encoding: .utf8).split(separator: "\n").compactMap { $0.split(separator: " ").last }
        #expect(secrets.count >= 6)
        let text = try String(contentsOfFile: reportPath, encoding: .utf8) + result.stdout + result.stderr
        for secret in secrets { #expect(!text.contains(String(secret))) }
    }
}

/// A redis-server with a TLS port (captured) and a plain one (for INFO), its certificate made by openssl.
final class LiveTLSServer {
    static let openssl: String? = ["/usr/bin/openssl", "/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let tlsPort: Int
    let plainPort: Int
    let ca: String
    private let process: Process

    private init(tlsPort: Int, plainPort: Int, ca: String, process: Process) {
        self.tlsPort = tlsPort
        self.plainPort = plainPort
        self.ca = ca
        self.process = process
    }

    static func start(in directory: URL) throws -> LiveTLSServer {
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let openssl = openssl ?? "openssl"
        try Shell.run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=respcap test CA",
                                "-keyout", path("ca.key"), "-out", path("ca.crt")])
        try Shell.run(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                                "-keyout", path("server.key"), "-out", path("server.csr")])
        try Shell.run(openssl, ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                                "-CAcreateserial", "-days", "1", "-out", path("server.crt")])
        let tlsPort = try LiveEnvironment.freePort()
        var plainPort = try LiveEnvironment.freePort()
        while plainPort == tlsPort { plainPort = try LiveEnvironment.freePort() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", "\(plainPort)", "--tls-port", "\(tlsPort)", "--bind", "127.0.0.1",
                             "--tls-cert-file", path("server.crt"), "--tls-key-file", path("server.key"),
                             "--tls-ca-cert-file", path("ca.crt"), "--tls-auth-clients", "no",
                             "--save", "", "--appendonly", "no", "--dir", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = LiveTLSServer(tlsPort: tlsPort, plainPort: plainPort, ca: path("ca.crt"), process: process)
        for _ in 0..<100 {
            if (try? Shell.run("redis-cli", ["-p", "\(plainPort)", "ping"]))?.contains("PONG") == true { return server }
            usleep(50_000)
        }
        server.stop()
        throw ShellError(message: "redis-server did not start with TLS on port \(tlsPort)")
    }

    /// `INFO commandstats` over the plain port: calls plus rejected calls per command.
    func commandstats() throws -> [String: Int] { try RedisServer.commandstats(port: plainPort) }

    func stop() { RedisServer.stop(process, port: plainPort) }
}
