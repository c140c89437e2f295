import Testing
@testable import RESP

/// Records every decoder event as a line of text, so whole/byte-by-byte/random-split runs can be compared.
struct EventLog: RESPTokenHandler {
    var lines: [String] = []
    var messages = 0
    var errors: [RESPProtocolError.Code] = []

    mutating func token(_ token: RESPToken) {
        let text = String(decoding: token.content, as: UTF8.self)
        let attr = token.insideAttribute ? " attr" : ""
        lines.append("\(token.depth) \(token.kind) len=\(token.length) int=\(token.integer) '\(text)'\(attr)")
    }
    mutating func messageEnd(byteCount: Int) {
        messages += 1
        lines.append("end \(byteCount)")
    }
    mutating func protocolError(_ error: RESPProtocolError) {
        errors.append(error.code)
        lines.append("error \(error.code)")
    }
}

/// Feeds `input` in the given chunk sizes (cycled) and returns the event log.
func decode(_ input: [UInt8], side: RESPDecoder.Side, chunks: [Int]? = nil, limits: RESPLimits = RESPLimits()) -> EventLog {
    var decoder = RESPDecoder(side: side, limits: limits)
    var log = EventLog()
    var offset = 0
    var chunkIndex = 0
    while offset < input.count {
        let size = chunks.map { max(1, $0[chunkIndex % $0.count]) } ?? input.count
        chunkIndex += 1
        let end = min(input.count, offset + size)
        // Copy into a fresh buffer so the decoder cannot rely on bytes outside the chunk.
        let piece = Array(input[offset..<end])
        piece.withUnsafeBytes { decoder.feed($0, handler: &log) }
        offset = end
    }
    return log
}

