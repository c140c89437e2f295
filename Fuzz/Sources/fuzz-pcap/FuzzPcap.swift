#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Analysis
import Pipeline
import Capture
import FuzzSupport
import Report

// fuzz-pcap: the input is a whole capture file (pcap or pcapng). It goes through exactly what
// `respcap analyze` does — CaptureAnalyzer over a path (the reader, the decoder, reassembly, RESP, pairing, every
// analysis and the finding rules) — and the report is rendered as Markdown and JSON.
//
// The bytes are written to one temporary file per process (in /dev/shm when it exists, so it stays in memory).

let tempPath: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/respcap-fuzz-pcap-\(getpid()).pcap"
}()

let options: AnalysisOptions = {
    var options = AnalysisOptions()
    // The fixtures use 6379; a second port lets the fuzzer reach the multi-port paths.
    options.serverPorts = [6379, 7000]
    // Small limits so that inputs of a few kilobytes reach every eviction and overflow path.
    options.reassembly.maxConnections = 8
    options.reassembly.maxBufferedBytesPerConnection = 4096
    options.reassembly.maxBufferedBytesTotal = 16_384
    options.reassembly.maxRememberedClosedConnections = 8
    options.session.maxPendingCommands = 32
    options.session.maxPendingTotal = 64
    options.maxHeldTotal = 16
    options.session.maxQueuedInTransaction = 16
    options.reorderWindow = 8
    options.maxTrackedKeys = 16
    options.maxTrackedClients = 8
    options.maxUnknownCommandNames = 8
    return options
}()

func writeInput(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    let fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(tempPath)") }
    var written = 0
    while written < size, let data {
        let n = write(fd, data + written, size - written)
        guard n > 0 else { fatalError("cannot write \(tempPath)") }
        written += n
    }
    close(fd)
}

let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
    writeInput(data, size)
    do {
        let report = try CaptureAnalyzer(options: options).analyze(paths: [tempPath])
        _ = MarkdownReportRenderer.render(report, title: "fuzz")
        _ = try JSONReportRenderer.render(report)
    } catch {
        // Unreadable captures are an expected outcome; the error must still describe itself.
        _ = "\(error)"
    }
    return 0
}

@_cdecl("fuzz_pcap_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atexit { unlink(tempPath) }
    return runFuzzer(argc: argc, argv: argv, testOneInput)
}

/// libFuzzer's runtime references this symbol even when the driver is started through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(data, size)
}
