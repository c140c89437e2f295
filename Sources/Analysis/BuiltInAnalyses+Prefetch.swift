import RedisSemantics

extension BuiltInAnalyses {
    /// Asks for the table entries the next two records will touch (`next`, then `afterNext` when there is one): the
    /// key counter's entry and the cluster slot's counters for the next, the key counter's index slot for the one
    /// after. One call from the pipeline, each analysis's part inlined here: a call per part from that module cost
    /// more than the prefetch.
    package func prefetch(next: ArgumentDigest, afterNext: ArgumentDigest?) {
        keyStats.prefetch(next, entries: true)
        clusterStats.prefetch(next)
        if let afterNext { keyStats.prefetch(afterNext, entries: false) }
    }
}
