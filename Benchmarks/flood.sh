#!/usr/bin/env bash
# The hostile benchmark: spoofed discovery traffic from ever new addresses, read by
# peersniff; time and peak memory must grow linearly with the input, memory stay flat.
#
#   Benchmarks/flood.sh [--runs N] [--peersniff PATH]
#
# Captures (peersniff-gen, made once into Benchmarks/out/): HELLOs from 100 000 and
# 1 000 000 distinct addresses; 2 000 and 20 000 FULLs of 255 distinct addresses each.
# Each is read with `peersniff -r FILE --json -q` (the diagnoses and the summary).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
runs=3
peersniff=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift ;;
        --peersniff) peersniff="$2"; shift ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "flood.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
. "$here/tools.sh"

printf '| capture | packets | MB | seconds | packets/s | peak RSS MB | summary MB | addresses not kept |\n|---|--:|--:|--:|--:|--:|--:|--:|\n'
for spec in hello-flood:100k hello-flood:1M full-flood:2k full-flood:20k; do
    profile="${spec%%:*}"; packets="${spec##*:}"
    file="$out/$profile-$packets.pcap"
    [ -f "$file" ] || "$gen" --profile "$profile" --packets "$packets" -o "$file" -q || exit 1
    best=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$out/flood.time" "$peersniff" -r "$file" --json -q > "$out/flood.json" || exit 1
        read -r seconds rss < "$out/flood.time"
        if [ -z "$best" ] || awk "BEGIN{exit !($seconds < ${best%% *})}"; then best="$seconds $rss"; fi
    done
    read -r seconds rss <<< "$best"
    count=$(grep -c . "$file.stats" >/dev/null; sed -n 's/^packets=//p' "$file.stats")
    mb=$(awk "BEGIN{printf \"%.0f\", $(stat -c %s "$file")/1e6}")
    summary=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$out/flood.json")/1e6}")
    kept=$(python3 -c "import json,sys; r=json.loads(open('$out/flood.json').read().splitlines()[-1]); print(r.get('nodes_not_kept',{}).get('addresses',0))")
    rate=$(awk "BEGIN{printf \"%.0f\", $count/$seconds}")
    printf '| %s %s | %s | %s | %s | %s | %.1f | %s | %s |\n' "$profile" "$packets" "$count" "$mb" "$seconds" "$rate" "$(awk "BEGIN{print $rss/1024}")" "$summary" "$kept"
done
rm -f "$out/flood.json" "$out/flood.time"
