import Analysis
import Foundation
@testable import Report
import Testing

/// `SortedJSONEncoder` must write exactly what Foundation's `JSONEncoder` writes with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`: reports and diffs already published were written so.
struct SortedJSONEncoderTests {
    static func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func goldenJSONReports() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.reports.path)) ?? []
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix("diff-") }.sorted()
    }

    @Test func goldenReportsAreThere() {
        #expect(Self.goldenJSONReports().count >= 20)
    }

    @Test(arguments: goldenJSONReports())
    func everyGoldenReportEncodesAsFoundationDoes(file: String) throws {
        let data = try Data(contentsOf: TestPaths.reports.appendingPathComponent(file))
        let report = try JSONReportRenderer.decode(data)
        let ours = try SortedJSONEncoder().encode(report)
        #expect(ours == (try Self.foundation(report)))
        // And the published file itself (its trailing newline aside).
        #expect(ours + [UInt8(ascii: "\n")] == Array(data))
    }

    /// Every shape a report can take, with values drawn at random: numbers of every magnitude (and the bit patterns
    /// around them), strings with every ASCII byte and some beyond, keys that sort by byte, empty containers, absent
    /// optionals.
    struct Sample: Codable {
        var doubles: [Double]
        var float: Float
        var integers: [Int64]
        var unsigned: UInt64
        var strings: [String]
        var byName: [String: Int]
        var nested: [String: [Int]]
        var optional: String?
        var absent: Int?
        var flags: [Bool]
        var matrix: [[Double]]
        var empty: [String: String]
    }

    static func randomDouble(_ g: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<5, using: &g) {
        case 0: return Double(Int.random(in: -1_000_000...1_000_000, using: &g))
        case 1: return Double.random(in: -1...1, using: &g)
        case 2: return Double.random(in: 0...1, using: &g) * pow(10, Double(Int.random(in: -320...300, using: &g)))
        case 3:
            let bits = g.next()
            let value = Double(bitPattern: bits)
            return value.isFinite ? value : 0.5
        default: return (Double(Int.random(in: 0...100_000, using: &g)) / 1000).rounded(.towardZero) / 7
        }
    }

    static func randomString(_ g: inout SeededGenerator) -> String {
        let pieces = ["a", "/", "\"", "\\", "é", "中", "😀", "\u{2028}", "\u{7f}", " ", "Z", "_", "0"]
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &g) {
            if Bool.random(using: &g) {
                text.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0...0x7f, using: &g)))
            } else {
                text += pieces.randomElement(using: &g)!
            }
        }
        return text
    }

    @Test func randomValuesEncodeAsFoundationDoes() throws {
        var g = SeededGenerator(seed: 20261207)
        for _ in 0..<400 {
            var byName: [String: Int] = [:]
            for _ in 0..<Int.random(in: 0...8, using: &g) { byName[Self.randomString(&g)] = Int.random(in: -5...5, using: &g) }
            var nested: [String: [Int]] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &g) {
                nested[Self.randomString(&g)] = (0..<Int.random(in: 0...3, using: &g)).map { _ in Int.random(in: 0...9, using: &g) }
            }
            let single = Float(Self.randomDouble(&g))
            let sample = Sample(
                doubles: (0..<Int.random(in: 0...6, using: &g)).map { _ in Self.randomDouble(&g) },
                float: single.isFinite ? single : 1,
                integers: (0..<3).map { _ in Int64(bitPattern: g.next()) },
                unsigned: g.next(),
                strings: (0..<Int.random(in: 0...4, using: &g)).map { _ in Self.randomString(&g) },
                byName: byName, nested: nested,
                optional: Bool.random(using: &g) ? Self.randomString(&g) : nil, absent: nil,
                flags: [Bool.random(using: &g)],
                matrix: (0..<Int.random(in: 0...2, using: &g)).map { _ in
                    (0..<Int.random(in: 0...2, using: &g)).map { _ in Self.randomDouble(&g) }
                },
                empty: [:])
            let ours = try SortedJSONEncoder().encode(sample)
            let theirs = try Self.foundation(sample)
            #expect(ours == theirs, "\(String(decoding: theirs, as: UTF8.self))")
            if ours != theirs { return }
        }
    }

    @Test func numbersThatAreNotFiniteAreRefused() {
        #expect(throws: EncodingError.self) { try SortedJSONEncoder().encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try SortedJSONEncoder().encode(["a": Double.infinity]) }
    }

    /// A value asking a container for a nested container is left to Foundation's encoder, with the same result.
    struct NestedContainers: Encodable {
        enum Keys: String, CodingKey { case outer, list }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .outer)
            try inner.encode(1, forKey: .list)
        }
    }

    @Test func unsupportedUsesFallBackToFoundation() throws {
        #expect(throws: SortedJSONEncoder.Unsupported.self) { try SortedJSONEncoder().encode(NestedContainers()) }
        let rendered = try JSONReportRenderer.sortedJSON(NestedContainers())
        #expect(Array(rendered.utf8) == (try Self.foundation(NestedContainers())) + [UInt8(ascii: "\n")])
    }
}
