import Foundation

/// Where the tests find the package, its fixtures and a fresh place to write. The
/// built programs are in EndToEndSupport (`Paths.peersniff`, `Paths.testSender`).
public enum Paths {
    /// The package's root folder (this file is Tests/TestSupport/Paths.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = root.appendingPathComponent("Fixtures")
    /// The shared captures, beside the repository (present in CI and here).
    public static let sharedCaptures = root.deletingLastPathComponent().appendingPathComponent("shared/captures")

    public static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh temporary folder for one test.
    public static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("peersniff-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
