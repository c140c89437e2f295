import Analysis
import Findings
import Pipeline
import Foundation
@testable import Report
import Testing

/// Text from the wire (command names, keys, client names, error codes) and from report files (labels) can never change
/// a Markdown report's structure: no heading, list, table cell or HTML of its own; it reads back as it came.
@Suite struct MarkdownEscapingTests {
    // MARK: - The escaping functions

    static let hostile: [String] = [
        "nl\n## Injected heading",
        "x` | <img src=x onerror=alert(1)>",
        "cr\r\n# h\u{1b}[2J",
        "<script>alert(1)</script>",
        "a|b", "a\\|b", "a\\", "|", "\\",
        "`", "``", "a``b", "` leading", "trailing `", " both ", "   ",
        "& &amp; &lt;", "# heading", "## x", "- item", "+ item", "* item", "1. item", "2) item", "    code",
        "```", "~~~", "---", "***", "___", "> quote", "<!-- comment", "<http://example.com>", "[link](javascript:x)",
        "![img](x)", "**bold**", "_em_", "~~strike~~", "$x$", "\u{0}\u{7}\u{8}\u{b}\u{c}\u{7f}", "\u{85}next line",
        "\u{2028}separator", "\u{202e}reversed", "e\u{301}|\u{301}", "\u{FFFD}\u{FFFD}", "",
        String(repeating: "`", count: 300) + "x" + String(repeating: "|", count: 300),
    ]

    @Test func aCodeSpanKeepsEverythingOnOneLineAndInOneSpan() {
        #expect(MarkdownText.code("nl\n## Injected heading") == "`nl\\n## Injected heading`")
        #expect(MarkdownText.code("a|b") == "`a|b`")
        #expect(MarkdownText.code("a|b", inTable: true) == "`a\\|b`")
        #expect(MarkdownText.code("config|get", inTable: true) == "`config\\|get`")
        #expect(MarkdownText.code("a`b") == "``a`b``")
        #expect(MarkdownText.code("`x") == "`` `x ``")
        #expect(MarkdownText.code("x``") == "``` x`` ```")
        #expect(MarkdownText.code(" a ") == "`  a  `")
        #expect(MarkdownText.code("   ") == "`   `")
        #expect(MarkdownText.code("") == "` `")
        #expect(MarkdownText.code("\u{1b}[31m\r\t") == "`\\x1b[31m\\r\\t`")
        #expect(MarkdownText.code("\u{202e}gpj.exe") == "`\\u{202e}gpj.exe`")
        // Code spans show `<` and `&` literally: nothing to escape.
        #expect(MarkdownText.code("<img src=x>") == "`<img src=x>`")
    }

    @Test func plainTextEscapesMarkdownAndHTML() {
        #expect(MarkdownText.text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;")
        #expect(MarkdownText.text("a & b") == "a &amp; b")
        #expect(MarkdownText.text("a|b") == "a\\|b")
        #expect(MarkdownText.text("nl\n## Injected heading") == "nl\\n## Injected heading")
        #expect(MarkdownText.text("## heading") == "\\## heading")
        #expect(MarkdownText.text("- item") == "\\- item")
        #expect(MarkdownText.text("12. item") == "12\\. item")
        #expect(MarkdownText.text("0.9.1") == "0.9.1")
        #expect(MarkdownText.text("  indented") == "&#32; indented")
        #expect(MarkdownText.text("`code` *b* [l](u) ~s~ $m$ \\") == "\\`code\\` \\*b\\* \\[l\\](u) \\~s\\~ \\$m\\$ \\\\")
        #expect(MarkdownText.text("max_connections _em_") == "max_connections \\_em\\_")
        #expect(MarkdownText.text("e\u{301}|\u{301}") == "e\u{301}\\|\u{301}")
    }

