@testable import Analysis
@testable import RedisSemantics
import Testing

/// The digester remembers the keys it digested lately: a key found there must digest exactly as it would the first
/// time (hashes, prefix, hash slot), whatever keys came between, and a different key sharing its entry must not be
/// taken for it.
@Suite struct ArgumentDigesterRecentKeysTests {
    static func record(_ command: CommandID, key: [UInt8], fullLength: Int) -> CommandRecord {
        var record = CommandRecord.empty
        record.restart(connection: 1, command: command, argumentCount: 2, requestStartNanos: 0)
        key.withUnsafeBytes { record.arguments.keep(slot: 0, argumentIndex: 1, content: $0, fullLength: fullLength) }
        return record
    }

    /// 2,000 keys of 0 to 40 bytes over a small alphabet (so that many share a length, a prefix or a hash tag, and
    /// many fall into one entry), some cut short of their full length, asked 30,000 times with hot keys repeated:
    /// each digest equals a fresh digester's, which has remembered nothing.
    @Test func rememberedKeysDigestAsTheFirstTime() {
        let registry = CommandRegistry()
        let get = Array("get".utf8).withUnsafeBytes { registry.id(forName: $0) }
        let rule = KeyPrefixRule(delimiters: ":")
        let remembering = ArgumentDigester(registry: registry, prefixRule: rule)
        var state: UInt64 = 0x6B65_7973
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array("ab:{}1x".utf8)
        let keys: [(bytes: [UInt8], fullLength: Int)] = (0..<2_000).map { _ in
            let bytes = (0..<next(41)).map { _ in alphabet[next(alphabet.count)] }
            return (bytes, next(8) == 0 ? bytes.count + 1 + next(5) : bytes.count)
        }
        var mismatches = 0
        for _ in 0..<30_000 {
            // Half the time one of the 20 hottest keys, else any.
            let key = keys[next(2) == 0 ? next(20) : next(keys.count)]
            var record = Self.record(get, key: key.bytes, fullLength: key.fullLength)
            let fresh = ArgumentDigester(registry: registry, prefixRule: rule)
            let expected = withUnsafePointer(to: &record) { fresh.digest(of: $0) }
            let digest = withUnsafePointer(to: &record) { remembering.digest(of: $0) }
            if digest != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Keys of every length to 32 and beyond: each index is the same for the same bytes and inside the table.
    @Test func entryIndexIsOfTheBytesAlone() {
        for length in 1...32 {
            let key = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let first = key.withUnsafeBytes { ArgumentDigester.recentKeyIndex($0) }
            let again = Array(key).withUnsafeBytes { ArgumentDigester.recentKeyIndex($0) }
            #expect(first == again && first >= 0 && first < ArgumentDigester.recentKeyCount)
        }
    }
}
