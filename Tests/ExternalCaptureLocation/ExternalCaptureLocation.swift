import Foundation

/// Where the third-party captures are read in place: `RESPCAP_EXTERNAL_CAPTURES`, else `../shared/external-captures`
/// beside the repository (as in CI). A clone elsewhere has none: the tests that need them are then skipped, saying
/// why, except under `CI=true`, where their absence is a failure.
public enum ExternalCaptureLocation {
    public static let directory: URL = {
        if let configured = ProcessInfo.processInfo.environment["RESPCAP_EXTERNAL_CAPTURES"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        // Tests/ExternalCaptureLocation/<this file> -> repository root -> ../shared/external-captures
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/external-captures")
    }()

    public static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    /// True when the tests that read the captures should run: they are there, or CI requires them.
    public static let testsEnabled: Bool = {
        var isDirectory: ObjCBool = false
        let present = FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue
        return present || ProcessInfo.processInfo.environment["CI"] == "true"
    }()

    public static let skipReason = "no external captures at \(directory.path) (set RESPCAP_EXTERNAL_CAPTURES, or clone beside ../shared)"
}
