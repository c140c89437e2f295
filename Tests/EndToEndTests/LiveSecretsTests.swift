import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Passwords sent during a live capture stay out of everything `respcap live` produces: the report, the event
/// stream, the status lines on stderr and the metrics endpoint. (The offline outputs are checked in OutputsTests;
/// the `--write` pcap is the raw traffic and holds them by design.) Part of the serialized live suite.
extension LiveCaptureTests {
    /// AUTH, HELLO ... AUTH, CONFIG SET masterauth, ACL SETUSER and MIGRATE ... AUTH/AUTH2, every password holding
    /// SECRET; the server has no password, so the AUTHs fail, which also puts them through the error paths.
    static let secretsWorkload = """
        import sys, redis
        r = redis.Redis(port=int(sys.argv[1]))
        def attempt(*args):
            try:
                r.execute_command(*args)
            except redis.RedisError:  # AuthenticationError is not a ResponseError
                pass
        for i in range(20):
            attempt("AUTH", "SECRETpass%d" % i)
            attempt("AUTH", "someuser", "SECRETuserpass")
            attempt("HELLO", "3", "AUTH", "default", "SECREThello")
            attempt("CONFIG", "SET", "masterauth", "SECRETmasterauth")
            attempt("ACL", "SETUSER", "respcap-test", "on", ">SECRETacl", "~*", "+@all")
            attempt("MIGRATE", "127.0.0.1", "1", "", "0", "100", "AUTH", "SECRETmigrate", "KEYS", "nokey")
            attempt("MIGRATE", "127.0.0.1", "1", "", "0", "100", "AUTH2", "u", "SECRETmigrate2", "KEYS", "nokey")
            r.set("plain:%d" % i, "x")
        """

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(2)))
    func liveOutputsCarryNoPasswords() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-live-secrets-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reportPath = directory.appendingPathComponent("report.md").path
        let eventsPath = directory.appendingPathComponent("events.ndjson").path
        let pcapPath = directory.appendingPathComponent("raw.pcap").path
        let metricsPort = try LiveEnvironment.freePort()
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--status", "--interval", "0.2",
                                          "--metrics", ":\(metricsPort)", "-o", reportPath, "--events", eventsPath,
                                          "--write", pcapPath])
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }
        try Shell.run(LiveEnvironment.python ?? "python3", ["-c", Self.secretsWorkload, "\(server.port)"])
        var scrape = ""
        for _ in 0..<40 {
            scrape = try Self.httpGet(port: metricsPort, path: "/metrics").body
            if scrape.contains(#"respcap_commands_total{command="set"} 20"#) { break }
            usleep(250_000)
        }
        usleep(500_000)  // at least one more status line
        let result = try live.stop()
        stopped = true
        #expect(result.status == 0, "\(result.stderr)")

        let report = try String(contentsOfFile: reportPath, encoding: .utf8)
        let events = try String(contentsOfFile: eventsPath, encoding: .utf8)
        let outputs = ["report": report, "events": events, "stdout": result.stdout, "stderr": result.stderr, "metrics": scrape]
        for (name, output) in outputs {
            #expect(!output.contains("SECRET"), "\(name) contains a password")
        }
        // What was checked really carried the commands: the report and events name them, the status line ran,
        // and the raw capture holds the passwords (so their absence above is redaction, not missing traffic).
        #expect(report.contains("`auth`") && report.contains("`acl\\|setuser`") && report.contains("`migrate`"))
        #expect(events.contains(#""command":"config|set""#) || events.contains(#""command": "config|set""#))
        #expect(scrape.contains(#"respcap_commands_total{command="auth"} 40"#))
        #expect(result.stderr.contains("cmd/s") || result.stderr.contains("commands"), "status lines: \(result.stderr)")
        let raw = try Data(contentsOf: URL(fileURLWithPath: pcapPath))
        #expect(raw.range(of: Data("SECRETacl".utf8)) != nil)
    }
}
