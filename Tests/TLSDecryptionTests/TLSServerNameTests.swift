import Testing
@testable import TLSDecryption

/// The server name (SNI) of a ClientHello (RFC 6066 §3), read from the message body; nothing when it is absent or
/// the body is cut short.
@Suite struct TLSServerNameTests {
    /// A ClientHello body: legacy_version, random, an empty session id, one suite, null compression, then `extensions`.
    static func clientHello(extensions: [UInt8]) -> [UInt8] {
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32)
        body += [0]                           // session id
        body += [0, 2, 0x13, 0x01]            // cipher suites
        body += [1, 0]                        // compression methods
        body += [UInt8(extensions.count >> 8), UInt8(extensions.count & 0xff)] + extensions
        return body
    }

    static func serverName(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        let entry: [UInt8] = [0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
        let list: [UInt8] = [UInt8(entry.count >> 8), UInt8(entry.count & 0xff)] + entry
        return [0, 0, UInt8(list.count >> 8), UInt8(list.count & 0xff)] + list
    }

    static let supportedVersions: [UInt8] = [0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]

    @Test func theHostNameIsRead() {
        let body = Self.clientHello(extensions: Self.supportedVersions + Self.serverName("cache.example.com"))
        #expect(TLSConnectionDecryptor.requestedServerName(inClientHello: body) == "cache.example.com")
    }

    @Test func noServerNameIsNil() {
        #expect(TLSConnectionDecryptor.requestedServerName(inClientHello: Self.clientHello(extensions: Self.supportedVersions)) == nil)
        #expect(TLSConnectionDecryptor.requestedServerName(inClientHello: Self.clientHello(extensions: [])) == nil)
    }

    @Test func aBodyCutAnywhereGivesTheNameOrNothing() {
        let body = Self.clientHello(extensions: Self.serverName("redis.internal"))
        for cut in 0..<body.count {
            let name = TLSConnectionDecryptor.requestedServerName(inClientHello: Array(body.prefix(cut)))
            #expect(name == nil, "cut at \(cut)")
        }
        #expect(TLSConnectionDecryptor.requestedServerName(inClientHello: body) == "redis.internal")
    }

    @Test func unprintableNamesAreLeftOut() {
        #expect(TLSConnectionDecryptor.requestedServerName(inClientHello: Self.clientHello(extensions: Self.serverName("a\u{1b}[31m"))) == nil)
    }
}
