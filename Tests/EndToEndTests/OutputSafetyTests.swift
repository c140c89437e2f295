import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every path respcap writes goes through one output layer: these run the built binary against devices, FIFOs,
/// links, other users' files, planted temporaries and outputs that are inputs, and check that nothing is harmed.
@Suite struct OutputSafetyTests {
    typealias E2E = EndToEndTests
    static let fixture = E2E.root.appendingPathComponent("fixtures/unpipelined.pcap").path
    static let isRoot = geteuid() == 0

    /// A fresh private directory, removed by the caller.
    static func directory(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-out-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func mode(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    /// Names in `directory` (to check that no temporary is left behind).
    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static let expectedReport: String = {
        (try? E2E.run(["analyze", fixture]).stdout) ?? ""
    }()

    // MARK: Devices, links, FIFOs, descriptors

    @Test(.enabled(if: isRoot, "mknod needs root"))
    func characterDeviceIsWrittenThroughNotReplaced() throws {
        let dir = try Self.directory("device")
        defer { Self.remove(dir) }
        let device = dir + "/null"
        // makedev(1, 3): the null device, as /dev/null.
        #expect(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
        for format in ["markdown", "json", "ndjson"] {
            let r = try E2E.run(["analyze", "--format", format, "-o", device, Self.fixture])
            #expect(r.status == 0, "\(r.stderr)")
            let st = try #require(Self.mode(device))
            #expect(st.st_mode & S_IFMT == S_IFCHR, "\(format): the device was replaced")
        }
        let r = try E2E.run(["analyze", "-o", device, "--events", device, "--svg", dir + "/charts", Self.fixture])
        #expect(r.status == 0, "outputs may share a character device: \(r.stderr)")
        #expect(Self.mode(device).map { $0.st_mode & S_IFMT == S_IFCHR } == true)
        #expect(Self.entries(dir) == ["charts", "null"])
    }

    @Test func standardOutputByNameStaysADescriptor() throws {
        let dir = try Self.directory("stdout")
        defer { Self.remove(dir) }
        let link = dir + "/out"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/stdout")
        for path in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", link] {
            let r = try E2E.run(["analyze", "-o", path, Self.fixture])
            #expect(r.status == 0, "\(path): \(r.stderr)")
            #expect(r.stdout == Self.expectedReport, "\(path)")
        }
        #expect(Self.mode("/dev/stdout").map { $0.st_mode & S_IFMT == S_IFLNK } == true)
        #expect(Self.mode(link).map { $0.st_mode & S_IFMT == S_IFLNK } == true)
        #expect(Self.entries(dir) == ["out"])
    }

    @Test func symbolicLinkIsFollowedAndKept() throws {
        let dir = try Self.directory("link")
        defer { Self.remove(dir) }
        try "old".write(toFile: dir + "/target.md", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.md", withDestinationPath: "target.md")
        // A dangling link: its target is created.
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling.md", withDestinationPath: dir + "/new.md")
        for link in ["link.md", "dangling.md"] {
            let r = try E2E.run(["analyze", "-o", dir + "/" + link, Self.fixture])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.mode(dir + "/" + link).map { $0.st_mode & S_IFMT == S_IFLNK } == true, "\(link) was replaced")
        }
        #expect(try String(contentsOfFile: dir + "/target.md", encoding: .utf8) == Self.expectedReport)
        #expect(try String(contentsOfFile: dir + "/new.md", encoding: .utf8) == Self.expectedReport)
        #expect(Self.entries(dir) == ["dangling.md", "link.md", "new.md", "target.md"])
    }

    @Test func fifoWithAReaderReceivesTheReport() throws {
        let dir = try Self.directory("fifo")
        defer { Self.remove(dir) }
        let fifo = dir + "/report.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = Received()
        let reader = Thread {
            received.set(FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data())
        }
        reader.start()
        let r = try E2E.run(["analyze", "-o", fifo, Self.fixture])
        #expect(r.status == 0, "\(r.stderr)")
        for _ in 0..<200 where received.data == nil { usleep(10_000) }
        #expect(received.data.map { String(decoding: $0, as: UTF8.self) } == Self.expectedReport)
        #expect(Self.mode(fifo).map { $0.st_mode & S_IFMT == S_IFIFO } == true)
        #expect(Self.entries(dir) == ["report.fifo"])
    }

    // MARK: Regular files

    @Test(.enabled(if: isRoot, "chown to another user needs root"))
    func replacedFileKeepsItsModeAndOwner() throws {
        let dir = try Self.directory("owner")
        defer { Self.remove(dir) }
        let path = dir + "/report.md"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chown(path, 65534, 65534) == 0)
        #expect(chmod(path, 0o600) == 0)
        let r = try E2E.run(["analyze", "-o", path, Self.fixture])
        #expect(r.status == 0, "\(r.stderr)")
        let st = try #require(Self.mode(path))
        #expect(st.st_mode & 0o7777 == 0o600)
        #expect(st.st_uid == 65534 && st.st_gid == 65534)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.expectedReport)
        #expect(Self.entries(dir) == ["report.md"])
    }

