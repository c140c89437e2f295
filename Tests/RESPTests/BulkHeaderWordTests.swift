import Testing
@testable import RESP

/// Bulk-string headers with one or two length digits are read from one word on the fast path and in the runs of
/// skipped elements; every other header goes through the byte loop or the state machine. Cut at every point, fed
/// byte by byte or whole, each input must give the same events, with or without skipping.
@Suite struct BulkHeaderWordTests {
    static let replies: [String] = [
        // One, two and three digits, in runs long enough to be skipped.
        "*8\r\n$1\r\na\r\n$2\r\nbb\r\n$1\r\nc\r\n$10\r\n0123456789\r\n$0\r\n\r\n$12\r\nabcdefghijkl\r\n$100\r\n"
            + String(repeating: "z", count: 100) + "\r\n$3\r\nend\r\n",
        // Leading zeros, and a header whose second byte is not a digit nor CR.
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$01\r\nc\r\n$003\r\nddd\r\n$1\r\ne\r\n",
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1x\r\nc\r\n$1\r\nd\r\n",
        // A CR without its LF after one or two digits, and after the body.
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\rXc\r\n$1\r\nd\r\n",
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$12\rXabcdefghijkl\r\n$1\r\nd\r\n",
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\ncc\rX$1\r\nd\r\n",
        // Signs and non-digits where a length belongs.
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$-1\r\n$1\r\nd\r\n",
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$:1\r\nc\r\n$1\r\nd\r\n",
        // Bytes next to the digits' range where a digit belongs, in runs of one-digit elements.
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$/\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$*\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
        // A run of the longest one-digit elements, whose last ones end within 15 bytes of the chunk's end.
        "*12\r\n" + String(repeating: "$9\r\n123456789\r\n", count: 11) + "$1\r\nz\r\n",
        // Headers at the very end of the input, whole or not.
        "$1\r\na\r\n$12\r\nabcdefghijkl\r\n$1",
        "$1\r\na\r\n$12\r",
        "$7\r\n",
    ]

    static let requests: [String] = [
        "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n",
        "*11\r\n$4\r\nMSET\r\n$2\r\nk1\r\n$1\r\nv\r\n$2\r\nk2\r\n$1\r\nv\r\n$2\r\nk3\r\n$10\r\n0123456789\r\n$2\r\nk4\r\n$1\r\nv\r\n"
            + "$2\r\nk5\r\n$1\r\nv\r\n",
        "*2\r\n$3\r\nGET\r\n$99\r\nshort\r\n*1\r\n$4\r\nPING\r\n",
        // Bytes next to the digits' range where one of one or two digits belongs; a two-digit header without its LF.
        "*2\r\n$3\r\nGET\r\n$/\r\nk\r\n*2\r\n$3\r\nGET\r\n$:\r\nk\r\n",
        "*2\r\n$3\r\nGET\r\n$1/\r\nk\r\n*2\r\n$3\r\nGET\r\n$:1\r\nk\r\n",
        "*2\r\n$3\r\nGET\r\n$10\rX0123456789\r\n*1\r\n$4\r\nPING\r\n",
        "*2\r\n$3\r\nGET\r\n$99\r\n" + String(repeating: "k", count: 99) + "\r\n",
        // Array headers of one digit, and around them: none, ten, a non-digit, a CR without its LF.
        "*9\r\n" + String(repeating: "$1\r\nx\r\n", count: 9) + "*10\r\n" + String(repeating: "$1\r\nx\r\n", count: 10),
        "*0\r\n*1\r\n$4\r\nPING\r\n*:\r\n$4\r\nPING\r\n*1\rX$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
    ]

