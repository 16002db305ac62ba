// swift-tools-version:6.0
import PackageDescription

// A package that uses peersniff's codec as any other project would: by URL and
// version, not by path (SwiftPM forbids unsafe build flags only in versioned
// dependencies, so a path dependency would hide them). `Examples/build.sh` clones
// this repository, tags the clone and points PEERSNIFF_PACKAGE_URL at it. Without
// the variable the manifest takes the repository this folder sits in, which then
// needs a version tag (`git tag 0.1.0`).
let peersniffURL = Context.environment["PEERSNIFF_PACKAGE_URL"]
    ?? "file://" + Context.packageDirectory + "/../.."

let package = Package(
    name: "DecodeFrame",
    dependencies: [
        .package(url: peersniffURL, from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "DecodeFrame",
            dependencies: [.product(name: "DiscoveryCodec", package: "peersniff")]
        ),
    ]
)