    @Test func hardLinkedFileKeepsItsLinks() throws {
        let dir = try Self.directory("hardlink")
        defer { Self.remove(dir) }
        try "old".write(toFile: dir + "/a.md", atomically: false, encoding: .utf8)
        #expect(link(dir + "/a.md", dir + "/b.md") == 0)
        let r = try E2E.run(["analyze", "-o", dir + "/a.md", Self.fixture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.mode(dir + "/a.md")?.st_nlink == 2)
        #expect(try String(contentsOfFile: dir + "/b.md", encoding: .utf8) == Self.expectedReport)
        #expect(Self.entries(dir) == ["a.md", "b.md"])
    }

    @Test func newFileFollowsTheUmask() throws {
        let dir = try Self.directory("umask")
        defer { Self.remove(dir) }
        let r = try E2E.run(["analyze", "-o", dir + "/r.md", "--events", dir + "/e.ndjson", Self.fixture])
        #expect(r.status == 0, "\(r.stderr)")
        let mask = umask(0)
        umask(mask)
        #expect(Self.mode(dir + "/r.md").map { $0.st_mode & 0o777 } == 0o666 & ~mask)
        #expect(Self.entries(dir) == ["e.ndjson", "r.md"])
    }

    /// A symlink planted where the temporary goes (the pid is known: the shell execs respcap) is never followed.
    @Test func plantedTemporaryLinksAreNeverFollowed() throws {
        let dir = try Self.directory("planted")
        defer { Self.remove(dir) }
        let victim = dir + "/victim"
        try "precious".write(toFile: victim, atomically: false, encoding: .utf8)
        let script = "for n in 0 1 2; do ln -s \(victim) \(dir)/.r.md.respcap-$$-$n.tmp; done; exec \"$0\" \"$@\""
        let r = try E2E.run(["-c", script, E2E.binary.path, "analyze", "-o", dir + "/r.md", Self.fixture],
                            executable: URL(fileURLWithPath: "/bin/sh"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: dir + "/r.md", encoding: .utf8) == Self.expectedReport)
        #expect(Self.entries(dir).filter { !$0.hasPrefix(".r.md.respcap-") } == ["r.md", "victim"])
        #expect(Self.entries(dir).filter { $0.hasPrefix(".r.md.respcap-") }.count == 3, "only the planted links")
    }

    // MARK: Outputs that are inputs, or each other

    @Test func anOutputThatIsAnInputIsRefusedAndTheInputKept() throws {
        let dir = try Self.directory("input")
        defer { Self.remove(dir) }
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        let capture = dir + "/b.pcap"
        try original.write(to: URL(fileURLWithPath: capture))
        try FileManager.default.createSymbolicLink(atPath: dir + "/alias.md", withDestinationPath: capture)
        let cases: [[String]] = [
            ["analyze", "--events", capture, capture],
            ["analyze", "-o", capture, capture],
            ["analyze", "--format", "ndjson", "-o", capture, capture],
            ["analyze", "-o", dir + "/alias.md", capture],
            ["diff", "-o", capture, capture, capture],
            ["merge", "-o", capture, capture],
        ]
        for arguments in cases {
            let r = try E2E.run(arguments)
            #expect(r.status == 64, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("is the input"), "\(arguments): \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: capture)) == original, "\(arguments) changed the input")
        }
        // Standard input that is the output file.
        let viaStdin = try E2E.run(["analyze", "-o", capture, "-"], stdinFile: capture)
        #expect(viaStdin.status == 64, "\(viaStdin.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: capture)) == original)
        #expect(Self.entries(dir) == ["alias.md", "b.pcap"])
    }

    @Test func twoOutputsOnOnePathAreRefused() throws {
        let dir = try Self.directory("shared")
        defer { Self.remove(dir) }
        let x = dir + "/x"
        let cases: [[String]] = [
            ["analyze", "--events", x, "-o", x, Self.fixture],
            ["analyze", "--events", x, "-o", dir + "/./x", Self.fixture],
            ["analyze", "--format", "json", "--events", "-", Self.fixture],
            ["analyze", "--events", "/dev/stdout", Self.fixture],
            ["live", "-i", "lo", "--duration", "1", "--write", x, "--events", x],
            ["live", "-i", "lo", "--duration", "1", "--write", x, "-o", x],
        ]
        for arguments in cases {
            let started = Date()
            let r = try E2E.run(arguments)
            #expect(r.status == 64, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("would both be written") || r.stderr.contains("same file"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(Date().timeIntervalSince(started) < 5, "refused before capturing")
        }
        #expect(Self.entries(dir).isEmpty)
    }

    // MARK: Failed runs

    @Test func aFailedRunLeavesExistingOutputsAsTheyWere() throws {
        let dir = try Self.directory("failed")
        defer { Self.remove(dir) }
        for name in ["events.ndjson", "report.md"] { try "keep".write(toFile: dir + "/" + name, atomically: false, encoding: .utf8) }
        let cases: [([String], Int32)] = [
            (["analyze", "--events", dir + "/events.ndjson", "-o", dir + "/report.md", "/nonexistent.pcap"], 2),
            (["analyze", "--events", dir + "/events.ndjson", "-o", dir + "/report.md", "--filter", "tcp port", Self.fixture], 2),
            (["analyze", "--format", "ndjson", "-o", dir + "/events.ndjson", "/nonexistent.pcap"], 2),
            (["analyze", "-o", dir + "/report.md", "--svg", dir + "/report.md", Self.fixture], 4),
        ]
        for (arguments, status) in cases {
            let r = try E2E.run(arguments)
            #expect(r.status == status, "\(arguments): \(r.stderr)")
            for name in ["events.ndjson", "report.md"] {
                #expect(try String(contentsOfFile: dir + "/" + name, encoding: .utf8) == "keep", "\(arguments) touched \(name)")
            }
            #expect(Self.entries(dir) == ["events.ndjson", "report.md"], "\(arguments) left a temporary")
        }
    }

    @Test func liveChecksItsOutputsBeforeCapturing() throws {
        let dir = try Self.directory("live")
        defer { Self.remove(dir) }
        try "file".write(toFile: dir + "/plain", atomically: false, encoding: .utf8)
        let cases: [[String]] = [
            ["-o", "/nonexistent/dir/report.md"],
            ["--events", "/nonexistent/dir/events.ndjson"],
            ["--write", "/nonexistent/dir/packets.pcap"],
            ["--svg", dir + "/plain"],
        ]
        for extra in cases {
            let started = Date()
            let r = try E2E.run(["live", "-i", "lo", "--duration", "30", "-q"] + extra)
            #expect(r.status == 4, "\(extra): \(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "\(extra): it captured first")
            #expect(r.stderr.contains("cannot"), "\(r.stderr)")
        }
        #expect(Self.entries(dir) == ["plain"])
    }

    // MARK: Signals

    /// `tcpdump -w - | respcap analyze -o r.md -` and ^C: the report of what was read is written. Here the writer keeps
    /// the pipe open, as a writer that did not get the signal would; respcap stops waiting for it.
    @Test func interruptedStandardInputStillGivesTheReport() throws {
        let dir = try Self.directory("sigint")
        defer { Self.remove(dir) }
        let process = Process()
        process.executableURL = E2E.binary
        process.arguments = ["analyze", "--format", "json", "-o", dir + "/r.json", "-"]
        let input = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardError = err
        try process.run()
        input.fileHandleForWriting.write(try Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        usleep(500_000)
        let interrupted = Date()
        process.interrupt()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        #expect(!process.isRunning, "still reading after the signal")
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try input.fileHandleForWriting.close()
        #expect(Date().timeIntervalSince(interrupted) < 3)
        #expect(process.terminationStatus == 0)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("interrupted while reading standard input"), "\(stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json")))
                                  as? [String: Any])
        let quality = try #require(report["quality"] as? [String: Any])
        #expect(quality["interrupted"] as? Bool == true)
        #expect((quality["verdict"] as? String)?.contains("reading interrupted") == true)
        let whole = try E2E.run(["analyze", "--format", "json", Self.fixture])
        let wholeReport = try #require(try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any])
        #expect(try LiveCaptureTests.canonical(report["commands"]) == LiveCaptureTests.canonical(wholeReport["commands"]),
                "every packet written before the signal is in the report")
        #expect(Self.entries(dir) == ["r.json"])
    }
}