    /// Every cut into two chunks, besides the splits `expectSegmentationIndependent` tries.
    static func expectEveryCutAlike(_ text: String, side: RESPDecoder.Side, sourceLocation: SourceLocation = #_sourceLocation) {
        let input = bytes(text)
        let whole = expectSegmentationIndependent(input, side: side, sourceLocation: sourceLocation)
        for cut in 1..<input.count {
            let split = decode(input, side: side, chunks: [cut, input.count], limits: RESPLimits())
            #expect(split.lines == whole.lines, "cut at \(cut) differs", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: replies)
    func repliesDecodeAlikeCutAnywhere(input: String) {
        Self.expectEveryCutAlike(input, side: .server)
        BulkStringSkippingTests.expectSameSkippedOrNot(input, side: .server)
    }

    @Test(arguments: requests)
    func requestsDecodeAlikeCutAnywhere(input: String) {
        Self.expectEveryCutAlike(input, side: .client)
        BulkStringSkippingTests.expectSameSkippedOrNot(input, side: .client)
    }

    /// What the word-read headers give, checked directly.
    @Test func oneAndTwoDigitLengths() {
        let log = decode(bytes("*3\r\n$1\r\na\r\n$10\r\n0123456789\r\n$0\r\n\r\n"), side: .server)
        #expect(log.lines == ["0 array len=3 int=3 ''", "1 bulk-string len=1 int=1 'a'",
                              "1 bulk-string len=10 int=10 '0123456789'", "1 bulk-string len=0 int=0 ''", "end 34"])
    }

    /// A skipped run counts every element and byte as the tokens would have.
    @Test func skippedRunsOfMixedWidths() {
        let run = BulkStringSkippingTests.expectSameSkippedOrNot(Self.replies[0], side: .server)
        #expect(run.skipped == 5)
    }

    /// The word-read headers accept exactly `$` (or `*`), one or two of `0`...`9`, CRLF: every byte value where a digit
    /// belongs, and every other byte wrong in turn.
    @Test func wordReadHeadersAcceptDigitsOnly() {
        func word(_ bytes: [UInt8]) -> UInt32 { bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        let dollar = UInt8(ascii: "$"), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        for first in 0...255 {
            let b = UInt8(first)
            let digit = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") ? Int(b - UInt8(ascii: "0")) : nil
            #expect(RESPDecoder.oneDigitLength(word([dollar, b, cr, lf]), type: dollar) == digit, "byte \(first)")
            #expect(RESPDecoder.oneDigitLength(word([UInt8(ascii: "*"), b, cr, lf]), type: UInt8(ascii: "*")) == digit, "byte \(first)")
            #expect(RESPDecoder.oneDigitLength(word([UInt8(ascii: "*"), b, cr, lf]), type: dollar) == nil, "byte \(first)")
            for second in 0...255 {
                let c = UInt8(second)
                let low = c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") ? Int(c - UInt8(ascii: "0")) : nil
                let expected = digit.flatMap { high in low.map { high * 10 + $0 } }
                guard RESPDecoder.twoDigitBulkLength(word([dollar, b, c, cr]), lf) == expected else {
                    Issue.record("bytes \(first) \(second)")
                    return
                }
            }
        }
        let one: [UInt8] = [dollar, UInt8(ascii: "7"), cr, lf], two: [UInt8] = [dollar, UInt8(ascii: "4"), UInt8(ascii: "2"), cr]
        #expect(RESPDecoder.oneDigitLength(word(one), type: dollar) == 7 && RESPDecoder.twoDigitBulkLength(word(two), lf) == 42)
        for position in 0..<4 {
            for wrong in [UInt8(0), UInt8(ascii: "*"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0xFF] where wrong != one[position] {
                var bytes = one
                bytes[position] = wrong
                #expect(RESPDecoder.oneDigitLength(word(bytes), type: dollar) == nil, "position \(position) byte \(wrong)")
            }
            for wrong in [UInt8(0), UInt8(ascii: "*"), UInt8(ascii: "\n"), 0xFF] where wrong != two[position] {
                var bytes = two
                bytes[position] = wrong
                #expect(RESPDecoder.twoDigitBulkLength(word(bytes), lf) == nil, "position \(position) byte \(wrong)")
            }
        }
        #expect(RESPDecoder.twoDigitBulkLength(word(two), cr) == nil)
    }
}