/// Decoding must not depend on segmentation: whole, byte by byte and in pseudo-random splits give identical events.
func expectSegmentationIndependent(_ input: [UInt8], side: RESPDecoder.Side, limits: RESPLimits = RESPLimits(),
                                   sourceLocation: SourceLocation = #_sourceLocation) -> EventLog {
    let whole = decode(input, side: side, limits: limits)
    let bytewise = decode(input, side: side, chunks: [1], limits: limits)
    #expect(bytewise.lines == whole.lines, "byte-by-byte differs", sourceLocation: sourceLocation)
    var generator = SplitMix64(seed: UInt64(input.count))
    for _ in 0..<20 {
        let sizes = (0..<16).map { _ in Int(generator.next() % 17) + 1 }
        let split = decode(input, side: side, chunks: sizes, limits: limits)
        #expect(split.lines == whole.lines, "split \(sizes) differs", sourceLocation: sourceLocation)
    }
    return whole
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct RESPDecoderTests {
    @Test func pipelinedRequests() {
        let input = bytes("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
        let log = expectSegmentationIndependent(input, side: .client)
        #expect(log.lines == [
            "0 array len=2 int=2 ''", "1 bulk-string len=3 int=3 'GET'", "1 bulk-string len=3 int=3 'foo'", "end 22",
            "0 array len=3 int=3 ''", "1 bulk-string len=3 int=3 'SET'", "1 bulk-string len=1 int=1 'k'",
            "1 bulk-string len=0 int=0 ''", "end 26",
        ])
        #expect(log.errors.isEmpty)
    }

    @Test func everyRESP3ReplyType() {
        let input = bytes(
            "+OK\r\n-ERR unknown command\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n*0\r\n_\r\n#t\r\n#f\r\n,3.14\r\n"
                + "(3492890328409238509324850943850943825024385\r\n!21\r\nSYNTAX invalid syntax\r\n=15\r\ntxt:Some string\r\n"
                + "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n~2\r\n+x\r\n+y\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n"
                + "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:1\r\n:2\r\n")
        let log = expectSegmentationIndependent(input, side: .server)
        #expect(log.errors.isEmpty)
        #expect(log.messages == 18)
        #expect(log.lines.contains("0 null-bulk len=0 int=-1 ''"))
        #expect(log.lines.contains("0 null-array len=0 int=-1 ''"))
        #expect(log.lines.contains("0 boolean len=0 int=1 ''"))
        #expect(log.lines.contains("0 bulk-error len=21 int=21 'SYNTAX invalid syntax'"))
        #expect(log.lines.contains("0 map len=4 int=2 ''"))
        #expect(log.lines.contains("0 push len=3 int=3 ''"))
        // The attribute's pairs are marked; the array after it is the message and is not.
        #expect(log.lines.contains("0 attribute len=2 int=1 ''"))
        #expect(log.lines.contains("2 double len=6 int=0 '0.1923' attr"))
        #expect(log.lines.suffix(4) == ["0 array len=2 int=2 ''", "1 integer len=0 int=1 ''", "1 integer len=0 int=2 ''", "end 53"])
    }

    @Test func nestedAggregatesEndOnce() {
        let input = bytes("*2\r\n*2\r\n:1\r\n*0\r\n%1\r\n+k\r\n*1\r\n_\r\n+PONG\r\n")
        let log = expectSegmentationIndependent(input, side: .server)
        #expect(log.messages == 2)
        #expect(log.errors.isEmpty)
    }

    @Test func inlineCommandsSplitLikeRedis() {
        let input = bytes("PING\r\nSET \"a b\" \"x\\ty\\x41\"\r\nGET 'a b'\nECHO 'it\\'s'\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n")
        let log = expectSegmentationIndependent(input, side: .client)
        #expect(log.errors.isEmpty)
        #expect(log.messages == 5)
        #expect(log.lines.contains("1 bulk-string len=4 int=4 'x\tyA'"))
        #expect(log.lines.contains("1 bulk-string len=3 int=3 'a b'"))
        #expect(log.lines.contains("1 bulk-string len=4 int=4 'it's'"))
    }

    @Test func inlineUnbalancedQuotesIsAProtocolError() {
        let log = expectSegmentationIndependent(bytes("SET \"a b\r\nPING\r\n"), side: .client)
        #expect(log.errors == [.unbalancedQuotes])
        #expect(log.messages == 1)  // PING still decodes
    }

    @Test func binaryGarbageInventsNoCommands() {
        var garbage: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<4000 { garbage.append(UInt8(truncatingIfNeeded: generator.next())) }
        let log = decode(garbage, side: .client)
        #expect(log.messages == 0)
        #expect(!log.errors.isEmpty)
    }

    @Test func largeBulkIsCountedNotKept() {
        var input = bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n")
        input += [UInt8](repeating: UInt8(ascii: "v"), count: 1_000_000)
        input += bytes("\r\n")
        var limits = RESPLimits()
        limits.keptPrefix = 8
        for chunks in [[1448], [65536], [7, 1, 3000]] {
            let log = decode(input, side: .client, chunks: chunks, limits: limits)
            #expect(log.lines[3] == "1 bulk-string len=1000000 int=1000000 'vvvvvvvv'")
            #expect(log.lines.last == "end \(input.count)")
        }
    }

    @Test(arguments: [
        ("*2147483647\r\n", RESPProtocolError.Code.lengthLimitExceeded),
        ("*1\r\n$9223372036854775807\r\n", .lengthLimitExceeded),
        ("*1\r\n$99999999999999999999\r\n", .invalidLength),
        ("*1\r\n$-7\r\n", .invalidLength),
        ("*1\r\n$abc\r\n", .invalidLength),
        ("*1\r\n*1\r\n", .invalidRequestElement),
        ("*1\r\n$3\r\nGETxx", .missingCRLF),
    ])
    func hostileRequestHeaders(input: String, expected: RESPProtocolError.Code) {
        let log = expectSegmentationIndependent(bytes(input), side: .client)
        #expect(log.errors.first == expected)
        #expect(log.messages == 0)
    }

    @Test func deepNestingHitsTheDepthLimit() {
        let input = bytes(String(repeating: "*1\r\n", count: 100_000) + ":1\r\n")
        let log = decode(input, side: .server)
        #expect(log.errors.first == .depthLimitExceeded)
    }

    @Test func resynchronisesOnTheNextRequestAfterGarbage() {
        let input = bytes("garbage\u{1}\u{2} line\r\n*1\r\n$4\r\nPING\r\n")
        let log = expectSegmentationIndependent(input, side: .client)
        #expect(log.messages == 1)
        #expect(log.lines.contains("1 bulk-string len=4 int=4 'PING'"))
    }

    @Test func midStreamStartResynchronises() {
        // The capture starts inside a bulk body: skip to the first plausible request.
        var decoder = RESPDecoder(side: .client)
        decoder.resynchronize()
        var log = EventLog()
        bytes("llo\r\n$5\r\nworld\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").withUnsafeBytes { decoder.feed($0, handler: &log) }
        #expect(log.messages == 1)
        #expect(log.errors.isEmpty)
        #expect(decoder.skippedBytes == 16)
    }

    @Test func everyTruncatedPrefixNeedsMore() {
        let input = bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n")
        for cut in 0..<input.count {
            let log = decode(Array(input[..<cut]), side: .client)
            #expect(log.messages == 0 && log.errors.isEmpty, "prefix of \(cut) bytes")
        }
        let serverInput = bytes("%1\r\n$1\r\nk\r\n*2\r\n,1.5\r\n#t\r\n")
        for cut in 0..<serverInput.count {
            let log = decode(Array(serverInput[..<cut]), side: .server)
            #expect(log.messages == 0 && log.errors.isEmpty, "prefix of \(cut) bytes")
        }
    }

    @Test func splitArgumentsMatchesSdssplitargs() {
        func split(_ s: String) -> [String]? {
            var out: [UInt8] = []
            var ranges: [(start: Int, count: Int)] = []
            guard RESPDecoder.splitArguments(Array(s.utf8), into: &out, ranges: &ranges) else { return nil }
            return ranges.map { String(decoding: out[$0.start..<($0.start + $0.count)], as: UTF8.self) }
        }
        #expect(split("set a b") == ["set", "a", "b"])
        #expect(split("  set   \"a\\nb\"  ") == ["set", "a\nb"])
        #expect(split("get a\"b c\"") == ["get", "ab c"])
        #expect(split("echo \"a\"b") == nil)
        #expect(split("echo 'a") == nil)
        #expect(split("") == [])
    }
}
