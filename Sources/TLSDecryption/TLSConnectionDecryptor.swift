/// Decrypts one TCP connection's TLS records, both directions, into the application data each side sent.
///
/// Fed each direction's reassembled bytes in capture order, it reads the ClientHello (client random), the
/// ServerHello (version, cipher suite, server random), takes the secrets from the key store when the first
/// encrypted record needs them, and follows key changes: TLS 1.2's ChangeCipherSpec, TLS 1.3's Finished and
/// KeyUpdate. At the first failure (no keys, a record that does not authenticate, a gap) it stops: nothing after it
/// is handed out, so no garbage reaches a RESP decoder. Memory: one partial record per direction (at most
/// 16,645 bytes) and a few KB of handshake prefix; while it waits for a growing key log (`live`), the records that
/// need the missing secrets, at most `maxWaitingBytes`.
public final class TLSConnectionDecryptor {
    private let keys: TLSKeyStore?
    private let budget: TLSBufferBudget?
    public private(set) var version: TLSVersion?
    /// The server name the client asked for (the ClientHello's server_name extension, RFC 6066 §3), when it sent one.
    public private(set) var serverName: String?
    public private(set) var cipherSuite: TLSCipherSuite?
    /// The first failure; nothing of the direction it happened in (of both, for a connection-wide one) is decrypted
    /// after it.
    public private(set) var failure: TLSFailure?
    public private(set) var recordsDecrypted = 0
    public private(set) var bytesDecrypted: Int64 = 0
    /// True once a direction has its record keys.
    public private(set) var keysInstalled = false

    private var clientRandom: [UInt8]?
    private var serverRandom: [UInt8]?
    private var secrets: TLSKeyLog.Secrets?
    private var client = Direction()
    private var server = Direction()
    private var tls12Keys: (client: TLSKeySchedule.TrafficKeys, server: TLSKeySchedule.TrafficKeys)?

    private struct Direction {
        var records = TLSRecordParser()
        var handshake = TLSHandshakeReader()
        var protection: TLSRecordProtection?
        /// TLS 1.3: the traffic secret in use (for KeyUpdate).
        var secret: [UInt8]?
        var stopped = false
        var recordsSeen = 0
        /// The key change whose secrets the key log does not hold yet (it may still grow), and the records after it.
        var awaiting: KeyStep?
        var waiting: [(type: TLSRecordParser.ContentType, version: UInt16, body: [UInt8])] = []
        var waitingBytes = 0
    }

    private enum KeyStep {
        case tls12, tls13Handshake, tls13Application
    }

    /// Records held per connection while its secrets are awaited; past it the connection is without keys.
    public static let maxWaitingBytes = 256 << 10

    /// The values RFC 8446 §4.1.3 puts in a HelloRetryRequest's random.
    private static let helloRetryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// `keys` nil: no key log was given; the connection is parsed (version, suite) but not decrypted. `budget`
    /// bounds the partial records held by all connections together.
    public init(keys: TLSKeyStore?, budget: TLSBufferBudget? = nil) {
        self.keys = keys
        self.budget = budget
    }

    /// Gives back the partial records held (the connection closed); secrets still awaited did not come.
    public func release() {
        drop(&client.records)
        drop(&server.records)
        if client.awaiting != nil || server.awaiting != nil { fail(.noKeys, fromClient: true) }
    }

    private func dropWaiting(_ direction: inout Direction) {
        budget?.used -= direction.waitingBytes
        direction.waiting = []
        direction.waitingBytes = 0
        direction.awaiting = nil
    }

    private func drop(_ parser: inout TLSRecordParser) {
        guard parser.bufferedBytes > 0 else { return }
        budget?.used -= parser.bufferedBytes
        parser = TLSRecordParser()
    }

    /// True while records are still being decrypted in at least one direction.
    public var isDecrypting: Bool { !(client.stopped && server.stopped) }

    /// True when the direction's plaintext is being handed out (no failure on it so far).
    public func isDecrypting(fromClient: Bool) -> Bool { !(fromClient ? client.stopped : server.stopped) }

