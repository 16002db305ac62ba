#!/usr/bin/env bash
# Live capture rate: the highest rate of discovery frames peersniff captures with
# no loss. Two network namespaces joined by a veth pair (removed by name on exit);
# peersniff-test-sender --scenario flood sends HELLOs (broadcast) and PINGs (unicast)
# alternately from one side at rising rates; `peersniff -i <veth> -q --json` watches
# the other side. A rate is lossless when the summary's kernel_dropped is 0 and
# peersniff counted as many frames from the sender as the sender's kernel accepted.
# Needs root and iproute2. Not a test: it prints a table and the figure.
#
#   Benchmarks/live-rate.sh [--rates "10000 50000 …"] [--seconds S] [--no-build]
#                           [--scratch-path DIR] [--peersniff PATH] [--sender PATH]
#                           [--tcpdump]
#
# --rates      frames a second to try, in order (default 10000 25000 50000 100000
#              200000 400000); the sender reports the rate it really reached
# --seconds    seconds of sending at each rate (default 2)
# --no-build   use the release binaries already built
# --scratch-path  swift build's scratch path (default: the root's .build)
# --peersniff, --sender  use these binaries (no build)
# --tcpdump    also measure tcpdump (immediate mode, same buffer, -w /dev/null) at
#              each rate: the floor of what a libpcap capture loses on this machine
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
rates="10000 25000 50000 100000 200000 400000"
seconds=2
build=1
scratch=""
peersniff=""
sender=""
tcpdump=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rates) rates="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        --no-build) build=0 ;;
        --scratch-path) scratch="$2"; shift ;;
        --peersniff) peersniff="$2"; shift ;;
        --sender) sender="$2"; shift ;;
        --tcpdump) tcpdump=1 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "live-rate.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
