#!/usr/bin/env bash
# peersniff benchmarks: times peersniff against a libpcap baseline on generated
# captures. See Benchmarks/README.md.
#
#   Benchmarks/run.sh [--quick] [--runs N] [--regenerate] [--no-build]
#                     [--scratch-path DIR] [--keep-output] [--peersniff PATH]
#
# --quick          discovery 200k packets and lan 50 MB (under a minute once built)
#                  instead of discovery 1M, discovery 1M with 5% malformed,
#                  discovery 10M, lan 200 MB and lan 2 GB
# --runs N         runs per measure, the best is kept (default 3)
# --regenerate     make the captures again even if Benchmarks/out/ has them
# --no-build       use the binaries already built
# --scratch-path   swift build's scratch path for peersniff (default: the root's .build)
# --keep-output    keep the text outputs in Benchmarks/out/ (otherwise deleted after timing)
# --peersniff PATH time this peersniff binary instead of building one
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
mode=full
runs=3
regenerate=0
build=1
scratch=""
keep_output=0
given_peersniff=""

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --full) mode=full ;;
        --runs) runs="$2"; shift ;;
        --regenerate) regenerate=1 ;;
        --no-build) build=0 ;;
        --scratch-path) scratch="$2"; shift ;;
        --keep-output) keep_output=1 ;;
        --peersniff) given_peersniff="$2"; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

