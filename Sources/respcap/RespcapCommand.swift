import Analysis
import Findings
import Pipeline
import ArgumentParser

@main
struct RespcapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respcap",
        abstract: "See what clients really do to Redis, from packet captures.",
        discussion: """
            respcap reads pcap/pcapng captures (or a live interface), reassembles the TCP streams to Redis, \
            decodes RESP2/RESP3, pairs every command with its reply and writes a Markdown (or JSON) report.

            Examples:
              # capture 30 s on the Redis host (whole packets), then ^C
              tcpdump -i any -s 0 -w redis.pcap 'tcp port 6379'
              respcap redis.pcap                    # Markdown report on stdout
              respcap analyze --format json -o report.json redis.pcap
              respcap analyze --port 6379,7000 rot-*.pcap  # rotations as one
              tcpdump -i lo -w - 'tcp port 6379' | respcap analyze -
              sudo respcap live -i eth0 --duration 60      # live, then report
              respcap diff before.pcap after.pcap   # what changed after a fix
              respcap merge host1.json host2.json   # one report, many hosts

            Exit codes: 0 report written; 2 input unusable (cannot open, not a capture, bad filter); \
            3 report written from a truncated or damaged capture; 5 live report written but packets dropped; 64 usage error.
            """,
        // BuildInfo.swift is generated at build time by BuildInfoPlugin (Plugins/).
        version: "respcap \(RespcapVersion.string) (git \(BuildInfo.gitRevision))",
        subcommands: [Analyze.self, Live.self, Diff.self, Merge.self],
        defaultSubcommand: Analyze.self
    )
}
