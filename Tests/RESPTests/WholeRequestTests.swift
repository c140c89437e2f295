import Testing
@testable import RESP

/// Logs like `EventLog`, but takes whole requests (`takesWholeRequests`): each is replayed into the log as tokens and
/// a message end, so its log must equal that of a handler that takes tokens only, whatever the segmentation.
struct WholeRequestLog: RESPTokenHandler {
    var log = EventLog()
    var wholeRequests = 0

    static var takesWholeRequests: Bool { true }

    mutating func wholeRequest(_ request: RESPRequestArray) {
        wholeRequests += 1
        #expect(request.count > 0)
        request.replay(into: &log)
    }

    mutating func token(_ token: RESPToken) { log.token(token) }
    mutating func messageEnd(byteCount: Int) { log.messageEnd(byteCount: byteCount) }
    mutating func protocolError(_ error: RESPProtocolError) { log.protocolError(error) }
}

@Suite struct WholeRequestTests {
    static func decodeWhole(_ input: [UInt8], chunks: [Int]? = nil, limits: RESPLimits = RESPLimits()) -> WholeRequestLog {
        var decoder = RESPDecoder(side: .client, limits: limits)
        var handler = WholeRequestLog()
        decoder.feed(input, chunks: chunks, handler: &handler)
        return handler
    }

    /// The events of a whole-request handler equal a token handler's, whole and in splits; returns the whole run.
    @discardableResult
    static func expectSameAsTokens(_ input: [UInt8], limits: RESPLimits = RESPLimits(),
                                   sourceLocation: SourceLocation = #_sourceLocation) -> WholeRequestLog {
        let tokens = decode(input, side: .client, limits: limits)
        let whole = decodeWhole(input, limits: limits)
        #expect(whole.log.lines == tokens.lines, "whole differs", sourceLocation: sourceLocation)
        var generator = SplitMix64(seed: UInt64(input.count) &+ 7)
        for _ in 0..<12 {
            let sizes = (0..<16).map { _ in Int(generator.next() % 29) + 1 }
            let split = decodeWhole(input, chunks: sizes, limits: limits)
            let splitTokens = decode(input, side: .client, chunks: sizes, limits: limits)
            #expect(split.log.lines == splitTokens.lines, "split \(sizes) differs", sourceLocation: sourceLocation)
        }
        return whole
    }

    @Test func wholeRequestsGiveTheTokensAndSizes() {
        let text = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n"
            + "*7\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n22\r\n$10\r\nccccccccc0\r\n$0\r\n\r\n"
        let run = Self.expectSameAsTokens(Array(text.utf8))
        #expect(run.wholeRequests == 3)
        #expect(run.log.messages == 3)
    }

    @Test func keptPrefixCutsElements() {
        var limits = RESPLimits()
        limits.keptPrefix = 3
        let run = Self.expectSameAsTokens(Array("*2\r\n$3\r\nGET\r\n$11\r\nlongish-key\r\n".utf8), limits: limits)
        #expect(run.wholeRequests == 1)
        #expect(run.log.lines.contains("1 bulk-string len=11 int=11 'lon'"))
    }

    @Test func requestsTheTokenPathJudgesAreLeftToIt() {
        var small = RESPLimits()
        small.maxBulkLength = 4
        small.maxAggregateElements = 2
        let cases: [(String, RESPLimits)] = [
            ("*0\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*-1\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("PING\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n:1\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n$2\r\nabc\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n$-1\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n$03\r\nabc\r\n", RESPLimits()),
            ("*1\r\n$5\r\nHELLO\r\n*1\r\n$4\r\nPING\r\n", small),
            ("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n*1\r\n$4\r\nPING\r\n", small),
            ("*2\r\n$3\r\nGET\r\n$3\r\nab", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n$3\r\nabc\r", RESPLimits()),
            ("*2\r\n$3\r\nGET\r\n$3\r\nabcX\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*2x\r\n$3\r\nGET\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*99999999999999999999\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
            ("*1\r\n$99999999999999999999\r\n*1\r\n$4\r\nPING\r\n", RESPLimits()),
        ]
        for (text, limits) in cases { Self.expectSameAsTokens(Array(text.utf8), limits: limits) }
        var shallow = RESPLimits()
        shallow.maxDepth = 0
        let run = Self.expectSameAsTokens(Array("*1\r\n$4\r\nPING\r\n".utf8), limits: shallow)
        #expect(run.wholeRequests == 0)
    }

    /// Pieces of requests, valid and not, strung together at random.
    @Test func randomStreamsGiveTheSameEvents() {
        let pieces = ["*1\r\n", "*2\r\n", "*3\r\n", "*0\r\n", "*-1\r\n", "$3\r\nGET\r\n", "$1\r\na\r\n", "$0\r\n\r\n",
                      "$5\r\nblock\r\n", "$2\r\nabc\r\n", "$x\r\n", ":5\r\n", "PING\r\n", "\r\n", "*", "$", "\n", "12",
                      "$10\r\n0123456789\r\n", "*4\r\n$4\r\nHSET\r\n$1\r\nk\r\n$1\r\nf\r\n$1\r\nv\r\n"]
        var limits = RESPLimits()
        limits.keptPrefix = 4
        var generator = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<Int(generator.next() % 24) { text += pieces[Int(generator.next() % UInt64(pieces.count))] }
            Self.expectSameAsTokens(Array(text.utf8), limits: limits)
        }
    }
}
