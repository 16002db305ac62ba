#!/usr/bin/env bash
# Coverage-guided fuzzing of the codec and the packet layers with libFuzzer and
# AddressSanitizer.
#
#   Fuzz/run.sh [SECONDS] [libFuzzer options...]     (default 60 seconds)
#
# Builds Fuzz/.build/fuzz-peersniff-O (or -Onone) from the sources of WireBytes, DiscoveryCodec
# and PacketLayers plus Fuzz/Harness.swift, all compiled with
# -sanitize=fuzzer,address; seeds a corpus from ../shared/captures (or
# $PEERSNIFF_CAPTURES); then runs for SECONDS. New inputs go to
# Fuzz/.build/corpus, crashes to Fuzz/.build/artifacts/crash-*; libFuzzer's
# final statistics give the number of inputs run (stat::number_of_executed_units).
#
# FUZZ_OPT=-Onone builds without optimisation: slower, but Swift's own bounds
# checks on unsafe buffers then stay in, so a read past a slice's end (not only
# past the input's) is caught. FUZZ_JOBS=N runs N fuzzing processes at once.
# To go on past a known crash: Fuzz/run.sh 300 -fork=1 -ignore_crashes=1
#
# Reproduce a crash: Fuzz/.build/fuzz-peersniff-O Fuzz/.build/artifacts/crash-...
# Minimise it:       Fuzz/.build/fuzz-peersniff-O -minimize_crash=1 -runs=10000 crash-...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-60}
shift || true
opt=${FUZZ_OPT:--O}
jobs=${FUZZ_JOBS:-1}
build=$here/.build
captures=${PEERSNIFF_CAPTURES:-$(dirname "$root")/shared/captures}
sanitize=(-sanitize=fuzzer,address -gline-tables-only "$opt")

binary=$build/fuzz-peersniff$opt
modules=$build/modules$opt
mkdir -p "$modules" "$build/corpus" "$build/seeds" "$build/artifacts"

# One module at a time, as SwiftPM would build them, each instrumented.
module() {
    local name=$1; shift
    swiftc "${sanitize[@]}" -parse-as-library -wmo -package-name peersniff -module-name "$name" \
        -I "$modules" -emit-module -emit-module-path "$modules/$name.swiftmodule" \
        -c "$root/Sources/$name"/*.swift -o "$modules/$name.o" "$@"
}
echo "building the harness ($opt)..."
module WireBytes
module DiscoveryCodec
module PacketLayers
swiftc "${sanitize[@]}" -parse-as-library -package-name peersniff -module-name FuzzHarness -I "$modules" \
    "$here/Harness.swift" "$modules/WireBytes.o" "$modules/DiscoveryCodec.o" "$modules/PacketLayers.o" \
    -o "$binary"

if [ -d "$captures" ]; then
    python3 "$here/seeds.py" "$captures" "$build/seeds"
else
    echo "no captures at $captures: starting from an empty corpus" >&2
fi

# ASan: report leaks too; libFuzzer: stop at the first crash, print the totals.
# Swift's own crash backtracer stays off: libFuzzer reports a trap itself, and the
# backtracer's reads of the stack would only trip AddressSanitizer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export SWIFT_BACKTRACE=enable=no
args=(-max_total_time="$seconds" -max_len=4096 -dict="$here/discovery.dict" -print_final_stats=1
      -artifact_prefix="$build/artifacts/" -timeout=10 -rss_limit_mb=4096)
if [ "$jobs" -gt 1 ]; then args+=(-jobs="$jobs" -workers="$jobs"); fi
exec "$binary" "${args[@]}" "$@" "$build/corpus" "$build/seeds"
