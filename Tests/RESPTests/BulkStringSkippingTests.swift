import Testing
@testable import RESP

/// Logs like `EventLog`, but counts bulk strings past the second element of a top-level aggregate only: it asks the
/// decoder to skip them (`countsBulkStringsOnly`), and a bulk string that arrives as a token where it could have
/// been skipped is logged the same way as a skipped one. So the log must not depend on the segmentation, though
/// only whole chunks let the decoder skip.
struct SkippingLog: RESPTokenHandler {
    var log = EventLog()
    /// Elements seen (as tokens or skipped) at depth 1 of the current top-level value.
    var elements = 0
    var skipCalls = 0
    var skipped = 0

    var countsBulkStringsOnly: Bool { elements >= 2 }

    mutating func bulkStringsSkipped(_ count: Int) {
        #expect(count > 0)
        #expect(elements >= 2, "skipped before the handler asked for it")
        skipCalls += 1
        skipped += count
        elements += count
        for _ in 0..<count { log.lines.append("1 counted bulk-string") }
    }

    mutating func token(_ token: RESPToken) {
        if token.depth == 0 && !token.insideAttribute { elements = 0 }
        if token.depth == 1 && !token.insideAttribute {
            if countsBulkStringsOnly && token.kind == .bulkString {
                elements += 1
                log.lines.append("1 counted bulk-string")
                return
            }
            elements += 1
        }
        log.token(token)
    }

    mutating func messageEnd(byteCount: Int) { log.messageEnd(byteCount: byteCount) }
    mutating func protocolError(_ error: RESPProtocolError) { log.protocolError(error) }
}

@Suite struct BulkStringSkippingTests {
    /// Feeds `input` in chunks of `chunks` sizes (cycled; whole when nil) to a skipping handler.
    static func decodeSkipping(_ input: [UInt8], side: RESPDecoder.Side, chunks: [Int]? = nil,
                               limits: RESPLimits = RESPLimits()) -> SkippingLog {
        var decoder = RESPDecoder(side: side, limits: limits)
        var handler = SkippingLog()
        decoder.feed(input, chunks: chunks, handler: &handler)
        return handler
    }

    /// Whole, the decoder skips; byte by byte it cannot: both logs (and message sizes, errors) must agree, and agree
    /// with every other split. Returns the whole run.
    @discardableResult
    static func expectSameSkippedOrNot(_ text: String, side: RESPDecoder.Side, limits: RESPLimits = RESPLimits(),
                                       sourceLocation: SourceLocation = #_sourceLocation) -> SkippingLog {
        let input = Array(text.utf8)
        let whole = decodeSkipping(input, side: side, limits: limits)
        let bytewise = decodeSkipping(input, side: side, chunks: [1], limits: limits)
        #expect(bytewise.skipCalls == 0, sourceLocation: sourceLocation)
        #expect(bytewise.log.lines == whole.log.lines, "byte-by-byte differs", sourceLocation: sourceLocation)
        var generator = SplitMix64(seed: UInt64(input.count))
        for _ in 0..<20 {
            let sizes = (0..<16).map { _ in Int(generator.next() % 23) + 1 }
            let split = decodeSkipping(input, side: side, chunks: sizes, limits: limits)
            #expect(split.log.lines == whole.log.lines, "split \(sizes) differs", sourceLocation: sourceLocation)
        }
        // And the same messages, sizes and errors as a handler that skips nothing.
        let plain = decode(input, side: side, limits: limits)
        #expect(whole.log.lines.filter { $0.hasPrefix("end") || $0.hasPrefix("error") }
                == plain.lines.filter { $0.hasPrefix("end") || $0.hasPrefix("error") }, sourceLocation: sourceLocation)
        return whole
    }

    @Test func longReplyIsSkippedButTheLastElementAndMessageEndAreNot() {
        // LRANGE-like: 6 elements; the first two are tokens, the next three skipped, the last a token again.
        let whole = Self.expectSameSkippedOrNot("*6\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n$0\r\n\r\n$1\r\nd\r\n$4\r\nlast\r\n+OK\r\n",
                                                side: .server)
        #expect(whole.skipCalls == 1)
        #expect(whole.skipped == 3)
        #expect(whole.log.lines == [
            "0 array len=6 int=6 ''", "1 bulk-string len=1 int=1 'a'", "1 bulk-string len=2 int=2 'bb'",
            "1 counted bulk-string", "1 counted bulk-string", "1 counted bulk-string", "1 counted bulk-string",
            "end 51", "0 simple-string len=2 int=0 'OK'", "end 5",
        ])
    }

    @Test func longRequestArgumentsAreSkipped() {
        let whole = Self.expectSameSkippedOrNot("*6\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n",
                                                side: .client)
        #expect(whole.skipped == 3)
        #expect(whole.log.lines.last == "end 49")
    }

    /// Where a run must stop: a null, an integer or a nested aggregate among the elements, a body that is not whole
    /// in the chunk, a bad terminator, a length past the limit, RESP3 attributes, and a run that reaches nesting.
    @Test(arguments: [
        "*7\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$-1\r\n$1\r\nd\r\n:5\r\n$1\r\ne\r\n",
        "*6\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n",
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\ncX\n$1\r\nd\r\n$1\r\ne\r\n",
        "*5\r\n$1\r\na\r\n$1\r\nb\r\n$9\r\ntoo long!\r\n$1\r\nd\r\n$1\r\ne\r\n",
        "|1\r\n+k\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
        "*4\r\n|1\r\n+k\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
        ">4\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n$1\r\ny\r\n",
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\n",
    ])
    func runsStopWhereTheyMust(reply: String) {
        var limits = RESPLimits()
        limits.maxBulkLength = 8
        Self.expectSameSkippedOrNot(reply, side: .server, limits: limits)
    }

    /// A handler that does not ask gets every token, whole or not.
    @Test func handlersThatDoNotAskGetEveryToken() {
        let log = decode(bytes("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"), side: .server)
        #expect(log.lines.filter { $0.hasPrefix("1 bulk-string") }.count == 5)
    }
}
