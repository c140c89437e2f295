@testable import Analysis
import Foundation
@testable import Pipeline
import RedisSemantics
import Report
import Testing

/// The argument digest (first key, its hashes and hash slot) is worked out on the stream stage's
/// thread as records are packed, or, for records packed without one, by the analyses themselves. Either way the
/// report is the same, byte for byte: on every fixture and every framework capture (keys, prefixes, cluster slots
/// and hash tags, movable keys, kombu priority lists, redaction).
@Suite struct ArgumentDigestTests {
    static func json(_ path: String, port: Int, digests: Bool, redact: Bool = false) throws -> String {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        options.redactKeys = redact
        options.digestsArgumentsWhilePacking = digests
        return try JSONReportRenderer.render(try CaptureAnalyzer(options: options).analyze(paths: [path]))
    }

    @Test(arguments: TestPaths.fixtureNames())
    func fixtureReportIsTheSameEitherWay(name: String) throws {
        let port = try FixtureTruth.load(name).port
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let packed = try Self.json(path, port: port, digests: true)
        #expect(packed == (try Self.json(path, port: port, digests: false)), "\(name)")
        #expect(try Self.json(path, port: port, digests: true, redact: true) == (try Self.json(path, port: port, digests: false, redact: true)))
    }

    @Test(arguments: TestPaths.corpusNames())
    func corpusReportIsTheSameEitherWay(name: String) throws {
        let port = try CorpusTruth.load(name).port
        let path = TestPaths.corpus.appendingPathComponent(name + ".pcap").path
        #expect(try Self.json(path, port: port, digests: true) == (try Self.json(path, port: port, digests: false)), "\(name)")
    }
}

/// Counts the commands whose records reached the analyses with their digest worked out.
private final class DigestCounter: TrafficAnalysis {
    var commands = 0
    var digested = 0
    var keyed = 0

    func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        commands += 1
        if record.digest.isSet { digested += 1 }
        if record.digest.keyPosition > 0 { keyed += 1 }
    }

    func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
}

extension ArgumentDigestTests {
    /// Both ways are really taken: with digests on, every record comes with one (and most name a key); off, none.
    @Test func digestsAreWorkedOutWhilePackingOnlyWhenAsked() throws {
        let name = "mixed"
        let port = try FixtureTruth.load(name).port
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        for digests in [true, false] {
            var options = AnalysisOptions()
            options.serverPorts = [UInt16(port)]
            options.digestsArgumentsWhilePacking = digests
            let counter = DigestCounter()
            let report = try CaptureAnalyzer(options: options).analyze(paths: [path], extraAnalyses: [counter])
            #expect(counter.commands == report.totals.commands && counter.commands > 0)
            #expect(counter.digested == (digests ? counter.commands : 0))
            if digests { #expect(counter.keyed == report.keys?.commandsWithKeys && counter.keyed > 0) } else { #expect(counter.keyed == 0) }
        }
    }
}

extension ArgumentDigestTests {
    /// The prefix rule's short way (keys ending in a delimiter then digits) measures what its pass over every byte
    /// measures, for any key and delimiters, digits among them included.
    @Test func prefixLengthIsTheRules() {
        let alphabet = Array(":/-0189afx".utf8)
        var state: UInt64 = 0x7072_6566
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for delimiters in [":", ":/", "0:", "-", "9"] {
            let rule = KeyPrefixRule(delimiters: delimiters)
            for length in 0...40 {
                for _ in 0..<60 {
                    var key = (0..<length).map { _ in alphabet[next(alphabet.count)] }
                    // Most keys end in digits, as generated ones do.
                    for index in key.indices.suffix(next(length + 1)) { key[index] = UInt8(ascii: "0") + UInt8(next(10)) }
                    let expected = key.withUnsafeBytes { rule.prefixLengthByTallies(of: $0) }
                    #expect(key.withUnsafeBytes { rule.prefixLength(of: $0) } == expected,
                            "\(String(decoding: key, as: UTF8.self)) delimiters \(delimiters)")
                }
            }
        }
    }
}
