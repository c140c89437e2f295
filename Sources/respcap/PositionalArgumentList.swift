import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Long lists of files (`respcap analyze rot-*.pcap` over 16,000 rotations) split from the rest of the command line
/// in one pass. swift-argument-parser removes each positional value it used from its argument array in hash order,
/// with a scan and a shift per removal: quadratic (16,000 files: 9 s before the first packet is read). The named
/// options still go through the parser, with the first file; the files are then set on the parsed command.
struct PositionalArgumentList {
    /// Below this many arguments the parser's cost does not show.
    static let threshold = 256

    /// The arguments for the parser (options and the first positional value) and every positional value in order;
    /// nil when `arguments` are short, or hold something not understood here (the parser then reports it as usual).
    static func split(_ arguments: [String], for command: any ParsableCommand.Type) -> (named: [String], positional: [String])? {
        guard arguments.count > threshold, let valueTaking = namesTakingValues(command) else { return nil }
        var named: [String] = []
        var positional: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positional += arguments[index...]
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                positional.append(argument)
                continue
            }
            let name = String(argument.prefix { $0 != "=" })
            guard let takesValue = valueTaking[name] else { return nil }
            named.append(argument)
            if takesValue && !argument.contains("=") {
                guard index < arguments.count else { return nil }
                named.append(arguments[index])
                index += 1
            }
        }
        guard let first = positional.first else { return nil }
        return (named + ["--", first], positional)
    }

    /// Every name of `command`'s options and flags (`--port`, `-o`), and whether it takes a value; from the parser's
    /// own description of the command, so that it cannot drift from the definitions.
    static func namesTakingValues(_ command: any ParsableCommand.Type) -> [String: Bool]? {
        struct Dump: Decodable {
            struct Command: Decodable { var arguments: [Argument]? }
            struct Argument: Decodable {
                struct Name: Decodable { var kind: String; var name: String }
                var kind: String
                var names: [Name]?
            }
            var command: Command
        }
        guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(command._dumpHelp().utf8)) else { return nil }
        var result: [String: Bool] = [:]
        for argument in dump.command.arguments ?? [] where argument.kind != "positional" {
            for name in argument.names ?? [] {
                result[(name.kind == "long" ? "--" : "-") + name.name] = argument.kind == "option"
            }
        }
        return result
    }
}
