#!/usr/bin/env bash
# The test command: sets up what is missing, builds (debug for the tests, release
# for the allocation guard and the instruction budget), runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
source scripts/release-flags.sh
swift build -c release --product peersniff "${release_flags[@]}"
# The allocation guard and the instruction budget measure the optimised binary, as shipped.
export PEERSNIFF_ALLOC_BINARY="$(swift build -c release --show-bin-path)/peersniff"
swift build --build-tests
swift test
