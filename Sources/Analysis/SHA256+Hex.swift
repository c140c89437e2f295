import Crypto

extension SHA256 {
    /// Appends `value` as 8 big-endian bytes (how fingerprints and seeds have always been hashed).
    public mutating func update(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { update(bufferPointer: $0) }
    }

    /// Lowercase hex of the first `count` bytes of `digest`.
    public static func hex(_ digest: SHA256.Digest, count: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String(digest.prefix(count).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
