import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// Client libraries (CLIENT SETINFO LIB-NAME/LIB-VER) and client names (CLIENT SETNAME, HELLO SETNAME) as the
/// connections declared them, however they were sent: alone, pipelined, inside MULTI, refused by the server.
@Suite struct ClientLibraryTests {
    static func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    static let unknownSubcommand = "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"

    static func analyze(_ capture: SyntheticCapture) throws -> AnalysisReport {
        let path = capture.write(name: "client-libraries")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
    }

    static func libraries(_ report: AnalysisReport) -> [String] {
        (report.clientLibraries ?? []).map { "\($0.name) \($0.version ?? "-") \($0.connections)/\($0.commands)" }
    }

    static func names(_ report: AnalysisReport) -> [String] {
        (report.clientNames ?? []).map { "\($0.name) \($0.connections)/\($0.commands)" }
    }

    static var mixedClients: SyntheticCapture {
        var capture = SyntheticCapture()
        var port: UInt16 = 40_000
        func connection(_ exchanges: [(String, String)]) {
            var c = SyntheticCapture.Connection(clientPort: port, serverPort: 6379)
            port += 1
            capture.handshake(&c)
            for (request, reply) in exchanges { capture.exchange(&c, request, reply) }
            capture.close(&c)
        }
        let get = (command("GET", "k"), "$1\r\nv\r\n")
        // redis-py 5 on Redis 7.0: both probes pipelined with the first command, both refused.
        for _ in 0..<2 {
            connection([(command("CLIENT", "SETINFO", "LIB-NAME", "redis-py") + command("CLIENT", "SETINFO", "LIB-VER", "5.3.1"),
                         unknownSubcommand + unknownSubcommand), get, get])
        }
        // A client that sets itself up in a transaction, on a server that knows SETINFO, named by HELLO.
        connection([(command("HELLO", "3", "SETNAME", "billing-api"), "%1\r\n+server\r\n+redis\r\n"),
                    (command("MULTI"), "+OK\r\n"),
                    (command("CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.22.1)"), "+QUEUED\r\n"),
                    (command("CLIENT", "SETINFO", "LIB-VER", "9.5.1"), "+QUEUED\r\n"),
                    (command("EXEC"), "*2\r\n+OK\r\n+OK\r\n"), get])
        // HELLO with AUTH and SETNAME; CLIENT SETNAME; and a client that says nothing.
        connection([(command("HELLO", "3", "AUTH", "app", "secret", "SETNAME", "worker-1"), "%1\r\n+server\r\n+redis\r\n"), get])
        connection([(command("CLIENT", "SETNAME", "worker-1"), "+OK\r\n"), get, get])
        connection([(command("CLIENT", "SETNAME", "bad name"), "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"), get])
        connection([get])
        return capture
    }

    @Test func librariesAndNamesAsDeclared() throws {
        let report = try Self.analyze(Self.mixedClients)
        #expect(Self.libraries(report) == ["redis-py 5.3.1 2/8", "go-redis(,go1.22.1) 9.5.1 1/6"])
        #expect(report.connectionsWithoutClientLibrary == 4)
        #expect(Self.names(report) == ["worker-1 2/5", "billing-api 1/6"])
        #expect(report.connectionsWithNamesNotListed == nil)
    }

    @Test func nothingDeclaredNothingListed() throws {
        var capture = SyntheticCapture()
        var c = SyntheticCapture.Connection(clientPort: 40_001, serverPort: 6379)
        capture.handshake(&c)
        capture.exchange(&c, Self.command("GET", "k"), "$-1\r\n")
        let report = try Self.analyze(capture)
        #expect(report.clientLibraries == nil)
        #expect(report.clientNames == nil)
        #expect(!MarkdownReportRenderer.render(report).contains("## Clients"))
    }

    @Test func reportsShowMergeAndDiffClients() throws {
        let report = try Self.analyze(Self.mixedClients)
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.contains("## Clients"))
        #expect(markdown.contains("| `go-redis(,go1.22.1)` | `9.5.1` |"))
        #expect(markdown.contains("4 connections declared no library: their client is not known from the wire."))
        #expect(markdown.contains("| `worker-1`    |           2 |        5 |"))
        let document = try ReportDocument(report: report)
        // The same traffic seen on a second host: another capture (merge counts one capture given twice once).
        var otherHost = report
        otherHost.capture.fingerprint = "another host"
        let merged = try ReportMerger().merge([document, try ReportDocument(report: otherHost)])
        #expect(Self.libraries(merged) == ["redis-py 5.3.1 4/16", "go-redis(,go1.22.1) 9.5.1 2/12"])
        #expect(merged.connectionsWithoutClientLibrary == 8)
        #expect(Self.names(merged) == ["worker-1 4/10", "billing-api 2/12"])
        let json = try JSONValue(encoding: merged)
        #expect(json["clientLibraries"]?.array?.count == 2)
        var fewer = report
        fewer.clientLibraries = fewer.clientLibraries.map { Array($0.prefix(1)) }
        let diff = ReportDiff(before: document, after: try ReportDocument(report: fewer))
        #expect(diff.clients.map(\.id) == ["clients.redis-py 5.3.1.connections", "clients.go-redis(,go1.22.1) 9.5.1.connections"])
        #expect(diff.clients.last?.after == 0)
        #expect(MarkdownDiffRenderer.render(diff).contains("## Clients"))
    }

    /// Every corpus capture made with redis-py lists it with its version, on every connection that sent commands
    /// (redis-py sends CLIENT SETINFO on each new connection); node-redis 4.5 and redis-rb 4 declare nothing.
    @Test(arguments: TestPaths.corpusNames())
    func corpusClientsAsTheWireShows(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        guard let version = truth.redisPyVersion else {
            #expect(report.clientLibraries == nil, "\(name)")
            return
        }
        let probes = try #require(truth.expected.commands["client|setinfo"], "\(name): redis-py sends CLIENT SETINFO")
        let libraries = try #require(report.clientLibraries, "\(name)")
        #expect(libraries.map(\.name) == ["redis-py"], "\(name)")
        #expect(libraries.map(\.version) == [version], "\(name)")
        #expect(libraries.first?.connections == probes / 2, "\(name): LIB-NAME and LIB-VER per connection")
        #expect(libraries.first?.commands == report.totals.commands, "\(name)")
        #expect(report.connectionsWithoutClientLibrary == 0, "\(name)")
        let named = (report.clientNames ?? []).reduce(0) { $0 + $1.connections }
        #expect(named == truth.expected.commands["client|setname", default: 0], "\(name): client names")
    }
}