    /// Feeds one direction's next bytes; `deliver` gets each record's application data, in order, valid during
    /// the call only.
    ///
    /// `deliver` also says which direction the data is from: data held while secrets were awaited may be handed
    /// out when the other direction's bytes come.
    public func feed(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        guard fromClient ? !client.stopped : !server.stopped else { return }
        if client.awaiting != nil { resume(fromClient: true, deliver: deliver) }
        if server.awaiting != nil { resume(fromClient: false, deliver: deliver) }
        guard fromClient ? !client.stopped : !server.stopped else { return }
        // The parser is taken out while it hands out records: handling one changes the rest of the direction's state.
        var parser = TLSRecordParser()
        if fromClient { swap(&parser, &client.records) } else { swap(&parser, &server.records) }
        defer { if fromClient { swap(&parser, &client.records) } else { swap(&parser, &server.records) } }
        let held = parser.bufferedBytes
        do throws(TLSFailure) {
            try parser.feed(bytes) { (type, version, body) throws(TLSFailure) in
                try record(type, version, body, fromClient: fromClient, deliver: deliver)
            }
        } catch {
            fail(error, fromClient: fromClient)
        }
        if let budget {
            budget.used += parser.bufferedBytes - held
            if budget.used > budget.limit && parser.bufferedBytes > 0 && isDecrypting(fromClient: fromClient) {
                // Counted once per connection, whichever of its directions passes the bound.
                if failure != .bufferLimit { budget.refusals += 1 }
                fail(.bufferLimit, fromClient: fromClient)
            }
        }
        if !isDecrypting(fromClient: fromClient) { drop(&parser) }
    }

    /// Bytes of one direction were lost: its record boundaries and sequence numbers are unknown from here on.
    public func gap(fromClient: Bool) {
        guard fromClient ? !client.stopped : !server.stopped else { return }
        let started = (fromClient ? client.recordsSeen : server.recordsSeen) > 0
        fail(started ? .gap : .handshakeNotSeen, fromClient: fromClient)
        if fromClient { drop(&client.records) } else { drop(&server.records) }
    }

    private func fail(_ failure: TLSFailure, fromClient: Bool) {
        if self.failure == nil { self.failure = failure }
        switch failure {
        case .authenticationFailed, .gap, .notTLS, .recordTooLong, .bufferLimit:
            if fromClient { client.stopped = true } else { server.stopped = true }
            if fromClient { dropWaiting(&client) } else { dropWaiting(&server) }
        default:
            client.stopped = true
            server.stopped = true
            dropWaiting(&client)
            dropWaiting(&server)
            // The other direction's partial record (this one's is dropped by its caller).
            if fromClient { drop(&server.records) } else { drop(&client.records) }
        }
    }

    private func record(_ type: TLSRecordParser.ContentType, _ recordVersion: UInt16, _ body: UnsafeRawBufferPointer,
                        fromClient: Bool, deliver: (UnsafeRawBufferPointer, Bool) -> Void) throws(TLSFailure)
    {
        if (fromClient ? client.awaiting : server.awaiting) != nil {
            return try hold(type, recordVersion, body, fromClient: fromClient)
        }
        let first = (fromClient ? client.recordsSeen : server.recordsSeen) == 0
        if fromClient { client.recordsSeen += 1 } else { server.recordsSeen += 1 }
        // Each side starts with its hello: anything else means the capture began after them.
        if first && type != .handshake { throw .handshakeNotSeen }
        if let protection = fromClient ? client.protection : server.protection {
            // TLS 1.3 middlebox compatibility: a plain ChangeCipherSpec may still come (RFC 8446 §D.4).
            if type == .changeCipherSpec && protection.isTLS13 { return }
            return try open(type, recordVersion, body, fromClient: fromClient, deliver: deliver)
        }
        switch type {
        case .handshake:
            try handshake(body, fromClient: fromClient)
        case .changeCipherSpec:
            if version == .tls12 { try install(.tls12, fromClient: fromClient) }
        case .alert:
            break
        case .applicationData:
            guard let version else { throw fromClient && clientRandom != nil ? .earlyData : .handshakeNotSeen }
            guard version == .tls13 else { throw .malformedHandshake }
            // The first encrypted record of this direction: its handshake keys.
            try install(.tls13Handshake, fromClient: fromClient)
            if (fromClient ? client.awaiting : server.awaiting) != nil {
                return try hold(type, recordVersion, body, fromClient: fromClient)
            }
            try open(type, recordVersion, body, fromClient: fromClient, deliver: deliver)
        }
    }

