import Foundation
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// Key, prefix and pipelining figures checked against what the clients are documented to send: redis-benchmark
/// names its keys `key:<n>` (SET/GET), `counter:<n>` (INCR), `mylist`, `myset`, `myhash`, sends `-P` commands per
/// write, and opens one extra connection that sends `CONFIG GET save` and `CONFIG GET appendonly` together.
@Suite struct KeyAndLatencyStatsTests {
    static func report(_ name: String) throws -> AnalysisReport {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
    }

    @Test func prefixesOfRedisBenchmarkKeys() throws {
        // unpipelined: -n 300 for each of set, get, incr, lpush, rpop, sadd, hset.
        let keys = try #require(try Self.report("unpipelined").keys)
        let prefixes = Dictionary(uniqueKeysWithValues: keys.topPrefixesByCalls.map { ($0.key, $0.calls) })
        #expect(prefixes == ["key:*": 600, "counter:*": 300, "mylist": 600, "myset": 300, "myhash": 300])
        #expect(keys.commandsWithKeys == 2100)
        #expect(keys.topKeysByCalls.first?.key == "mylist")
        #expect(keys.fullKeyspaceCommands.isEmpty)
        #expect(!keys.trackingLimitHit)
    }

    @Test func pipelineDepthFollowsTheClientsBatches() throws {
        // pipelined: -P 16; set, get, lpush -n 2000 (125 batches each), lrange_100 -n 256 (16 batches of LPUSH to
        // fill the list, 16 of LRANGE); two CONFIG GET pairs (one per redis-benchmark run) sent together.
        let latency = try #require(try Self.report("pipelined").latency)
        #expect(latency.roundTrips == 125 * 3 + 16 * 2 + 2)
        #expect(latency.maxPipelineDepth == 16)
        let byDepth = Dictionary(uniqueKeysWithValues: latency.pipelineDepth.map { ($0.toDepth ?? -1, $0.commands) })
        #expect(byDepth[1] == 409 && byDepth[2] == 409 && byDepth[4] == 407 * 2 && byDepth[8] == 407 * 4 && byDepth[16] == 407 * 8)
        let unpipelined = try #require(try Self.report("unpipelined").latency)
        #expect(unpipelined.roundTrips == 2100 + 1)
        #expect(unpipelined.maxPipelineDepth == 2)
    }

    @Test func readsAndWritesAreSplitByCommandFlags() throws {
        let latency = try #require(try Self.report("unpipelined").latency)
        // Reads: GET (300); config|get is neither readonly nor write. Writes: SET, INCR, LPUSH, RPOP, SADD, HSET.
        #expect(latency.readsMicros.count == 300)
        #expect(latency.writesMicros.count == 6 * 300)
        #expect(latency.histogram.reduce(0) { $0 + $1.count } == 2102)
        #expect(latency.slowest.count == 10)
        #expect(latency.slowest.map(\.latencyMicros) == latency.slowest.map(\.latencyMicros).sorted(by: >))
    }

