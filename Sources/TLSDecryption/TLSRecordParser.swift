/// Splits one direction of a TLS stream into records (RFC 8446 §5.1, RFC 5246 §6.2), whatever the segmentation.
///
/// A record that lies whole in the bytes fed is handed out in place; only a partial record is copied, into a buffer
/// that never holds more than one record (header plus at most `maxFragmentLength` bytes).
public struct TLSRecordParser: Sendable {
    /// The largest record body accepted: 2^14 bytes of plaintext plus 256 of expansion (RFC 8446 §5.2). A TLS 1.2
    /// AEAD record adds 24 (AES-GCM) or 16 (ChaCha20-Poly1305) bytes, well within it.
    public static let maxFragmentLength = 16_384 + 256
    public static let headerLength = 5

    public enum ContentType: UInt8, Sendable {
        case changeCipherSpec = 20, alert = 21, handshake = 22, applicationData = 23
    }

    private var partial: [UInt8] = []
    /// Records handed out so far.
    public private(set) var records = 0

    public init() {}

    /// Bytes held of a record not yet complete.
    public var bufferedBytes: Int { partial.count }

    /// Feeds the next bytes of the stream; `onRecord` gets each complete record (type, version, body). The body is
    /// valid only during the call. Throws at the first header that is not a TLS record; nothing is handed out after.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer,
                              _ onRecord: (ContentType, UInt16, UnsafeRawBufferPointer) throws(TLSFailure) -> Void)
        throws(TLSFailure)
    {
        var offset = 0
        if !partial.isEmpty {
            // Complete the header first, then the body: copy only as much as this record needs.
            let headerMissing = Self.headerLength - partial.count
            if headerMissing > 0 {
                let take = min(headerMissing, bytes.count)
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
                offset = take
                guard partial.count == Self.headerLength else { return }
            }
            let header = try partial.withUnsafeBytes { buffer in Result { () throws(TLSFailure) in try Self.header(buffer) } }.get()
            let total = Self.headerLength + header.length
            let take = min(total - partial.count, bytes.count - offset)
            partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
            guard partial.count == total else { return }
            let record = partial
            partial.removeAll(keepingCapacity: true)
            records += 1
            try record.withUnsafeBytes { buffer in
                Result { () throws(TLSFailure) in
                    try onRecord(header.type, header.version, UnsafeRawBufferPointer(rebasing: buffer[Self.headerLength...]))
                }
            }.get()
        }
        while bytes.count - offset >= Self.headerLength {
            let header = try Self.header(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Self.headerLength]))
            let end = offset + Self.headerLength + header.length
            guard end <= bytes.count else { break }
            records += 1
            try onRecord(header.type, header.version, UnsafeRawBufferPointer(rebasing: bytes[offset + Self.headerLength..<end]))
            offset = end
        }
        if offset < bytes.count {
            if bytes.count - offset >= Self.headerLength {
                _ = try Self.header(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Self.headerLength]))
            }
            partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    /// The header at the start of `bytes` (at least 5 bytes), validated: a known content type, major version 3 and
    /// a length within the bound.
    static func header(_ bytes: UnsafeRawBufferPointer) throws(TLSFailure) -> (type: ContentType, version: UInt16, length: Int) {
        guard let type = ContentType(rawValue: bytes[0]) else { throw .notTLS }
        let version = UInt16(bytes[1]) << 8 | UInt16(bytes[2])
        guard bytes[1] == 3, bytes[2] <= 4 else { throw .notTLS }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= maxFragmentLength else { throw .recordTooLong(length) }
        return (type, version, length)
    }

    /// True when `bytes` start like a TLS record (the first bytes a connection carries): used to tell TLS from RESP,
    /// whose messages never start with bytes 20-23. With `handshakeStart` (the TCP handshake was seen, so these are
    /// the client's first bytes) only a handshake record counts; a connection joined mid-stream may start with any
    /// record. Every header byte present must be valid (a first segment may hold fewer than five).
    public static func looksLikeTLS(_ bytes: UnsafeRawBufferPointer, handshakeStart: Bool = true) -> Bool {
        guard let first = bytes.first, let type = ContentType(rawValue: first) else { return false }
        if handshakeStart && type != .handshake { return false }
        if bytes.count >= 2 && bytes[1] != 3 { return false }
        if bytes.count >= 3 && bytes[2] > 4 { return false }
        if bytes.count >= headerLength && Int(bytes[3]) << 8 | Int(bytes[4]) > maxFragmentLength { return false }
        return true
    }
}
