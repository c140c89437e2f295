import Testing
@testable import TLSDecryption

@Suite struct TLSKeyLogTests {
    static let random = String(repeating: "ab", count: 32)
    static let secret32 = String(repeating: "01", count: 32)
    static let secret48 = String(repeating: "c3", count: 48)

    @Test func readsEveryLabelItUsesAndSkipsTheRest() throws {
        let text = """
            # comment

            CLIENT_RANDOM \(Self.random) \(Self.secret48)
            CLIENT_HANDSHAKE_TRAFFIC_SECRET \(Self.random) \(Self.secret32)\r
            SERVER_HANDSHAKE_TRAFFIC_SECRET \(Self.random) \(Self.secret32)
            CLIENT_TRAFFIC_SECRET_0 \(Self.random) \(Self.secret32)
            SERVER_TRAFFIC_SECRET_0 \(Self.random) \(Self.secret48.uppercased())
            EXPORTER_SECRET \(Self.random) not-even-hex
            """
        let log = try TLSKeyLog(bytes: Array(text.utf8))
        #expect(log.lines == 5)
        let secrets = try #require(log.secrets(forClientRandom: Array(repeating: 0xAB, count: 32)))
        #expect(secrets.masterSecret == Array(repeating: 0xC3, count: 48))
        #expect(secrets.clientHandshakeTrafficSecret == Array(repeating: 1, count: 32))
        #expect(secrets.serverTrafficSecret0 == Array(repeating: 0xC3, count: 48))
        #expect(log.secrets(forClientRandom: Array(repeating: 0, count: 32)) == nil)
        #expect(!log.description.contains("c3") && !log.description.contains("01"))
    }

    @Test(arguments: [
        "CLIENT_RANDOM \(random)",
        "CLIENT_RANDOM abcd \(secret48)",
        "CLIENT_RANDOM \(random) \(secret48)00",
        "CLIENT_TRAFFIC_SECRET_0 \(random) \(secret32.dropLast())",
        "SERVER_TRAFFIC_SECRET_0 \(random) zz\(secret32.dropFirst(2))",
    ])
    func aMalformedLineIsAnErrorNamingItsLineAndNoSecret(line: String) {
        let text = "# first\n" + line + "\n"
        #expect(throws: TLSKeyLogError(.malformedLine(2), path: "keys.log")) { try TLSKeyLog(bytes: Array(text.utf8), path: "keys.log") }
        #expect(!TLSKeyLogError(.malformedLine(2), path: "keys.log").description.contains(Self.random))
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: TLSKeyLogError(.unreadable, path: "/nonexistent/keys.log")) {
            try TLSKeyLog(contentsOfFile: "/nonexistent/keys.log")
        }
    }
}
