import Testing
@testable import RESP

/// Logs like `EventLog`, counting the messages that came as one call (`wholeValue`), replayed as their token and end.
struct WholeScalarLog: RESPTokenHandler {
    var log = EventLog()
    var wholeValues = 0

    mutating func wholeValue(_ token: RESPToken, byteCount: Int) {
        wholeValues += 1
        #expect(token.depth == 0)
        log.token(token)
        log.messageEnd(byteCount: byteCount)
    }

    mutating func token(_ token: RESPToken) { log.token(token) }
    mutating func messageEnd(byteCount: Int) { log.messageEnd(byteCount: byteCount) }
    mutating func protocolError(_ error: RESPProtocolError) { log.protocolError(error) }
}

@Suite struct WholeScalarMessageTests {
    static func decodeScalars(_ input: [UInt8], chunks: [Int]? = nil) -> WholeScalarLog {
        var decoder = RESPDecoder(side: .server)
        var handler = WholeScalarLog()
        decoder.feed(input, chunks: chunks, handler: &handler)
        return handler
    }

    /// Replies of one scalar come as one call; every reply gives the events of the token path, whole and split.
    @Test func scalarRepliesGiveTheTokensAndSizes() {
        let text = ":1\r\n+OK\r\n-ERR unknown command 'x'\r\n$3\r\nVXK\r\n$-1\r\n:-42\r\n*2\r\n:1\r\n$1\r\na\r\n"
            + "|1\r\n+ttl\r\n:3\r\n:7\r\n>2\r\n+message\r\n$2\r\nhi\r\n_\r\n#t\r\n,1.5\r\n$10\r\n0123456789\r\n+x\r\n"
            + ":1\r\n$2\r\nabc\r\n:2\r\n+ok\r"
        let input = Array(text.utf8)
        let whole = Self.decodeScalars(input)
        #expect(whole.log.lines == decode(input, side: .server).lines)
        #expect(whole.wholeValues >= 8)
        var generator = SplitMix64(seed: 99)
        for _ in 0..<20 {
            let sizes = (0..<16).map { _ in Int(generator.next() % 13) + 1 }
            #expect(Self.decodeScalars(input, chunks: sizes).log.lines == decode(input, side: .server, chunks: sizes).lines,
                    "split \(sizes) differs")
        }
    }
}
