#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where connections find their secrets: a key log read once, and read again when a client random is missing and
/// the file has grown since (clients append a line per connection as they connect, while `live` runs).
public final class TLSKeyStore: @unchecked Sendable {
    public let path: String?
    private var keyLog: TLSKeyLog
    private var loadedSize: Int64
    /// Times the file was read again after growing.
    public private(set) var reloads = 0
    /// Set by `live`: a connection whose secrets are not in the file yet waits for them (its client may not have
    /// written them when its first encrypted records are read). Off for capture files: the file is complete.
    public var waitsForGrowth = false

    /// Reads the key log at `path`.
    public convenience init(path: String) throws(TLSKeyLogError) {
        let size = Self.size(of: path)
        try self.init(keyLog: TLSKeyLog(contentsOfFile: path), path: path, size: size)
    }

    /// Secrets given directly (tests, a pcapng's Decryption Secrets Block); never re-read.
    public init(keyLog: TLSKeyLog, path: String? = nil, size: Int64 = -1) {
        self.keyLog = keyLog
        self.path = path
        loadedSize = size
    }

    /// Adds secrets found in the capture itself.
    public func add(_ more: TLSKeyLog) {
        for (random, secrets) in more.secrets {
            var merged = keyLog.secrets(forClientRandom: random) ?? TLSKeyLog.Secrets()
            merged.masterSecret = secrets.masterSecret ?? merged.masterSecret
            merged.clientHandshakeTrafficSecret = secrets.clientHandshakeTrafficSecret ?? merged.clientHandshakeTrafficSecret
            merged.serverHandshakeTrafficSecret = secrets.serverHandshakeTrafficSecret ?? merged.serverHandshakeTrafficSecret
            merged.clientTrafficSecret0 = secrets.clientTrafficSecret0 ?? merged.clientTrafficSecret0
            merged.serverTrafficSecret0 = secrets.serverTrafficSecret0 ?? merged.serverTrafficSecret0
            keyLog.set(merged, forClientRandom: random)
        }
    }

    public var clientRandoms: Int { keyLog.secrets.count }

    /// The secrets for `clientRandom`, reading the file again first if they (or the one `needing`) are missing and
    /// it has grown.
    public func secrets(forClientRandom clientRandom: [UInt8],
                        needing: KeyPath<TLSKeyLog.Secrets, [UInt8]?>? = nil) -> TLSKeyLog.Secrets? {
        if let found = keyLog.secrets(forClientRandom: clientRandom), needing.map({ found[keyPath: $0] != nil }) ?? true {
            return found
        }
        guard let path, loadedSize >= 0 else { return nil }
        let size = Self.size(of: path)
        guard size > loadedSize, let reread = try? TLSKeyLog(contentsOfFile: path) else { return nil }
        keyLog = reread
        loadedSize = size
        reloads += 1
        return keyLog.secrets(forClientRandom: clientRandom)
    }

    private static func size(of path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return -1 }
        return Int64(info.st_size)
    }
}

extension TLSKeyLog {
    mutating func set(_ value: Secrets, forClientRandom random: [UInt8]) {
        secrets[random] = value
    }
}
