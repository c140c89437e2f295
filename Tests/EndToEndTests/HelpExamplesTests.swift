import ArgumentParser
@testable import respcap
import Testing

/// Every `respcap ...` example in every command's help parses (an example naming an option or threshold that
/// does not exist would fail the first user who copies it).
@Suite struct HelpExamplesTests {
    static var commands: [any ParsableCommand.Type] {
        [RespcapCommand.self] + RespcapCommand.configuration.subcommands
    }

    /// The argument vectors of the examples in `text`: lines whose command (after `sudo`, or after a pipe) is
    /// `respcap`, split as a shell would for the quoting they use; a trailing `# comment` is dropped.
    static func examples(in text: String) -> [[String]] {
        var result: [[String]] = []
        for line in text.split(separator: "\n") {
            var words = shellWords(String(line))
            if let pipe = words.lastIndex(of: "|") { words = Array(words[(pipe + 1)...]) }
            if words.first == "sudo" { words.removeFirst() }
            guard words.first == "respcap" else { continue }
            result.append(Array(words.dropFirst()))
        }
        return result
    }

    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == "#" && !inWord {
                break
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test func everyExampleInEveryHelpParses() throws {
        var checked = 0
        for command in Self.commands {
            for arguments in Self.examples(in: command.configuration.discussion) {
                do {
                    _ = try RespcapCommand.parseAsRoot(arguments)
                } catch {
                    let name = command.configuration.commandName ?? "\(command)"
                    let example = "respcap " + arguments.joined(separator: " ")
                    Issue.record(Comment(rawValue: "\(name): '\(example)' does not parse: \(RespcapCommand.message(for: error))"))
                }
                checked += 1
            }
        }
        #expect(checked >= 20, "examples found: \(checked)")
    }

    @Test func mergeHelpUsesARealThreshold() {
        let examples = Self.examples(in: RespcapCommand.Merge.configuration.discussion)
        #expect(examples.contains { $0.contains("--threshold") })
        #expect(!RespcapCommand.Merge.configuration.discussion.contains("errorRateWarning"))
    }
}
