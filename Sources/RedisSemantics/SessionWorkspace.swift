import RESP

/// What a session needs only while it is inside a message: both directions' decoders and the reply being assembled
/// (~700 bytes). Between messages a session parks it in the pool its owner's sessions share
/// (`SessionWorkspacePool`), keeping only its decoders' stream positions: an open, idle connection then costs
/// none of it, and the number of workspaces is the number of connections caught inside a message at once.
final class SessionWorkspace {
    var requestDecoder: RESPDecoder
    var replyDecoder: RESPDecoder
    var reply = ReplyBuilder()

    init(limits: RESPLimits) {
        requestDecoder = RESPDecoder(side: .client, limits: limits)
        replyDecoder = RESPDecoder(side: .server, limits: limits)
    }

    /// Both decoders stand between messages, and no reply is half assembled.
    var isBetweenMessages: Bool {
        requestDecoder.isAtMessageBoundary && !requestDecoder.isResynchronizing
            && replyDecoder.isAtMessageBoundary && !replyDecoder.isResynchronizing
    }
}

/// The parked workspaces of the sessions of one owner (all with the same decoding limits).
public final class SessionWorkspacePool {
    let limits: RESPLimits
    private var parked: [SessionWorkspace] = []

    public init(limits: RESPLimits) {
        self.limits = limits
    }

    /// A workspace whose decoders continue the streams at the given positions.
    func take(request: RESPDecoder.StreamPosition, reply: RESPDecoder.StreamPosition) -> SessionWorkspace {
        let workspace = parked.popLast() ?? SessionWorkspace(limits: limits)
        workspace.requestDecoder.resume(at: request)
        workspace.replyDecoder.resume(at: reply)
        workspace.reply.reset()
        return workspace
    }

    /// Takes the caller's reference (`consuming`): borrowed, it was retained to be stored and the caller's released,
    /// once per message on most connections.
    func park(_ workspace: consuming SessionWorkspace) {
        parked.append(workspace)
    }
}
