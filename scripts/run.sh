#!/usr/bin/env bash
# Sets up what is missing (libpcap-dev and friends, as root or with sudo), builds
# peersniff in release and runs it with the arguments given:
#   bash scripts/run.sh -r Fixtures/boot3/bridge.pcap
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
source scripts/release-flags.sh
swift build -c release --product peersniff "${release_flags[@]}" >&2
exec "$(swift build -c release --show-bin-path)/peersniff" "$@"