    /// Decrypts a record under the direction's current keys and hands on what it holds.
    private func open(_ type: TLSRecordParser.ContentType, _ recordVersion: UInt16, _ body: UnsafeRawBufferPointer,
                      fromClient: Bool, deliver: (UnsafeRawBufferPointer, Bool) -> Void) throws(TLSFailure)
    {
        guard var protection = fromClient ? client.protection : server.protection else { throw .noKeys }
        let (inner, plaintext) = try protection.open(type: type, version: recordVersion, body: body)
        if fromClient { client.protection = protection } else { server.protection = protection }
        switch inner {
        case .applicationData:
            recordsDecrypted += 1
            bytesDecrypted += Int64(plaintext.count)
            plaintext.withUnsafeBytes { deliver($0, fromClient) }
        case .handshake:
            try plaintext.withUnsafeBytes { buffer in
                Result { () throws(TLSFailure) in try handshake(buffer, fromClient: fromClient) }
            }.get()
        case .alert, .changeCipherSpec:
            break
        }
    }

    /// Handshake protocol bytes of one direction (plaintext, or decrypted from records).
    private func handshake(_ bytes: UnsafeRawBufferPointer, fromClient: Bool) throws(TLSFailure) {
        var finished = false
        var keyUpdate = false
        let onMessage = { [self] (type: UInt8, body: [UInt8]) throws(TLSFailure) in
            switch TLSHandshakeReader.MessageType(rawValue: type) {
            case .clientHello where fromClient:
                // legacy_version (2), then the 32-byte random.
                guard body.count >= 34 else { throw .malformedHandshake }
                if clientRandom == nil {
                    clientRandom = Array(body[2..<34])
                    serverName = TLSConnectionDecryptor.requestedServerName(inClientHello: body)
                }
            case .serverHello where !fromClient:
                try serverHello(body)
            case .finished:
                finished = true
            case .keyUpdate:
                keyUpdate = true
            default:
                break
            }
        }
        if fromClient {
            try client.handshake.feed(bytes, onMessage)
        } else {
            try server.handshake.feed(bytes, onMessage)
        }
        guard version == .tls13 else { return }
        let hasProtection = (fromClient ? client.protection : server.protection) != nil
        if finished && hasProtection {
            try install(.tls13Application, fromClient: fromClient)
        } else if keyUpdate && hasProtection, let suite = cipherSuite {
            let direction = fromClient ? client : server
            guard let secret = direction.secret else { throw .malformedHandshake }
            let next = TLSKeySchedule.nextTrafficSecret(secret, suite: suite)
            setProtection(TLSRecordProtection(keys: TLSKeySchedule.tls13Keys(secret: next, suite: suite), suite: suite, isTLS13: true),
                          secret: next, fromClient: fromClient)
        }
    }