log() { printf '%s\n' "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "live-rate.sh: needs root (network namespaces, live capture)"; exit 1; }
command -v ip >/dev/null || { log "live-rate.sh: needs iproute2's ip"; exit 1; }
command -v python3 >/dev/null || { log "live-rate.sh: needs python3 (reads the JSON summary)"; exit 1; }

# ---------------------------------------------------------------- binaries
scratch_args=()
[ -n "$scratch" ] && scratch_args=(--scratch-path "$scratch")
# peersniff's release flags (scripts/release-flags.sh): what is timed is what is installed.
source "$root/scripts/release-flags.sh"
scratch_args+=("${release_flags[@]}")
if [ -z "$peersniff" ] || [ -z "$sender" ]; then
    if [ "$build" = 1 ]; then
        log "building peersniff and peersniff-test-sender (release)"
        (cd "$root" && swift build -c release "${scratch_args[@]}" --product peersniff >&2 &&
            swift build -c release "${scratch_args[@]}" --product peersniff-test-sender >&2) ||
            { log "live-rate.sh: build failed"; exit 1; }
    fi
    bin="$(cd "$root" && swift build -c release "${scratch_args[@]}" --show-bin-path)"
    [ -n "$peersniff" ] || peersniff="$bin/peersniff"
    [ -n "$sender" ] || sender="$bin/peersniff-test-sender"
fi
for b in "$peersniff" "$sender"; do [ -x "$b" ] || { log "live-rate.sh: $b is not built"; exit 1; }; done

# ---------------------------------------------------------------- the network
id="$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | tail -c 6)"
ns_s="psn-$id-s"; ns_c="psn-$id-c"; if_s="psn-${id}s"; if_c="psn-${id}c"
capture_pid=""
teardown() {
    [ -n "$capture_pid" ] && kill -KILL "$capture_pid" 2>/dev/null
    ip netns delete "$ns_s" 2>/dev/null
    ip netns delete "$ns_c" 2>/dev/null
    ip link delete "$if_s" 2>/dev/null
    ip link delete "$if_c" 2>/dev/null
    rm -rf "$work"
}
work="$(mktemp -d)"
trap teardown EXIT
trap 'exit 130' INT TERM
set -e
ip netns add "$ns_s"
ip netns add "$ns_c"
ip link add "$if_s" netns "$ns_s" type veth peer name "$if_c" netns "$ns_c"
ip netns exec "$ns_s" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$if_s/disable_ipv6"
ip netns exec "$ns_c" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$if_c/disable_ipv6"
ip -n "$ns_s" addr add 10.99.0.1/24 dev "$if_s"
ip -n "$ns_s" addr add 10.99.0.254/24 dev "$if_s"
ip -n "$ns_c" addr add 10.99.0.2/24 dev "$if_c"
ip -n "$ns_s" link set "$if_s" up
ip -n "$ns_c" link set "$if_c" up
ip -n "$ns_s" route add default dev "$if_s"
mac="$(ip netns exec "$ns_c" cat "/sys/class/net/$if_c/address")"
# The PINGs go to 10.99.0.3: no ARP, and the capture side drops them without an answer.
ip -n "$ns_s" neigh add 10.99.0.3 lladdr "$mac" dev "$if_s" nud permanent
set +e

stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# Waits until the capture started as PID has its packet socket (in the capture
# namespace, once `ip netns exec` has replaced itself), then gives it a moment.
wait_capturing() {
    local pid="$1"
    for _ in $(seq 1 250); do
        if [ "$(cat /proc/$pid/comm 2>/dev/null)" != ip ] && [ "$(wc -l </proc/$pid/net/packet 2>/dev/null || echo 0)" -gt 1 ]; then break; fi
        sleep 0.02
    done
    sleep 0.3
}

# ---------------------------------------------------------------- one rate
# Prints: wanted achieved sent failed captured kernel_received kernel_dropped veth_drops woken
measure() {
    local rate="$1" count out pid woken=0
    count=$(python3 -c "print(int($rate * $seconds))")
    out="$work/$rate.json"
    local rx_drop_before tx_drop_before
    rx_drop_before=$(stat_of "$ns_c" "$if_c" rx_dropped)
    tx_drop_before=$(stat_of "$ns_s" "$if_s" tx_dropped)
    ip netns exec "$ns_c" "$peersniff" -i "$if_c" -q --json >"$out" 2>"$work/$rate.err" &
    pid=$!
    capture_pid=$pid
    wait_capturing "$pid"
    local line
    line="$(ip netns exec "$ns_s" "$sender" --scenario flood --bind 10.99.0.1 --unicast 10.99.0.3 --count "$count" --rate "$rate")"
    sleep 0.5
    kill -INT "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    if kill -0 "$pid" 2>/dev/null; then
        # An idle capture may only see the signal with the next packet: send one from
        # 10.99.0.254 (not counted: frames are counted per sender).
        woken=1
        ip netns exec "$ns_s" "$sender" --scenario hello --bind 10.99.0.254 --name wake-up >/dev/null
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    capture_pid=""
    local veth_drops
    veth_drops=$(( $(stat_of "$ns_c" "$if_c" rx_dropped) - rx_drop_before + $(stat_of "$ns_s" "$if_s" tx_dropped) - tx_drop_before ))
    python3 - "$out" "$rate" "$line" "$veth_drops" "$woken" <<'EOF'
import json, sys
path, rate, line, veth, woken = sys.argv[1:]
fields = dict(part.split("=", 1) for part in line.split())
summary = None
for text in open(path):
    try:
        record = json.loads(text)
    except ValueError:
        continue
    if record.get("kind") == "summary":
        summary = record
if summary is None:
    print(rate, round(float(fields.get("rate", 0))), fields.get("sent", 0), fields.get("failed", 0), "-", "-", "-", veth, woken)
    sys.exit(0)
captured = sum(node.get("frames_sent", 0) for node in summary.get("nodes", []) if node.get("ip") == "10.99.0.1")
print(rate, round(float(fields["rate"])), fields["sent"], fields["failed"], captured,
      summary.get("kernel_received", "-"), summary.get("kernel_dropped", "-"), veth, woken)
EOF
}

# tcpdump at one rate: prints achieved sent captured kernel_dropped.
measure_tcpdump() {
    local rate="$1" count pid line
    count=$(python3 -c "print(int($rate * $seconds))")
    ip netns exec "$ns_c" tcpdump -i "$if_c" -n -q --immediate-mode -B 8192 -w /dev/null \
        "udp port 37020 or (ip[6:2] & 0x3fff != 0)" 2>"$work/tcpdump.$rate.err" &
    pid=$!
    capture_pid=$pid
    wait_capturing "$pid"
    line="$(ip netns exec "$ns_s" "$sender" --scenario flood --bind 10.99.0.1 --unicast 10.99.0.3 --count "$count" --rate "$rate")"
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" 2>/dev/null
    capture_pid=""
    python3 - "$work/tcpdump.$rate.err" "$line" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
fields = dict(part.split("=", 1) for part in sys.argv[2].split())
def count(what):
    m = re.search(r"(\d+) packets? " + what, text)
    return m.group(1) if m else "-"
print(round(float(fields["rate"])), fields["sent"], count("captured"), count("dropped by kernel"))
EOF
}

printf '%-9s %-9s %-9s %-7s %-9s %-9s %-8s %-6s %s\n' wanted achieved sent refused captured k_recv k_drop veth lossless
best=0
steady=0
failed_once=0
for rate in $rates; do
    read -r wanted achieved sent failed captured krecv kdrop veth woken < <(measure "$rate")
    lossless=no
    if [ "$captured" != "-" ] && [ "$kdrop" = 0 ] && [ "$captured" = "$sent" ] && [ "$failed" = 0 ] && [ "$veth" = 0 ]; then
        lossless=yes
        if [ "$achieved" -gt "$best" ]; then best=$achieved; fi
        if [ "$failed_once" = 0 ] && [ "$achieved" -gt "$steady" ]; then steady=$achieved; fi
    else
        failed_once=1
    fi
    note=""
    [ "$woken" = 1 ] && note=" (SIGINT needed a wake-up packet)"
    printf '%-9s %-9s %-9s %-7s %-9s %-9s %-8s %-6s %s%s\n' "$wanted" "$achieved" "$sent" "$failed" "$captured" "$krecv" "$kdrop" "$veth" "$lossless" "$note"
    if [ "$tcpdump" = 1 ]; then
        read -r t_achieved t_sent t_captured t_dropped < <(measure_tcpdump "$rate")
        printf '  tcpdump: %s frames/s, sent %s, captured %s, dropped by the kernel %s\n' "$t_achieved" "$t_sent" "$t_captured" "$t_dropped"
    fi
done
echo
echo "peersniff: $peersniff"
if [ "$best" -gt 0 ]; then
    echo "highest rate captured with zero drops: $best frames/s"
    echo "every rate up to $steady frames/s captured with zero drops (the rates tried, in order, until the first loss)"
else
    echo "no rate was captured without drops"
fi
