import Testing
@testable import RedisSemantics

@Suite struct HashSlotCalculatorTests {
    /// The calculator's slots are `HashSlot`'s, for keys whole and cut, with and without hash tags.
    @Test func givesHashSlotsSlots() {
        let calculator = HashSlotCalculator()
        var keys: [[UInt8]] = ["", "a", "123456789", "{user1000}.following", "foo{}{bar}", "{}", "foo{{bar}}zap", "{a", "a}b{c}",
                               "key:000000080325"].map { Array($0.utf8) }
        var state: UInt64 = 7
        for _ in 0..<500 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58)
            keys.append((0..<length).map { index in
                let byte = UInt8(truncatingIfNeeded: (state >> UInt64(index % 56)) &+ UInt64(index))
                // Braces often enough for tags, empty tags and unclosed ones.
                guard byte % 7 == 0 else { return byte }
                return index % 2 == 0 ? UInt8(ascii: "{") : UInt8(ascii: "}")
            })
        }
        for key in keys {
            key.withUnsafeBytes { bytes in
                for cut in [bytes.count, max(0, bytes.count - 3), bytes.count / 2] {
                    let kept = UnsafeRawBufferPointer(rebasing: bytes[0..<cut])
                    #expect(calculator.slot(of: kept, fullLength: bytes.count) == HashSlot.slot(of: kept, fullLength: bytes.count))
                }
                #expect(calculator.crc16(bytes) == HashSlot.crc16(bytes))
            }
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { calculator.crc16($0) } == 0x31C3)
    }

    /// The CRC's steps of 8, 4, 2 and 1 bytes agree with the CRC a bit at a time, at every length up to 40.
    @Test func crcMatchesBitwiseCRC() {
        func bitwise(_ bytes: [UInt8]) -> UInt16 {
            var crc: UInt16 = 0
            for byte in bytes {
                crc ^= UInt16(byte) << 8
                for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
            }
            return crc
        }
        let calculator = HashSlotCalculator()
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length &* 17 &+ 3) }
            bytes.withUnsafeBytes { key in
                #expect(HashSlot.crc16(key) == bitwise(bytes), "length \(length)")
                #expect(calculator.crc16(key) == bitwise(bytes), "length \(length)")
            }
        }
    }

    /// The first `{` is found at every position of keys up to 20 bytes, and none in keys without one.
    @Test func findsFirstOpeningBrace() {
        for length in 0...20 {
            var key = [UInt8](repeating: UInt8(ascii: "k"), count: length)
            key.withUnsafeBytes { #expect(HashSlot.firstOpeningBrace($0) == length) }
            for position in 0..<length {
                key = [UInt8](repeating: UInt8(ascii: "k"), count: length)
                key[position] = UInt8(ascii: "{")
                if position + 2 < length { key[position + 2] = UInt8(ascii: "{") }
                key.withUnsafeBytes { #expect(HashSlot.firstOpeningBrace($0) == position, "length \(length)") }
            }
        }
    }
}
