import RedisSemantics
import Testing

/// `CommandTable.firstKeyIndex` resolves a request's first key from the key specs as `forEachKeyIndex` does.
@Suite struct KeySpecResolutionTests {
    /// Runs `body` with the request's arguments as the key-spec functions read them (argv[0] is the name).
    static func withArguments<R>(_ words: [String], _ body: (Int, (Int) -> UnsafeRawBufferPointer?) -> R) -> R {
        let bytes = words.map { Array($0.utf8) }
        var pointers: [UnsafeMutableRawBufferPointer] = []
        for word in bytes {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(word.count, 1), alignment: 1)
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: word, count: word.count))
            pointers.append(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<word.count]))
        }
        defer { for p in pointers { UnsafeMutableRawBufferPointer(start: p.baseAddress, count: max(p.count, 1)).deallocate() } }
        return body(words.count) { index in index >= 0 && index < pointers.count ? UnsafeRawBufferPointer(pointers[index]) : nil }
    }

    static func firstKey(_ words: [String]) throws -> Int? {
        let index = try #require(CommandTable.index(named: words[0].lowercased()))
        return withArguments(words) { argc, argument in
            CommandTable.firstKeyIndex(spec: index, argumentCount: argc, argument: argument)
        }
    }

    @Test(arguments: [
        (["GET", "k"], 1), (["SET", "k", "v"], 1), (["MSET", "a", "1", "b", "2"], 1),
        (["EVAL", "return 1", "1", "k", "arg"], 3), (["EVALSHA", "abc", "2", "k1", "k2"], 3),
        (["FCALL", "f", "1", "k"], 3), (["ZUNIONSTORE", "dst", "2", "a", "b"], 1),
        (["XREAD", "COUNT", "1", "STREAMS", "s", "0"], 4), (["BLMPOP", "0", "2", "a", "b", "LEFT"], 3),
        (["BRPOP", "a", "b", "0"], 1), (["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"], 1),
    ])
    func firstKeyIsWhereTheKeySpecsSay(words: [String], expected: Int) throws {
        #expect(try Self.firstKey(words) == expected, "\(words)")
    }

    @Test(arguments: [
        ["EVAL", "return 1", "0"], ["EVAL", "return 1", "0", "not-a-key"], ["FCALL", "f", "0", "arg"],
        ["XREAD", "COUNT", "1"], ["PING"], ["EVAL", "return 1", "x", "k"], ["EVAL", "return 1", "5", "k"],
    ])
    func noKeyWhereTheKeySpecsSayNone(words: [String]) throws {
        #expect(try Self.firstKey(words) == nil, "\(words)")
    }

    /// Every command of the table, with arguments that look like keys and counts: the first index from
    /// `forEachKeyIndex` is `firstKeyIndex`.
    @Test func firstKeyIndexAgreesWithForEachKeyIndexOnEveryCommand() {
        for index in 0..<CommandTable.count {
            for argc in 2...8 {
                let words = ["cmd"] + (1..<argc).map { $0 % 3 == 2 ? "1" : "STREAMS" }
                let (all, first) = Self.withArguments(words) { argc, argument in
                    (CommandTable.keyIndices(spec: index, argumentCount: argc, argument: argument),
                     CommandTable.firstKeyIndex(spec: index, argumentCount: argc, argument: argument))
                }
                #expect(first == all.first, "\(CommandTable.spec(at: index).name) with \(argc) arguments")
            }
        }
    }
}
