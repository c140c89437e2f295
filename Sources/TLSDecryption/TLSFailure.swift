/// Why a TLS connection, or one direction of it, could not be decrypted (from then on nothing of it is decoded).
public enum TLSFailure: Error, Sendable, Hashable {
    /// A record header that is not TLS (content type, version or length).
    case notTLS
    /// A record body longer than `TLSRecordParser.maxFragmentLength`.
    case recordTooLong(Int)
    /// The connection's ClientHello or ServerHello is not in the capture.
    case handshakeNotSeen
    /// No key log was given.
    case noKeyLog
    /// The key log has no (or not all the needed) secrets for the connection's client random.
    case noKeys
    /// A record failed AEAD authentication: wrong secret, or bytes changed or lost.
    case authenticationFailed
    case unsupportedCipherSuite(UInt16)
    case unsupportedVersion(UInt16)
    case malformedHandshake
    /// Bytes lost in the capture: record boundaries and sequence numbers are unknown after it.
    case gap
    /// TLS 1.3 0-RTT data, sent before the ServerHello.
    case earlyData
    /// The partial records of all connections together reached their bound (`TLSBufferBudget`).
    case bufferLimit

    /// A stable name for counting (JSON keys).
    public var reason: String {
        switch self {
        case .notTLS: "notTLS"
        case .recordTooLong: "recordTooLong"
        case .handshakeNotSeen: "handshakeNotSeen"
        case .noKeyLog: "noKeyLog"
        case .noKeys: "withoutKeys"
        case .authenticationFailed: "authenticationFailure"
        case .unsupportedCipherSuite: "unsupportedCipherSuite"
        case .unsupportedVersion: "unsupportedVersion"
        case .malformedHandshake: "malformedHandshake"
        case .gap: "gap"
        case .earlyData: "earlyData"
        case .bufferLimit: "bufferLimit"
        }
    }

    /// What happened and what to do, for the quality section.
    public var advice: String {
        switch self {
        case .notTLS: "a record that is not TLS"
        case .recordTooLong(let length): "a record of \(length) bytes, longer than TLS allows (16,640)"
        case .handshakeNotSeen: "handshake before the capture: start the capture before the clients connect"
        case .noKeyLog: "TLS: pass the clients' key log with --tls-keylog to decrypt it"
        case .noKeys: "no secrets for its client random in the key log: the client did not write it (SSLKEYLOGFILE)"
        case .authenticationFailed: "a record failed authentication: wrong secret in the key log, or damaged bytes"
        case .unsupportedCipherSuite(let code): "cipher suite \(TLSCipherSuite.codeName(code)) cannot be decrypted (AEAD suites only)"
        case .unsupportedVersion(let version): "TLS version \(TLSCipherSuite.codeName(version)) cannot be decrypted (TLS 1.2 and 1.3 only)"
        case .malformedHandshake: "a handshake message that does not parse"
        case .gap: "bytes lost in the capture: the records after a gap cannot be decrypted"
        case .earlyData: "0-RTT early data cannot be decrypted"
        case .bufferLimit: "partial TLS records of all connections together reached --max-buffered-total: raise it"
        }
    }
}
