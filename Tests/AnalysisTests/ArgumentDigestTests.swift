@testable import Analysis
import Capture
import Foundation
@testable import Pipeline
import RedisSemantics
import Report
import Testing

/// The argument digest (first key, its hashes and hash slot) is worked out on the stream stage's thread as records
/// are packed, on the analysis stage's thread two records ahead, or batch by batch on whichever has time
/// (`DigestPlacement`). Either way the report is the same, byte for byte: on every fixture and every framework
/// capture (keys, prefixes, cluster slots and hash tags, movable keys, kombu priority lists, redaction).
@Suite struct ArgumentDigestTests {
    static func json(_ path: String, port: Int, placement: DigestPlacement, threads: Int = 1, redact: Bool = false) throws -> String {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        options.redactKeys = redact
        options.digestPlacement = placement
        var analyzer = CaptureAnalyzer(options: options)
        analyzer.threads = threads
        return try JSONReportRenderer.render(try analyzer.analyze(paths: [path]))
    }

    static func reportsAgree(_ path: String, port: Int, name: String) throws {
        let reference = try json(path, port: port, placement: .streamThread)
        for placement in [DigestPlacement.analysisThread, .alternating] {
            #expect(reference == (try json(path, port: port, placement: placement)), "\(name) \(placement)")
        }
        #expect(reference == (try json(path, port: port, placement: .balanced, threads: 2)), "\(name) balanced")
    }

    @Test(arguments: TestPaths.fixtureNames())
    func fixtureReportIsTheSameEitherWay(name: String) throws {
        let port = try FixtureTruth.load(name).port
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        try Self.reportsAgree(path, port: port, name: name)
        #expect(try Self.json(path, port: port, placement: .streamThread, redact: true)
            == (try Self.json(path, port: port, placement: .analysisThread, redact: true)))
    }

    @Test(arguments: TestPaths.corpusNames())
    func corpusReportIsTheSameEitherWay(name: String) throws {
        let port = try CorpusTruth.load(name).port
        let path = TestPaths.corpus.appendingPathComponent(name + ".pcap").path
        try Self.reportsAgree(path, port: port, name: name)
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
    /// Each placement really puts the work where it says: every record reaches the analyses digested, by the
    /// stream stage (none by the analysis stage), by the analysis stage (all of them), or some by each (every other
    /// batch). The capture has some 6,500 commands: several batches of 512.
    @Test(arguments: [DigestPlacement.streamThread, .analysisThread, .alternating])
    func digestsAreWorkedOutWherePlaced(placement: DigestPlacement) throws {
        let name = "pipelined"
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(try FixtureTruth.load(name).port)]
        options.digestPlacement = placement
        let counter = DigestCounter()
        let analyzer = try TrafficAnalyzer(options: options, analyses: [counter], analysisThread: true)
        let reader = try CaptureFileReader(path: TestPaths.fixtures.appendingPathComponent(name + ".pcap").path)
        while let packet = try reader.next() { analyzer.process(packet) }
        let report = analyzer.finish()
        let byAnalysisStage = analyzer.recordsDigestedByAnalysisStage
        #expect(counter.commands == report.totals.commands && counter.commands > 2 * StreamStage.sessionEventsPerBatch)
        #expect(counter.digested == counter.commands)
        #expect(counter.keyed == report.keys?.commandsWithKeys && counter.keyed > 0)
        switch placement {
        case .streamThread: #expect(byAnalysisStage == 0)
        case .analysisThread: #expect(byAnalysisStage == counter.commands)
        default: #expect(byAnalysisStage > 0 && byAnalysisStage < counter.commands)
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