extension OutputSafetyTests {
    /// `diff` and `merge` have no report of a partial run: ^C exits 130 and leaves the output as it was, with no
    /// temporary beside it. Here they wait on a standard input that never sends anything.
    @Test(arguments: [["merge", "-o", "OUT", "-"], ["diff", "-o", "OUT", "-", "fixtures/unpipelined.pcap"]])
    func interruptedDiffOrMergeLeavesTheOutputAlone(arguments: [String]) throws {
        let dir = try Self.directory("interrupt-doc")
        defer { Self.remove(dir) }
        try "keep".write(toFile: dir + "/out.md", atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = E2E.binary
        process.currentDirectoryURL = E2E.root
        process.arguments = arguments.map { $0 == "OUT" ? dir + "/out.md" : $0 }
        let input = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardError = err
        try process.run()
        // Wait (on a loaded machine, a while) until it holds its temporary and waits on its input.
        for _ in 0..<500 where Self.entries(dir).count < 2 { usleep(10_000) }
        #expect(Self.entries(dir).count == 2, "the temporary exists while it runs: \(Self.entries(dir))")
        process.interrupt()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        let stopped = !process.isRunning
        if !stopped { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try input.fileHandleForWriting.close()
        #expect(stopped, "still running 10 s after the signal")
        #expect(process.terminationStatus == 130)
        #expect(try String(contentsOfFile: dir + "/out.md", encoding: .utf8) == "keep")
        #expect(Self.entries(dir) == ["out.md"])
    }
}

private final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    func set(_ data: Data) { lock.withLock { stored = data } }
    var data: Data? { lock.withLock { stored } }
}
