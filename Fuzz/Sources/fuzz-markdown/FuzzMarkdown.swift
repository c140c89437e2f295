#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Analysis
import Pipeline
import Foundation
import FuzzSupport
import Report

// fuzz-markdown: the input is up to seven names separated by NUL bytes — a command name, a key, a client name, an
// error code, a CLIENT subcommand, a queue key, a report label. Two reports are made from them:
//
// 1. From the wire: the names go into a small capture (CLIENT SETNAME, an unknown command answered with the error
//    code, a big request, a hot key, a queue served by BRPOP, CONFIG GET...) that CaptureAnalyzer reads, so they
//    reach the report as the pipeline names them and the finding rules quote them.
// 2. From a report file: every string of a fixed report is replaced by a name as it is, as a crafted JSON report
//    given to `respcap merge` or `respcap diff` could do; that report is also compared with the fixed one as a diff.
//
// Each Markdown output must keep the structure the renderer gives it (MarkdownStructure): no heading it did not
// write, no table row with a cell too many or too few, no raw HTML, no block opened inside a list item, no control
// character. The SVG charts must hold no control character, and the JSON report must give the names back exactly.

let tempPath: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/respcap-fuzz-markdown-\(getpid()).pcap"
}()

let options: AnalysisOptions = {
    var options = AnalysisOptions()
    // Thresholds low enough for a capture of twenty commands to raise the findings that quote names.
    options.thresholds.hotKeyMinCommands = 5
    options.thresholds.errorRateMinErrors = 1
    options.thresholds.bigValueBytes = 100
    // Small tables: the defaults size them for millions of keys and connections, which would cost more than the
    // twenty commands.
    options.reassembly.maxConnections = 8
    options.maxTrackedKeys = 16
    options.maxTrackedClients = 8
    options.maxUnknownCommandNames = 8
    return options
}()

let reportHeadings: Set<String> = [
    "## Findings", "## Commands", "## Errors", "## Blocking pops", "## Queues", "## Connections", "## Clients",
    "## Keys and prefixes", "## Cluster", "## Scripts", "## Latency and pipelining", "## Pushes and pub/sub messages",
    "## Network", "## Replication", "## Capture quality",
]
let diffHeadings: Set<String> = [
    "## Biggest changes", "## Findings", "## Throughput", "## Commands", "## Latency and pipelining", "## Connections",
    "## Blocking pops (key-scan cost)", "## Errors", "## Clients", "## Keys", "## Cluster", "## Scripts", "## TLS",
    "## Network", "## Replication", "## Capture quality",
]

func resp(_ arguments: [[UInt8]]) -> [UInt8] {
    var out = Array("*\(arguments.count)\r\n".utf8)
    for argument in arguments { out += Array("$\(argument.count)\r\n".utf8) + argument + [13, 10] }
    return out
}

func capture(_ names: [[UInt8]]) -> [UInt8] {
    func name(_ i: Int, _ fallback: String) -> [UInt8] { i < names.count ? names[i] : Array(fallback.utf8) }
    let command = name(0, "unknowncommand"), key = name(1, "key"), client = name(2, "worker"), error = name(3, "BADERR")
    let subcommand = name(4, "nosuchsub"), queue = name(5, "queue")
    var pcap = PcapBuilder()
    pcap.handshake()
    pcap.exchange(resp([Array("CLIENT".utf8), Array("SETNAME".utf8), client]), Array("+OK\r\n".utf8))
    pcap.exchange(resp([Array("CLIENT".utf8), subcommand]), Array("-ERR unknown subcommand\r\n".utf8))
    pcap.exchange(resp([Array("CONFIG".utf8), Array("GET".utf8), Array("maxmemory".utf8)]),
                  Array("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n".utf8))
    let errorReply = [UInt8(ascii: "-")] + error + Array(" oops\r\n".utf8)
    for _ in 0..<3 { pcap.exchange(resp([command, Array("arg".utf8)]), errorReply) }
    func value(_ count: Int) -> [UInt8] { [UInt8](repeating: UInt8(ascii: "v"), count: count) }
    pcap.exchange(resp([command, value(10_100)]), Array("+OK\r\n".utf8))
    pcap.exchange(resp([Array("SET".utf8), key, value(200)]), Array("+OK\r\n".utf8))
    pcap.exchange(resp([Array("LPUSH".utf8), queue, Array("job".utf8)]), Array(":1\r\n".utf8))
    pcap.exchange(resp([Array("BRPOP".utf8), queue, Array("other".utf8), Array("0".utf8)]),
                  Array("*2\r\n$\(queue.count)\r\n".utf8) + queue + Array("\r\n$3\r\njob\r\n".utf8))
    for _ in 0..<8 { pcap.exchange(resp([Array("GET".utf8), key]), Array("$-1\r\n".utf8)) }
    // A parse error, for an event in the quality section.
    pcap.send(fromClient: true, Array("*2\r\n$3\r\nGET\r\n$-7\r\nxx\r\n".utf8))
    pcap.close()
    return pcap.bytes
}