    private func serverHello(_ body: [UInt8]) throws(TLSFailure) {
        guard clientRandom != nil else { throw .handshakeNotSeen }
        var reader = ByteReader(body)
        guard let legacyVersion = reader.uint16(), let random = reader.bytes(32),
              let sessionIDLength = reader.uint8(), reader.bytes(Int(sessionIDLength)) != nil,
              let suiteCode = reader.uint16(), reader.uint8() != nil
        else { throw .malformedHandshake }
        // A HelloRetryRequest: the real ServerHello follows the second ClientHello.
        if random == Self.helloRetryRandom { return }
        var selected = legacyVersion
        if let extensionsLength = reader.uint16(), var extensions = reader.bytes(Int(extensionsLength)).map(ByteReader.init) {
            while let type = extensions.uint16(), let length = extensions.uint16(), let data = extensions.bytes(Int(length)) {
                // supported_versions (RFC 8446 §4.2.1): the version TLS 1.3 really negotiated.
                if type == 43, data.count == 2 { selected = UInt16(data[0]) << 8 | UInt16(data[1]) }
            }
        }
        guard let negotiated = TLSVersion(rawValue: selected), negotiated == .tls12 || negotiated == .tls13 else {
            throw .unsupportedVersion(selected)
        }
        version = negotiated
        guard let suite = TLSCipherSuite(code: suiteCode) else { throw .unsupportedCipherSuite(suiteCode) }
        guard suite.isTLS13 == (negotiated == .tls13) else { throw .malformedHandshake }
        cipherSuite = suite
        serverRandom = random
    }

    /// One secret for this connection, asking the key store again when it is missing (the file may have grown).
    private func secret(_ keyPath: KeyPath<TLSKeyLog.Secrets, [UInt8]?>) throws(TLSFailure) -> [UInt8] {
        if let known = secrets?[keyPath: keyPath] { return known }
        guard let keys else { throw .noKeyLog }
        guard let clientRandom else { throw .handshakeNotSeen }
        guard let found = keys.secrets(forClientRandom: clientRandom, needing: keyPath) else { throw .noKeys }
        secrets = found
        guard let known = found[keyPath: keyPath] else { throw .noKeys }
        return known
    }

    /// Installs a direction's next keys; when the key log lacks them but may still grow (`live`), the direction
    /// waits for them instead, holding its records.
    private func install(_ step: KeyStep, fromClient: Bool) throws(TLSFailure) {
        do throws(TLSFailure) {
            switch step {
            case .tls12: try installTLS12Keys(fromClient: fromClient)
            case .tls13Handshake: try installTLS13Keys(fromClient: fromClient, handshake: true)
            case .tls13Application: try installTLS13Keys(fromClient: fromClient, handshake: false)
            }
        } catch {
            guard error == .noKeys, keys?.waitsForGrowth == true else { throw error }
            if fromClient { client.awaiting = step } else { server.awaiting = step }
        }
    }

    private func hold(_ type: TLSRecordParser.ContentType, _ version: UInt16, _ body: UnsafeRawBufferPointer,
                      fromClient: Bool) throws(TLSFailure)
    {
        let held = client.waitingBytes + server.waitingBytes + body.count
        guard held <= Self.maxWaitingBytes else { throw .noKeys }
        if let budget {
            guard budget.used + body.count <= budget.limit else { throw .bufferLimit }
            budget.used += body.count
        }
        if fromClient {
            client.waiting.append((type, version, Array(body)))
            client.waitingBytes += body.count
        } else {
            server.waiting.append((type, version, Array(body)))
            server.waitingBytes += body.count
        }
    }

    /// Tries again the key change a direction waits for; if the secrets have come, handles the records it held.
    private func resume(fromClient: Bool, deliver: (UnsafeRawBufferPointer, Bool) -> Void) {
        guard let step = fromClient ? client.awaiting : server.awaiting else { return }
        if fromClient { client.awaiting = nil } else { server.awaiting = nil }
        do throws(TLSFailure) {
            try install(step, fromClient: fromClient)
            guard (fromClient ? client.awaiting : server.awaiting) == nil else { return }
            let held = fromClient ? client.waiting : server.waiting
            budget?.used -= fromClient ? client.waitingBytes : server.waitingBytes
            if fromClient {
                client.waiting = []
                client.waitingBytes = 0
            } else {
                server.waiting = []
                server.waitingBytes = 0
            }
            for record in held {
                try record.body.withUnsafeBytes { body in
                    Result { () throws(TLSFailure) in
                        try self.record(record.type, record.version, body, fromClient: fromClient, deliver: deliver)
                    }
                }.get()
            }
        } catch {
            fail(error, fromClient: fromClient)
        }
    }

