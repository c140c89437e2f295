/// The cipher suites whose records this module can decrypt: AEAD suites of TLS 1.3 (RFC 8446 §B.4) and TLS 1.2
/// (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305), whatever their key exchange (the key log gives the secret).
public struct TLSCipherSuite: Sendable, Hashable {
    public enum AEAD: Sendable, Hashable {
        case aes128GCM, aes256GCM, chaCha20Poly1305

        var keyLength: Int { self == .aes128GCM ? 16 : 32 }
    }

    public enum Hash: Sendable, Hashable {
        case sha256, sha384

        var length: Int { self == .sha256 ? 32 : 48 }
    }

    public let code: UInt16
    public let name: String
    public let aead: AEAD
    /// The HKDF hash (TLS 1.3) or the PRF hash (TLS 1.2).
    public let hash: Hash
    public let isTLS13: Bool

    /// The suite with this code point; nil for one this module cannot decrypt (CBC, RC4, export...).
    public init?(code: UInt16) {
        guard let known = Self.table[code] else { return nil }
        self = known
    }

    private init(_ code: UInt16, _ name: String, _ aead: AEAD, _ hash: Hash, tls13: Bool) {
        self.code = code
        self.name = name
        self.aead = aead
        self.hash = hash
        isTLS13 = tls13
    }

    private static let table: [UInt16: TLSCipherSuite] = {
        let suites = [
            TLSCipherSuite(0x1301, "TLS_AES_128_GCM_SHA256", .aes128GCM, .sha256, tls13: true),
            TLSCipherSuite(0x1302, "TLS_AES_256_GCM_SHA384", .aes256GCM, .sha384, tls13: true),
            TLSCipherSuite(0x1303, "TLS_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256, tls13: true),
            TLSCipherSuite(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256, tls13: false),
            TLSCipherSuite(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384, tls13: false),
            TLSCipherSuite(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256, tls13: false),
            TLSCipherSuite(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384, tls13: false),
            TLSCipherSuite(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256, tls13: false),
            TLSCipherSuite(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256, tls13: false),
            TLSCipherSuite(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256, tls13: false),
            TLSCipherSuite(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256, tls13: false),
            TLSCipherSuite(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384, tls13: false),
            TLSCipherSuite(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", .aes128GCM, .sha256, tls13: false),
            TLSCipherSuite(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", .aes256GCM, .sha384, tls13: false),
        ]
        return Dictionary(uniqueKeysWithValues: suites.map { ($0.code, $0) })
    }()

    /// `0x1301`-style name for a suite this module does not know.
    public static func codeName(_ code: UInt16) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// A protocol version as the ServerHello chose it.
public enum TLSVersion: UInt16, Sendable, Hashable, CustomStringConvertible {
    case tls10 = 0x0301, tls11 = 0x0302, tls12 = 0x0303, tls13 = 0x0304

    public var description: String {
        switch self {
        case .tls10: "TLS 1.0"
        case .tls11: "TLS 1.1"
        case .tls12: "TLS 1.2"
        case .tls13: "TLS 1.3"
        }
    }
}