mkdir -p "$out/bin" "$out/logs"
log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
apt_ready=0
need_apt() {
    if [ "$apt_ready" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt_ready=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/time ]; then log "installing GNU time"; need_apt time; fi
if ! pkg-config --exists libpcap 2>/dev/null; then log "installing libpcap-dev"; need_apt libpcap-dev pkg-config; fi
command -v cc >/dev/null || { log "installing a C compiler"; need_apt gcc libc6-dev; }

# ---------------------------------------------------------------- build
generator_bin=""
peersniff_bin=""
peersniff_note=""
baseline_bin="$out/bin/baseline"

# peersniff's release flags (scripts/release-flags.sh): what is timed is what is installed.
source "$root/scripts/release-flags.sh"
swift_peersniff() {
    if [ -n "$scratch" ]; then
        swift "$@" -c release --package-path "$root" --scratch-path "$scratch" "${release_flags[@]}"
    else
        swift "$@" -c release --package-path "$root" "${release_flags[@]}"
    fi
}

if [ "$build" = 1 ]; then
    log "building peersniff-gen (release)"
    if ! swift build -c release --package-path "$here/Generator" >"$out/logs/generator-build.log" 2>&1; then
        log "run.sh: the generator does not build; see $out/logs/generator-build.log"
        tail -20 "$out/logs/generator-build.log" >&2
        exit 1
    fi
    if [ -z "$given_peersniff" ]; then
        log "building peersniff (release)"
        if ! swift_peersniff build --product peersniff >"$out/logs/peersniff-build.log" 2>&1; then
            peersniff_note="build failed"
            log "peersniff: build failed; see $out/logs/peersniff-build.log"
            grep -m 5 'error:' "$out/logs/peersniff-build.log" >&2
        fi
    fi
    log "building baseline (cc -O2)"
    cc -O2 -Wall -o "$baseline_bin" "$here/baseline.c" $(pkg-config --cflags --libs libpcap) || exit 1
fi
generator_bin="$(swift build -c release --package-path "$here/Generator" --show-bin-path 2>/dev/null)/peersniff-gen"
[ -x "$generator_bin" ] || { log "run.sh: no peersniff-gen at $generator_bin (build first)"; exit 1; }
[ -x "$baseline_bin" ] || { log "run.sh: no baseline at $baseline_bin (build first)"; exit 1; }
if [ -n "$given_peersniff" ]; then
    if [ -x "$given_peersniff" ]; then peersniff_bin="$given_peersniff"; else peersniff_note="no executable at $given_peersniff"; fi
elif [ -z "$peersniff_note" ]; then
    candidate="$(swift_peersniff build --show-bin-path 2>/dev/null)/peersniff"
    if [ -x "$candidate" ]; then peersniff_bin="$candidate"; else peersniff_note="not built"; fi
fi

# The filter: peersniff's own, so that the baseline matches exactly what it matches.
default_filter='(udp port 37020 or (ip[6:2] & 0x3fff != 0)) or (vlan and (udp port 37020 or (ip[6:2] & 0x3fff != 0)))'
filter="$default_filter"
filter_source="run.sh's default (peersniff --print-filter unavailable)"
if [ -n "$peersniff_bin" ]; then
    if printed="$("$peersniff_bin" --print-filter 2>/dev/null | head -1)" && [ -n "$printed" ]; then
        if "$baseline_bin" --check-filter "$printed" 2>"$out/logs/filter.log"; then
            filter="$printed"
            filter_source="peersniff --print-filter"
        else
            filter_source="run.sh's default (libpcap rejects peersniff --print-filter's output: $(cat "$out/logs/filter.log"))"
        fi
    fi
fi

# ---------------------------------------------------------------- captures
generator_version="$("$generator_bin" --version | awk '{print $2}')"

# name|generator arguments
if [ "$mode" = quick ]; then
    captures=(
        "discovery-200k|--profile discovery --packets 200000"
        "lan-50MB|--profile lan --bytes 50000000"
    )
else
    captures=(
        "discovery-1M|--profile discovery --packets 1000000"
        "discovery-1M-malformed5|--profile discovery --packets 1000000 --malformed-percent 5"
        "discovery-10M|--profile discovery --packets 10000000"
        "lan-200MB|--profile lan --bytes 200000000"
        "lan-2GB|--profile lan --bytes 2000000000"
    )
fi

stat_of() { sed -n "s/^$2=//p" "$out/$1.pcap.stats" | head -1; }

for entry in "${captures[@]}"; do
    name="${entry%%|*}"
    args="${entry#*|}"
    file="$out/$name.pcap"
    stamp="generator=$generator_version args=$args seed=1"
    if [ "$regenerate" = 0 ] && [ -f "$file" ] && [ -f "$file.stats" ] && [ "$(cat "$file.args" 2>/dev/null)" = "$stamp" ]; then
        log "reusing $name.pcap"
        continue
    fi
    log "generating $name.pcap ($args)"
    # shellcheck disable=SC2086
    if ! "$generator_bin" $args --seed 1 -o "$file" -q; then
        log "run.sh: the generator failed for $name"; exit 1
    fi
    printf '%s\n' "$stamp" >"$file.args"
done

# ---------------------------------------------------------------- timing
now() { printf '%s' "$EPOCHREALTIME"; }

# measure NAME LABEL STDOUT-FILE COMMAND...
# Sets m_seconds (best wall time), m_rss_kb (largest peak RSS over the runs),
# m_out_bytes (size of STDOUT-FILE after the last run) or m_error.
measure() {
    local name="$1" label="$2" stdout="$3"
    shift 3
    local errlog="$out/logs/$name.$label.stderr" timefile="$out/logs/.time"
    m_seconds="" m_rss_kb=0 m_out_bytes=0 m_error=""
    local i t0 t1 status seconds rss
    for ((i = 1; i <= runs; i++)); do
        t0="$(now)"
        /usr/bin/time -f '%e %M' -o "$timefile" "$@" >"$stdout" 2>"$errlog"
        status=$?
        t1="$(now)"
        if [ "$status" != 0 ]; then
            m_error="exit $status"
            log "  $label on $name: exit $status; $(tail -c 300 "$errlog" | tr '\n' ' ')"
            return 1
        fi
        seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
        rss="$(tail -1 "$timefile" | awk '{print $2}')"
        if [ -z "$m_seconds" ] || awk -v s="$seconds" -v b="$m_seconds" 'BEGIN { exit !(s < b) }'; then
            m_seconds="$seconds"
        fi
        [ "${rss:-0}" -gt "$m_rss_kb" ] && m_rss_kb="$rss"
    done
    [ -f "$stdout" ] && m_out_bytes="$(stat -c %s "$stdout" 2>/dev/null || echo 0)"
    return 0
}

results="$out/results-$mode.md"
{
    echo "# peersniff benchmarks ($mode, best of $runs, $(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(uname -sr)."
    echo "Filter ($filter_source): \`$filter\`"
    [ -n "$peersniff_note" ] && echo "peersniff: $peersniff_note (logs in Benchmarks/out/logs/)."
    [ -n "$peersniff_bin" ] && echo "peersniff: $peersniff_bin"
    echo
    echo "| capture | tool | packets | MB | seconds | packets/s | frames/s | peak RSS MB | × baseline | output MB |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
} >"$results"

row() {  # capture tool packets file-bytes frames seconds rss-kb baseline-seconds out-bytes
    awk -v c="$1" -v t="$2" -v p="$3" -v fb="$4" -v f="$5" -v s="$6" -v r="$7" -v b="$8" -v o="$9" 'BEGIN {
        if (s == "") { printf "| %s | %s | %d | %.0f | n/a | n/a | n/a | n/a | n/a | |\n", c, t, p, fb / 1e6; exit }
        e = s < 0.001 ? 0.001 : s
        ratio = (b == "" ? "n/a" : sprintf("%.2f", s / (b < 0.001 ? 0.001 : b)))
        out = (o > 0 ? sprintf("%.1f", o / 1e6) : "")
        printf "| %s | %s | %d | %.0f | %.3f | %.0f | %.0f | %.1f | %s | %s |\n", c, t, p, fb / 1e6, s, p / e, f / e, r / 1024, ratio, out
    }' >>"$results"
}
na_row() {  # capture tool packets file-bytes why
    printf '| %s | %s | %d | %.0f | n/a (%s) | | | | | |\n' "$1" "$2" "$3" "$(awk -v b="$4" 'BEGIN { printf "%.0f", b / 1e6 }')" "$5" >>"$results"
}

