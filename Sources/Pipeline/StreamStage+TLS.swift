import Analysis
import TCPReassembly
import TLSDecryption

/// TLS in the stream stage. A connection's first bytes decide: a TLS record makes it a TLS connection, whose
/// records are decrypted with the key log and whose application data goes to its RESP session like plain bytes;
/// anything else makes it plain, and nothing here runs for it again. Bytes that cannot be decrypted are counted in
/// the `tls` section (by connection and reason), never decoded.
extension StreamStage {
    func tlsData(_ stream: ConnectionStream, _ direction: StreamDirection, _ bytes: UnsafeRawBufferPointer, at time: Int64) {
        let fromClient = direction == .toServer
        if stream.tls == nil {
            guard TLSRecordParser.looksLikeTLS(bytes, handshakeStart: stream.handshakeSeen) else {
                stream.isPlain = true
                return feed(stream, direction, bytes, at: time)
            }
            stream.tls = TLSConnectionDecryptor(keys: tls.keys, budget: tls.budget)
        }
        // Bytes that cannot be decrypted are not Redis bytes: neither decoded nor counted.
        guard let decryptor = stream.tls, decryptor.isDecrypting(fromClient: fromClient) else { return }
        decryptor.feed(bytes, fromClient: fromClient) { plaintext, plaintextFromClient in
            feed(stream, plaintextFromClient ? .toServer : .toClient, plaintext, at: time)
        }
    }
}

/// What became of the TLS connections, for the report's `tls` section.
final class TLSStreamCounts {
    /// From `--tls-keylog`, and the key logs inside the capture (created by the first when none was given).
    private(set) var keys: TLSKeyStore?
    /// Partial records held by all TLS connections, bounded like out-of-order bytes (`--max-buffered-total`).
    let budget: TLSBufferBudget
    private var counts = AnalysisReport.TLSSummary()
    private var bySuite: [String: (version: String, suite: String, connections: Int)] = [:]
    /// By version and server name (SNI): connections and those decrypted. Bounded: names past the limit count under
    /// their version without a name.
    private var byServerName: [String: TLSConnections] = [:]
    static let maxServerNames = 100
    static let maxProblems = 20

    init(keys: TLSKeyStore?, bufferLimit: Int) {
        self.keys = keys
        budget = TLSBufferBudget(limit: bufferLimit)
        counts.keyLog = keys?.path
    }

    /// A key log from a Decryption Secrets Block; one that does not parse is counted, not used.
    func add(keyLog bytes: [UInt8]) {
        guard let parsed = try? TLSKeyLog(bytes: bytes, path: "the capture's decryption secrets") else {
            counts.secretsBlocksRejected = (counts.secretsBlocksRejected ?? 0) + 1
            return
        }
        counts.secretsInCapture = (counts.secretsInCapture ?? 0) + parsed.secrets.count
        if let keys {
            keys.add(parsed)
        } else {
            keys = TLSKeyStore(keyLog: parsed)
        }
    }

    func closed(_ id: ConnectionID, _ decryptor: TLSConnectionDecryptor) {
        decryptor.release()
        counts.connections += 1
        counts.recordsDecrypted += decryptor.recordsDecrypted
        counts.bytesDecrypted += decryptor.bytesDecrypted
        if let version = decryptor.version {
            let suite = decryptor.cipherSuite?.name ?? "unknown"
            bySuite["\(version) \(suite)", default: (version.description, suite, 0)].connections += 1
        }
        let version = decryptor.version?.description ?? "unknown"
        var name = decryptor.serverName
        if let known = name, byServerName["\(version) \(known)"] == nil, byServerName.count >= Self.maxServerNames { name = nil }
        let key = "\(version) \(name ?? "")"
        byServerName[key, default: TLSConnections(version: version, sni: name, connections: 0, decrypted: 0)].connections += 1
        if decryptor.failure == nil && decryptor.keysInstalled { byServerName[key]?.decrypted += 1 }
        guard let failure = decryptor.failure else {
            if decryptor.keysInstalled {
                counts.decrypted += 1
            } else {
                counts.otherFailures["handshakeIncomplete", default: 0] += 1
                note(id, reason: "handshakeIncomplete", detail: "closed before any encrypted record")
            }
            return
        }
        switch failure {
        case .noKeys, .noKeyLog: counts.withoutKeys += 1
        case .handshakeNotSeen: counts.handshakeNotSeen += 1
        case .authenticationFailed: counts.authenticationFailures += 1
        default: counts.otherFailures[failure.reason, default: 0] += 1
        }
        note(id, reason: failure.reason, detail: failure.advice)
    }

    private func note(_ id: ConnectionID, reason: String, detail: String) {
        guard counts.problems.count < Self.maxProblems else { return }
        counts.problems.append(AnalysisReport.Problem(connection: id.rawValue, reason: reason, detail: detail))
    }

    /// The quality section's part: TLS connections, by version and server name; nil each when there were none.
    func noteQuality(in quality: inout AnalysisReport.QualitySummary) {
        guard counts.connections > 0 else { return }
        quality.tlsConnections = counts.connections
        quality.tls = byServerName.values.sorted {
            ($1.connections, $0.version, $0.sni ?? "") < ($0.connections, $1.version, $1.sni ?? "")
        }
    }

    /// The section; nil when no connection was TLS and no key log was given (plain captures keep their reports).
    func summary() -> AnalysisReport.TLSSummary? {
        guard counts.connections > 0 || keys != nil else { return nil }
        var result = counts
        result.byVersionAndSuite = bySuite.values.sorted { ($0.version, $0.suite) < ($1.version, $1.suite) }
            .map { AnalysisReport.VersionAndSuite(version: $0.version, cipherSuite: $0.suite, connections: $0.connections) }
        return result
    }
}
