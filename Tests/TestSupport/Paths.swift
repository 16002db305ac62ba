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

    /// A fresh temporary folder for one test, inside one folder for this test process
    /// that is removed when the process exits, so that a test that does not remove its
    /// own folder leaves nothing behind in the system's temporary folder.
    public static func temporaryFolder() -> URL {
        let url = processFolder.appendingPathComponent(UUID().uuidString)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `peersniff-tests-PID` in the temporary folder, made once and removed at exit.
    public static let processFolder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("peersniff-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)  // a folder of a process long gone with the same id
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        removedAtExit = url.path
        atexit { if let path = Paths.removedAtExit { try? FileManager.default.removeItem(atPath: path) } }
        return url
    }()

    nonisolated(unsafe) static var removedAtExit: String?
}
