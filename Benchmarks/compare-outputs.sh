#!/usr/bin/env bash
# Every output of two peersniff binaries, compared byte for byte on every capture in
# Fixtures/ (and the shared big capture when ../shared is beside the clone): text,
# --json, --malformed, --events, -q, -v, the page, the metrics (less their clock
# line), the page (less its time of writing) and the -w and --write-malformed files. For a change meant to keep every
# output as it was (a faster hot path, outputs moved behind one plug).
#   Benchmarks/compare-outputs.sh OLD-BINARY NEW-BINARY
set -uo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
captures=(Fixtures/*/*.pcap)
[ -f ../shared/captures/big/bridge.pcap ] && captures+=(../shared/captures/big/bridge.pcap)
different=0
for capture in "${captures[@]}"; do
    timing=()
    case $capture in
        Fixtures/boot3/*|Fixtures/malformed/*|*/big/*) ;;
        *) timing=(--registry-timeout 0.3 --conflict-window 0.5) ;;  # captured at speed 10
    esac
    for mode in text --json --malformed --events -q -v; do
        flags=(); [ "$mode" != text ] && flags=("$mode")
        for which in old new; do
            bin=${!which}; out="$work/$which"; mkdir -p "$out"; rm -f "$out"/*
            "$bin" -r "$capture" "${timing[@]}" "${flags[@]}" --html "$out/page.html" --metrics "$out/metrics.prom" \
                -w "$out/all.pcap" --write-malformed "$out/bad.pcap" >"$out/stdout" 2>"$out/stderr"
            echo "exit $?" >>"$out/stdout"
            [ -f "$out/metrics.prom" ] && sed -i '/last_update/d' "$out/metrics.prom"
            # The page says when it was written (the wall clock).
            [ -f "$out/page.html" ] && sed -i -E 's/Written [0-9-]+ [0-9:.]+ UTC/Written …/; s/data-written="[0-9.]+"/data-written=""/' "$out/page.html"
        done
        if ! diff -r "$work/old" "$work/new" >"$work/diff"; then
            echo "DIFFERENT: $capture $mode"; head -20 "$work/diff" | cut -c1-300; different=1
        fi
    done
done
[ $different = 0 ] && echo "same: every output of ${#captures[@]} captures in 6 modes"
exit $different
