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
}
