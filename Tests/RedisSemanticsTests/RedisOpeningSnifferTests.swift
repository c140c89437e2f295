import RedisSemantics
import Testing

/// What the first bytes of a connection's sides say: requests and replies of Redis, and the openings of other
/// protocols, which must say neither (or, for text naming a command, only an inline request).
@Suite struct RedisOpeningSnifferTests {
    typealias Request = RedisOpeningSniffer.Request

    static func request(_ text: String) -> Request {
        Array(text.utf8).withUnsafeBytes { RedisOpeningSniffer.request($0) }
    }

    static func reply(_ text: String) -> RedisOpeningSniffer.Judgement {
        Array(text.utf8).withUnsafeBytes { RedisOpeningSniffer.reply($0) }
    }

    static func isArray(_ r: Request) -> Bool { if case .array = r { true } else { false } }
    static func isInline(_ r: Request) -> Bool { if case .inline = r { true } else { false } }

    @Test(arguments: ["*1\r\n$4\r\nPING\r\n", "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n", "\r\n*2\r\n$8\r\nREPLCONF\r\n"])
    func arraysNamingCommandsAreRequests(text: String) {
        #expect(Self.isArray(Self.request(text)))
    }

    @Test(arguments: ["PING\r\n", "set colour blue\r\n", "GET / HTTP/1.1\r\n", "get session:1\r\n", "EXISTS a\n"])
    func textLinesNamingCommandsAreInlineRequests(text: String) {
        #expect(Self.isInline(Self.request(text)))
    }

    @Test(arguments: [
        "*1\r\n$6\r\nNOSUCH\r\n", "*0\r\n", "*x\r\n", "*1\r\n:1\r\n", "POST / HTTP/1.1\r\n", "VERSION 1.6\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}", "\u{00}\u{00}\u{00}\u{08}\u{04}\u{d2}\u{16}\u{2f}", "+OK POP3 ready\r\n",
    ])
    func otherOpeningsAreNotRequests(text: String) {
        #expect(Self.request(text) == .no)
    }

    @Test(arguments: ["+OK\r\n", "-ERR unknown command\r\n", ":12\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*-1\r\n",
                      "%2\r\n", "_\r\n", "#t\r\n", ",3.14\r\n", "(12345678901234567890\r\n", ">3\r\n"])
    func respValuesAreReplies(text: String) {
        #expect(Self.reply(text) == .yes)
    }

    @Test(arguments: ["HTTP/1.1 200 OK\r\n", "STORED\r\n", "END\r\n", "VALUE k 0 5\r\n", "\u{16}\u{03}\u{03}", "N",
                      "$abc\r\n", ":1.5\r\n", "#x\r\n", "_x\r\n", "+OK\n"])
    func otherOpeningsAreNotReplies(text: String) {
        #expect(Self.reply(text) == .no)
    }

    @Test func pubSubMessagesArePushes() {
        let push = { (text: String) in Array(text.utf8).withUnsafeBytes { RedisOpeningSniffer.push($0) } }
        #expect(push("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n") == .yes)
        #expect(push(">4\r\n$8\r\npmessage\r\n") == .yes)
        #expect(push("*3\r\n$9\r\nsubscribe\r\n") == .yes)
        #expect(push("*3\r\n$3\r\nset\r\n") == .no)
        #expect(push("*2\r\n$7\r\nmessage\r\n") == .no)
        #expect(push("+OK\r\n") == .no)
        #expect(push("*3\r\n$7\r\nmess") == .needMore)
    }

    /// Every prefix of a judged opening needs more bytes or already gives the same judgement.
    @Test(arguments: ["*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n", "PING\r\n", "GET / HTTP/1.1\r\n", "*1\r\n$6\r\nNOSUCH\r\n"])
    func prefixesNeedMoreOrAgree(text: String) {
        let whole = Self.request(text)
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            let prefix = bytes[..<length].withUnsafeBytes { RedisOpeningSniffer.request($0) }
            #expect(prefix == .needMore || prefix == whole, "\(text.debugDescription) cut at \(length): \(prefix)")
        }
        for length in 0..<5 {
            let reply = Array("+OK\r\n".utf8)[..<length].withUnsafeBytes { RedisOpeningSniffer.reply($0) }
            #expect(reply == .needMore, "+OK cut at \(length)")
        }
    }

    @Test func longLinesAreNotOpenings() {
        #expect(Self.request(String(repeating: "a", count: 100) + "\r\n") == .no)
        #expect(Self.request("GET " + String(repeating: "k", count: 600)) == .no)
        #expect(Self.reply("+" + String(repeating: "x", count: 600)) == .no)
    }
}
