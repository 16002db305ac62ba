# The flags of every release build of peersniff, sourced by the scripts that make
# one (the test command, install, run, the benchmarks), so that what is measured is
# what is installed:
# - whole-program link-time optimisation, which inlines across the package's targets
#   what cross-module optimisation leaves as calls (the analyzer's and the engine's
#   per-frame steps, the node table's lookups). Measured 2026-12-02 with callgrind on
#   the benchmark's discovery traffic: -q 3,014 -> 2,676 instructions a packet;
# - the Swift runtime and Foundation linked in statically: a start with fewer
#   libraries to load and relocate and one image to search for protocol conformances
#   (28 M -> 22 M instructions, 10 -> 7 ms, for a capture of a few packets; what a
#   short capture or the 1% mix is timed against). The binary is about 31 MB.
# Every output stays byte for byte the same (Benchmarks/compare-outputs.sh). A build
# of a tree without this file is a plain `swift build -c release`.
release_flags=(--experimental-lto-mode=full --static-swift-stdlib)
