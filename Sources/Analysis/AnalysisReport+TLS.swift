extension AnalysisReport {
    /// TLS connections and what became of them: present when a key log was given or a connection began with a TLS
    /// record. Counts are of connections; each is in exactly one of `decrypted`, `withoutKeys`, `handshakeNotSeen`,
    /// `authenticationFailures` or `otherFailures`.
    public struct TLSSummary: Codable, Sendable, Equatable {
        /// The key log file given (`--tls-keylog`); never its contents.
        public var keyLog: String?
        /// Client randoms with secrets in the capture itself (pcapng Decryption Secrets Blocks); absent without.
        public var secretsInCapture: Int?
        /// Decryption Secrets Blocks whose key log did not parse (not used); absent without.
        public var secretsBlocksRejected: Int?
        public var connections = 0
        /// Every record read was decrypted and authenticated.
        public var decrypted = 0
        /// No key log, or no secrets in it for the connection's client random.
        public var withoutKeys = 0
        /// The ClientHello or ServerHello is not in the capture (connected before it started).
        public var handshakeNotSeen = 0
        /// A record failed authentication (wrong secrets, damaged bytes); nothing after it was decoded.
        public var authenticationFailures = 0
        /// Other reasons, by name: gap, unsupportedCipherSuite, unsupportedVersion, notTLS, recordTooLong,
        /// malformedHandshake, earlyData, bufferLimit, handshakeIncomplete (closed before any encrypted record).
        public var otherFailures: [String: Int] = [:]
        public var recordsDecrypted = 0
        /// Application data decrypted, both directions: what the RESP decoder read from these connections.
        public var bytesDecrypted: Int64 = 0
        public var byVersionAndSuite: [VersionAndSuite] = []
        /// The first connections not decrypted, with why and what to do.
        public var problems: [Problem] = []

        public init() {}
    }

    public struct VersionAndSuite: Codable, Sendable, Equatable {
        public var version: String
        public var cipherSuite: String
        public var connections: Int

        public init(version: String, cipherSuite: String, connections: Int) {
            self.version = version
            self.cipherSuite = cipherSuite
            self.connections = connections
        }
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var connection: UInt64
        public var reason: String
        public var detail: String

        package init(connection: UInt64, reason: String, detail: String) {
            self.connection = connection
            self.reason = reason
            self.detail = detail
        }
    }
}