    @Test func ruleTextRewritesItsCodeSpansAndEscapesItsWords() {
        #expect(MarkdownText.ruleText("One key, `a|b`, takes 90% of keyed commands", inTable: true)
                == "One key, `a\\|b`, takes 90% of keyed commands")
        #expect(MarkdownText.ruleText("Capture with `tcpdump -s 0`; see max_connections")
                == "Capture with `tcpdump -s 0`; see max_connections")
        #expect(MarkdownText.ruleText("mostly <IMG/SRC=X>") == "mostly &lt;IMG/SRC=X&gt;")
        #expect(MarkdownText.ruleText("# BIG\n- ITEM `k`: request") == "\\# BIG\\n- ITEM `k`: request")
        // A key holding backticks splits the text differently; the result is still one line of balanced spans.
        #expect(MarkdownText.ruleText("key `a`b` end") == "key `a`b\\` end")
    }

    @Test func chartLabelsStayInsideTheirQuotesAndLine() {
        #expect(MarkdownText.chartLabel("client|reply") == "client|reply")
        #expect(MarkdownText.chartLabel("x\"\n```\n# h <img> %%{init}%%")
                == "x'\\n```\\n#35; h #lt;img#gt; #37;#37;{init}#37;#37;")
    }

    /// Every hostile string, through every function, in the places the renderer puts them: a table cell, a list
    /// item, a bold title, a chart.
    @Test(arguments: hostile)
    func hostileStringsKeepTheDocumentsStructure(text: String) {
        var writer = MarkdownWriter()
        writer.line("# Title")
        writer.blank()
        writer.line("- " + MarkdownText.text(text))
        writer.line("- " + MarkdownText.ruleText(text))
        writer.line("- " + MarkdownText.ruleText("One key, `\(text)`, " + text))
        writer.line("- " + MarkdownText.code(text) + ": " + MarkdownText.text(text))
        writer.line("> **Warning:** " + MarkdownText.text(text))
        writer.line("**WARNING x — " + MarkdownText.ruleText(text) + "**")
        writer.blank()
        writer.table(header: ["code", "text", "rule", "n"], alignRight: [false, false, false, true],
                     rows: [[MarkdownText.code(text, inTable: true), MarkdownText.text(text),
                             MarkdownText.ruleText("`\(text)` " + text, inTable: true), "1"]])
        writer.blank()
        writer.line(ReportChart(name: "x", title: "t", xLabels: [text, "b"], quoteLabels: true, yTitle: "y", bars: [1, 2]).mermaid)
        writer.blank()
        writer.line("<sub>end</sub>")
        let structure = MarkdownStructure(writer.text)
        #expect(structure.problems.isEmpty, "\(structure.problems)\n\(writer.text)")
        #expect(structure.headings == ["# Title"], "\(writer.text)")
        #expect(structure.tables == 1 && structure.fencedBlocks == 1, "\(writer.text)")
        #expect(writer.text.split(separator: "\n", omittingEmptySubsequences: false).count == 23, "\(writer.text)")
    }

    @Test func longStringsAreEscapedWhole() {
        let long = String(repeating: "a|`<\n", count: 50_000)
        let code = MarkdownText.code(long, inTable: true)
        #expect(!code.contains("\n"))
        #expect(code.hasPrefix("``a\\|`<\\n") && code.hasSuffix("\\n``"))
        let text = MarkdownText.text(long)
        #expect(!text.contains("\n") && !text.contains("<") && text.count == 50_000 * 11)
    }

    /// The checker itself: it sees what an unescaped renderer would produce.
    @Test func theStructureCheckerSeesInjections() {
        let injected = MarkdownStructure("# T\n\n- `nl\n## Injected heading`\n\n| a | b |\n| - | - |\n| `x|y` | 1 |\n\n"
                                         + "x <img src=x onerror=alert(1)>\n- - nested\n- ```\nfence\n```\n<sub>ok</sub> `<b>`\n")
        #expect(injected.headings == ["# T", "## Injected heading`"])
        #expect(injected.problems.count == 4, "\(injected.problems)")
        #expect(injected.problems.contains { $0.hasPrefix("table row of 3 cells") })
        #expect(injected.problems.contains { $0.hasPrefix("raw HTML") })
        #expect(injected.problems.contains { $0.hasPrefix("a list or quote opened inside") })
        #expect(injected.problems.contains { $0.hasPrefix("a code fence opened inside") })
        let escaped = MarkdownStructure("| a | b |\n| - | - |\n| `x\\|y` | a\\\\\\|b |\n\n`<b>` &lt;b&gt; \\<b>\n")
        #expect(escaped.problems.isEmpty, "\(escaped.problems)")
    }

    /// The checker finds nothing in the renderer's own structure: every golden report and diff is clean.
    @Test func goldenReportsHaveNoStructureProblems() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestPaths.reports.path).filter { $0.hasSuffix(".md") }
        #expect(names.count >= 20)
        for name in names {
            let text = try String(contentsOf: TestPaths.reports.appendingPathComponent(name), encoding: .utf8)
            let structure = MarkdownStructure(text)
            #expect(structure.problems.isEmpty, "reports/\(name): \(structure.problems)")
            #expect(structure.headings.first?.hasPrefix("# respcap ") == true, "reports/\(name)")
        }
    }

    // MARK: - Whole reports

    /// Names for one capture: hostile ones, or harmless ones of the same kinds for the reference report.
    struct Names {
        var headingCommand = "nl_injected_heading"
        var htmlCommand = "x_img"
        var bigCommand = "big_command"
        var controlCommand = "cr_control"
        var clientName = "worker_1"
        var subcommand = "x_sub"
        var hotKey = "a-b"
        var queueKey = "queue-1"
        var bigKey = "big-key"
        var errorCode = "BADERR"

        static let hostile = Names(
            headingCommand: "nl\n## Injected heading", htmlCommand: "x` | <img src=x onerror=alert(1)>",
            bigCommand: "# big\n- item | <b>", controlCommand: "cr\r\n# h\u{1b}[2J\u{202e}",
            clientName: "<script>alert(1)</script>\n# name",
            subcommand: "x|\n# sub <i>", hotKey: "a|b", queueKey: "q|`<img src=x>`", bigKey: "big|<b>key",
            errorCode: "<img/src=x>|`\u{1b}[31m")
    }

    static func resp(_ args: [String]) -> String {
        "*\(args.count)\r\n" + args.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    /// One connection with each kind of name in it: unknown commands, a CLIENT subcommand and name, a hot key, a
    /// queue, a blocking pop, a big request, error replies, CONFIG GET (`config|get`).
    static func capture(_ names: Names) -> SyntheticCapture {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40001, serverPort: 6379)
        capture.handshake(&c)
        capture.exchange(&c, resp(["CLIENT", "SETNAME", names.clientName]), "+OK\r\n")
        capture.exchange(&c, resp(["CLIENT", names.subcommand]), "-ERR unknown subcommand\r\n")
        capture.exchange(&c, resp(["CONFIG", "GET", "maxmemory"]), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n")
        for command in [names.headingCommand, names.htmlCommand, names.controlCommand] {
            for _ in 0..<6 { capture.exchange(&c, resp([command, "arg"]), "-\(names.errorCode) oops\r\n") }
        }
        capture.exchange(&c, resp([names.bigCommand, String(repeating: "v", count: 1_000_100)]), "+OK\r\n")
        capture.exchange(&c, resp(["SET", names.bigKey, String(repeating: "v", count: 20_000)]), "+OK\r\n")
        capture.exchange(&c, resp(["LPUSH", names.queueKey, "job"]), ":1\r\n")
        capture.exchange(&c, resp(["BRPOP", names.queueKey, "other", "0"]),
                         "*2\r\n$\(names.queueKey.utf8.count)\r\n\(names.queueKey)\r\n$3\r\njob\r\n")
        // One request of 1,200 pipelined GETs of one key: a hot key.
        capture.send(&c, fromClient: true, String(repeating: resp(["GET", names.hotKey]), count: 1200))
        capture.send(&c, fromClient: false, String(repeating: "$-1\r\n", count: 1200))
        capture.close(&c)
        return capture
    }

    static func report(_ names: Names) throws -> AnalysisReport {
        let path = capture(names).write(name: "markdown-escaping")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
        report.capture.files = ["capture.pcap"]
        return report
    }

    static func expectSameStructure(_ markdown: String, as reference: String, _ what: String) {
        let structure = MarkdownStructure(markdown)
        let expected = MarkdownStructure(reference)
        #expect(structure.problems.isEmpty, "\(what): \(structure.problems)")
        #expect(structure.headings == expected.headings, "\(what)")
        #expect(structure.tables == expected.tables, "\(what)")
        #expect(structure.fencedBlocks == expected.fencedBlocks, "\(what)")
    }

    @Test func hostileNamesDoNotChangeTheReportsStructure() throws {
        let hostile = try Self.report(.hostile)
        let reference = try Self.report(Names())
        // The capture reached every section that shows names.
        #expect(hostile.commands.contains { $0.name == "nl\n## injected heading" && !$0.known })
        #expect(hostile.errorsByPrefix.keys.contains(Names.hostile.errorCode))
        #expect(Set(hostile.findings.map(\.id)).isSuperset(of: ["hot-key", "error-rate", "big-values"]),
                "\(hostile.findings.map(\.id))")
        #expect(hostile.queues?.first?.key == Names.hostile.queueKey)
        #expect(hostile.blockingPops?.servedByKey[Names.hostile.queueKey] == 1)

        let markdown = MarkdownReportRenderer.render(hostile, title: "capture")
        Self.expectSameStructure(markdown, as: MarkdownReportRenderer.render(reference, title: "capture"), "report")
        #expect(markdown.contains("| `a\\|b` "), "the hot key in the keys table")
        #expect(!markdown.contains("a?b"))
        #expect(markdown.contains("| `config\\|get` "))
        #expect(markdown.contains("`nl\\n## injected heading` (unknown)"))
        #expect(markdown.contains("mostly &lt;img/src=x&gt;"), "the error code in the error-rate finding's words")

        // The JSON report keeps the exact bytes.
        let json = try JSONReportRenderer.render(hostile)
        let decoded = try JSONDecoder().decode(AnalysisReport.self, from: Data(json.utf8))
        #expect(decoded.commands.map(\.name) == hostile.commands.map(\.name))
        #expect(decoded.findings == hostile.findings)
        #expect(decoded.keys?.topKeysByCalls.first?.key == "a|b")
    }

    @Test func hostileNamesAndLabelsDoNotChangeTheDiffsStructure() throws {
        func document(_ report: AnalysisReport, label: String) throws -> ReportDocument {
            try ReportDocument(jsonData: Data(JSONReportRenderer.render(report).utf8), label: label)
        }
        let hostile = try Self.report(.hostile)
        let reference = try Self.report(Names())
        let markdown = MarkdownDiffRenderer.render(ReportDiff(before: try document(reference, label: "before.json"),
                                                              after: try document(hostile, label: "after\n# <img src=x>.json")))
        let expected = MarkdownDiffRenderer.render(ReportDiff(before: try document(reference, label: "before.json"),
                                                              after: try document(reference, label: "after.json")))
        let structure = MarkdownStructure(markdown)
        #expect(structure.problems.isEmpty, "\(structure.problems)")
        #expect(structure.headings.first == "# respcap diff — before.json → after\\n# &lt;img src=x&gt;.json")
        #expect(structure.headings.dropFirst() == MarkdownStructure(expected).headings.dropFirst())
        #expect(markdown.contains("| `config\\|get` "))
        #expect(!markdown.contains("config?get"))
        #expect(markdown.contains("| `nl\\n## injected heading` "))
    }

    @Test func hostileChartLabelsKeepTheSVGWellFormed() throws {
        let hostile = try Self.report(.hostile)
        let chart = try #require(ReportChart.commandMix(hostile))
        let svg = SVGChartRenderer.render(chart)
        #expect(!svg.contains("<img") && !svg.contains("\u{1b}"))
        _ = try ReportChartTests.scan(svg)
    }
}
