import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Record keys from the key log's secrets: TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1, §7.3) and TLS 1.2's PRF key
/// block (RFC 5246 §5, §6.3). Every primitive is swift-crypto's.
public enum TLSKeySchedule {
    /// A write key and IV: for TLS 1.3 and ChaCha20-Poly1305 the 12-byte per-record nonce base; for TLS 1.2
    /// AES-GCM the 4-byte implicit salt (RFC 5288 §3).
    public struct TrafficKeys: Sendable {
        public let key: [UInt8]
        public let iv: [UInt8]
    }

    /// HKDF-Expand-Label(secret, label, context, length) with the suite's hash.
    public static func expandLabel(_ secret: [UInt8], _ label: String, context: [UInt8] = [], length: Int,
                                   hash: TLSCipherSuite.Hash) -> [UInt8]
    {
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(UInt8(context.count))
        info += context
        let key = switch hash {
        case .sha256: HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        case .sha384: HKDF<SHA384>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// TLS 1.3 record key and IV from a traffic secret (RFC 8446 §7.3).
    public static func tls13Keys(secret: [UInt8], suite: TLSCipherSuite) -> TrafficKeys {
        TrafficKeys(key: expandLabel(secret, "key", length: suite.aead.keyLength, hash: suite.hash),
                    iv: expandLabel(secret, "iv", length: 12, hash: suite.hash))
    }

    /// The traffic secret after a KeyUpdate (RFC 8446 §7.2).
    public static func nextTrafficSecret(_ secret: [UInt8], suite: TLSCipherSuite) -> [UInt8] {
        expandLabel(secret, "traffic upd", length: suite.hash.length, hash: suite.hash)
    }

    /// The TLS 1.2 PRF: P_SHA256 or P_SHA384 over `label + seed` (RFC 5246 §5).
    public static func prf(secret: [UInt8], label: String, seed: [UInt8], length: Int, hash: TLSCipherSuite.Hash) -> [UInt8] {
        switch hash {
        case .sha256: pHash(SHA256.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        case .sha384: pHash(SHA384.self, secret: secret, seed: Array(label.utf8) + seed, length: length)
        }
    }

    private static func pHash<H: HashFunction>(_: H.Type, secret: [UInt8], seed: [UInt8], length: Int) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        var output: [UInt8] = []
        output.reserveCapacity(length + H.Digest.byteCount)
        var a = seed
        while output.count < length {
            a = Array(HMAC<H>.authenticationCode(for: a, using: key))
            output += Array(HMAC<H>.authenticationCode(for: a + seed, using: key))
        }
        return Array(output.prefix(length))
    }

    /// TLS 1.2 client and server write keys from the master secret (RFC 5246 §6.3; AEAD suites have no MAC key).
    public static func tls12Keys(masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                                 suite: TLSCipherSuite) -> (client: TrafficKeys, server: TrafficKeys)
    {
        let keyLength = suite.aead.keyLength
        let ivLength = suite.aead == .chaCha20Poly1305 ? 12 : 4
        let block = prf(secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                        length: 2 * (keyLength + ivLength), hash: suite.hash)
        let clientKey = Array(block[0..<keyLength])
        let serverKey = Array(block[keyLength..<2 * keyLength])
        let clientIV = Array(block[2 * keyLength..<2 * keyLength + ivLength])
        let serverIV = Array(block[2 * keyLength + ivLength..<2 * (keyLength + ivLength)])
        return (TrafficKeys(key: clientKey, iv: clientIV), TrafficKeys(key: serverKey, iv: serverIV))
    }
}
