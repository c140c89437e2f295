/// Splits one direction's handshake protocol bytes (the bodies of handshake records, in order, decrypted or not)
/// into messages (RFC 8446 §4, RFC 5246 §7.4), across records and several to a record.
///
/// Only the messages the decryptor reads keep their bodies (ClientHello, ServerHello, KeyUpdate), and only their
/// first `keptLength` bytes: a certificate chain passes through counted, never buffered.
struct TLSHandshakeReader: Sendable {
    enum MessageType: UInt8 {
        case clientHello = 1, serverHello = 2, newSessionTicket = 4, finished = 20, keyUpdate = 24
    }

    /// Enough for a ClientHello's random and any ServerHello with its extensions.
    static let keptLength = 4096

    private var header: [UInt8] = []
    private var type: UInt8 = 0
    private var remaining = 0
    private var kept: [UInt8] = []
    private var keeping = false

    /// Messages complete so far.
    private(set) var messages = 0

    /// Feeds handshake bytes; `onMessage` gets each complete message's type and kept body prefix.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onMessage: (UInt8, [UInt8]) throws(TLSFailure) -> Void)
        throws(TLSFailure)
    {
        var offset = 0
        while offset < bytes.count {
            if header.count < 4 {
                let take = min(4 - header.count, bytes.count - offset)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                offset += take
                guard header.count == 4 else { return }
                type = header[0]
                remaining = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
                keeping = MessageType(rawValue: type).map { [.clientHello, .serverHello, .keyUpdate].contains($0) } ?? false
                kept.removeAll(keepingCapacity: true)
            }
            let take = min(remaining, bytes.count - offset)
            if keeping && kept.count < Self.keptLength {
                let keep = min(take, Self.keptLength - kept.count)
                kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + keep]))
            }
            offset += take
            remaining -= take
            guard remaining == 0 else { return }
            header.removeAll(keepingCapacity: true)
            messages += 1
            try onMessage(type, kept)
        }
    }

    /// True between messages: a key change must fall on a message boundary (RFC 8446 §5.1).
    var atMessageBoundary: Bool { header.isEmpty }
}
