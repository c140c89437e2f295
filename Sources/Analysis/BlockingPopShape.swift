import RedisSemantics

extension BlockingPopStats {
    /// The keys a blocking pop waits on and its timeout in seconds (nil when unreadable), or nil for other commands.
    package static func keysAndTimeout(of location: UnsafePointer<CommandRecord>, shape: Shape) -> (keys: Int, timeout: Double?)? {
        let argc = location.pointee.argumentCount
        let arguments = location.keptArguments
        switch shape {
        case .keysThenTimeout:
            return (max(0, argc - 2), arguments.number(ofArgument: argc - 1))
        case .sourceThenTimeout:
            return (argc >= 3 ? 1 : 0, arguments.number(ofArgument: argc - 1))
        case .timeoutNumkeysKeys:
            let declared = arguments.number(ofArgument: 2).map { Int(clamping: Int64($0)) } ?? 0
            return (max(0, min(declared, argc - 3)), arguments.number(ofArgument: 1))
        case .notBlockingPop:
            return nil
        }
    }

    package static func keys(of record: CommandRecord, shape: Shape) -> Int? {
        withUnsafePointer(to: record) { keysAndTimeout(of: $0, shape: shape)?.keys }
    }
}
