import Testing
@testable import RedisSemantics

/// A replica's link as the master's port shows it, cut into every chunk size: the RDB (with no CRLF after it, or
/// between diskless end marks that partly repeat) is skipped by its framing, the stream after it is propagated
/// commands, and REPLCONF ACK waits for no reply.
@Suite struct ReplicationLinkTests {
    static let handshake = command("PING") + command("REPLCONF", "listening-port", "6380")
    static let rdb = "REDIS0010\u{1}\u{2}*1\r\n$4\r\nPING\r\n+OK\r\n\u{ff}junk"
    static let stream = command("SELECT", "0") + command("SET", "k", "v") + command("INCRBY", "n", "1")

    static func script(rdbFraming: String) -> SessionScript {
        SessionScript(steps: [
            .client(handshake), .server("+PONG\r\n+OK\r\n"),
            .client(command("PSYNC", "?", "-1")),
            .server("+FULLRESYNC 0123456789012345678901234567890123456789 1234\r\n\n\n" + rdbFraming + stream),
            .client(command("REPLCONF", "ACK", "1300")),
            .server(command("SET", "a", "b")),
            .client(command("REPLCONF", "ACK", "1330")),
        ])
    }

    static let expectedCommands = ["ping:replied", "replconf:replied", "psync:replied", "replconf:noReplyExpected",
                                   "replconf:noReplyExpected"]
    static let expectedStream = ["select:23", "set:27", "incrby:30", "set:27"]

    @Test(arguments: [nil, 1, 2, 5, 41] as [Int?])
    func diskForm(chunk: Int?) {
        let outcome = Self.script(rdbFraming: "$\(Self.rdb.utf8.count)\r\n" + Self.rdb).run(chunkSize: chunk)
        #expect(outcome.commands == Self.expectedCommands)
        #expect(outcome.propagated == Self.expectedStream)
        #expect(outcome.syncs == ["full:\(Self.rdb.utf8.count):1234"])
        #expect(outcome.protocolErrors.isEmpty && outcome.unpaired == 0)
    }

    @Test(arguments: [nil, 1, 2, 5, 41] as [Int?])
    func disklessForm(chunk: Int?) {
        // The payload holds a prefix of the mark followed by the mark itself: matching must restart correctly.
        let mark = "abababababababababababababababababababac"
        let payload = Self.rdb + "abababab" + String(mark.dropLast()) + "x"
        let outcome = Self.script(rdbFraming: "$EOF:\(mark)\r\n" + payload + mark).run(chunkSize: chunk)
        #expect(outcome.commands == Self.expectedCommands)
        #expect(outcome.propagated == Self.expectedStream)
        #expect(outcome.syncs == ["full:\(payload.utf8.count):1234"])
        #expect(outcome.protocolErrors.isEmpty && outcome.unpaired == 0)
    }

    @Test func partialResync() {
        let outcome = SessionScript(steps: [
            .client(command("PSYNC", "0123456789012345678901234567890123456789", "501")),
            .server("+CONTINUE\r\n" + command("SET", "k", "v")),
        ]).run(chunkSize: 3)
        #expect(outcome.commands == ["psync:replied"])
        #expect(outcome.syncs == ["partial:0:500"])
        #expect(outcome.propagated == ["set:27"])
    }

    @Test func refusedPsyncLeavesAnOrdinaryConnection() {
        let outcome = SessionScript(steps: [
            .client(command("PSYNC", "?", "-1")), .server("-NOMASTERLINK Can't SYNC while not connected\r\n"),
            .client(command("GET", "k")), .server("$1\r\nv\r\n"),
        ]).run()
        #expect(outcome.commands == ["psync:replied:NOMASTERLINK", "get:replied"])
        #expect(outcome.syncs.isEmpty && outcome.propagated.isEmpty)
    }

    /// A capture that starts after the sync: the first REPLCONF ACK shows the link, and the master's messages after
    /// it are propagated commands, not replies for the ACK to wait for.
    @Test(arguments: [nil, 1, 4] as [Int?])
    func linkJoinedMidStream(chunk: Int?) {
        let outcome = SessionScript(steps: [
            .server("1\r\nv\r\n"),
            .client(command("REPLCONF", "ACK", "900")),
            .server(command("SET", "k", "v") + command("INCRBY", "n", "1")),
            .client(command("REPLCONF", "ACK", "957")),
        ], midStream: true).run(chunkSize: chunk)
        #expect(outcome.commands == ["replconf:noReplyExpected", "replconf:noReplyExpected"])
        #expect(outcome.propagated == ["set:27", "incrby:30"])
        #expect(outcome.syncs.isEmpty)
    }

    /// A client that is not a replica sending REPLCONF ACK on a connection seen from its start stays a client.
    @Test func ackOnAnOrdinaryConnectionMakesNoLink() {
        let outcome = SessionScript(steps: [
            .client(command("REPLCONF", "ACK", "1") + command("GET", "k")), .server("$1\r\nv\r\n"),
        ]).run()
        #expect(outcome.commands == ["replconf:noReplyExpected", "get:replied"])
        #expect(outcome.propagated.isEmpty)
    }

    /// SYNC, the old form: no reply line, the RDB (after keep-alive newlines) is its answer.
    @Test(arguments: [nil, 1, 6] as [Int?])
    func syncWithoutPsync(chunk: Int?) {
        let outcome = SessionScript(steps: [
            .client(command("SYNC")),
            .server("\n\n$\(Self.rdb.utf8.count)\r\n" + Self.rdb + Self.stream),
        ]).run(chunkSize: chunk)
        #expect(outcome.commands == ["sync:noReplyExpected"])
        #expect(outcome.syncs == ["full:\(Self.rdb.utf8.count):0"])
        #expect(outcome.propagated == ["select:23", "set:27", "incrby:30"])
        #expect(outcome.protocolErrors.isEmpty && outcome.unpaired == 0)
    }
}
