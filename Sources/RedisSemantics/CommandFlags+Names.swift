extension CommandFlags {
    private static let namedFlags: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.module, "module"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"), (.asking, "asking"),
        (.fast, "fast"), (.noAuth, "no_auth"), (.mayReplicate, "may_replicate"), (.noMandatoryKeys, "no_mandatory_keys"),
        (.movableKeys, "movablekeys"), (.noMulti, "no_multi"), (.allowBusy, "allow_busy"),
        (.skipCommandlog, "skip_commandlog"),
    ]

    /// The flags' names as `COMMAND INFO` spells them.
    public var names: [String] { Self.namedFlags.filter { contains($0.0) }.map(\.1) }
}
