import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live` parses what anyone on the network may send, so it does so without privilege: a child process, forked
/// once the interface and outputs are open, runs as `nobody` (started as root) or keeps its user (started with file
/// capabilities), with no capability in any set and no_new_privs; the parent keeps its privileges to put the outputs
/// in place and parses nothing. Each test reads the child's /proc status while it captures and checks the report
/// against the server's own counts. Part of the serialized live suite.
extension LiveCaptureTests {
    static let isRoot = geteuid() == 0
    static let privilegeToolsMissing: String? = ["setcap", "setpriv"].first { tool in
        (try? Shell.run("/bin/sh", ["-c", "command -v \(tool)"])) == nil
    }.map { "\($0) is not installed (apt-get install libcap2-bin util-linux)" }

    @Test(.enabled(if: unavailable == nil && isRoot, Comment(rawValue: "needs root and live capture: \(unavailable ?? "not root")")),
          .timeLimit(.minutes(2)))
    func startedAsRootTheCaptureRunsAsNobodyWithoutCapabilities() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = try OutputSafetyTests.directory("privilege")
        defer { OutputSafetyTests.remove(directory) }
        // Another user's report in a directory only root may write: putting it in place takes the parent's privilege.
        #expect(chmod(directory, 0o755) == 0)
        let reportPath = directory + "/live.json"
        let eventsPath = directory + "/events.ndjson"
        try "old".write(toFile: reportPath, atomically: false, encoding: .utf8)
        #expect(chown(reportPath, 4321, 4321) == 0 && chmod(reportPath, 0o640) == 0)
        let replacedInode = try #require(OutputSafetyTests.mode(reportPath)).st_ino

        let before = try server.commandstats()
        // Charts too: the capture process cannot create files in this directory, so they are opened ahead.
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--format", "json", "-o", reportPath,
                                          "--events", eventsPath, "--svg", directory + "/charts"])
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }
        let child = try #require(Self.child(of: live.pid), "no capture process under \(live.pid)")
        try Self.expectUnprivileged(child, uid: 65534, gid: 65534)
        let parent = try Self.processStatus(live.pid)
        #expect(parent["Uid"] == "0\t0\t0\t0")
        #expect(parent["Threads"] == "1", "the parent only waits")

        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "4000", "-c", "20", "-q", "-t", "set,get,incr,lpush"])
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "8000", "-c", "10", "-P", "16", "-q", "-t", "set,get"])
        let after = try server.commandstats()
        // The threads started after the drop (capture, analysis, signals) inherited it.
        for task in Self.tasks(of: child) { try Self.expectUnprivileged(task, uid: 65534, gid: 65534, path: "\(child)/task/\(task)") }
        usleep(200_000)
        // SIGTERM to the parent alone: it passes the stop on.
        kill(live.pid, SIGTERM)
        let result = try live.wait(seconds: 60)
        stopped = true
        #expect(result.status == 0, "\(result.stderr)")

        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        try Self.expectCompleteReport(report, before: before, after: after, atLeast: 12_000)
        let st = try #require(OutputSafetyTests.mode(reportPath))
        #expect(st.st_uid == 4321 && st.st_gid == 4321 && st.st_mode & 0o7777 == 0o640, "the replaced report's owner and mode")
        #expect(st.st_ino != replacedInode, "the report was renamed into place, not rewritten")
        let events = try #require(OutputSafetyTests.mode(eventsPath))
        #expect(events.st_mode & 0o7777 == 0o600 && events.st_uid == 0)
        #expect(OutputSafetyTests.entries(directory) == ["charts", "events.ndjson", "live.json"], "a temporary was left")
        let charts = OutputSafetyTests.entries(directory + "/charts")
        #expect(charts.contains("command-mix.svg") && charts.allSatisfy { $0.hasSuffix(".svg") && !$0.hasPrefix(".") }, "\(charts)")
        #expect(!charts.contains("blocking-pop-keys.svg"), "a chart opened ahead but not drawn is not put in place")
    }

    @Test(.enabled(if: unavailable == nil && isRoot && privilegeToolsMissing == nil,
                   Comment(rawValue: "needs root, live capture, setcap and setpriv: \(unavailable ?? privilegeToolsMissing ?? "not root")")),
          .timeLimit(.minutes(2)))
    func withFileCapabilitiesTheCaptureKeepsItsUserAndDropsThem() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = try OutputSafetyTests.directory("file-capabilities")
        defer { OutputSafetyTests.remove(directory) }
        #expect(chmod(directory, 0o755) == 0)
        let binary = directory + "/respcap"
        try FileManager.default.copyItem(atPath: EndToEndTests.binary.path, toPath: binary)
        #expect(chmod(binary, 0o755) == 0)
        try Shell.run("setcap", ["cap_net_raw,cap_net_admin+eip", binary])
        let output = directory + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        #expect(chown(output, 65534, 65534) == 0)
        let setpriv = try Shell.run("/bin/sh", ["-c", "command -v setpriv"]).trimmingCharacters(in: .whitespacesAndNewlines)

        let before = try server.commandstats()
        let live = try LiveProcess.start(["--reuid=65534", "--regid=65534", "--clear-groups", binary, "live", "-i", "lo",
                                          "--port", "\(server.port)", "--format", "json", "-o", output + "/report.json"],
                                         executable: URL(fileURLWithPath: setpriv))
        var stopped = false
        defer { if !stopped { _ = try? live.stop() } }
        let child = try #require(Self.child(of: live.pid), "no capture process under \(live.pid)")
        try Self.expectUnprivileged(child, uid: 65534, gid: 65534)
        let parent = try Self.processStatus(live.pid)
        // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), from the file, stay with the parent only.
        #expect(parent["Uid"] == "65534\t65534\t65534\t65534" && parent["CapEff"] == "0000000000003000", "\(parent)")

        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "3000", "-c", "10", "-q", "-t", "set,get"])
        let after = try server.commandstats()
        usleep(200_000)
        let result = try live.stop()
        stopped = true
        #expect(result.status == 0, "\(result.stderr)")
        let reportPath = output + "/report.json"
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        try Self.expectCompleteReport(report, before: before, after: after, atLeast: 6_000)
        #expect(OutputSafetyTests.mode(reportPath)?.st_uid == 65534)
        #expect(OutputSafetyTests.entries(output) == ["report.json"])
    }

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(1)))
    func aCaptureProcessThatDiesLeavesEveryOutputAsItWas() throws {
        let directory = try OutputSafetyTests.directory("child-killed")
        defer { OutputSafetyTests.remove(directory) }
        let reportPath = directory + "/report.md"
        try "old".write(toFile: reportPath, atomically: false, encoding: .utf8)
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(try LiveEnvironment.freePort())", "-o", reportPath,
                                          "--events", directory + "/events.ndjson", "--write", directory + "/saved.pcap"])
        let child = try #require(Self.child(of: live.pid), "no capture process under \(live.pid)")
        kill(child, SIGKILL)
        let result = try live.wait(seconds: 20)
        #expect(result.status == 128 + SIGKILL, "\(result.stderr)")
        #expect(result.stderr.contains("capture process ended on signal 9"), "\(result.stderr)")
        #expect(OutputSafetyTests.entries(directory) == ["report.md"])
        #expect(try String(contentsOfFile: reportPath, encoding: .utf8) == "old")
    }

    @Test func anUnknownUserIsAUsageErrorBeforeCapturing() throws {
        let r = try E2E.run(["live", "-i", "lo", "--user", "respcap-no-such-user", "--duration", "1"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--user respcap-no-such-user: no such user"), "\(r.stderr)")
        #expect(!r.stderr.contains("capturing on"))
    }

    // MARK: Helpers

    /// The process `pid` forked (it has one child: the capture process), waiting a little for it to appear.
    static func child(of pid: pid_t) -> pid_t? {
        for _ in 0..<100 {
            for task in tasks(of: pid) {
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                if let first = text.split(separator: " ").first, let child = pid_t(first) { return child }
            }
            usleep(20_000)
        }
        return nil
    }

    static func tasks(of pid: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).compactMap { pid_t($0) }
    }

    /// /proc/`path`/status as field → value (tabs kept between the values of one field).
    static func processStatus(_ pid: pid_t) throws -> [String: String] { try processStatus(path: "\(pid)") }

    static func processStatus(path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: "/proc/\(path)/status", encoding: .utf8)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    static func expectUnprivileged(_ pid: pid_t, uid: uid_t, gid: gid_t, path: String? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        let status = try processStatus(path: path ?? "\(pid)")
        #expect(status["Uid"] == "\(uid)\t\(uid)\t\(uid)\t\(uid)", "\(status)", sourceLocation: sourceLocation)
        #expect(status["Gid"] == "\(gid)\t\(gid)\t\(gid)\t\(gid)", "\(status)", sourceLocation: sourceLocation)
        #expect(status["Groups"] == "\(gid)" || status["Groups"] == "", "\(status)", sourceLocation: sourceLocation)
        for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            #expect(status[set] == "0000000000000000", "\(set): \(status[set] ?? "missing")", sourceLocation: sourceLocation)
        }
        #expect(status["NoNewPrivs"] == "1", sourceLocation: sourceLocation)
    }

    /// No drops or gaps, and the report's command counts equal the server's INFO commandstats delta.
    static func expectCompleteReport(_ report: [String: Any], before: [String: Int], after: [String: Int], atLeast: Int,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let quality = try #require(report["quality"] as? [String: Any], sourceLocation: sourceLocation)
        for counter in ["captureDropsKernel", "captureDropsInterface", "packetsNotAnalysed", "gaps"] {
            #expect(quality[counter] as? Int == 0, "\(counter)", sourceLocation: sourceLocation)
        }
        var expected: [String: Int] = [:]
        for (name, calls) in after where calls != (before[name] ?? 0) { expected[name] = calls - (before[name] ?? 0) }
        #expect(calls(report) == expected, sourceLocation: sourceLocation)
        #expect(expected.values.reduce(0, +) >= atLeast, "the workload ran: \(expected)", sourceLocation: sourceLocation)
    }
}
