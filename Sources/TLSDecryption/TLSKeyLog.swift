#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Secrets from an NSS key log (the file `SSLKEYLOGFILE` makes clients write), by client random.
///
/// Lines are `LABEL <client random, 64 hex digits> <secret, hex>`; `#` comments, blank lines and labels this
/// decryptor does not use (`EXPORTER_SECRET`, early-data secrets) are skipped. A later line for the same label and
/// client random replaces an earlier one. The secrets stay in memory only: nothing here describes them.
public struct TLSKeyLog: Sendable, CustomStringConvertible {
    /// The secrets the key log holds for one connection's client random.
    public struct Secrets: Sendable, Equatable {
        /// TLS 1.2: the 48-byte master secret (`CLIENT_RANDOM`).
        public var masterSecret: [UInt8]?
        /// TLS 1.3 (RFC 8446 §7.1).
        public var clientHandshakeTrafficSecret: [UInt8]?
        public var serverHandshakeTrafficSecret: [UInt8]?
        public var clientTrafficSecret0: [UInt8]?
        public var serverTrafficSecret0: [UInt8]?

        public init() {}
    }

    public internal(set) var secrets: [[UInt8]: Secrets] = [:]
    /// Lines read with a label this decryptor uses.
    public private(set) var lines = 0

    public init() {}

    /// Reads a key log file.
    public init(contentsOfFile path: String) throws(TLSKeyLogError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw TLSKeyLogError(.unreadable, path: path) }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// Parses key log text; `path` only names the source in errors.
    public init(bytes: [UInt8], path: String = "key log") throws(TLSKeyLogError) {
        try add(bytes: bytes, path: path)
    }

    /// Adds the lines of more key log text (a pcapng Decryption Secrets Block, or lines appended to the file).
    public mutating func add(bytes: [UInt8], path: String = "key log") throws(TLSKeyLogError) {
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            try addLine(bytes[start..<end], lineNumber: lineNumber, path: path)
            start = end + 1
        }
    }

    /// The secrets for a client random; nil when the key log has none.
    public func secrets(forClientRandom random: [UInt8]) -> Secrets? {
        secrets[random]
    }

    public var description: String { "TLSKeyLog(\(secrets.count) client randoms)" }

    private mutating func addLine(_ line: ArraySlice<UInt8>, lineNumber: Int, path: String) throws(TLSKeyLogError) {
        var fields: [ArraySlice<UInt8>] = []
        var index = line.startIndex
        while index < line.endIndex {
            while index < line.endIndex && Self.isSpace(line[index]) { index += 1 }
            let fieldStart = index
            while index < line.endIndex && !Self.isSpace(line[index]) { index += 1 }
            if index > fieldStart { fields.append(line[fieldStart..<index]) }
        }
        guard let label = fields.first, label.first != UInt8(ascii: "#") else { return }
        let keyPath: WritableKeyPath<Secrets, [UInt8]?>
        switch String(decoding: label, as: UTF8.self) {
        case "CLIENT_RANDOM": keyPath = \.masterSecret
        case "CLIENT_HANDSHAKE_TRAFFIC_SECRET": keyPath = \.clientHandshakeTrafficSecret
        case "SERVER_HANDSHAKE_TRAFFIC_SECRET": keyPath = \.serverHandshakeTrafficSecret
        case "CLIENT_TRAFFIC_SECRET_0": keyPath = \.clientTrafficSecret0
        case "SERVER_TRAFFIC_SECRET_0": keyPath = \.serverTrafficSecret0
        default: return
        }
        guard fields.count == 3 else { throw TLSKeyLogError(.malformedLine(lineNumber), path: path) }
        guard let random = Self.hex(fields[1]), random.count == 32 else {
            throw TLSKeyLogError(.malformedLine(lineNumber), path: path)
        }
        // 48 bytes for a master secret, the hash length (32 or 48) for TLS 1.3 secrets.
        guard let secret = Self.hex(fields[2]), secret.count == 32 || secret.count == 48 else {
            throw TLSKeyLogError(.malformedLine(lineNumber), path: path)
        }
        secrets[random, default: Secrets()][keyPath: keyPath] = secret
        lines += 1
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func hex(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A key log that cannot be used. Names the file and line, never a secret.
public struct TLSKeyLogError: Error, CustomStringConvertible, Equatable {
    public enum Code: Equatable, Sendable {
        case unreadable
        /// A line with a known label whose fields are not a 32-byte client random and a 32- or 48-byte secret in hex.
        case malformedLine(Int)
    }

    public let code: Code
    public let path: String

    public init(_ code: Code, path: String) {
        self.code = code
        self.path = path
    }

    public var description: String {
        switch code {
        case .unreadable: "cannot read the TLS key log \(path)"
        case .malformedLine(let line):
            "\(path):\(line): not a key log line (LABEL, 64 hex digits of client random, the secret in hex)"
        }
    }
}
