import ArgumentParser

extension RespcapCommand {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two captures or JSON reports (not available in this version).")

        @Argument var before: String
        @Argument var after: String

        func run() throws {
            Diagnostics.error("diff is not available in this version yet")
            throw ExitStatus.inputError
        }
    }
}
