import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One direction's record decryption under one set of keys: nonce from the sequence number, additional data from
/// the record header, AEAD open by swift-crypto (RFC 8446 §5.2-5.3; RFC 5246 §6.2.3.3 with RFC 5288 and RFC 7905).
struct TLSRecordProtection {
    let suite: TLSCipherSuite
    let isTLS13: Bool
    private let key: SymmetricKey
    private let iv: [UInt8]
    private(set) var sequence: UInt64 = 0
    private var nonce = [UInt8](repeating: 0, count: 12)
    private var additionalData = [UInt8](repeating: 0, count: 13)

    init(keys: TLSKeySchedule.TrafficKeys, suite: TLSCipherSuite, isTLS13: Bool) {
        self.suite = suite
        self.isTLS13 = isTLS13
        key = SymmetricKey(data: keys.key)
        iv = keys.iv
    }

    static let tagLength = 16

    /// Decrypts one record's body. TLS 1.3 returns the inner content type and the content without padding.
    mutating func open(type: TLSRecordParser.ContentType, version: UInt16, body: UnsafeRawBufferPointer)
        throws(TLSFailure) -> (TLSRecordParser.ContentType, Data)
    {
        let explicitNonce = !isTLS13 && suite.aead != .chaCha20Poly1305 ? 8 : 0
        guard body.count >= explicitNonce + Self.tagLength else { throw .authenticationFailed }
        let ciphertext = UnsafeRawBufferPointer(rebasing: body[explicitNonce..<body.count - Self.tagLength])
        let tag = UnsafeRawBufferPointer(rebasing: body[(body.count - Self.tagLength)...])
        if explicitNonce > 0 {
            // RFC 5288 §3: the salt from the key block, then the 8 bytes sent with the record.
            for i in 0..<4 { nonce[i] = iv[i] }
            for i in 0..<8 { nonce[4 + i] = body[i] }
        } else {
            // RFC 8446 §5.3 (and RFC 7905 §2): the IV XOR the sequence number, left-padded.
            for i in 0..<12 { nonce[i] = iv[i] }
            for i in 0..<8 { nonce[4 + i] ^= UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
        }
        let aad: [UInt8]
        if isTLS13 {
            // The record header as sent (RFC 8446 §5.2).
            aad = [type.rawValue, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(body.count >> 8), UInt8(body.count & 0xFF)]
        } else {
            // seq_num + type + version + plaintext length (RFC 5246 §6.2.3.3).
            for i in 0..<8 { additionalData[i] = UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
            additionalData[8] = type.rawValue
            additionalData[9] = UInt8(version >> 8)
            additionalData[10] = UInt8(version & 0xFF)
            additionalData[11] = UInt8(ciphertext.count >> 8)
            additionalData[12] = UInt8(ciphertext.count & 0xFF)
            aad = additionalData
        }
        let plaintext: Data
        do {
            switch suite.aead {
            case .aes128GCM, .aes256GCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                plaintext = try AES.GCM.open(box, using: key, authenticating: aad)
            case .chaCha20Poly1305:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                plaintext = try ChaChaPoly.open(box, using: key, authenticating: aad)
            }
        } catch {
            throw .authenticationFailed
        }
        sequence &+= 1
        guard isTLS13 else { return (type, plaintext) }
        // TLSInnerPlaintext: content, the real type, then zero padding (RFC 8446 §5.2).
        guard let last = plaintext.lastIndex(where: { $0 != 0 }),
              let inner = TLSRecordParser.ContentType(rawValue: plaintext[last])
        else { throw .authenticationFailed }
        return (inner, plaintext[plaintext.startIndex..<last])
    }
}
