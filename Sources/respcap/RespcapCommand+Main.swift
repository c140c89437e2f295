import ArgumentParser

extension RespcapCommand {
    /// Parses as `ParsableCommand.main()` does, except that long lists of files skip the parser's quadratic
    /// handling of positional values (`PositionalArgumentList`).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let subcommands: [String: any ParsableCommand.Type] = ["analyze": Analyze.self, "merge": Merge.self]
        let named = arguments.first.flatMap { subcommands[$0] }
        let type = named ?? Analyze.self
        let rest = named == nil ? arguments : Array(arguments.dropFirst())
        // A first argument that names another subcommand (or help) goes the usual way.
        guard named != nil || !(arguments.first.map { ["live", "diff", "help"].contains($0) } ?? true),
              let split = PositionalArgumentList.split(rest, for: type) else {
            return main(nil)
        }
        do {
            let prefix = named == nil ? ["analyze"] : [arguments[0]]
            var command = try parseAsRoot(prefix + split.named)
            if var analyze = command as? Analyze {
                analyze.files = split.positional
                try analyze.validate()
                command = analyze
            } else if var merge = command as? Merge {
                merge.reports = split.positional
                try merge.validate()
                command = merge
            }
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
