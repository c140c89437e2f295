import Testing
@testable import RESP
@testable import RedisSemantics

/// Drives a `ConnectionSession` with a script of client and server bytes and summarises what it produced.
struct SessionScript {
    enum Step {
        case client(String)
        case server(String)
        case gap(fromClient: Bool)
    }

    var steps: [Step]
    var midStream = false

    struct Outcome {
        var commands: [String] = []          // "name:outcome[:error]"
        var pushes: [PushRecord.Kind] = []
        var unpaired = 0
        var transactionErrors: [String] = []
        var protocolErrors: [RESPProtocolError.Code] = []
        var records: [CommandRecord] = []
        var propagated: [String] = []       // "name:bytes"
        var syncs: [String] = []            // "full|partial:rdbBytes:offset"
    }

    func run(chunkSize: Int? = nil, registry: CommandRegistry = CommandRegistry()) -> Outcome {
        let session = ConnectionSession(connection: 1, registry: registry, midStream: midStream)
        var time: Int64 = 1_000
        for step in steps {
            time += 1_000
            switch step {
            case .client(let text): feed(Array(text.utf8), chunkSize) { session.feedRequest($0, timestampNanos: time) }
            case .server(let text): feed(Array(text.utf8), chunkSize) { session.feedReply($0, timestampNanos: time) }
            case .gap(let fromClient): session.gap(fromClient: fromClient, timestampNanos: time)
            }
        }
        session.close(timestampNanos: time + 1)
        var outcome = Outcome()
        var records = session.records.makeIterator()
        for event in session.events {
            switch event {
            case .command:
                let r = records.next()!
                var text = "\(registry.name(of: r.command)):\(r.outcome)"
                if let e = r.errorPrefix { text += ":\(e)" }
                outcome.commands.append(text)
                outcome.records.append(r)
            case .push(let p): outcome.pushes.append(p.kind)
            case .unpairedReply: outcome.unpaired += 1
            case .transactionError(_, let command, let prefix, _): outcome.transactionErrors.append("\(registry.name(of: command)):\(prefix)")
            case .protocolError(_, _, let error): outcome.protocolErrors.append(error.code)
            case .propagated(let p): outcome.propagated.append("\(registry.name(of: p.command)):\(p.bytes)")
            case .replicationSync(let s): outcome.syncs.append("\(s.isFull ? "full" : "partial"):\(s.rdbBytes):\(s.offset)")
            }
        }
        return outcome
    }

    private func feed(_ bytes: [UInt8], _ chunkSize: Int?, _ body: (UnsafeRawBufferPointer) -> Void) {
        let size = chunkSize ?? max(1, bytes.count)
        var offset = 0
        while offset < bytes.count {
            let piece = Array(bytes[offset..<min(bytes.count, offset + size)])
            piece.withUnsafeBytes(body)
            offset += size
        }
    }
}

func command(_ args: String...) -> String {
    "*\(args.count)\r\n" + args.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
}

