#!/usr/bin/env bash
# Instructions per packet, counted by valgrind's callgrind (a count does not move with
# the machine's load as a time does): the benchmark's discovery traffic
# (peersniff-gen --profile discovery, about 50 boards) at two lengths, read with -q and
# with --json to /dev/null. Only the read loop is counted (callgrind's --toggle-collect
# on OfflineReader.run: read, decode, analyse, write each record), so the summary at
# the end, whose size follows the diagnoses, does not blur the per-packet cost; the
# two lengths cancel what is left of start-up.
#
#   Benchmarks/instructions.sh                    # the release build of this tree
#   Benchmarks/instructions.sh --peersniff PATH   # another binary
#   Benchmarks/instructions.sh --ref REV          # a git revision, built in its own worktree
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out/instructions"
peersniff=""
ref=""
while [ $# -gt 0 ]; do
    case "$1" in
        --peersniff) peersniff="$2"; shift 2 ;;
        --ref) ref="$2"; shift 2 ;;
        *) echo "instructions.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { apt-get install -y valgrind >/dev/null; }
mkdir -p "$out"
if [ -n "$ref" ]; then
    tree="$out/tree-$(git -C "$root" rev-parse --short "$ref")"
    [ -d "$tree" ] || git -C "$root" worktree add --detach "$tree" "$ref" >/dev/null
    # Built as that tree builds its release (its scripts/release-flags.sh, if it has one).
    release_flags=()
    [ -f "$tree/scripts/release-flags.sh" ] && source "$tree/scripts/release-flags.sh"
    (cd "$tree" && PATH="/opt/swift/usr/bin:$PATH" swift build -c release --product peersniff "${release_flags[@]+"${release_flags[@]}"}" >/dev/null)
    peersniff="$(cd "$tree" && PATH="/opt/swift/usr/bin:$PATH" swift build -c release --show-bin-path)/peersniff"
fi
source "$here/tools.sh"
small=50000 large=250000
for n in $small $large; do
    [ -s "$out/discovery-$n.pcap" ] || "$gen" --profile discovery --packets "$n" -o "$out/discovery-$n.pcap" -q
done
count() {  # instructions of one run's read loop (OfflineReader.run: read, decode, analyse, write): count MODE PACKETS
    local mode="$1" n="$2" file="$out/callgrind.$$"
    valgrind --tool=callgrind --callgrind-out-file="$file" '--toggle-collect=$s13PeersniffCore13OfflineReaderV3run*' \
        "$peersniff" $mode -r "$out/discovery-$n.pcap" >/dev/null 2>"$out/valgrind.log"
    awk '/^summary:|^totals:/ {print $2; exit}' "$file"
    rm -f "$file"
}
echo "peersniff: $peersniff ($("$peersniff" --version | head -1))"
for mode in "-q" "--json"; do
    a="$(count "$mode" $small)"; b="$(count "$mode" $large)"
    echo "$mode: $(( (b - a) / (large - small) )) instructions a packet ($a for $small packets, $b for $large)"
done
