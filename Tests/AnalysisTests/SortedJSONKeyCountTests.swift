@testable import Analysis
import Foundation
@testable import Report
import Testing

/// `KeyCount` lists are written by their own path in `SortedJSONEncoder` (not the `Encoder` protocol): every member
/// present or absent, keys needing escapes, numbers at their limits, at every depth, must still come out as
/// Foundation's `JSONEncoder` writes them.
struct SortedJSONKeyCountTests {
    static func keyCount(_ key: String, calls: Int = 1, bytes: Int64 = 10, error: Int = 0) -> KeyCount {
        KeyCount(BoundedCounter.Entry(item: key, count: calls, bytes: bytes, error: error), cost: false)
    }

    /// A key count with every cost member set to `value` (`clientsCapped` as given).
    static func costed(_ key: String, _ value: Int64, capped: Bool?) -> KeyCount {
        var count = keyCount(key, calls: Int(value), bytes: value, error: Int(value))
        count.reads = Int(value)
        count.writes = Int(value)
        count.requestBytes = value
        count.replyBytes = value
        count.serverMicros = value
        count.clients = Int(value)
        count.clientsCapped = capped
        count.maxValueBytes = Int(value)
        return count
    }

    static func expectAsFoundation(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try SortedJSONEncoder().encode(value)
        let theirs = try SortedJSONEncoderTests.foundation(value)
        #expect(ours == theirs, "\(String(decoding: theirs, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static let awkwardKeys: [String] = [
        "", "user:1", "a\"b", "back\\slash", "path/to/key", "tab\there", "line\nfeed", "\r\u{08}\u{0C}",
        "\u{00}\u{01}\u{1F}", "\u{7F}", "é", "中文:1", "😀", "\u{2028}\u{2029}", "\\x00\\xff", "</script>",
    ]

    static let numbers: [Int64] = [0, 1, -1, 9, 10, 99, 100, 1_000_000_007, -9_999, Int64(Int32.max) + 1, .max, .min]

    /// The direct path names `KeyCount`'s members one by one: a member added to the type must be added there too.
    @Test func everyMemberIsWritten() throws {
        let count = Self.costed("k", 1, capped: true)
        let names = Set(Mirror(reflecting: count).children.compactMap(\.label))
        let list = try JSONSerialization.jsonObject(with: Data(SortedJSONEncoder().encode([count]))) as? [[String: Any]]
        let written = list?.first
        #expect(Set(written?.keys.map { $0 } ?? []) == names, "JSONOutput.writeKeyCount lists them")
    }

    @Test func keysNeedingEscapesAsFoundation() throws {
        try Self.expectAsFoundation(Self.awkwardKeys.map { Self.keyCount($0) })
        try Self.expectAsFoundation(Self.awkwardKeys.map { Self.costed($0, 3, capped: true) })
    }

    @Test func numbersAtTheirLimitsAsFoundation() throws {
        try Self.expectAsFoundation(Self.numbers.map { Self.keyCount("k", calls: Int($0), bytes: $0, error: Int($0)) })
        try Self.expectAsFoundation(Self.numbers.map { Self.costed("k\($0)", $0, capped: nil) })
    }

    @Test func costMembersPresentAbsentAndCappedAsFoundation() throws {
        var partial = Self.keyCount("partial")
        partial.reads = 0
        partial.replyBytes = 7
        partial.clientsCapped = false
        var onlyCapped = Self.keyCount("capped")
        onlyCapped.clientsCapped = true
        var onlyClients = Self.keyCount("clients")
        onlyClients.clients = 12
        try Self.expectAsFoundation([
            Self.keyCount("plain"), Self.costed("all", 5, capped: true), Self.costed("uncapped", 5, capped: nil),
            Self.costed("capped false", 5, capped: false), partial, onlyCapped, onlyClients,
        ])
    }

    /// Lists empty, alone, as members, optional members (absent, empty, present), inside dictionaries and arrays.
    struct Holder: Encodable {
        var list: [KeyCount]
        var optional: [KeyCount]?
        var byName: [String: [KeyCount]]
        var lists: [[KeyCount]]
        var single: KeyCount
        var deeper: [String: Holder] = [:]
    }

    @Test func emptyAndNestedListsAsFoundation() throws {
        let some = [Self.costed("a/b", 1, capped: nil), Self.keyCount("c\"d")]
        try Self.expectAsFoundation([KeyCount]())
        try Self.expectAsFoundation(some)
        for optional in [nil, [], some] {
            let inner = Holder(list: [], optional: optional, byName: ["x": some, "": []], lists: [[], some, []],
                               single: Self.costed("single", 2, capped: true))
            let outer = Holder(list: some, optional: nil, byName: [:], lists: [], single: Self.keyCount("s"),
                               deeper: ["inner": inner, "again": Holder(list: some, optional: [], byName: ["y": []],
                                                                          lists: [[]], single: Self.keyCount("t"),
                                                                          deeper: ["innermost": inner])])
            try Self.expectAsFoundation(outer)
            try Self.expectAsFoundation([outer, inner])
        }
    }

    @Test func keySummaryAsFoundation() throws {
        var summary = KeySummary()
        summary.topKeysByCalls = [Self.costed("user:1", 4, capped: nil)]
        summary.topPrefixesByCalls = [Self.keyCount("user:", calls: 40)]
        summary.topKeysByCommand = [CommandKeys(command: "get", calls: 3, topKeys: [Self.keyCount("user:1")])]
        summary.topKeysByServerTime = Self.awkwardKeys.map { Self.costed($0, 8, capped: nil) }
        summary.topPrefixesByServerTime = []
        try Self.expectAsFoundation(summary)
        try Self.expectAsFoundation(["keys": summary])
    }

    @Test func randomKeyCountsAsFoundation() throws {
        var g = SeededGenerator(seed: 20261208)
        func number() -> Int64 {
            switch Int.random(in: 0..<4, using: &g) {
            case 0: 0
            case 1: Int64.random(in: -100...100, using: &g)
            case 2: Int64(bitPattern: g.next())
            default: Int64.random(in: 0...Int64(Int32.max), using: &g)
            }
        }
        for _ in 0..<200 {
            let counts = (0..<Int.random(in: 0...6, using: &g)).map { _ -> KeyCount in
                var count = Self.keyCount(SortedJSONEncoderTests.randomString(&g), calls: Int(number()), bytes: number(),
                                          error: Int(number()))
                if Bool.random(using: &g) { count.reads = Int(number()) }
                if Bool.random(using: &g) { count.writes = Int(number()) }
                if Bool.random(using: &g) { count.requestBytes = number() }
                if Bool.random(using: &g) { count.replyBytes = number() }
                if Bool.random(using: &g) { count.serverMicros = number() }
                if Bool.random(using: &g) { count.clients = Int(number()) }
                if Bool.random(using: &g) { count.clientsCapped = Bool.random(using: &g) }
                if Bool.random(using: &g) { count.maxValueBytes = Int(number()) }
                return count
            }
            let ours = try SortedJSONEncoder().encode(["keys": counts])
            let theirs = try SortedJSONEncoderTests.foundation(["keys": counts])
            #expect(ours == theirs, "\(String(decoding: theirs, as: UTF8.self))")
            if ours != theirs { return }
        }
    }
}
