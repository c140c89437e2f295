import Foundation
import Testing

/// `--tls-keylog` on the command line: a key log that cannot be used is a usage error naming the file (and line),
/// never a secret; a usable one decrypts, and the Markdown quality section says how many connections with what.
@Suite struct TLSCommandLineTests {
    static let capture = "fixtures/tls/tls-partial-keys.pcap"
    static var port: String {
        let truth = try? JSONSerialization.jsonObject(
            with: Data(contentsOf: EndToEndTests.root.appendingPathComponent("fixtures/tls/tls-partial-keys.truth.json"))) as? [String: Any]
        return "\(truth?["port"] as? Int ?? 0)"
    }

    @Test func aMissingKeyLogIsAUsageError() throws {
        let r = try EndToEndTests.run(["analyze", "--port", Self.port, "--tls-keylog", "/nonexistent/keys.log", Self.capture])
        #expect(r.status == 64)
        #expect(r.stderr.contains("cannot read the TLS key log /nonexistent/keys.log"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func aMalformedLineIsAUsageErrorWithoutTheSecret() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-bad-keylog-\(getpid()).log").path
        let secret = String(repeating: "7e", count: 47)
        try "# keys\nCLIENT_RANDOM \(String(repeating: "00", count: 32)) \(secret)\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try EndToEndTests.run(["analyze", "--port", Self.port, "--tls-keylog", path, Self.capture])
        #expect(r.status == 64)
        #expect(r.stderr.contains("\(path):2: not a key log line"), "\(r.stderr)")
        #expect(!r.stderr.contains(secret))
    }

    @Test func theQualitySectionNamesWhatWasAndWasNotDecrypted() throws {
        let r = try EndToEndTests.run(["analyze", "--port", Self.port, "--tls-keylog", "fixtures/tls/tls-partial-keys.keylog",
                                       Self.capture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("TLS: 1 of 4 connections decrypted with the key log `fixtures/tls/tls-partial-keys.keylog` "
                                  + "(TLS 1.3 TLS_AES_128_GCM_SHA256: 3); not decrypted: 1 without keys, "
                                  + "1 whose handshake is not in the capture, 1 failing record authentication."), "\(r.stdout)")
        #expect(r.stdout.contains("handshake before the capture: start the capture before the clients connect"))
        #expect(r.stdout.contains("Verdict: **partial: 3 TLS connections not decrypted"))
    }

    @Test func withoutAKeyLogTheAdviceIsToPassOne() throws {
        let r = try EndToEndTests.run(["analyze", "--port", Self.port, Self.capture])
        #expect(r.status == 6)
        #expect(r.stderr.contains("is TLS (4 connections not decrypted): pass the clients' key log (SSLKEYLOGFILE) with --tls-keylog"),
                "\(r.stderr)")
    }
}
