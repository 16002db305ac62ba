# The flags of every release build of peersniff, sourced by the scripts that make
# one (the test command, install, run, the benchmarks), so that what is measured is
# what is installed: whole-program link-time optimisation, which inlines across the
# package's targets what cross-module optimisation leaves as calls (the analyzer's
# and the engine's per-frame steps, the node table's lookups). Measured 2026-12-02
# with callgrind on the benchmark's discovery traffic: -q 3,014 -> 2,676 instructions
# a packet; every output byte for byte the same (Benchmarks/compare-outputs.sh).
# A build of a tree without this file is a plain `swift build -c release`.
release_flags=(--experimental-lto-mode=full)
