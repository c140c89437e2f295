/// Where a command's argument digest (`ArgumentDigest`: its first key's position, hashes, prefix and hash slot) is
/// worked out. The digest is the same function of the record wherever it runs, so the report is too; what moves is
/// the work, ~8% of the stream thread's on a mixed capture.
package enum DigestPlacement: Sendable {
    /// As each record is packed, on the stream stage's thread.
    case streamThread
    /// On the analysis stage's thread, two records ahead of the one counted, so that the look-ahead still asks for
    /// the table entries the next records will touch.
    case analysisThread
    /// Batch by batch, on whichever thread has time: the stream thread digests while batches wait for the analysis
    /// thread (it is behind), the analysis thread while it keeps up. Without an analysis thread, as `streamThread`.
    case balanced
    /// Every other batch on each thread (tests: records of both kinds in one run).
    case alternating
}
