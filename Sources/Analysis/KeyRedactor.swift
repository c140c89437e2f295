import Crypto
/// Replaces keys by a stable hash (`--redact-keys`): the same key gives the same token within a run, and
/// prefixes keep their shape (`user:*` stays recognisable as a prefix, its text hashed).
///
/// Without a salt the seed is random per process, so no token can be matched across runs. With a shared salt
/// (`--redact-salt`) every run that uses it gives a key the same token, so reports of several hosts merge.
public struct KeyRedactor: Sendable {
    let seed: UInt64

    private static let randomSeed = UInt64.random(in: 1...UInt64.max)
    /// Set once, before any analysis starts (the command line does it while parsing), and only read afterwards.
    nonisolated(unsafe) private static var salted: (seed: UInt64, identifier: String)?

    /// The seed of every redactor of this run (report, events): the shared salt's, else one random per process.
    public static var runSeed: UInt64 { salted?.seed ?? randomSeed }

    /// Names the seed in a report without giving it away: `salt:` and 12 hex digits of a SHA-256 of the salt (the
    /// same for every run with that salt), or `per-run:` and 12 hex digits of one of the random seed (tokens of two
    /// reports match only when these are equal and not per-run, or both reports come from one run).
    public static var runSeedIdentifier: String {
        if let salted { return salted.identifier }
        var hasher = SHA256()
        hasher.update(data: Array("respcap-redaction-run\0".utf8))
        hasher.update(bigEndian: randomSeed)
        return "per-run:" + SHA256.hex(hasher.finalize(), count: 6)
    }

    /// True when `identifier` names a random per-run seed (or is missing: reports of older versions).
    public static func isPerRun(_ identifier: String?) -> Bool {
        guard let identifier else { return true }
        return identifier.hasPrefix("per-run:")
    }

    /// Makes `salt` the seed of every redactor of this process. Call before analysing. The salt itself is kept
    /// nowhere: the seed and the identifier are separate SHA-256 digests of it.
    public static func useSharedSalt(_ salt: some Collection<UInt8>) {
        var seedHasher = SHA256()
        seedHasher.update(data: Array("respcap-redaction-seed\0".utf8))
        seedHasher.update(data: Array(salt))
        let digest = seedHasher.finalize()
        let seed = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var idHasher = SHA256()
        idHasher.update(data: Array("respcap-redaction-id\0".utf8))
        idHasher.update(data: Array(salt))
        salted = (seed == 0 ? 1 : seed, "salt:" + SHA256.hex(idHasher.finalize(), count: 6))
    }

    public init(seed: UInt64 = KeyRedactor.runSeed) { self.seed = seed }

    public func redact(_ bytes: [UInt8], keepTrailingDelimiter: Bool = false) -> String {
        let hash = bytes.withUnsafeBytes { keyHash($0, seed: seed) }
        let token = String(hash >> 32, radix: 16)
        return keepTrailingDelimiter ? "key#\(token):*" : "key#\(token)"
    }
}
