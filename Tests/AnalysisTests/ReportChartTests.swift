@testable import Analysis
@testable import Findings
@testable import Pipeline
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Report
import Testing

/// Charts are computed once (`ReportChart`) and drawn twice: as Mermaid in the Markdown report and as SVG files with
/// `--svg`. Both must show the same numbers, and the SVG must be a well-formed standalone document.
struct ReportChartTests {
    static func report(_ fixture: String, ports: Set<UInt16> = [6379]) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = ports
        return try CaptureAnalyzer(options: options).analyze(paths: [TestPaths.fixtures.appendingPathComponent(fixture + ".pcap").path])
    }

    /// Collects the `<title>` texts of bars and points, and counts elements.
    final class SVGScan: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var titles: [String] = []
        private var inTitle = false
        private var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            if name == "title" { inTitle = true; text = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { text += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title" { inTitle = false; titles.append(text) }
        }
    }

    static func scan(_ svg: String) throws -> SVGScan {
        let parser = XMLParser(data: Data(svg.utf8))
        let scan = SVGScan()
        parser.delegate = scan
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        return scan
    }

    @Test func mermaidBlocksInTheReportAreTheCharts() throws {
        let report = try Self.report("cluster-unpipelined", ports: [7000])
        let markdown = MarkdownReportRenderer.render(report)
        let charts = ReportChart.all(for: report)
        #expect(charts.map(\.name) == ["command-mix", "commands-per-second", "latency-p99", "connections"])
        for chart in charts { #expect(markdown.contains(chart.mermaid), "\(chart.name)") }
        #expect(markdown.components(separatedBy: "```mermaid").count - 1 == charts.count)
    }

    @Test(arguments: ["cluster-unpipelined", "sentinel-churn", "mixed", "pipelined"])
    func svgShowsEveryValue(fixture: String) throws {
        let ports: Set<UInt16> = fixture == "cluster-unpipelined" ? [7000] : fixture == "sentinel-churn" ? [6379, 26379] : [6379]
        let report = try Self.report(fixture, ports: ports)
        let charts = ReportChart.all(for: report)
        #expect(!charts.isEmpty)
        for chart in charts {
            let scan = try Self.scan(SVGChartRenderer.render(chart))
            let bars = chart.bars ?? []
            // The background, a rect per bar, and a legend swatch when bars and a line share the chart.
            let legend = chart.bars != nil && chart.line != nil ? 1 : 0
            #expect(scan.elements["rect", default: 0] == 1 + bars.count + legend, "\(chart.name)")
            // Each bar and point carries its label and value, so the file can be read without the report.
            for (i, value) in bars.enumerated() where value.isFinite {
                #expect(scan.titles.contains { $0.hasPrefix(chart.xLabels[i] + ": ") }, "\(chart.name) bar \(i)")
            }
            #expect(scan.elements["polyline", default: 0] == (chart.line == nil ? 0 : Self.runs(chart)))
        }
    }

    /// Runs of line points with values of their own: one polyline each.
    static func runs(_ chart: ReportChart) -> Int {
        let carried = Set(chart.lineCarried)
        var runs = 0, inRun = false
        for i in (chart.line ?? []).indices {
            if carried.contains(i) { inRun = false } else if !inRun { runs += 1; inRun = true }
        }
        return runs
    }

    /// Seconds without an answered command have no p99: the chart does not plot them as 0.
    @Test func p99OverTimeSkipsSecondsWithoutAnswers() throws {
        var report = AnalysisReport()
        func bucket(_ second: Int, _ p99: Double?) -> TimelineBucket {
            TimelineBucket(offsetSeconds: Double(second), commands: p99 == nil ? 0 : 10, errors: 0, requestBytes: 0, replyBytes: 0,
                           connectionsOpened: 0, connectionsClosed: 0, p99Micros: p99)
        }
        report.timeline = TimelineSummary(bucketSeconds: 1, buckets: [bucket(0, 120), bucket(1, nil), bucket(2, nil), bucket(3, 300)])
        let chart = try #require(ReportChart.p99(report))
        #expect(chart.line == [120, 120, 120, 300])
        #expect(chart.lineCarried == [1, 2])
        #expect(chart.caption?.contains("2 of 4 steps had no answered command") == true)
        let scan = try Self.scan(SVGChartRenderer.render(chart))
        #expect(scan.elements["polyline", default: 0] == 2)
        #expect(scan.elements["circle", default: 0] == 2)
        #expect(!scan.titles.contains { $0.hasPrefix("1: ") || $0.hasPrefix("2: ") }, "\(scan.titles)")
    }

    @Test func blockingPopKeyDistributionIsCharted() throws {
        var capture = SyntheticCapture()
        var connection = SyntheticCapture.Connection(clientPort: 40_000, serverPort: 6379)
        capture.handshake(&connection)
        for keys in [1, 3, 3, 40] {
            let names = (0..<keys).map { "q:\($0)" }
            let request = "*\(keys + 2)\r\n$5\r\nBRPOP\r\n" + names.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined() + "$1\r\n1\r\n"
            capture.exchange(&connection, request, "*-1\r\n")
        }
        capture.close(&connection)
        let path = capture.write(name: "chart-brpop")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
        let chart = try #require(ReportChart.blockingPopKeys(report))
        let distribution = try #require(report.blockingPops).keyCountDistribution.sorted { $0.keys < $1.keys }.suffix(20)
        #expect(chart.xLabels == distribution.map { String($0.keys) })
        #expect(chart.bars == distribution.map { Double($0.calls) })
        #expect(chart.xLabels == ["1", "3", "40"] && chart.bars == [1, 2, 1])
    }

    @Test func axisEndsOnARoundValueAboveTheMaximum() {
        for (value, expected) in [(0.0, 1.0), (7.0, 8.0), (49.0, 50.0), (1440.0, 1500.0), (31.0, 40.0), (0.3, 0.3), (123_456.0, 125_000.0)] {
            let axis = SVGChartRenderer.niceAxis(value)
            #expect(abs(axis.max - expected) < 1e-9, "\(value) -> \(axis.max)")
            #expect(axis.max >= value)
            #expect((axis.max / axis.tick).rounded() <= 5)
        }
    }

    @Test func textIsEscaped() throws {
        let chart = ReportChart(name: "x", title: "a <b> & \"c\"", xLabels: ["<script>"], quoteLabels: true, yTitle: "y", bars: [1])
        let svg = SVGChartRenderer.render(chart)
        #expect(!svg.contains("<script>") && !svg.contains("<b>"))
        _ = try Self.scan(svg)
    }
}
