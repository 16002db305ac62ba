#!/usr/bin/env bash
# The test command: sets up what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build
swift test
