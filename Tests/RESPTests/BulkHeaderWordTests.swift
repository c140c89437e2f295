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
}
