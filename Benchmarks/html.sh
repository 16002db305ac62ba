#!/usr/bin/env bash
# What --html costs: the page's size, and the time it adds over -q, on 1 million and
# 10 million packets of discovery traffic (peersniff-gen --profile discovery) and of
# eventful discovery traffic (--profile events: registry changes, OFFLINE storms,
# flapping boards).
#
#   Benchmarks/html.sh [--runs N] [--peersniff PATH] [--quick]   (--quick: 1 million only)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
runs=3
peersniff=""
sizes="1M 10M"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift ;;
        --peersniff) peersniff="$2"; shift ;;
        --quick) sizes="1M" ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "html.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
. "$here/tools.sh"

best() {  # best of $runs wall-clock seconds of the command
    local b=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$out/html.time" "$@" > /dev/null || return 1
        read -r s m < "$out/html.time"
        if [ -z "$b" ] || awk "BEGIN{exit !($s < ${b%% *})}"; then b="$s $m"; fi
    done
    echo "$b"
}
printf '| capture | -q seconds | --html seconds | added | page KB | peak RSS MB (-q / --html) |\n|---|--:|--:|--:|--:|--:|\n'
# discovery: the benchmark's traffic; events: the same boards with a registry change
# every few thousand packets, OFFLINE storms and flapping boards (many events to draw).
for profile in discovery events; do
for n in $sizes; do
    file="$out/$profile-$n.pcap"
    [ -f "$file" ] || "$gen" --profile "$profile" --packets "$n" -o "$file" -q || exit 1
    read -r q qm <<< "$(best "$peersniff" -r "$file" -q)"
    read -r h hm <<< "$(best "$peersniff" -r "$file" -q --html "$out/page.html")"
    kb=$(( $(stat -c %s "$out/page.html") / 1024 ))
    printf '| %s %s | %s | %s | %s%% | %s | %.1f / %.1f |\n' "$profile" "$n" "$q" "$h" "$(awk "BEGIN{printf \"%.0f\", ($h/$q-1)*100}")" "$kb" "$(awk "BEGIN{print $qm/1024}")" "$(awk "BEGIN{print $hm/1024}")"
done
done
rm -f "$out/html.time"