declare -A rss_of
for entry in "${captures[@]}"; do
    name="${entry%%|*}"
    file="$out/$name.pcap"
    packets="$(stat_of "$name" packets)"
    bytes="$(stat_of "$name" bytes)"
    frames="$(stat_of "$name" discovery_datagrams)"
    log "timing $name ($packets packets, $frames discovery datagrams)"

    baseline_seconds=""
    if measure "$name" baseline "$out/logs/$name.baseline.out" "$baseline_bin" "$file" "$filter"; then
        baseline_seconds="$m_seconds"
        row "$name" "baseline (libpcap + BPF)" "$packets" "$bytes" "$frames" "$m_seconds" "$m_rss_kb" "$m_seconds" 0
        rss_of["$name.baseline"]="$m_rss_kb"
        log "  baseline: $m_seconds s, $(cat "$out/logs/$name.baseline.out")"
    else
        na_row "$name" "baseline (libpcap + BPF)" "$packets" "$bytes" "$m_error"
    fi

    for tool in "-q" "--json" "text"; do
        case "$tool" in
            -q) label=quiet; shown="peersniff -q"; stdout="$out/logs/$name.quiet.out"; extra=(-q) ;;
            --json) label=json; shown="peersniff --json"; stdout=/dev/null; extra=(--json) ;;
            text) label=text; shown="peersniff (text)"; stdout="$out/$name.text.txt"; extra=() ;;
        esac
        if [ -z "$peersniff_bin" ]; then
            na_row "$name" "$shown" "$packets" "$bytes" "${peersniff_note:-unavailable}"
            continue
        fi
        if measure "$name" "$label" "$stdout" "$peersniff_bin" -r "$file" "${extra[@]}"; then
            row "$name" "$shown" "$packets" "$bytes" "$frames" "$m_seconds" "$m_rss_kb" "$baseline_seconds" \
                "$([ "$stdout" = /dev/null ] || echo "$m_out_bytes")"
            rss_of["$name.$label"]="$m_rss_kb"
            log "  $shown: $m_seconds s, $((m_rss_kb / 1024)) MB"
        else
            na_row "$name" "$shown" "$packets" "$bytes" "$m_error"
        fi
        [ "$label" = text ] && [ "$keep_output" = 0 ] && rm -f "$stdout"
    done
done

# Memory flatness: ten times the packets should not take ten times the memory.
if [ "$mode" = full ]; then
    {
        echo
        echo "Memory flatness (peak RSS of discovery-10M ÷ discovery-1M):"
        for label in baseline quiet json text; do
            a="${rss_of[discovery-1M.$label]:-}"
            b="${rss_of[discovery-10M.$label]:-}"
            if [ -n "$a" ] && [ -n "$b" ]; then
                awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN { printf "- %s: %.1f MB → %.1f MB (×%.2f)\n", l, a / 1024, b / 1024, b / a }'
            else
                echo "- $label: n/a"
            fi
        done
    } >>"$results"
fi

# Correctness: what peersniff found against what the generator wrote (untimed).
if [ -n "$peersniff_bin" ] && command -v python3 >/dev/null; then
    echo >>"$results"
    echo "Check of peersniff --json against the generator's counts (captures of up to 1.5M packets):" >>"$results"
    for entry in "${captures[@]}"; do
        name="${entry%%|*}"
        [ "$(stat_of "$name" packets)" -le 1500000 ] || continue
        jsonl="$out/logs/$name.check.jsonl"
        "$peersniff_bin" -r "$out/$name.pcap" --json >"$jsonl" 2>"$out/logs/$name.check.stderr"
        status=$?
        if [ "$status" != 0 ]; then
            echo "- $name: n/a (peersniff --json exited $status)" >>"$results"
        else
            python3 "$here/check-json.py" "$out/$name.pcap.stats" "$name" <"$jsonl" >>"$results" 2>&1
        fi
        rm -f "$jsonl"
    done
fi

echo >&2
cat "$results"
log "(also in $results)"
