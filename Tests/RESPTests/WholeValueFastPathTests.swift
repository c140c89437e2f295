import Testing
@testable import RESP

/// The decoder reads values that lie whole in a chunk on a fast path, and hands everything else to its state
/// machine. Fed whole, these inputs take the fast path as far as it goes; fed byte by byte, none of it: the events
/// must be the same, including where the fast path has to stop (limits, signs, long lengths, bad terminators).
@Suite struct WholeValueFastPathTests {
    static let replies: [String] = [
        "+OK\r\n+QUEUED\r\n-ERR unknown command 'x'\r\n-WRONGTYPE Operation against a key\r\n",
        ":0\r\n:-42\r\n:123456789012345678\r\n:1234567890123456789\r\n:-9223372036854775808\r\n",
        "$0\r\n\r\n$3\r\nabc\r\n$-1\r\n$003\r\nabc\r\n",
        "*2\r\n$3\r\nfoo\r\n*2\r\n:1\r\n+x\r\n*0\r\n*-1\r\n",
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n*1\r\n*1\r\n*1\r\n:7\r\n",
        "$3\r\nabcX\n",                    // body not followed by CRLF
        "$5\r\nab\r\n",                     // a body that runs past the chunk
        "+OK\n",                            // a line feed without its carriage return
        "+\r\n-\r\n",                       // empty simple string and error
        "+" + String(repeating: "x", count: 200) + "\r\n",  // longer than the byte-by-byte scan
        ":+5\r\n:\r\n:12a\r\n",             // signs and digits the fast path leaves alone
        "$99999999999999999999\r\n",        // a length too long for it
        ">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n%1\r\n+k\r\n:1\r\n|1\r\n+a\r\n+b\r\n+OK\r\n",  // RESP3 around it
    ]

    static let requests: [String] = [
        "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n*1\r\n$4\r\nPING\r\n",
        "*2\r\n$3\r\nGET\r\n$0\r\n\r\n*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
        "*2\r\n*1\r\n$1\r\na\r\n",           // an array inside a request: an error either way
        "*1\r\n:1\r\n",                     // an integer inside a request
        "PING\r\n*1\r\n$4\r\nPING\r\n",     // inline, then RESP
        "*2\r\n$3\r\nGET\r\n$3\r\nabcd\r\n",  // wrong terminator after a body
    ]

    @Test(arguments: replies)
    func repliesDecodeAlikeWholeAndByteByByte(input: String) {
        _ = expectSegmentationIndependent(bytes(input), side: .server)
    }

    @Test(arguments: requests)
    func requestsDecodeAlikeWholeAndByteByByte(input: String) {
        _ = expectSegmentationIndependent(bytes(input), side: .client)
    }

    /// Limits stop the fast path exactly where they stop the state machine.
    @Test func limitsAreTheSameOnBothPaths() {
        var limits = RESPLimits()
        limits.maxBulkLength = 4
        limits.maxAggregateElements = 3
        limits.maxDepth = 2
        limits.keptPrefix = 2
        let input = bytes("$4\r\nabcd\r\n$5\r\nabcde\r\n*3\r\n:1\r\n:2\r\n:3\r\n*4\r\n*1\r\n*1\r\n*1\r\n:1\r\n+OK\r\n")
        let log = expectSegmentationIndependent(input, side: .server, limits: limits)
        #expect(log.errors.contains(.lengthLimitExceeded))
        #expect(log.errors.contains(.depthLimitExceeded))
        #expect(log.lines.contains("0 bulk-string len=4 int=4 'ab'"))
    }

    /// What the fast path itself emits, checked directly (not only against the state machine).
    @Test func fastPathTokens() {
        let log = decode(bytes("*2\r\n$3\r\nfoo\r\n:-5\r\n-ERR x\r\n"), side: .server)
        #expect(log.lines == ["0 array len=2 int=2 ''", "1 bulk-string len=3 int=3 'foo'", "1 integer len=0 int=-5 ''",
                              "end 18", "0 error len=5 int=0 'ERR x'", "end 8"])
    }
}