    /// Each command lands in the bucket its time falls in at the final width, however the times come (in order,
    /// back in time, before the first one) and however often the buckets were merged to stay within their bound.
    @Test func timelineBucketsHoldTheirTimes() {
        var generator = SystemRandomNumberGenerator()
        for maxBuckets in [2, 5, 8] {
            var timeline = TimelineAccumulator(maxBuckets: maxBuckets)
            let origin: Int64 = 5_000_000_000
            // The first time sets the buckets' origin.
            var times: [Int64] = [origin]
            var now = origin
            for _ in 0..<2_000 {
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: times.append(now - Int64.random(in: 0...3_000_000_000, using: &generator))  // back in time
                case 1:
                    // Either side of the next whole second: a bucket's last nanosecond, then the next one's first.
                    let boundary = origin + ((now - origin) / 1_000_000_000 + 1) * 1_000_000_000
                    times += [boundary - 1, boundary]
                    now = boundary
                default:
                    now += Int64.random(in: 0...40_000_000, using: &generator)
                    times.append(now)
                }
            }
            for time in times {
                timeline.command(at: time, requestBytes: 1, replyBytes: 2, isError: false, latencyNanos: 1_000)
            }
            let summary = timeline.summary(start: origin)
            let width = Int64((summary.bucketSeconds * 1e9).rounded())
            var expected = [Int](repeating: 0, count: summary.buckets.count)
            for time in times { expected[Int(max(0, time - origin) / width)] += 1 }
            #expect(summary.buckets.map(\.commands) == expected, "maxBuckets \(maxBuckets)")
            #expect(summary.buckets.count <= maxBuckets)
        }
    }

    @Test func timelineAddsUpToTheTotals() throws {
        let report = try Self.report("short-connections")
        let timeline = try #require(report.timeline)
        #expect(timeline.buckets.reduce(0) { $0 + $1.commands } == report.totals.commands)
        #expect(timeline.buckets.reduce(0) { $0 + $1.connectionsOpened } == report.connections.withHandshake)
        #expect(timeline.buckets.reduce(0) { $0 + $1.connectionsClosed } == report.connections.closedByFin + report.connections.closedByReset)
        #expect(timeline.buckets.reduce(Int64(0)) { $0 + $1.requestBytes } == report.commands.reduce(Int64(0)) { $0 + $1.requestBytes })
    }

    @Test func timelineStaysBoundedOnLongCaptures() {
        var t = TimelineAccumulator(maxBuckets: 16)
        for second in 0..<1000 { t.command(at: Int64(second) * 1_000_000_000, requestBytes: 1, replyBytes: 1, isError: false, latencyNanos: 50_000) }
        let summary = t.summary(start: 0)
        #expect(summary.buckets.count <= 16)
        #expect(summary.buckets.reduce(0) { $0 + $1.commands } == 1000)
        #expect(summary.bucketSeconds == 64)
    }

    @Test func hyperLogLogEstimatesDistinctKeys() {
        var hll = HyperLogLog()
        for i in 0..<100_000 { Array("user:\(i)".utf8).withUnsafeBytes { hll.add(hash: keyHash($0)) } }
        #expect(abs(hll.estimate - 100_000) < 2_500)
        var small = HyperLogLog()
        for i in 0..<50 { Array("k\(i % 10)".utf8).withUnsafeBytes { small.add(hash: keyHash($0)) } }
        #expect(small.estimate == 10)
    }

    @Test func boundedCounterKeepsTheHeavyHitters() {
        let counter = BoundedCounter(capacity: 100)
        for i in 0..<100_000 {
            let key = i % 10 == 0 ? "hot:\(i % 30)" : "cold:\(i)"
            Array(key.utf8).withUnsafeBytes { counter.add(hash: keyHash($0), bytes: 1) { key } }
        }
        #expect(counter.pruned)
        #expect(counter.distinctTracked <= 200)
        let top = counter.top(3).map(\.item)
        #expect(Set(top) == ["hot:0", "hot:10", "hot:20"])
        #expect(counter.top(3).allSatisfy { $0.count >= 3_333 })
    }

    /// The pruning counter keeps exactly what the plain algorithm keeps (sort everything by count, then item; keep
    /// `capacity`): items tied at the cut, long, non-ASCII and prefix-sharing ones included; each kept item with its
    /// own cost, summed since it last entered.
    @Test func boundedCounterPrunesLikeAFullSort() {
        struct Reference {
            let capacity: Int
            var entries: [UInt64: BoundedCounter.Entry] = [:]
            var floor = 0
            mutating func add(hash: UInt64, text: String, sample: KeyCost.Sample) {
                if entries[hash] != nil {
                    entries[hash]!.count += 1
                    entries[hash]!.cost.add(sample)
                    return
                }
                entries[hash] = BoundedCounter.Entry(item: text, count: floor + 1, bytes: 1, error: floor)
                entries[hash]!.cost.add(sample)
                if entries.count >= 2 * capacity {
                    let kept = entries.sorted { ($0.value.count, $1.value.item) > ($1.value.count, $0.value.item) }.prefix(capacity)
                    floor = kept.last?.value.count ?? floor
                    entries = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let shapes = ["key:%", "key:00000000%", "k%", "é:%", "key:0000000000000000:%", "Z%", "a%", "user:%:profile", "%",
                      "resque:gitlab:queue:web_hook_worker:%", "resque:gitlab:queue:web_hook_worker:e\u{301}%",
                      "resque:gitlab:queue:web_hook_workere\u{301}%", "resque:gitlab:queue:web_hook_workerf%"]
        for capacity in [1, 7, 50] {
            let counter = BoundedCounter(capacity: capacity)
            var reference = Reference(capacity: capacity)
            for _ in 0..<20_000 {
                let hot = Int.random(in: 0..<10, using: &generator) < 3
                let n = hot ? Int.random(in: 0..<20, using: &generator) : Int.random(in: 0..<5_000, using: &generator)
                let shape = shapes[n % shapes.count]
                let key = shape.replacingOccurrences(of: "%", with: "\(n)")
                // Odd numbers as prefixes (a trailing `*`), through the path that keeps short ASCII text inline.
                let asPrefix = n % 2 == 1
                let text = asPrefix ? key + "*" : key
                let hash = Array(key.utf8).withUnsafeBytes { keyHash($0, seed: asPrefix ? 1 : 0) }
                let sample = KeyCost.Sample(isRead: n % 2 == 0, isWrite: n % 2 == 1, requestBytes: Int.random(in: 1...100, using: &generator),
                                            replyBytes: n, serverNanos: Int64(n + 1), host: UInt32(n % 11 + 1))
                if n % 3 == 0 {
                    counter.add(hash: hash, bytes: 1, sample: sample) { text }
                } else {
                    Array(key.utf8).withUnsafeBytes { bytes in
                        counter.add(hash: hash, bytes: 1, printable: bytes, suffix: asPrefix ? UInt8(ascii: "*") : nil, sample: sample) { text }
                    }
                }
                reference.add(hash: hash, text: text, sample: sample)
            }
            let expected = reference.entries.values.sorted { ($0.count, $1.item) > ($1.count, $0.item) }
            let actual = counter.top(Int.max)
            #expect(actual.map(\.item) == expected.map(\.item), "capacity \(capacity)")
            #expect(actual.map(\.count) == expected.map(\.count), "capacity \(capacity)")
            #expect(actual.map(\.error) == expected.map(\.error), "capacity \(capacity)")
            #expect(actual.map(\.cost.serverNanos) == expected.map(\.cost.serverNanos), "capacity \(capacity)")
            #expect(actual.map(\.cost.requestBytes) == expected.map(\.cost.requestBytes), "capacity \(capacity)")
            #expect(actual.map(\.cost.reads) == expected.map(\.cost.reads), "capacity \(capacity)")
            #expect(actual.map(\.cost.clients) == expected.map(\.cost.clients), "capacity \(capacity)")
        }
    }

    /// `top` ranks as a full sort of every entry does, for each ranking and length asked: by the measure, then by
    /// calls (but by bytes), then by item; measures often tied, items long, non-ASCII and sharing prefixes.
    @Test func topRanksLikeAFullSort() {
        var generator = SystemRandomNumberGenerator()
        let counter = BoundedCounter(capacity: 400)
        let shapes = ["key:%", "é:%", "key:0000000000000000000000000000:%", "user:%:profile", "e\u{301}%", "%"]
        for _ in 0..<5_000 {
            let n = Int.random(in: 0..<300, using: &generator)
            let key = shapes[n % shapes.count].replacingOccurrences(of: "%", with: "\(n)")
            let sample = KeyCost.Sample(isRead: true, isWrite: false, requestBytes: n % 7, replyBytes: n % 5,
                                        serverNanos: Int64(n % 4), host: 1)
            Array(key.utf8).withUnsafeBytes { bytes in
                if n % 2 == 0 {
                    counter.add(hash: keyHash(bytes), bytes: n % 3, printable: bytes, suffix: nil, sample: sample) { key }
                } else {
                    counter.add(hash: keyHash(bytes), bytes: n % 3, sample: sample) { key }
                }
            }
        }
        let all = counter.top(Int.max)
        #expect(all.count == counter.distinctTracked)
        let rankings: [(BoundedCounter.Ranking, (BoundedCounter.Entry) -> (Int64, Int))] = [
            (.calls, { (Int64($0.count), 0) }), (.bytes, { ($0.bytes, 0) }), (.serverTime, { ($0.cost.serverNanos, $0.count) }),
            (.bigAndHot, { (Int64($0.count) * Int64($0.cost.maxValueBytes), $0.count) }),
        ]
        for (ranking, measures) in rankings {
            let expected = all.sorted { (measures($0).0, measures($0).1, $1.item) > (measures($1).0, measures($1).1, $0.item) }
            for n in [1, 5, 20, all.count - 1, all.count, Int.max] {
                #expect(counter.top(n, by: ranking).map(\.item) == expected.prefix(n).map(\.item), "\(ranking) \(n)")
            }
        }
    }

    /// A key new to two counters at once has its order worked out by the first, which the second takes: the same
    /// items and counts as when each counter works out its own (short printable keys, and long and unprintable ones,
    /// whose text is made).
    @Test func orderWorkedOutOnceForTwoCounters() {
        var generator = SystemRandomNumberGenerator()
        let shared = (BoundedCounter(capacity: 30), BoundedCounter(capacity: 3))
        let apart = (BoundedCounter(capacity: 30), BoundedCounter(capacity: 3))
        for _ in 0..<5_000 {
            let n = Int.random(in: 0..<200, using: &generator)
            let key = [UInt8](["key:\(n)", "long:\(String(repeating: "x", count: 40)):\(n)", "tab\t\(n)"][n % 3].utf8)
            let text = KeyText.printable(key)
            key.withUnsafeBytes { bytes in
                let hash = keyHash(bytes)
                let known = shared.0.add(hash: hash, bytes: 1, printable: bytes, suffix: nil) { text }
                shared.1.add(hash: hash, bytes: 1, printable: bytes, suffix: nil, known: known) { text }
                apart.0.add(hash: hash, bytes: 1, printable: bytes, suffix: nil) { text }
                apart.1.add(hash: hash, bytes: 1, printable: bytes, suffix: nil) { text }
            }
        }
        #expect(shared.1.pruned)
        for (a, b) in [(shared.0, apart.0), (shared.1, apart.1)] {
            #expect(a.top(Int.max).map(\.item) == b.top(Int.max).map(\.item))
            #expect(a.top(Int.max).map(\.count) == b.top(Int.max).map(\.count))
        }
    }

    /// The words an item's order is read from, made eight bytes at a time, hold the same as made byte by byte: every
    /// byte value at every position of every length up to the width, with and without a suffix.
    @Test func itemOrderOfPrintableTextMatchesBytewise() {
        func bytewise(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
        for length in 0...ItemOrder.width {
            for position in 0..<max(length, 1) {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "k"), count: length)
                    if length > 0 { bytes[position] = UInt8(value) }
                    for suffix in [nil, UInt8(ascii: "*"), UInt8(value)] where length > 0 || suffix != nil {
                        let text = bytes + (suffix.map { [$0] } ?? [])
                        let order = bytes.withUnsafeBytes { ItemOrder(printableASCII: $0, suffix: suffix) }
                        guard text.count <= ItemOrder.width else {
                            #expect(order == nil)
                            continue
                        }
                        #expect((order != nil) == bytewise(text), "\(text)")
                        if let order { #expect(order.text == String(decoding: text, as: UTF8.self)) }
                    }
                }
            }
        }
    }

    @Test func selectionFindsTheSmallest() {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 10, 100, 1000] {
            for k in Set([1, count / 2, count - 1, count]) where k > 0 {
                var items = (0..<count).map { _ in Int.random(in: 0..<(count / 3 + 1), using: &generator) }
                let expected = items.sorted().prefix(k)
                BoundedCounter.selectSmallest(&items, k, by: <)
                #expect(items.prefix(k).sorted() == Array(expected), "count \(count), k \(k)")
            }
        }
    }

    @Test func keyAndPrefixHashedInOnePassAsApart() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...40 {
            let key = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            key.withUnsafeBytes { key in
                for prefixLength in 0...length {
                    let both = keyHashes(key, prefixLength: prefixLength, prefixSeed: 1)
                    #expect(both.key == keyHash(key))
                    #expect(both.prefix == keyHash(UnsafeRawBufferPointer(rebasing: key[..<prefixLength]), seed: 1))
                }
            }
        }
    }

    @Test func prefixRule() {
        let rule = KeyPrefixRule()
        func p(_ s: String) -> String { String(decoding: rule.prefix(of: Array(s.utf8)), as: UTF8.self) }
        #expect(p("uuid:5b2e76cc-06ac-11e9-92c7-0242ac110002") == "uuid:")
        #expect(p("user:1234:profile") == "user:")
        #expect(p("resque:gitlab:queue:web_hook") == "resque:gitlab:queue:web_hook")
        #expect(p("session:abcdef0123456789") == "session:")
        #expect(p("plain") == "plain")
        #expect(String(decoding: KeyPrefixRule(delimiters: "/").prefix(of: Array("a/b/42".utf8)), as: UTF8.self) == "a/b/")
        // Up to 65,535 bytes a key is split; past that it is its own prefix.
        #expect(rule.prefix(of: Array(("a:" + String(repeating: "7", count: 65_533)).utf8)).count == 2)
        #expect(rule.prefix(of: Array(("a:" + String(repeating: "7", count: 65_534)).utf8)).count == 65_536)
    }

    /// The rule as first written (a backward scan for delimiters, then a look at the segment after each): the
    /// one-pass version must split every key the same way.
    static func referencePrefixLength(_ key: [UInt8], delimiters: Set<UInt8>) -> Int {
        func looksLikeID(_ segment: ArraySlice<UInt8>) -> Bool {
            guard !segment.isEmpty else { return false }
            var digits = 0, hex = 0, dashes = 0
            for b in segment {
                if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { digits += 1; hex += 1 }
                else if (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F")) { hex += 1 }
                else if b == UInt8(ascii: "-") { dashes += 1 }
                else { return false }
            }
            return digits == segment.count || (hex + dashes == segment.count && hex >= 8 && digits > 0)
        }
        var segmentEnd = key.count
        var index = key.count - 1
        while index >= -1 {
            if index == -1 || delimiters.contains(key[index]) {
                if index >= 0 && looksLikeID(key[(index + 1)..<segmentEnd]) { return index + 1 }
                segmentEnd = index
            }
            index -= 1
        }
        return key.count
    }

    @Test(arguments: [":", "/", ":-", "-", "a1"])
    func prefixRuleSplitsAsTheReferenceDoes(delimiters: String) {
        let rule = KeyPrefixRule(delimiters: delimiters)
        let alphabet = Array("::/-0123456789abcdefABCDEFxyz_".utf8)
        var state: UInt64 = 7
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 58)
            var key: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                key.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            let expected = Self.referencePrefixLength(key, delimiters: Set(delimiters.utf8))
            #expect(key.withUnsafeBytes { rule.prefixLength(of: $0) } == expected, "\(String(decoding: key, as: UTF8.self))")
        }
    }

    @Test func redactedKeysAreStableAndHidden() {
        let r = KeyRedactor(seed: 42)
        #expect(r.redact(Array("secret:1".utf8)) == r.redact(Array("secret:1".utf8)))
        #expect(r.redact(Array("secret:1".utf8)) != r.redact(Array("secret:2".utf8)))
        #expect(!r.redact(Array("secret:1".utf8)).contains("secret"))
    }
}
