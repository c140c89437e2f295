import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `respcap live` where the capture cannot start after libpcap opened the interface: a filter that does not parse,
/// one the interface's link type rejects, an interface that cannot be filtered at all. Each is the input-error exit
/// (2) with one clear line on stderr, and never a crash (libpcap's handle closed twice aborted with 134).
///
/// Without permission to capture, activation fails first (also exit 2, "not permitted"); the filter is only
/// compiled once the interface is open, so the precise messages are checked as root.
@Suite struct LiveCaptureFailureTests {
    typealias E2E = EndToEndTests

    static let isRoot = getuid() == 0

    /// libpcap's pseudo-interface for netfilter's NFLOG target: it opens, but libpcap cannot compile any filter for
    /// its link type, and `live` always filters on the Redis ports.
    static let hasNflog: Bool = (try? E2E.run(["live", "--list"]))?.stdout.split(separator: "\n")
        .contains { $0.hasPrefix("nflog ") || $0 == "nflog" } ?? false

    static func expectInputError(_ r: E2E.Result, mentioning phrases: [String]) {
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("respcap: error: "), "\(r.stderr)")
        guard isRoot else {
            #expect(r.stderr.contains("not permitted"), "\(r.stderr)")
            return
        }
        for phrase in phrases { #expect(r.stderr.contains(phrase), "\(r.stderr)") }
    }

    @Test func filterThatDoesNotParseIsExit2() throws {
        let r = try E2E.run(["live", "-i", "lo", "--filter", "tcp port", "--duration", "1"])
        Self.expectInputError(r, mentioning: ["invalid filter", "tcp port", "syntax error"])
    }

    @Test func filterTheLinkTypeRejectsIsExit2() throws {
        // Loopback is Ethernet to libpcap; 802.11 addresses exist only on 802.11 link types.
        let r = try E2E.run(["live", "-i", "lo", "--filter", "wlan addr1 00:11:22:33:44:55", "--duration", "1"])
        Self.expectInputError(r, mentioning: ["invalid filter", "wlan addr1", "EN10MB", "802.11"])
    }

    @Test(.enabled(if: hasNflog, "libpcap here has no nflog interface"))
    func interfaceThatCannotBeFilteredIsExit2() throws {
        let r = try E2E.run(["live", "-i", "nflog", "--duration", "1"])
        // Without --port the kernel filter is all TCP (Redis is looked for on every port).
        Self.expectInputError(r, mentioning: ["invalid filter 'tcp'", "nflog", "not implemented"])
    }

    @Test func interfaceThatDoesNotActivateIsExit2() throws {
        // ifb0 and friends are listed but down, and 'nosuch0' does not exist: either way activation fails.
        let r = try E2E.run(["live", "-i", "nosuch0", "--filter", "tcp port 6379", "--duration", "1"])
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
