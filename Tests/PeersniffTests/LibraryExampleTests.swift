import Foundation
import Testing
import TestSupport

/// The codec as a library (issue 12): `DiscoveryCodec` builds as a dependency of
/// another package that asks for it by version, as SwiftPM treats a published
/// package (it refuses unsafe build flags only there, so a path dependency would
/// not tell), and its public API is documented.
@Suite("The codec as a library")
struct LibraryExampleTests {
    /// `Examples/build.sh` clones this repository at HEAD, tags the clone 0.1.0 and
    /// builds and runs `Examples/DecodeFrame` against it by URL and version.
    @Test("Examples/DecodeFrame builds against a tagged clone and decodes a HELLO",
          .enabled(if: Git.available, "git is not installed"),
          .timeLimit(.minutes(10)))
    func exampleBuildsByVersion() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let stdout = folder.appendingPathComponent("stdout"), stderr = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Paths.root.appendingPathComponent("Examples/build.sh").path]
        process.currentDirectoryURL = Paths.root
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        process.waitUntilExit()
        let output = try String(contentsOf: stdout, encoding: .utf8)
        let errors = try String(contentsOf: stderr, encoding: .utf8)
        #expect(process.terminationStatus == 0, "Examples/build.sh failed:\n\(errors.suffix(3000))")
        #expect(!errors.contains("unsafe build flags"), "\(errors.suffix(3000))")
        #expect(output.split(separator: "\n").first == "HELLO name=board-7 warnings=[]", "printed:\n\(output)")
        #expect(output.contains("cut: truncated-name at offset 2"))
        #expect(output.contains("encoded=true"))
    }

    /// The example asks for the package by URL and version, never by path.
    @Test("the example's manifest depends on peersniff by URL and version")
    func exampleManifestUsesAVersion() throws {
        let manifest = try String(contentsOf: Paths.root.appendingPathComponent("Examples/DecodeFrame/Package.swift"), encoding: .utf8)
        #expect(manifest.contains(".package(url: peersniffURL, from: \"0.1.0\")"))
        #expect(!manifest.contains(".package(path:"))
    }

    /// Every `public` declaration of the library's targets, and every case of its
    /// public enums, has a `///` comment (attributes may stand between).
    @Test("every public symbol of DiscoveryCodec has a doc comment")
    func publicAPIDocumented() throws {
        let folder = Paths.root.appendingPathComponent("Sources/DiscoveryCodec")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(!files.isEmpty)
        var undocumented: [String] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            undocumented += Self.undocumented(in: text).map { "\(file):\($0.line): \($0.text)" }
        }
        #expect(undocumented.isEmpty, "no /// comment:\n\(undocumented.joined(separator: "\n"))")
    }

    /// Public declarations, and cases directly in the body of a public enum, that no
    /// `///` line precedes.
    static func undocumented(in source: String) -> [(line: Int, text: String)] {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [(line: Int, text: String)] = []
        var depth = 0
        var publicEnumBodies: [Int] = []  // the depth of each open public enum's body
        for (index, line) in lines.enumerated() {
            let code = line.replacingOccurrences(of: #""(\\.|[^"\\])*""#, with: "\"\"", options: .regularExpression)
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            let declaration = trimmed.replacingOccurrences(of: #"^(@\w+(\([^)]*\))?\s+)*"#, with: "", options: .regularExpression)
            let isPublic = declaration.hasPrefix("public ") || declaration.hasPrefix("open ")
            let isEnumCase = publicEnumBodies.last == depth && declaration.range(of: #"^case \w+"#, options: .regularExpression) != nil
            if isPublic || isEnumCase {
                var previous = index - 1
                while previous >= 0, lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("@") { previous -= 1 }
                if previous < 0 || !lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    found.append((index + 1, trimmed))
                }
            }
            for character in code where character == "{" || character == "}" {
                if character == "{" {
                    depth += 1
                } else {
                    if publicEnumBodies.last == depth { publicEnumBodies.removeLast() }
                    depth -= 1
                }
            }
            if isPublic, declaration.range(of: #"\benum\b"#, options: .regularExpression) != nil, code.contains("{") {
                publicEnumBodies.append(depth)
            }
        }
        return found
    }
}

enum Git {
    static let available = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"].contains { FileManager.default.isExecutableFile(atPath: $0) }
}
