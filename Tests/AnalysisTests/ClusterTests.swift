import Foundation
@testable import RedisSemantics
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline
@testable import Report

/// Hash slots, nodes and redirects (`ClusterStats`, `ClusterSection`, `StaleTopologyRule`, `UnevenClusterLoadRule`).
/// The fixtures are real 3-master clusters; every figure is held to what the capture script recorded from the
/// clients (the CRC16 of the keys they sent, the redirects they received) and the servers (commandstats, errorstats
/// per node), never to respcap's own output.
@Suite struct ClusterTests {
    // MARK: - Hash slots

    static func slot(_ key: String) -> Int {
        Array(key.utf8).withUnsafeBytes { HashSlot.slot(of: $0) }
    }

    @Test func crc16IsXmodem() {
        #expect(Array("123456789".utf8).withUnsafeBytes { HashSlot.crc16($0) } == 0x31C3)
        #expect(Array("".utf8).withUnsafeBytes { HashSlot.crc16($0) } == 0)
        // Four bytes a step and the tail a byte at a time agree with the bitwise definition at every length.
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var expected: UInt16 = 0
            for byte in bytes {
                expected ^= UInt16(byte) << 8
                for _ in 0..<8 { expected = expected & 0x8000 != 0 ? (expected << 1) ^ 0x1021 : expected << 1 }
            }
            #expect(bytes.withUnsafeBytes { HashSlot.crc16($0) } == expected, "length \(length)")
        }
    }

    /// Slots redis-server gives (CLUSTER KEYSLOT on 7.0.15) and the hash tag rules of the cluster specification.
    @Test func slotsAndHashTags() {
        #expect(Self.slot("foo") == 12182)
        #expect(Self.slot("bar") == 5061)
        #expect(Self.slot("{user1000}.following") == Self.slot("{user1000}.followers"))
        #expect(Self.slot("{user1000}.following") == Self.slot("user1000"))
        // `{}` is no tag: the whole key is hashed.
        #expect(Self.slot("foo{}{bar}") == Int(Array("foo{}{bar}".utf8).withUnsafeBytes { HashSlot.crc16($0) } % 16384))
        // The tag ends at the first `}` after the first `{`.
        #expect(Self.slot("foo{{bar}}zap") == Self.slot("{bar"))
        #expect(Self.slot("foo{bar}{zap}") == Self.slot("bar"))
        #expect(Self.slot("no{close") == Int(Array("no{close".utf8).withUnsafeBytes { HashSlot.crc16($0) } % 16384))
    }

    /// Eight bytes a step finds the first `{` wherever it lies, next to bytes one bit or one unit from it.
    @Test func firstOpeningBraceIsFoundAtEveryPlace() {
        let others: [UInt8] = [0x7A, 0x7C, 0x7D, 0xFB, 0x00, 0x01, 0x3B, 0x61]
        var generator = SystemRandomNumberGenerator()
        for length in 0...40 {
            for _ in 0..<30 {
                var key = (0..<length).map { _ in others.randomElement(using: &generator)! }
                for _ in 0..<Int.random(in: 0...2, using: &generator) where length > 0 {
                    key[Int.random(in: 0..<length, using: &generator)] = UInt8(ascii: "{")
                }
                let expected = key.firstIndex(of: UInt8(ascii: "{")) ?? length
                #expect(key.withUnsafeBytes { HashSlot.firstOpeningBrace($0) } == expected, "\(key)")
            }
        }
    }

    @Test func slotOfACutKeyIsKnownOnlyFromACompleteTag() {
        let kept = Array("{tag}rest".utf8)
        #expect(kept.withUnsafeBytes { HashSlot.slot(of: $0, fullLength: 500) } == Self.slot("tag"))
        #expect(Array("plainkey".utf8).withUnsafeBytes { HashSlot.slot(of: $0, fullLength: 500) } == nil)
        #expect(Array("key{unclosed".utf8).withUnsafeBytes { HashSlot.slot(of: $0, fullLength: 500) } == nil)
        #expect(Array("key{}x".utf8).withUnsafeBytes { HashSlot.slot(of: $0, fullLength: 500) } == nil)
        #expect(Array("whole".utf8).withUnsafeBytes { HashSlot.slot(of: $0, fullLength: 5) } == Self.slot("whole"))
    }

    @Test func redirectTextIsParsedAndBadTextIsNot() {
        func parse(_ text: String) -> (Int, String)? {
            Array(text.utf8).withUnsafeBytes { bytes in
                ClusterStats.parseRedirect(bytes).map { ($0.slot, String(decoding: $0.target, as: UTF8.self)) }
            }
        }
        #expect(parse("MOVED 3999 127.0.0.1:6381").map { "\($0.0) \($0.1)" } == "3999 127.0.0.1:6381")
        #expect(parse("ASK 0 [::1]:7000").map { "\($0.0) \($0.1)" } == "0 [::1]:7000")
        #expect(parse("MOVED 16384 h:1") == nil)
        #expect(parse("MOVED 99999999 h:1") == nil)
        #expect(parse("MOVED x h:1") == nil)
        #expect(parse("MOVED 12 ") == nil)
        #expect(parse("MOVED") == nil)
    }

    // MARK: - Real clusters against their truth

    static func report(_ name: String) throws -> (AnalysisReport, [String: Any]) {
        let url = TestPaths.fixtures.appendingPathComponent(name + ".truth.json")
        let truth = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var options = AnalysisOptions()
        options.serverPorts = Set(((truth["ports"] as? [Int]) ?? [7000]).map { UInt16($0) })
        var report = try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name + ".pcap").path])
        report.capture.files = ["fixtures/\(name).pcap"]
        return (report, truth)
    }

    /// Calls per node from each node's own commandstats (calls + rejected_calls: a redirected command is rejected).
    static func commandstatsCalls(_ truth: [String: Any]) throws -> [String: Int] {
        let nodes = try #require(truth["nodes"] as? [[String: Any]])
        var calls: [String: Int] = [:]
        for node in nodes {
            let stats = try #require(node["commandstats"] as? [String: [String: Int]])
            calls[try #require(node["address"] as? String)] = stats.values.reduce(0) { $0 + ($1["calls"] ?? 0) + ($1["rejected_calls"] ?? 0) }
        }
        return calls
    }

    /// Bytes per node from each node's INFO: net input plus net output over the capture.
    static func netBytes(_ truth: [String: Any]) throws -> [String: Int64] {
        let nodes = try #require(truth["nodes"] as? [[String: Any]])
        var bytes: [String: Int64] = [:]
        for node in nodes {
            bytes[try #require(node["address"] as? String)] = Int64((node["netInputBytes"] as? Int ?? -1) + (node["netOutputBytes"] as? Int ?? -1))
        }
        return bytes
    }

    /// The slots' bytes are the keyed commands' bytes: every byte on the wire less those of the commands without a key.
    static func expectSlotBytesAddUp(_ report: AnalysisReport, _ c: ClusterSummary, unkeyed: Set<String>) {
        let unkeyedBytes = report.commands.filter { unkeyed.contains($0.name) }.reduce(Int64(0)) { $0 + $1.requestBytes + $1.replyBytes }
        #expect(c.slots.reduce(Int64(0)) { $0 + $1.bytes } == c.nodes.reduce(Int64(0)) { $0 + $1.bytes } - unkeyedBytes)
        #expect(report.commands.filter { !unkeyed.contains($0.name) }.reduce(0) { $0 + $1.calls } == c.keyedCalls)
    }

    static func errorstats(_ truth: [String: Any], _ code: String) throws -> [String: Int] {
        let nodes = try #require(truth["nodes"] as? [[String: Any]])
        var counts: [String: Int] = [:]
        for node in nodes {
            counts[try #require(node["address"] as? String)] = (node["errorstats"] as? [String: Int])?[code] ?? 0
        }
        return counts
    }

    @Test func clusterRedirectsEqualTheClientsAndTheServers() throws {
        let (report, truth) = try Self.report("cluster-redirects")
        let expected = try #require((truth["expected"] as? [String: Any])?["cluster"] as? [String: Any])
        let c = try #require(report.cluster)

        // Nodes: every command each node counted.
        let nodeCalls = Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.calls) })
        #expect(nodeCalls == (try Self.commandstatsCalls(truth)))
        let truthNodes = try #require(expected["nodes"] as? [[String: Any]])
        #expect(nodeCalls == Dictionary(uniqueKeysWithValues: truthNodes.map { ($0["address"] as? String ?? "", $0["calls"] as? Int ?? -1) }))
        let total = nodeCalls.values.reduce(0, +)
        for n in c.nodes { #expect(n.share == (Double(n.calls) / Double(total) * 10_000).rounded() / 10_000) }

        // Slots: the CRC16 of the first key of every keyed command the clients encoded.
        let truthSlots = try #require(expected["slots"] as? [[String: Int]])
        #expect(c.slots.map(\.slot) == truthSlots.map { $0["slot"] ?? -1 })
        #expect(c.slots.map(\.calls) == truthSlots.map { $0["calls"] ?? -1 })
        #expect(c.keyedCalls == truthSlots.reduce(0) { $0 + ($1["calls"] ?? 0) })
        #expect(c.slotUnknownCalls == nil)
        // Bytes per node: what each node's INFO counted in and out; per slot, they add up to the keyed commands'.
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.bytes) }) == (try Self.netBytes(truth)))
        Self.expectSlotBytesAddUp(report, c, unkeyed: ["asking", "cluster|setslot", "cluster|slots", "command", "info"])

        // Redirects: as the clients received them, and as the nodes counted them.
        let redirects = try #require(expected["redirects"] as? [String: Any])
        #expect(c.redirects.moved == redirects["moved"] as? Int)
        #expect(c.redirects.ask == redirects["ask"] as? Int)
        #expect(c.redirects.moved == (try Self.errorstats(truth, "MOVED")).values.reduce(0, +))
        #expect(c.redirects.ask == (try Self.errorstats(truth, "ASK")).values.reduce(0, +))
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.moved) }) == (try Self.errorstats(truth, "MOVED")))
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.ask) }) == (try Self.errorstats(truth, "ASK")))
        #expect(c.redirects.tryagain == (try Self.errorstats(truth, "TRYAGAIN")).values.reduce(0, +))
        #expect(c.redirects.crossslot == (try Self.errorstats(truth, "CROSSSLOT")).values.reduce(0, +))
        #expect(c.redirects.clusterdown == 0)
        let bySlot = try #require(redirects["bySlot"] as? [[String: Any]])
        #expect(c.redirects.bySlot.map(\.slot) == bySlot.map { $0["slot"] as? Int ?? -1 })
        #expect(c.redirects.bySlot.map(\.moved) == bySlot.map { $0["moved"] as? Int ?? -1 })
        #expect(c.redirects.bySlot.map(\.ask) == bySlot.map { $0["ask"] as? Int ?? -1 })
        #expect(c.redirects.bySlot.map(\.target) == bySlot.map { $0["target"] as? String })

        // Per client: the redirects each received; ASKING as the importing node counted it.
        let byClient = try #require(expected["byClient"] as? [String: [String: Int]])
        #expect(Set(c.redirects.byClient.map(\.client)) == Set(byClient.keys))
        for row in c.redirects.byClient {
            let t = byClient[row.client] ?? [:]
            #expect(row.moved == t["moved"] ?? 0 && row.ask == t["ask"] ?? 0 && row.tryagain == t["tryagain"] ?? 0
                    && row.crossslot == t["crossslot"] ?? 0, "\(row.client)")
        }
        let commands = try #require((truth["expected"] as? [String: Any])?["commands"] as? [String: Int])
        #expect(c.redirects.asking == commands["asking"])
        // The ASKs the cluster client followed with ASKING are expected errors; the raw client's one is not.
        let followed = (report.benignErrors ?? []).filter { $0.kind == ClusterStats.followedRedirect }
        #expect(followed.map(\.code) == ["ASK"] && followed.first?.count == byClient["127.0.0.1"]?["ask"])
        #expect(followed.first?.count == commands["asking"])
        #expect(c.redirects.movedRepeated == expected["movedRepeated"] as? Int)
        #expect((c.clusterCommands ?? 0) == commands.filter { $0.key.hasPrefix("cluster|") }.values.reduce(0, +))

        // The client that is not cluster-aware is stale; the one that follows MOVED once is not.
        let stale = try #require(report.findings.first { $0.id == StaleTopologyRule.id })
        #expect(stale.metrics["clients"] == 1)
        #expect(stale.metrics["movedRepeated"] == Double(expected["movedRepeated"] as? Int ?? -1))
        #expect(stale.evidence.first?.hasPrefix("127.0.0.5:") == true)
        #expect(!report.findings.contains { $0.id == UnevenClusterLoadRule.id })
        #expect(report.findings.first?.id == StaleTopologyRule.id)

        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("## Cluster"))
        #expect(markdown.contains("\(c.redirects.moved) MOVED, \(c.redirects.ask) ASK"))
    }

    /// Healthy cluster traffic: an evenly spread keyspace, no redirects, and no cluster finding.
    @Test func healthyClusterHasNodesAndSlotsAndNoFinding() throws {
        let (report, truth) = try Self.report("cluster-unpipelined")
        let c = try #require(report.cluster)
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.calls) }) == (try Self.commandstatsCalls(truth)))
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.bytes) }) == (try Self.netBytes(truth)))
        Self.expectSlotBytesAddUp(report, c, unkeyed: ["cluster|slots", "command", "info"])
        #expect(c.redirects == ClusterSummary.Redirects())
        let gets = try #require((truth["expected"] as? [String: Any])?["commands"] as? [String: Int])["get"]
        #expect(c.keyedCalls == gets)
        #expect(c.slots.reduce(0) { $0 + $1.calls } == gets)
        // Each slot is served by the node whose range holds it.
        let ranges = try #require(((truth["expected"] as? [String: Any])?["cluster"] as? [String: Any])?["slotRanges"] as? [[String: Any]])
        for s in c.slots {
            let owner = ranges.first { ($0["from"] as? Int ?? 0) <= s.slot && s.slot <= ($0["to"] as? Int ?? -1) }?["node"] as? String
            #expect(s.node == owner, "slot \(s.slot)")
        }
        #expect(!report.findings.contains { $0.id == StaleTopologyRule.id || $0.id == UnevenClusterLoadRule.id })
    }

    /// One hash tag takes most of the keyed commands: its slot's node carries them, and no resharding can help.
    @Test func hotSlotOnARealClusterIsFound() throws {
        let (report, truth) = try Self.report("cluster-hot-slot")
        let expected = try #require((truth["expected"] as? [String: Any])?["cluster"] as? [String: Any])
        let c = try #require(report.cluster)
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.calls) }) == (try Self.commandstatsCalls(truth)))
        #expect(Dictionary(uniqueKeysWithValues: c.nodes.map { ($0.address, $0.bytes) }) == (try Self.netBytes(truth)))
        let truthSlots = try #require(expected["slots"] as? [[String: Int]])
        #expect(c.slots.map(\.slot) == truthSlots.map { $0["slot"] ?? -1 })
        #expect(c.slots.map(\.calls) == truthSlots.map { $0["calls"] ?? -1 })
        Self.expectSlotBytesAddUp(report, c, unkeyed: ["cluster|slots", "command", "info"])
        let hot = try #require(expected["hotSlot"] as? [String: Any])
        let hottest = try #require(c.slots.max { $0.calls < $1.calls })
        #expect(hottest.slot == hot["slot"] as? Int && hottest.calls == hot["calls"] as? Int)
        #expect(hottest.node == hot["node"] as? String)
        let finding = try #require(report.findings.first { $0.id == UnevenClusterLoadRule.id })
        #expect(finding.metrics["hottestSlot"] == Double(hot["slot"] as? Int ?? -1))
        #expect(finding.metrics["hottestSlotShare"] == Double(hot["calls"] as? Int ?? 0) / Double(hot["keyedCalls"] as? Int ?? 1))
        #expect(c.redirects == ClusterSummary.Redirects())
        #expect(!report.findings.contains { $0.id == StaleTopologyRule.id })
    }

    /// A single server with no cluster errors has no cluster section.
    @Test func singleServerHasNoClusterSection() throws {
        let (report, _) = try Self.report("mixed")
        #expect(report.cluster == nil)
    }

    // MARK: - Merge and diff

    @Test func mergeAddsNodesAndSlotsAndRecomputesShares() throws {
        let (a, _) = try Self.report("cluster-redirects")
        let (b, _) = try Self.report("cluster-unpipelined")
        let merged = try ReportMerger().merge([DiffMergeTests.document(a), DiffMergeTests.document(b)])
        let m = try #require(merged.cluster), ca = try #require(a.cluster), cb = try #require(b.cluster)
        var calls: [String: Int] = [:]
        for n in ca.nodes + cb.nodes { calls[n.address, default: 0] += n.calls }
        #expect(Dictionary(uniqueKeysWithValues: m.nodes.map { ($0.address, $0.calls) }) == calls)
        let total = calls.values.reduce(0, +)
        for n in m.nodes { #expect(n.share == (Double(n.calls) / Double(total) * 10_000).rounded() / 10_000) }
        var slots: [Int: Int] = [:], bytes: [Int: Int64] = [:]
        for s in ca.slots + cb.slots {
            slots[s.slot, default: 0] += s.calls
            bytes[s.slot, default: 0] += s.bytes
        }
        #expect(m.slots.map(\.slot) == slots.keys.sorted())
        #expect(m.slots.map(\.calls) == slots.keys.sorted().map { slots[$0] ?? -1 })
        #expect(m.slots.map(\.bytes) == bytes.keys.sorted().map { bytes[$0] ?? -1 })
        #expect(m.keyedCalls == ca.keyedCalls + cb.keyedCalls)
        #expect(m.redirects.moved == ca.redirects.moved && m.redirects.ask == ca.redirects.ask)
        #expect(m.redirects.bySlot == ca.redirects.bySlot)
        #expect(m.redirects.byClient.map(\.client) == ca.redirects.byClient.map(\.client))
        #expect(merged.findings.contains { $0.id == StaleTopologyRule.id })
    }

    @Test func diffComparesRedirectsAndShares() throws {
        let (before, _) = try Self.report("cluster-unpipelined")
        let (after, _) = try Self.report("cluster-redirects")
        let diff = ReportDiff(before: try DiffMergeTests.document(before), after: try DiffMergeTests.document(after))
        let metrics = Dictionary(uniqueKeysWithValues: diff.metrics("cluster").map { ($0.id, $0) })
        #expect(metrics["cluster.movedPerSecond"]?.before == 0)
        #expect((metrics["cluster.movedPerSecond"]?.after ?? 0) > 0)
        #expect(metrics["cluster.nodes"]?.before == 3 && metrics["cluster.nodes"]?.after == 3)
        #expect(metrics["cluster.busiestNodeShare"]?.after == after.cluster?.nodes.first?.share)
        #expect(metrics["cluster.node.127.0.0.3:7000.share"]?.before == before.cluster?.nodes.first { $0.address == "127.0.0.3:7000" }?.share)
        let markdown = MarkdownDiffRenderer.render(diff)
        #expect(markdown.contains("## Cluster"))
    }

    // MARK: - Rules on made-up summaries

    static func summary(nodes: [Int], slots: [Int: Int] = [:], redirects: ClusterSummary.Redirects = .init(),
                        clusterCommands: Int? = 1) -> AnalysisReport {
        var c = ClusterSummary()
        let total = nodes.reduce(0, +)
        c.nodes = nodes.enumerated().map { i, calls in
            var n = ClusterSummary.Node(address: "10.0.0.\(i + 1):6379")
            n.calls = calls
            n.share = ClusterSummary.share(calls, of: total)
            return n
        }
        c.slots = slots.keys.sorted().map { var s = ClusterSummary.Slot(slot: $0); s.calls = slots[$0] ?? 0; return s }
        c.keyedCalls = slots.values.reduce(0, +)
        c.redirects = redirects
        c.clusterCommands = clusterCommands
        var report = AnalysisReport()
        report.cluster = c
        return report
    }

    @Test func unevenNodeNeedsAWholeNodeLostBeyondNoise() {
        let rule = UnevenClusterLoadRule()
        // Even, and mildly uneven (2.5 nodes' worth of 3): nothing.
        #expect(rule.evaluate(Self.summary(nodes: [1000, 1000, 1000]), FindingThresholds()) == nil)
        #expect(rule.evaluate(Self.summary(nodes: [1200, 900, 900]), FindingThresholds()) == nil)
        // Half of everything on one of three nodes: the cluster carries 2 nodes' worth.
        let finding = rule.evaluate(Self.summary(nodes: [1500, 750, 750]), FindingThresholds())
        #expect(finding?.severity == .warning)
        #expect(finding?.metrics["nodesWorth"] == 2)
        // The same shares over a handful of commands are noise.
        #expect(rule.evaluate(Self.summary(nodes: [4, 2, 2]), FindingThresholds()) == nil)
        // Separate servers (no cluster command, no redirect) are not a cluster.
        #expect(rule.evaluate(Self.summary(nodes: [1500, 750, 750], clusterCommands: nil), FindingThresholds()) == nil)
    }

    @Test func hotSlotOutweighsANodesEvenShare() {
        let rule = UnevenClusterLoadRule()
        var slots = Dictionary(uniqueKeysWithValues: (0..<100).map { ($0 * 150, 10) })
        #expect(rule.evaluate(Self.summary(nodes: [1000, 1000, 1000], slots: slots), FindingThresholds()) == nil)
        slots[42] = 1000
        let finding = rule.evaluate(Self.summary(nodes: [1000, 1000, 1000], slots: slots), FindingThresholds())
        #expect(finding?.metrics["hottestSlot"] == 42)
        #expect(finding?.title.contains("hash slot, 42,") == true)
    }

    @Test func staleTopologyNeedsMostMovedRepeated() {
        let rule = StaleTopologyRule()
        func redirects(_ moved: Int, _ repeated: Int) -> ClusterSummary.Redirects {
            var r = ClusterSummary.Redirects()
            var client = ClusterSummary.ClientRedirects(client: "10.0.0.9")
            client.moved = moved
            client.movedRepeated = repeated
            r.moved = moved
            r.movedRepeated = repeated
            r.byClient = [client]
            return r
        }
        // A client that refreshes: one MOVED per slot, or a few repeats from requests racing on other threads.
        #expect(rule.evaluate(Self.summary(nodes: [10, 10], redirects: redirects(1, 0)), FindingThresholds()) == nil)
        #expect(rule.evaluate(Self.summary(nodes: [10, 10], redirects: redirects(40, 3)), FindingThresholds()) == nil)
        #expect(rule.evaluate(Self.summary(nodes: [10, 10], redirects: redirects(40, 20)), FindingThresholds())?.severity == .warning)
    }
    // MARK: - Made-up captures: what no real cluster sends, and the edges of the rules

    static func analyze(_ capture: SyntheticCapture) throws -> AnalysisReport {
        let path = capture.write(name: "cluster")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    static func get(_ key: String) -> String { "*2\r\n$3\r\nGET\r\n$\(key.utf8.count)\r\n\(key)\r\n" }

    /// Three GETs of one slot pipelined and all answered MOVED are in flight when the first MOVED arrives: none is
    /// repeated. A GET sent after that, on the same connection, is.
    @Test func onlyMovedSentAfterTheFirstOneIsRepeated() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_000, serverPort: 6379)
        capture.handshake(&c)
        let slot = Self.slot("k")
        let moved = "-MOVED \(slot) 10.0.0.3:6379\r\n"
        capture.exchange(&c, Self.get("k") + Self.get("k") + Self.get("k"), moved + moved + moved)
        capture.exchange(&c, Self.get("k"), moved)
        capture.close(&c)
        let cluster = try #require(try Self.analyze(capture).cluster)
        #expect(cluster.redirects.moved == 4)
        #expect(cluster.redirects.movedRepeated == 1)
        #expect(cluster.redirects.bySlot == [ClusterSummary.SlotRedirects(slot: slot, moved: 4, ask: 0, target: "10.0.0.3:6379")])
        #expect(cluster.slots.map(\.slot) == [slot] && cluster.slots.first?.node == nil)
    }

    /// Malformed redirects, a blocking pop answered with MOVED, a key longer than the kept bytes: counted where they
    /// can be, never a crash, and the MOVED text is not taken for a served queue.
    @Test func badRedirectsAndLongKeysAreCountedSafely() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        capture.exchange(&c, Self.get("a"), "-MOVED\r\n")  // no space: the server counts it as ERR, and so does respcap
        capture.exchange(&c, Self.get("a"), "-MOVED 99999 x:1\r\n")
        capture.exchange(&c, Self.get("a"), "-ASK 12 \r\n")
        capture.exchange(&c, Self.get("a"), "!23\r\nMOVED 100 10.0.0.9:6379\r\n")
        capture.exchange(&c, "*3\r\n$5\r\nBRPOP\r\n$1\r\nq\r\n$1\r\n0\r\n", "-MOVED \(Self.slot("q")) 10.0.0.4:6379\r\n")
        let long = String(repeating: "x", count: 300)
        capture.exchange(&c, Self.get(long), "$-1\r\n")
        capture.exchange(&c, Self.get("{t}" + long), "$-1\r\n")
        capture.exchange(&c, "*1\r\n$6\r\nASKING\r\n", "+OK\r\n")
        capture.exchange(&c, "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n", "-CROSSSLOT Keys in request don't hash to the same slot\r\n")
        capture.exchange(&c, Self.get("a"), "-CLUSTERDOWN The cluster is down\r\n")
        capture.exchange(&c, Self.get("a"), "-TRYAGAIN Multiple keys request during rehashing of slot\r\n")
        capture.close(&c)
        let report = try Self.analyze(capture)
        let cluster = try #require(report.cluster)
        #expect(cluster.redirects.moved == 3 && cluster.redirects.ask == 1)
        #expect(cluster.redirects.crossslot == 1 && cluster.redirects.clusterdown == 1 && cluster.redirects.tryagain == 1)
        #expect(cluster.redirects.asking == 1)
        #expect(cluster.slotUnknownCalls == 1)
        // Unparsable redirects fall back to the key's slot, with no target; the RESP3 blob error is read as text.
        let bySlot = Dictionary(uniqueKeysWithValues: cluster.redirects.bySlot.map { ($0.slot, $0) })
        #expect(bySlot[Self.slot("a")]?.moved == 1 && bySlot[Self.slot("a")]?.ask == 1 && bySlot[Self.slot("a")]?.target == nil)
        #expect(bySlot[100]?.target == "10.0.0.9:6379")
        #expect(bySlot[Self.slot("q")]?.target == "10.0.0.4:6379")
        #expect(cluster.slots.contains { $0.slot == Self.slot("t") })
        #expect(report.blockingPops?.servedByKey.isEmpty ?? true)
        #expect(!MarkdownReportRenderer.render(report).isEmpty)
    }
}