@Suite struct ConnectionSessionTests {
    static let scenarios: [(String, SessionScript, [String], Int, [PushRecord.Kind])] = [
        ("pipelined", SessionScript(steps: [.client(command("SET", "a", "1") + command("GET", "a") + command("INCR", "n")),
                                            .server("+OK\r\n$1\r\n1\r\n:1\r\n")]),
         ["set:replied", "get:replied", "incr:replied"], 0, []),
        ("container commands name the subcommand", SessionScript(steps: [
            .client(command("CLIENT", "SETNAME", "w1") + command("config", "get", "maxmemory") + command("CLIENT", "NOPE")),
            .server("+OK\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n-ERR unknown subcommand 'NOPE'.\r\n")]),
         ["client|setname:replied", "config|get:replied", "client|nope:replied:ERR"], 0, []),
        ("error codes as errorstats names them", SessionScript(steps: [
            .client(command("LPUSH", "s", "x") + command("EVALSHA", "abc", "0") + command("GET")),
            .server("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n-NOSCRIPT No matching script.\r\n-ERR wrong number of arguments for 'get' command\r\n")]),
         ["lpush:replied:WRONGTYPE", "evalsha:replied:NOSCRIPT", "get:replied:ERR"], 0, []),
        ("MULTI/EXEC with a nested error", SessionScript(steps: [
            .client(command("MULTI") + command("SET", "a", "1") + command("INCR", "a") + command("LPUSH", "a", "x") + command("EXEC")),
            .server("+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")]),
         ["multi:replied", "set:replied", "incr:replied", "lpush:replied", "exec:replied"], 0, []),
        ("CLIENT REPLY OFF/ON/SKIP", SessionScript(steps: [
            .client(command("CLIENT", "REPLY", "OFF") + command("SET", "a", "1") + command("CLIENT", "REPLY", "ON")
                    + command("CLIENT", "REPLY", "SKIP") + command("SET", "b", "2") + command("GET", "a")),
            .server("+OK\r\n$1\r\n1\r\n")]),
         // Completion order: commands that get no reply complete when sent, before CLIENT REPLY ON's +OK arrives.
         ["client|reply:noReplyExpected", "set:noReplyExpected", "client|reply:noReplyExpected", "set:noReplyExpected",
          "client|reply:replied", "get:replied"], 0, []),
        ("RESP2 pub/sub: confirmations answer SUBSCRIBE, messages are pushes", SessionScript(steps: [
            .client(command("SUBSCRIBE", "a", "b")),
            .server("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"),
            .server("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"),
            .client(command("PING")),
            .server("*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
            .client(command("UNSUBSCRIBE")),
            .server("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n"),
            .client(command("GET", "k")), .server("$-1\r\n")]),
         ["subscribe:replied", "ping:replied", "unsubscribe:replied", "get:replied"], 0, [.message]),
        ("RESP3: HELLO 3, pushes are never replies", SessionScript(steps: [
            .client(command("HELLO", "3")), .server("%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
            .client(command("CLIENT", "TRACKING", "ON") + command("GET", "k")),
            .server("+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n_\r\n")]),
         ["hello:replied", "client|tracking:replied", "get:replied"], 0, [.invalidate]),
        ("mid-stream: replies before any request are unpaired", SessionScript(steps: [
            .server("lue\r\n:5\r\n"), .client("3\r\nfoo\r\n" + command("GET", "k")), .server("$1\r\nv\r\n")], midStream: true),
         ["get:replied"], 1, []),
        ("connection closes with commands pending", SessionScript(steps: [
            .client(command("BRPOP", "q", "0") + command("GET", "k"))]),
         ["brpop:unanswered", "get:unanswered"], 0, []),
        ("a gap gives up what was pending", SessionScript(steps: [
            .client(command("GET", "a") + command("GET", "b")), .server("$1\r\n1\r\n"), .gap(fromClient: false),
            .server("\r\n:7\r\n"), .client(command("PING")), .server("+PONG\r\n")]),
         ["get:replied", "get:lostInGap", "ping:replied"], 1, []),
        ("inline commands", SessionScript(steps: [.client("PING\r\nset k \"a b\"\r\n"), .server("+PONG\r\n+OK\r\n")]),
         ["ping:replied", "set:replied"], 0, []),
        ("MONITOR output is not replies", SessionScript(steps: [
            .client(command("MONITOR")), .server("+OK\r\n+1700000000.1 [0 127.0.0.1:5] \"get\" \"k\"\r\n")]),
         ["monitor:replied"], 0, [.monitor]),
    ]

    @Test(arguments: scenarios.indices)
    func scenario(index: Int) {
        let (name, script, commands, unpaired, pushes) = Self.scenarios[index]
        for chunk in [nil, 1, 3, 7] as [Int?] {
            let outcome = script.run(chunkSize: chunk)
            #expect(outcome.commands == commands, "\(name), chunks of \(chunk.map(String.init) ?? "whole")")
            #expect(outcome.unpaired == unpaired, "\(name): unpaired")
            #expect(outcome.pushes == pushes, "\(name): pushes")
        }
    }

    @Test func execErrorsAreAttributedToTheQueuedCommand() {
        let outcome = Self.scenarios[3].1.run()
        #expect(outcome.transactionErrors == ["lpush:WRONGTYPE"])
        #expect(outcome.records.filter(\.isQueuedInTransaction).count == 3)
    }

    @Test func pipelineDepthAndLatency() {
        let requests = (0..<1000).map { command("GET", "k\($0)") }.joined()
        let replies = String(repeating: "$1\r\nv\r\n", count: 1000)
        let outcome = SessionScript(steps: [.client(requests), .server(replies)]).run()
        #expect(outcome.records.count == 1000)
        #expect(outcome.records.last?.pipelineDepth == 1000)
        #expect(outcome.records.allSatisfy { $0.outcome == .replied && $0.latencyNanos == 1000 })
    }

    @Test func blockingCommandsAreMarked() {
        let outcome = SessionScript(steps: [
            .client(command("BRPOP", "q1", "q2", "5") + command("XREAD", "COUNT", "1", "STREAMS", "s", "0")
                    + command("XREAD", "BLOCK", "100", "STREAMS", "s", "$")),
            .server("*-1\r\n*-1\r\n*-1\r\n")]).run()
        #expect(outcome.records.map(\.isBlocking) == [true, false, true])
        #expect(outcome.records[0].arguments.string(ofArgument: 3) == "5")
        #expect(outcome.records[0].replyCount == -1)
    }

    @Test func replyBeforeRequestEndIsNotPaired() {
        // The reply's first byte precedes the request's last byte: it cannot be that request's reply.
        let registry = CommandRegistry()
        let session = ConnectionSession(connection: 1, registry: registry)
        Array(":1\r\n".utf8).withUnsafeBytes { session.feedReply($0, timestampNanos: 10) }
        Array(command("INCR", "n").utf8).withUnsafeBytes { session.feedRequest($0, timestampNanos: 20) }
        #expect(session.events.count == 1)
        if case .unpairedReply = session.events[0] {} else { Issue.record("expected an unpaired reply") }
    }
}
