import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live` against a real redis-server on loopback, driven by redis-benchmark and a Python client; its
/// command counts must equal the server's own INFO commandstats delta exactly, with no drops.
///
/// Needs permission to capture (root or CAP_NET_RAW, as in CI), redis-server, redis-benchmark, redis-cli and a
/// python3 with the `redis` module. Where one is missing the tests that need it are reported as skipped, with why.
@Suite(.serialized) struct LiveCaptureTests {
    typealias E2E = EndToEndTests

    /// Why live tests cannot run here, or nil when they can.
    static let unavailable: String? = LiveEnvironment.probe()

    // MARK: Without capture permission

    @Test func listsInterfacesIncludingLoopback() throws {
        let r = try E2E.run(["live", "--list"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("lo ") || $0 == "lo" })
    }

    @Test func unknownInterfaceIsOneClearLine() throws {
        let r = try E2E.run(["live", "-i", "nosuch0", "--duration", "1"])
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("no interface named 'nosuch0'") || r.stderr.contains("not permitted"), "\(r.stderr)")
        #expect(r.stderr.contains("respcap live --list") || r.stderr.contains("setcap"))
    }

    @Test func interfaceIsRequired() throws {
        let r = try E2E.run(["live"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("-i"))
    }

    // MARK: With capture permission

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")),
          .timeLimit(.minutes(2)))
    func countsEqualCommandstatsDeltaWithZeroDrops() throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-live-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let reportPath = directory.appendingPathComponent("live.json").path
        let pcapPath = directory.appendingPathComponent("live.pcap").path

        let before = try server.commandstats()
        let live = try LiveProcess.start(["live", "-i", "lo", "--port", "\(server.port)", "--format", "json",
                                          "-o", reportPath, "--write", pcapPath])
        // Not pipelined (one request per round trip, 50 connections), then pipelined 16 deep.
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "4000", "-c", "50", "-q", "-t", "set,get,incr,lpush,lpop"])
        try Shell.run("redis-benchmark", ["-p", "\(server.port)", "-n", "10000", "-c", "20", "-P", "16", "-q", "-t", "set,get,hset"])
        try Shell.run(LiveEnvironment.python ?? "python3", ["-c", LiveEnvironment.pythonWorkload, "\(server.port)"])
        let after = try server.commandstats()
        usleep(200_000)
        let result = try live.stop()
        #expect(result.status == 0, "\(result.stderr)")

        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        let quality = try #require(report["quality"] as? [String: Any])
        #expect(quality["captureDropsKernel"] as? Int == 0)
        #expect(quality["captureDropsInterface"] as? Int == 0)
        #expect(quality["packetsNotAnalysed"] as? Int == 0)
        #expect(quality["gaps"] as? Int == 0)

        var expected: [String: Int] = [:]
        for (name, calls) in after {
            let delta = calls - (before[name] ?? 0)
            if delta != 0 { expected[name] = delta }
        }
        let counted = Self.calls(report)
        // redis-py 5 and later open each connection with CLIENT SETINFO, which a 7.0 server rejects ("unknown
        // subcommand") and counts only in errorstats: on the wire, every such call is answered with an error.
        let rejected = Self.commandsAnsweredOnlyWithErrors(report).filter { expected[$0.key] == nil }
        #expect(rejected.keys.allSatisfy { $0.hasPrefix("client|") }, "\(rejected)")
        #expect(counted.filter { rejected[$0.key] == nil } == expected)
        #expect(expected.values.reduce(0, +) > 40_000, "the workload ran: \(expected)")
        #expect((expected["exec"] ?? 0) > 0 && (expected["hgetall"] ?? 0) > 0, "the Python client ran: \(expected)")

        // The saved packets give the same numbers offline.
        let offline = try E2E.run(["analyze", "--port", "\(server.port)", "--format", "json", pcapPath])
        #expect(offline.status == 0, "\(offline.stderr)")
        let offlineReport = try #require(try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any])
        #expect(Self.calls(offlineReport) == counted)
        for section in ["commands", "totals", "connections", "latency"] {
            #expect(try Self.canonical(offlineReport[section]) == Self.canonical(report[section]), "\(section) differs offline")
        }
    }

    @Test(.enabled(if: unavailable == nil, Comment(rawValue: "live capture test skipped: \(unavailable ?? "")")))
    func stopsAfterDurationWithAnEmptyReport() throws {
        let started = Date()
        let r = try E2E.run(["live", "-i", "lo", "--port", "\(try LiveEnvironment.freePort())", "--duration", "1", "--format", "json", "-q"])
        // Nothing was captured: the report is written, and it and the exit code say the capture is unusable.
        #expect(r.status == 6, "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["commands"] as? Int == 0)
        let capture = try #require(report["capture"] as? [String: Any])
        #expect(capture["files"] as? [String] == ["live:lo"])
        let quality = try #require(report["quality"] as? [String: Any])
        #expect((quality["verdict"] as? String)?.hasPrefix("unusable: the capture holds no packets") == true, "\(quality)")
    }

    // MARK: Helpers

    static func calls(_ report: [String: Any]) -> [String: Int] {
        var result: [String: Int] = [:]
        for command in report["commands"] as? [[String: Any]] ?? [] {
            if let name = command["name"] as? String, let calls = command["calls"] as? Int { result[name] = calls }
        }
        return result
    }

    /// Commands every call of which was answered with an error, with their calls.
    static func commandsAnsweredOnlyWithErrors(_ report: [String: Any]) -> [String: Int] {
        var result: [String: Int] = [:]
        for command in report["commands"] as? [[String: Any]] ?? [] {
            if let name = command["name"] as? String, let calls = command["calls"] as? Int,
               let errors = command["errors"] as? Int, calls > 0, errors == calls { result[name] = calls }
        }
        return result
    }

    static func canonical(_ value: Any?) throws -> String {
        guard let value else { return "null" }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the live tests need from the machine.
enum LiveEnvironment {
    /// A python3 that can `import redis` (Debian's python3-redis lives under /usr/bin/python3).
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3", "python3"].first { candidate in
        (try? Shell.run(candidate, ["-c", "import redis"])) != nil
    }

    static func probe() -> String? {
        for tool in ["redis-server", "redis-benchmark", "redis-cli"] where (try? Shell.run("/bin/sh", ["-c", "command -v \(tool)"])) == nil {
            return "\(tool) is not installed (apt-get install redis-server redis-tools)"
        }
        if python == nil { return "no python3 with the redis module (apt-get install python3-redis)" }
        // The honest test of permission: a one-second capture on lo.
        guard let r = try? EndToEndTests.run(["live", "-i", "lo", "--port", "1", "--duration", "0.2", "-q"]) else {
            return "cannot run the respcap binary"
        }
        // Nothing is sent to port 1: the report is written and says the capture is unusable (6).
        if r.status != 0 && r.status != 6 {
            return "capture on lo is not permitted here (run as root or with CAP_NET_RAW): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return nil
    }

    /// A TCP socket and 127.0.0.1:`port`, for tests that bind or connect on loopback; the caller closes the socket.
    static func loopbackSocket(port: Int) throws -> (fd: Int32, address: sockaddr_in) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ShellError(message: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return (fd, address)
    }

    static func freePort() throws -> Int {
        var (fd, address) = try loopbackSocket(port: 0)
        defer { close(fd) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw ShellError(message: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Plain calls, a non-transactional pipeline, MULTI/EXEC, multi-key commands and an error reply.
    static let pythonWorkload = """
        import sys, redis
        r = redis.Redis(port=int(sys.argv[1]))
        for i in range(1500):
            r.set(f"py:{i}", i)
        for i in range(1500):
            r.get(f"py:{i}")
        p = r.pipeline(transaction=False)
        for i in range(3000):
            p.incr("py:counter")
            p.hset("py:h", f"f{i % 100}", i)
        p.execute()
        p = r.pipeline(transaction=True)
        for i in range(100):
            p.lpush("py:q", i)
        p.execute()
        r.hgetall("py:h")
        r.lrange("py:q", 0, -1)
        r.mset({f"py:m{i}": i for i in range(50)})
        r.mget([f"py:m{i}" for i in range(50)])
        r.expire("py:h", 100)
        r.ttl("py:h")
        r.exists("py:h")
        try:
            r.lpush("py:h", 1)
        except redis.ResponseError:
            pass
        r.delete("py:q")
        """
}

struct ShellError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum Shell {
    /// Runs a program (looked up on PATH unless absolute) and returns its stdout; throws when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        if program.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ShellError(message: "\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
                             + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A throwaway redis-server on a free loopback port, without persistence.
final class RedisServer {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static func start() throws -> RedisServer {
        let port = try LiveEnvironment.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", FileManager.default.temporaryDirectory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = RedisServer(port: port, process: process)
        for _ in 0..<100 {
            if (try? Shell.run("redis-cli", ["-p", "\(port)", "ping"]))?.contains("PONG") == true { return server }
            usleep(50_000)
        }
        server.stop()
        throw ShellError(message: "redis-server did not start on port \(port)")
    }

    /// `INFO commandstats` as calls per command; rejected calls count too, since their requests are on the wire.
    func commandstats() throws -> [String: Int] { try Self.commandstats(port: port) }

    /// The same of the server listening on `port`.
    static func commandstats(port: Int) throws -> [String: Int] {
        let text = try Shell.run("redis-cli", ["-p", "\(port)", "info", "commandstats"])
        var result: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 8)..<colon])
            var total = 0
            for field in line[line.index(after: colon)...].split(separator: ",") {
                let pair = field.split(separator: "=")
                if pair.count == 2, pair[0] == "calls" || pair[0] == "rejected_calls" { total += Int(pair[1]) ?? 0 }
            }
            result[name] = total
        }
        return result
    }

    /// SHUTDOWN rather than SIGTERM: a child of the test runner may inherit a mask that blocks SIGTERM.
    func stop() { Self.stop(process, port: port) }

    static func stop(_ process: Process, port: Int) {
        guard process.isRunning else { return }
        _ = try? Shell.run("redis-cli", ["-p", "\(port)", "shutdown", "nosave"])
        for _ in 0..<100 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// `respcap live` running in the background; started once it says it is capturing.
final class LiveProcess {
    private let process: Process
    private let out = Pipe()
    private let err = Pipe()
    private var errText = ""

    private init(process: Process) { self.process = process }

    /// The process started: respcap's privileged parent (or a wrapper that execs it).
    var pid: pid_t { process.processIdentifier }

    /// Starts `executable` (default: the built respcap) with `arguments`.
    static func start(_ arguments: [String], executable: URL? = nil) throws -> LiveProcess {
        let process = Process()
        process.executableURL = executable ?? EndToEndTests.binary
        process.arguments = arguments
        let live = LiveProcess(process: process)
        process.standardOutput = live.out
        process.standardError = live.err
        try process.run()
        // Wait for "capturing on ..." so no traffic is sent before the capture is open.
        while !live.errText.contains("capturing on") {
            let chunk = live.err.fileHandleForReading.availableData
            if chunk.isEmpty { throw ShellError(message: "respcap live exited early: \(live.errText)") }
            live.errText += String(decoding: chunk, as: UTF8.self)
        }
        return live
    }

    /// Sends SIGINT (^C) without waiting.
    func interrupt() { process.interrupt() }

    /// Sends SIGINT (^C) and waits for the report.
    func stop() throws -> EndToEndTests.Result {
        process.interrupt()
        return try wait(seconds: 90)
    }

    func wait(seconds: Double) throws -> EndToEndTests.Result {
        let deadline = Date().addingTimeInterval(seconds)
        // Read both pipes off this thread so a large report cannot block the child.
        let group = DispatchGroup()
        let stdout = Collected(), stderr = Collected()
        for (pipe, sink) in [(out, stdout), (err, stderr)] {
            let handle = pipe.fileHandleForReading
            group.enter()
            DispatchQueue.global().async {
                sink.set(handle.readDataToEndOfFile())
                group.leave()
            }
        }
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ShellError(message: "respcap live did not stop within \(seconds) s")
        }
        group.wait()
        return EndToEndTests.Result(status: process.terminationStatus, stdout: String(decoding: stdout.data, as: UTF8.self),
                                    stderr: errText + String(decoding: stderr.data, as: UTF8.self))
    }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    func set(_ data: Data) { lock.withLock { stored = data } }
    var data: Data { lock.withLock { stored } }
}
