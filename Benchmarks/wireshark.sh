#!/usr/bin/env bash
# The Wireshark dissector's cost: tshark on generated discovery traffic, without and
# with contrib/wireshark/peersniff-discovery.lua, and peersniff on the same capture.
#
#   Benchmarks/wireshark.sh [--packets N] [--runs N] [--no-build] [--regenerate]
#
# --packets N     the capture's size (default 1000000: the discovery-1M of run.sh, reused
#                 from Benchmarks/out/ when it was made with the same generator and arguments)
# --runs N        runs per measure, the best is kept (default 1: tshark is slow)
# --no-build      use the peersniff-gen (and peersniff) already built
# --regenerate    make the capture again
#
# Each measure reads the whole capture and prints one line per packet (tshark's default
# output, peersniff's text) into a file, as a technician's first look does:
#   tshark -n -r FILE                                  Wireshark's own dissectors
#   tshark -n -X lua_script:DISSECTOR -r FILE          the same, plus the dissector
#   tshark -n -X lua_script:DISSECTOR -r FILE -Y FILTER  a display filter on its fields
#   peersniff -r FILE                                  for scale (if a release build is there)
# tshark runs with HOME in Benchmarks/out/, so that a dissector installed in the real
# personal plugin folder is not loaded (twice, or into the run "without" it).
# Results: Markdown on stdout, and in Benchmarks/out/results-wireshark.md.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
packets=1000000
runs=1
build=1
regenerate=0
while [ $# -gt 0 ]; do
    case "$1" in
        --packets) packets="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --no-build) build=0 ;;
        --regenerate) regenerate=1 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "wireshark.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

export PATH="/opt/swift/usr/bin:$PATH"
mkdir -p "$out/logs" "$out/wireshark-home"
log() { printf '%s\n' "$*" >&2; }
command -v tshark >/dev/null || { log "wireshark.sh: tshark is not installed (apt-get install tshark)"; exit 1; }
[ -x /usr/bin/time ] || { log "wireshark.sh: GNU time is needed (apt-get install time)"; exit 1; }
dissector="$root/contrib/wireshark/peersniff-discovery.lua"

if [ "$build" = 1 ]; then
    log "building peersniff-gen (release)"
    swift build -c release --package-path "$here/Generator" >"$out/logs/generator-build.log" 2>&1 \
        || { log "wireshark.sh: the generator does not build; see $out/logs/generator-build.log"; exit 1; }
fi
gen="$(swift build -c release --package-path "$here/Generator" --show-bin-path 2>/dev/null)/peersniff-gen"
[ -x "$gen" ] || { log "wireshark.sh: no peersniff-gen at $gen"; exit 1; }
peersniff="$(swift build -c release --package-path "$root" --show-bin-path 2>/dev/null)/peersniff"
[ -x "$peersniff" ] || peersniff=""

# The capture, named and stamped as run.sh does, so that either script reuses it.
version="$("$gen" --version | awk '{print $2}')"
if [ "$packets" = 1000000 ]; then name=discovery-1M; else name="discovery-$packets"; fi
file="$out/$name.pcap"
args="--profile discovery --packets $packets"
stamp="generator=$version args=$args seed=1"
if [ "$regenerate" = 1 ] || [ ! -f "$file" ] || [ ! -f "$file.stats" ] || [ "$(cat "$file.args" 2>/dev/null)" != "$stamp" ]; then
    log "generating $name.pcap ($args)"
    # shellcheck disable=SC2086
    "$gen" $args --seed 1 -o "$file" -q || { log "wireshark.sh: the generator failed"; exit 1; }
    printf '%s\n' "$stamp" >"$file.args"
else
    log "reusing $name.pcap"
fi
count="$(sed -n 's/^packets=//p' "$file.stats" | head -1)"
[ -n "$count" ] || count="$packets"

# measure LABEL COMMAND...: the best wall time of $runs, the CPU time (user + system) of
# that run, and the largest peak RSS; stdout to a file. The CPU time says more than the
# wall time on a machine shared with other work.
measure() {
    local label="$1"
    shift
    local best="" cpu="" rss=0 i t0 t1 seconds peak used
    for ((i = 1; i <= runs; i++)); do
        t0="$EPOCHREALTIME"
        HOME="$out/wireshark-home" /usr/bin/time -f '%U %S %M' -o "$out/logs/.time" "$@" >"$out/wireshark.$label.out" 2>"$out/logs/wireshark.$label.stderr" \
            || { log "  $label: exit $?; $(tail -c 300 "$out/logs/wireshark.$label.stderr")"; return 1; }
        t1="$EPOCHREALTIME"
        seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
        used="$(tail -1 "$out/logs/.time" | awk '{ printf "%.1f", $1 + $2 }')"
        peak="$(tail -1 "$out/logs/.time" | awk '{ print $3 }')"
        if [ -z "$best" ] || awk -v s="$seconds" -v b="$best" 'BEGIN { exit !(s < b) }'; then best="$seconds"; cpu="$used"; fi
        [ "${peak:-0}" -gt "$rss" ] && rss="$peak"
    done
    lines="$(wc -l <"$out/wireshark.$label.out")"
    printf '| %s | %s | %s | %s | %.0f | %.0f | %s |\n' "$label" "$best" "$cpu" "$lines" \
        "$(awk -v n="$count" -v s="$cpu" 'BEGIN { print (s > 0 ? n / s : 0) }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$command_text"
    rm -f "$out/wireshark.$label.out"
}

results="$out/results-wireshark.md"
{
    echo "# tshark with and without the discovery dissector ($(date -u +%Y-%m-%d), best of $runs)"
    echo
    echo "Capture: $name.pcap ($count packets, $(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.0f MB", b / 1e6 }'), \`peersniff-gen $args --seed 1\`)."
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; $(tshark -v 2>/dev/null | head -1)"
    echo
    echo "| measure | seconds | CPU seconds | lines | packets per CPU second | peak RSS MB | command |"
    echo "|---|--:|--:|--:|--:|--:|---|"
} | tee "$results"
command_text='`tshark -n -r FILE`'
measure tshark tshark -n -r "$file" | tee -a "$results"
command_text='`tshark -n -X lua_script:peersniff-discovery.lua -r FILE`'
measure tshark+dissector tshark -n -X "lua_script:$dissector" -r "$file" | tee -a "$results"
command_text='`tshark -n -X lua_script:peersniff-discovery.lua -r FILE -Y '"'"'discovery.type == "FULL"'"'"'`'
measure tshark+dissector+filter tshark -n -X "lua_script:$dissector" -r "$file" -Y 'discovery.type == "FULL"' | tee -a "$results"
if [ -n "$peersniff" ]; then
    command_text='`peersniff -r FILE --color never`'
    measure peersniff "$peersniff" -r "$file" --color never | tee -a "$results"
fi
log "results in $results"