func analyze(_ pcap: [UInt8]) -> AnalysisReport? {
    let fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(tempPath)") }
    let written = pcap.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == pcap.count else { fatalError("cannot write \(tempPath)") }
    return try? CaptureAnalyzer(options: options).analyze(paths: [tempPath])
}

/// The report of the capture over harmless names: its shape is what every fuzzed report is held to.
let baseline: AnalysisReport = {
    guard let report = analyze(capture([])) else { fatalError("the baseline capture does not analyse") }
    return report
}()
let baselineMarkdown = MarkdownReportRenderer.render(baseline, title: "fuzz")
let baselineDocument = try? ReportDocument(report: baseline, label: "before")

/// Every string of `report` replaced by one of `names`, in turn.
func replacingStrings(of report: AnalysisReport, with names: [String]) -> AnalysisReport {
    var r = report
    var index = 0
    func next() -> String {
        defer { index += 1 }
        return names[index % names.count]
    }
    func rekeyed(_ d: [String: Int]) -> [String: Int] { Dictionary(d.map { (next(), $0.value) }, uniquingKeysWith: +) }
    r.generator.version = next()
    r.generator.commandTable = next()
    r.capture.files = [next()]
    r.capture.filter = next()
    r.capture.servers = r.capture.servers.map { _ in next() }
    r.capture.firstTimestamp = r.capture.firstTimestamp.map { _ in next() }
    r.capture.lastTimestamp = r.capture.lastTimestamp.map { _ in next() }
    r.warnings = [next(), next()]
    r.errorsByPrefix = rekeyed(r.errorsByPrefix)
    for i in r.commands.indices { r.commands[i].name = next() }
    for i in r.findings.indices {
        r.findings[i].id = next()
        r.findings[i].title = "\(next()) `\(next())` \(next())"
        r.findings[i].evidence = r.findings[i].evidence.map { _ in "\(next()) `\(next())`" } + [next()]
        r.findings[i].recommendation = next()
    }
    r.connections.closes = rekeyed(r.connections.closes)
    if let setup = r.connections.setupCommands { r.connections.setupCommands?.byCommand = rekeyed(setup.byCommand) }
    for i in r.connections.byClient.indices { r.connections.byClient[i].address = next() }
    for i in r.connections.byServer.indices { r.connections.byServer[i].address = next() }
    r.pushes.byKind = rekeyed(r.pushes.byKind)
    if let b = r.blockingPops {
        r.blockingPops?.byCommand = rekeyed(b.byCommand)
        r.blockingPops?.servedByKey = rekeyed(b.servedByKey)
    }
    for i in (r.queues ?? []).indices {
        r.queues?[i].key = next()
    }
    for i in (r.queuePrefixes ?? []).indices { r.queuePrefixes?[i].prefix = next() }
    if let k = r.keys {
        for i in k.topKeysByCalls.indices { r.keys?.topKeysByCalls[i].key = next() }
        for i in k.topPrefixesByCalls.indices { r.keys?.topPrefixesByCalls[i].key = next() }
        for i in k.fullKeyspaceCommands.indices { r.keys?.fullKeyspaceCommands[i].command = next() }
        for i in k.biggest.indices {
            r.keys?.biggest[i].command = next()
            r.keys?.biggest[i].client = next()
            r.keys?.biggest[i].key = next()
        }
    }
    for i in (r.latency?.slowest ?? []).indices {
        r.latency?.slowest[i].command = next()
        r.latency?.slowest[i].client = next()
        r.latency?.slowest[i].timestamp = next()
    }
    r.quality.verdict = next()
    for i in r.quality.events.indices {
        r.quality.events[i].kind = next()
        r.quality.events[i].client = next()
        r.quality.events[i].server = next()
        r.quality.events[i].timestamp = next()
        r.quality.events[i].detail = next()
    }
    r.quality.limitsHit = [AnalysisReport.LimitHit(limit: next(), value: 1, scope: next(), count: 1, effect: next())]
    r.quality.packetsSkipped = rekeyed(["skipped": 1])
    r.quality.parseErrorsByCode = rekeyed(r.quality.parseErrorsByCode)
    r.quality.truncated = true
    r.quality.truncationMessage = next()
    return r
}

