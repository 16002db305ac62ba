// swift-tools-version:6.0
import PackageDescription

// peersniff-gen: writes deterministic pcap files (discovery traffic, or a LAN mix
// with 1% discovery) for the benchmarks in ../run.sh. It uses the project's own
// encoder, so the frames on the wire are the ones the codec defines.
let package = Package(
    name: "peersniff-gen",
    dependencies: [
        .package(name: "peersniff", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "peersniff-gen",
            dependencies: [.product(name: "DiscoveryCodec", package: "peersniff")]
        ),
    ]
)
