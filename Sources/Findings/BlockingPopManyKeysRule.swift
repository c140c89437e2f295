import Analysis
import Formatting
/// Blocking pops that name many keys: Redis checks every named key on each call and, when they are all empty,
/// registers the client on each one, so CPU grows with keys × calls (GitLab's sidekiq fleet: 234 queues per BRPOP).
public struct BlockingPopManyKeysRule: FindingRule {
    public static let id = "blocking-pop-many-keys"
    public init() {}

    public func evaluate(_ report: AnalysisReport, _ t: FindingThresholds) -> Finding? {
        guard let b = report.blockingPops, b.calls >= 10 else { return nil }
        let heavy = b.keyCountDistribution.filter { Double($0.keys) >= t.blockingPopKeysWarning }
        let heavyCalls = heavy.reduce(0) { $0 + $1.calls }
        // Most of the cost must come from such calls: a few many-key calls among thousands of single-key ones are not it.
        let heavyKeys = heavy.reduce(Int64(0)) { $0 + Int64($1.keys) * Int64($1.calls) }
        guard heavyCalls > 0, Double(heavyKeys) >= 0.5 * Double(b.keysScanned) else { return nil }
        let critical = Double(b.maxKeysPerCall) >= t.blockingPopKeysCritical
        let dominant = heavy.max { ($0.calls, $0.keys) < ($1.calls, $1.keys) }!
        var evidence = [
            "\(NumberFormatting.grouped(heavyCalls)) of \(NumberFormatting.grouped(b.calls)) blocking pops name ≥ \(NumberFormatting.decimal(t.blockingPopKeysWarning, 0)) keys "
                + "(most often \(dominant.keys) keys, from \(NumberFormatting.grouped(dominant.clients)) connections; threshold "
                + "\(NumberFormatting.decimal(t.blockingPopKeysWarning, 0)), critical at \(NumberFormatting.decimal(t.blockingPopKeysCritical, 0)))",
            "keys scanned: \(NumberFormatting.grouped(b.keysScanned)) in all, \(NumberFormatting.decimal(b.keysPerCall, 1)) per call, "
                + "\(NumberFormatting.grouped(Int(b.keysScannedPerSecond)))/s",
        ]
        if b.served + b.timedOut > 0 {
            evidence.append("\(NumberFormatting.percent(Double(b.timedOut), of: Double(b.served + b.timedOut))) of answered calls timed out on "
                            + "empty queues (\(NumberFormatting.grouped(b.timedOut)) of \(NumberFormatting.grouped(b.served + b.timedOut))); "
                            + "\(NumberFormatting.grouped(b.keysScannedByTimedOut)) keys were scanned for nothing")
        }
        return Finding(
            id: Self.id, severity: critical ? .critical : .warning,
            title: "Blocking pops name \(dominant.keys) keys per call: Redis scans \(NumberFormatting.grouped(Int(b.keysScannedPerSecond))) keys/s "
                + "to serve \(NumberFormatting.decimal(b.callsPerSecond, 1)) pops/s",
            evidence: evidence,
            recommendation: Self.advice(ClientSoftware(report), clientsSample: b.clientsSample),
            metrics: ["keysPerCall": b.keysPerCall, "maxKeysPerCall": Double(b.maxKeysPerCall),
                      "keysScannedPerSecond": b.keysScannedPerSecond, "timedOutShare": b.timedOutShare])
    }

    /// The generic fix, with or without passing each call a sample of the queues.
    static let routeQueues = "Have each worker listen on few queues: route queues to dedicated workers (one queue per worker or shard)"
    static let sampleQueues = ", or pass each BRPOP a random sample of the queues (e.g. 10%) so that together the workers still cover them all"
    static let perCall = "; drop queues that never receive jobs. The cost per call falls in proportion to the keys named."

    /// The framework's own knob where one is recognised. Sampling is never advised for Celery (kombu names a queue's
    /// priority lists in priority order, and a sample would break it), nor to clients whose calls already name
    /// varying key sets.
    static func advice(_ software: ClientSoftware, clientsSample: Bool) -> String {
        let already = clientsSample
            ? "Successive calls name different key sets: the clients already pass each call a sample of the queues, so the "
                + "remaining cost is the sample size; name fewer keys per call. "
            : ""
        switch software.framework(among: ["celery", "sidekiq", "rq", "resque"]) {
        case "celery":
            return already + "Celery (kombu) keeps one list per queue and priority step, so each BRPOP names queues × steps keys: "
                + "use fewer `priority_steps` (`broker_transport_options={'priority_steps': [0, 5, 9]}`, or none when tasks do not "
                + "use priorities) and give each worker fewer queues (`-Q`, dedicated workers per queue group). Do not sample "
                + "the keys: kombu names a queue's lists in priority order, and a sample would break that order."
        case "sidekiq":
            return already + "Sidekiq: give each process fewer queues (split the `:queues:` list across processes, `-q` per "
                + "process) and drop queues that never receive jobs" + (clientsSample ? "." : "; with weighted queues "
                    + "(`-q name,weight`) Sidekiq orders the BRPOP keys by weighted random, and a fetcher that passes each BRPOP "
                    + "a weighted random sample of the queues (e.g. 10%, as GitLab's does) keeps the weights while naming few keys.")
                + " The cost per call falls in proportion to the keys named."
        case "rq":
            return already + "RQ: each worker names every queue it serves on each dequeue; start workers with fewer queues each "
                + "(split `rq worker q1 q2 ...` into dedicated workers per queue group) and drop queues that never receive jobs. "
                + "The cost per call falls in proportion to the keys named."
        case let name?:
            return already + "\(name) was recognised; it has no setting of its own for this. " + routeQueues
                + (clientsSample ? "" : sampleQueues) + perCall
        case nil:
            return already + ClientSoftware.notRecognised + routeQueues + (clientsSample ? "" : sampleQueues) + perCall
        }
    }
}
