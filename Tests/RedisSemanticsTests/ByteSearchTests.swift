import Testing
import RedisSemantics

@Suite struct ByteSearchTests {
    /// The first of a byte is found at every position of strings up to 20 bytes, whatever bytes lie around it
    /// (including 0x80 and up, which a word-at-a-time search could take for a match), and none where there is none.
    @Test func findsFirstOfAByteAtEveryPlace() {
        for byte: UInt8 in [UInt8(ascii: ":"), UInt8(ascii: "{"), 0, 0xFF] {
            for filler: UInt8 in [UInt8(ascii: "k"), 0x80, byte &+ 1, byte &- 1] {
                for length in 0...20 {
                    var bytes = [UInt8](repeating: filler, count: length)
                    bytes.withUnsafeBytes { #expect(ByteSearch.firstIndex(of: byte, in: $0) == length) }
                    for position in 0..<length {
                        bytes = [UInt8](repeating: filler, count: length)
                        bytes[position] = byte
                        if position + 1 < length { bytes[position + 1] = byte }
                        bytes.withUnsafeBytes {
                            #expect(ByteSearch.firstIndex(of: byte, in: $0) == position, "byte \(byte) length \(length)")
                        }
                    }
                }
            }
        }
    }
}