/// The crafted report over one harmless name: its sections, tables and charts are what a crafted report must keep.
let craftedStructure = MarkdownStructure(
    MarkdownReportRenderer.render(replacingStrings(of: baseline, with: ["x"]), title: "fuzz"))

/// Traps unless `markdown` is free of structure problems and its headings are the renderer's: `title` first, then
/// only headings from `allowed`, each once. Returns the structure.
@discardableResult
func check(_ markdown: String, _ what: String, headings allowed: Set<String>, title: String) -> MarkdownStructure {
    let structure = MarkdownStructure(markdown)
    if let problem = structure.problems.first { fatalError("\(what): \(problem)") }
    for (i, heading) in structure.headings.enumerated()
    where i == 0 ? !heading.hasPrefix(title) : !allowed.contains(heading) {
        fatalError("\(what): a heading the renderer did not write: \(heading.debugDescription)")
    }
    if structure.headings.count != Set(structure.headings).count { fatalError("\(what): a heading twice") }
    return structure
}

func checkCharts(_ report: AnalysisReport) {
    for chart in ReportChart.all(for: report) {
        let svg = SVGChartRenderer.render(chart)
        if svg.unicodeScalars.contains(where: { $0 != "\n" && VisibleText.acts($0) }) {
            fatalError("SVG \(chart.name): a control character")
        }
    }
}

let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
    let input = fuzzBytes(data, size)
    let names = input.split(separator: 0, maxSplits: 6, omittingEmptySubsequences: false).map { Array($0) }

    // 1. From the wire.
    if let report = analyze(capture(names)) {
        check(MarkdownReportRenderer.render(report, title: "fuzz"), "report from the wire", headings: reportHeadings,
              title: "# respcap report — fuzz")
        checkCharts(report)
        guard let json = try? JSONReportRenderer.render(report),
              let decoded = try? JSONDecoder().decode(AnalysisReport.self, from: Data(json.utf8)) else {
            fatalError("the JSON report does not decode")
        }
        if decoded.commands.map(\.name) != report.commands.map(\.name)
            || decoded.errorsByPrefix != report.errorsByPrefix {
            fatalError("the JSON report changed a name")
        }
    }

    // 2. From a report file.
    let texts = names.map { String(decoding: $0, as: UTF8.self) }
    let crafted = replacingStrings(of: baseline, with: texts)
    let structure = check(MarkdownReportRenderer.render(crafted, title: "fuzz"), "crafted report", headings: reportHeadings,
                          title: "# respcap report — fuzz")
    if structure.headings != craftedStructure.headings || structure.tables != craftedStructure.tables
        || structure.fencedBlocks != craftedStructure.fencedBlocks {
        fatalError("crafted report: its sections, tables or charts differ from those over a harmless name")
    }
    checkCharts(crafted)
    let label = texts.count > 6 ? texts[6] : "after"
    if let before = baselineDocument, let after = try? ReportDocument(report: crafted, label: label) {
        check(MarkdownDiffRenderer.render(ReportDiff(before: before, after: after)), "diff", headings: diffHeadings,
              title: "# respcap diff — before → ")
    }
    return 0
}

@_cdecl("fuzz_markdown_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atexit { unlink(tempPath) }
    // The baseline must itself pass the checks it holds the others to.
    check(baselineMarkdown, "baseline report", headings: reportHeadings, title: "# respcap report — fuzz")
    return runFuzzer(argc: argc, argv: argv, testOneInput)
}

/// libFuzzer's runtime references this symbol even when the driver is started through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(data, size)
}
