import ArgumentParser

extension RespcapCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge JSON reports from several hosts or windows (not available in this version).")

        @Argument var reports: [String] = []

        func run() throws {
            Diagnostics.error("merge is not available in this version yet")
            throw ExitStatus.inputError
        }
    }
}
