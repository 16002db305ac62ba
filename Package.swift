// swift-tools-version:6.0
import PackageDescription

// The way of a packet through peersniff, one target a step:
// capture (libpcap) → link layer → IPv4 (+ reassembly) → UDP → codec → analyzer → output.
// Release builds skip the dynamic exclusivity checks on the per-packet targets (the
// static checks stay; debug builds and the tests keep the dynamic ones). They halve
// the cost of the output and the analyzer. Release builds add link-time optimisation
// (scripts/release-flags.sh: a command-line flag, so the scripts that build release
// pass it). Benchmark from a clean release build: an incremental one after changes to
// @inlinable code or a public type's layout was seen to mix stale objects.
//
// These are unsafe flags, which SwiftPM refuses in a package used by version, so they
// stay off the targets of the DiscoveryCodec library (DiscoveryCodec, WireBytes): its
// optimiser finds no dynamic check to remove there, and what other targets inline
// from them is marked @inlinable (measured: 4,952 instructions a packet against
// 4,948 with the flags; Examples/build.sh checks that the library builds by version).
let uncheckedExclusivity: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "peersniff",
    products: [
        .executable(name: "peersniff", targets: ["peersniff"]),
        .library(name: "DiscoveryCodec", targets: ["DiscoveryCodec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Bytes, addresses and hex: what every layer reads with. No unsafe flags: the
        // DiscoveryCodec library needs it.
        .target(name: "WireBytes"),
        // The one place that knows the discovery wire format. No Foundation, no libpcap.
        // A library product, so no unsafe flags.
        .target(name: "DiscoveryCodec", dependencies: ["WireBytes"]),
        // Link, IPv4 (with reassembly), IPv6 and UDP headers. Knows nothing of discovery.
        .target(name: "PacketLayers", dependencies: ["WireBytes", "CChecksum"], swiftSettings: uncheckedExclusivity),
        // The UDP checksum's sum: C for its add-with-carry chain (one adc an 8-byte
        // word; Swift spent two). DWARF 4 for valgrind, as EarlySignals.
        .target(name: "CChecksum", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // libpcap behind one small seam: files, live interfaces, filters, dump files.
        .target(name: "Capture", dependencies: ["CPcap", "WireBytes"], swiftSettings: uncheckedExclusivity),
        // The election timeline: frames and time in, events out.
        .target(name: "Analyzer", dependencies: ["DiscoveryCodec", "WireBytes"], swiftSettings: uncheckedExclusivity),
        // Records to text and JSON Lines.
        .target(name: "Output", dependencies: ["DiscoveryCodec", "Analyzer", "WireBytes"], swiftSettings: uncheckedExclusivity),
        // Wires capture → layers → codec → analyzer → output.
        .target(name: "PeersniffCore", dependencies: ["Capture", "PacketLayers", "DiscoveryCodec", "Analyzer", "Output", "WireBytes"], swiftSettings: uncheckedExclusivity),
        // SIGHUP and SIGUSR1 blocked from the process's first instruction (a pre-init
        // function), until their handlers are in place.
        // Its debug information in DWARF 4: valgrind (the allocation guard, the
        // instruction budget) cannot read the DWARF 5 clang writes by default.
        .target(name: "EarlySignals", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        .executableTarget(
            name: "peersniff",
            dependencies: ["PeersniffCore", "EarlySignals", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // A test helper, not part of the product: sends discovery frames inside a test
        // network namespace so that live capture is tested for real.
        .executableTarget(name: "peersniff-test-sender", dependencies: ["DiscoveryCodec", "WireBytes"], path: "Sources/TestSender"),
        // What the tests share, built once as two targets (test helpers, not products):
        // TestSupport holds the pure ones (seeded randomness, packets and capture files
        // made byte by byte, the analyzer fed frames directly, the package's paths);
        // EndToEndSupport what runs programs (the built binary, tools such as tshark,
        // the test network namespaces).
        .target(name: "TestSupport", dependencies: ["Analyzer", "DiscoveryCodec", "WireBytes"], path: "Tests/TestSupport"),
        .target(name: "EndToEndSupport", dependencies: ["TestSupport", "WireBytes"], path: "Tests/EndToEndSupport"),
        // Tests by layer: each target builds and runs on its own (`swift test --filter
        // CodecTests` needs no valgrind, no namespaces, no browser).
        .testTarget(name: "CodecTests", dependencies: ["DiscoveryCodec", "WireBytes", "TestSupport"]),
        // Some layer tests also run the binary on a made capture (and editcap, tshark).
        .testTarget(name: "LayerTests", dependencies: ["PacketLayers", "WireBytes", "TestSupport", "EndToEndSupport"]),
        .testTarget(name: "AnalyzerTests", dependencies: ["Analyzer", "DiscoveryCodec", "WireBytes", "TestSupport"]),
        .testTarget(name: "OutputTests", dependencies: ["Output", "Analyzer", "DiscoveryCodec", "WireBytes", "TestSupport"]),
        // End to end: the built binary on real and made captures, live capture in
        // network namespaces, the guards under valgrind, pages in a browser.
        .testTarget(
            name: "PeersniffTests",
            dependencies: ["DiscoveryCodec", "PacketLayers", "Capture", "Analyzer", "Output", "PeersniffCore", "WireBytes",
                           "TestSupport", "EndToEndSupport"],
            resources: []
        ),
    ]
)
