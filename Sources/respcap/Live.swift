import ArgumentParser

extension RespcapCommand {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse traffic on a network interface as it happens (not available in this version).")

        @Option(name: .short, help: "Interface to capture on (e.g. eth0, lo, any).")
        var interface: String?

        @OptionGroup var common: CommonOptions

        func run() throws {
            Diagnostics.error("live capture is not available in this version yet; capture with tcpdump and run 'respcap analyze FILE'")
            throw ExitStatus.inputError
        }
    }
}