    private func installTLS12Keys(fromClient: Bool) throws(TLSFailure) {
        guard let suite = cipherSuite, let clientRandom, let serverRandom else { throw .handshakeNotSeen }
        if tls12Keys == nil {
            let master = try secret(\.masterSecret)
            guard master.count == 48 else { throw .noKeys }
            tls12Keys = TLSKeySchedule.tls12Keys(masterSecret: master, clientRandom: clientRandom,
                                                 serverRandom: serverRandom, suite: suite)
        }
        guard let tls12Keys else { throw .noKeys }
        setProtection(TLSRecordProtection(keys: fromClient ? tls12Keys.client : tls12Keys.server, suite: suite, isTLS13: false),
                      secret: nil, fromClient: fromClient)
    }

    private func installTLS13Keys(fromClient: Bool, handshake: Bool) throws(TLSFailure) {
        guard let suite = cipherSuite else { throw .handshakeNotSeen }
        let keyPath: KeyPath<TLSKeyLog.Secrets, [UInt8]?> = switch (fromClient, handshake) {
        case (true, true): \.clientHandshakeTrafficSecret
        case (false, true): \.serverHandshakeTrafficSecret
        case (true, false): \.clientTrafficSecret0
        case (false, false): \.serverTrafficSecret0
        }
        let secret = try secret(keyPath)
        guard secret.count == suite.hash.length else { throw .noKeys }
        setProtection(TLSRecordProtection(keys: TLSKeySchedule.tls13Keys(secret: secret, suite: suite), suite: suite, isTLS13: true),
                      secret: secret, fromClient: fromClient)
    }

    private func setProtection(_ protection: TLSRecordProtection, secret: [UInt8]?, fromClient: Bool) {
        keysInstalled = true
        if fromClient {
            client.protection = protection
            client.secret = secret
        } else {
            server.protection = protection
            server.secret = secret
        }
    }
}

/// Length-checked reads over a handshake message body.
private struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func uint8() -> UInt8? {
        guard offset < bytes.count else { return nil }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func uint16() -> UInt16? {
        guard let high = uint8(), let low = uint8() else { return nil }
        return UInt16(high) << 8 | UInt16(low)
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        offset += count
        return Array(bytes[offset - count..<offset])
    }
}

extension TLSConnectionDecryptor {
    /// The host_name of a ClientHello's server_name extension, or nil (absent, cut off, or not printable ASCII).
    /// The body: legacy_version (2), random (32), session id, cipher suites, compression methods, extensions.
    static func requestedServerName(inClientHello body: [UInt8]) -> String? {
        var i = 34
        func skip(lengthBytes: Int) -> Bool {
            guard i + lengthBytes <= body.count else { return false }
            var length = 0
            for k in 0..<lengthBytes { length = length << 8 | Int(body[i + k]) }
            i += lengthBytes + length
            return i <= body.count
        }
        guard skip(lengthBytes: 1), skip(lengthBytes: 2), skip(lengthBytes: 1), i + 2 <= body.count else { return nil }
        let end = min(body.count, i + 2 + (Int(body[i]) << 8 | Int(body[i + 1])))
        i += 2
        while i + 4 <= end {
            let type = Int(body[i]) << 8 | Int(body[i + 1])
            let length = Int(body[i + 2]) << 8 | Int(body[i + 3])
            i += 4
            guard i + length <= end else { return nil }
            // server_name: a list (2-byte length) of (name_type 1 byte, 0 = host_name; name 2-byte length).
            if type == 0, length >= 5, body[i + 2] == 0 {
                let nameLength = Int(body[i + 3]) << 8 | Int(body[i + 4])
                guard nameLength > 0, i + 5 + nameLength <= i + length else { return nil }
                let name = body[(i + 5)..<(i + 5 + nameLength)]
                guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
                return String(decoding: name, as: UTF8.self)
            }
            i += length
        }
        return nil
    }
}
