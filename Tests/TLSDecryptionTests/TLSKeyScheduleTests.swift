import Testing
@testable import TLSDecryption

/// Known answers from RFC 8448 (Example Handshake Traces for TLS 1.3), §3 "Simple 1-RTT Handshake".
@Suite struct TLSKeyScheduleTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
    }

    @Test func serverHandshakeKeysOfRFC8448() throws {
        let suite = try #require(TLSCipherSuite(code: 0x1301))
        let secret = Self.bytes("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38")
        let keys = TLSKeySchedule.tls13Keys(secret: secret, suite: suite)
        #expect(keys.key == Self.bytes("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"))
        #expect(keys.iv == Self.bytes("5d 31 3e b2 67 12 76 ee 13 00 0b 30"))
    }

    @Test func suitesThisModuleCannotDecryptAreUnknown() {
        #expect(TLSCipherSuite(code: 0xC013) == nil)  // ECDHE_RSA_WITH_AES_128_CBC_SHA
        #expect(TLSCipherSuite(code: 0x1304) == nil)  // AES_128_CCM_SHA256
        #expect(TLSCipherSuite.codeName(0xC013) == "0xC013")
    }
}
