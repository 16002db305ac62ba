#!/usr/bin/env bash
# Checks the generator's output with tshark, an independent reader:
#  - the files open and dissect;
#  - every IPv4 header, UDP, TCP and ICMPv6 checksum is right (none bad), except
#    the bad-udp-checksum datagrams asked for with --malformed-percent;
#  - with IP reassembly every fragmented FULL comes out whole (udp.length equals
#    the reassembled length and the payload's length + 8);
#  - every discovery payload decodes as the generator says: FULLs list their
#    sender first and the others sorted, 10 to 51 entries, names of at most 32
#    bytes; malformed payloads by reason match FILE.stats.
# Small captures (a few seconds of tshark). Needs tshark and python3.
#
#   Benchmarks/verify-captures.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/out/verify"
mkdir -p "$out"
command -v tshark >/dev/null || {
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
}
swift build -c release --package-path "$here/Generator" >/dev/null
gen="$(swift build -c release --package-path "$here/Generator" --show-bin-path)/peersniff-gen"

"$gen" --profile discovery --packets 50000 -o "$out/discovery.pcap" -q
"$gen" --profile discovery --packets 50000 --malformed-percent 10 --seed 7 -o "$out/malformed.pcap" -q
"$gen" --profile lan --bytes 50M -o "$out/lan.pcap" -q

# Decodes tshark's (source, payload, checksum status) lines the way CONTRACT.md
# says peersniff must, and compares the counts with FILE.stats.
decoder="$(cat <<'EOF'
import collections, ipaddress, json, sys
expected = collections.Counter()
for line in open(sys.argv[1]):
    key, _, value = line.strip().partition("=")
    if key.startswith(("frame.", "malformed.")) and key != "malformed.incomplete-fragments":
        expected[key] = int(value)
found = collections.Counter()
problems = []
names = {1: "HELLO", 2: "FULL", 3: "PING", 4: "PONG", 5: "OFFLINE", 0x7B: "LEGACY"}
for line in sys.stdin:
    src, payload, status = line.rstrip("\n").split("\t")
    b = bytes.fromhex(payload)
    if status == "0":
        found["malformed.bad-udp-checksum"] += 1
        continue
    def reason():
        if not b:
            return "empty"
        t = b[0]
        if t == 0x7B:
            try:
                _, end = json.JSONDecoder().raw_decode(b.decode("utf-8", "replace"))
            except ValueError:
                return "bad-json"
            return None if end == len(b.decode("utf-8", "replace")) else "trailing-bytes"
        if t in (3, 4):
            return None if len(b) == 1 else "trailing-bytes"
        if t == 5:
            return "truncated-header" if len(b) < 5 else (None if len(b) == 5 else "trailing-bytes")
        if t == 1:
            if len(b) < 2:
                return "truncated-header"
            if len(b) < 2 + b[1]:
                return "truncated-name"
            return None if len(b) == 2 + b[1] else "trailing-bytes"
        if t == 2:
            if len(b) < 2:
                return "truncated-header"
            o, ips = 2, []
            for _ in range(b[1]):
                if len(b) - o < 5 or len(b) - o < 5 + b[o + 4]:
                    return "truncated-peer"
                ips.append(ipaddress.ip_address(b[o:o + 4]))
                if b[o + 4] > 32:
                    problems.append(f"name of {b[o + 4]} bytes")
                o += 5 + b[o + 4]
            if o != len(b):
                return "trailing-bytes"
            if str(ips[0]) != src or ips[1:] != sorted(ips[1:]) or len(set(ips)) != len(ips) or not 10 <= len(ips) <= 51:
                problems.append(f"FULL from {src} is not as the firmware builds it")
            return None
        return "unknown-type"
    r = reason()
    found[("malformed." + r) if r else ("frame." + names[b[0]])] += 1
for key in sorted(set(expected) | set(found)):
    if expected[key] != found[key]:
        problems.append(f"{key}: tshark {found[key]}, generator {expected[key]}")
print("   payloads:", ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in sorted(found.items())))
for p in problems[:10]:
    print("   PROBLEM:", p)
sys.exit(1 if problems else 0)
EOF
)"

failed=0
for name in discovery malformed lan; do
    file="$out/$name.pcap"
    echo "== $name.pcap"
    tshark -r "$file" -c 5 2>/dev/null | sed 's/^/   /'

    # Checksums: 0 is Wireshark's "bad".
    bad="$(tshark -r "$file" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -T fields -e ip.checksum.status -e udp.checksum.status -e tcp.checksum.status -e icmpv6.checksum.status 2>/dev/null |
        tr '\t' '\n' | grep -c '^0$' || true)"
    expected_bad="$(sed -n 's/^malformed.bad-udp-checksum=//p' "$file.stats")"
    echo "   bad checksums: $bad (expected ${expected_bad:-0})"
    [ "$bad" = "${expected_bad:-0}" ] || failed=1

    # Reassembled FULLs.
    tshark -r "$file" -o ip.defragment:TRUE -Y 'udp.port==37020 && ip.reassembled.length' \
        -T fields -e ip.reassembled.length -e udp.length -e udp.payload 2>/dev/null |
        awk -v want="$(sed -n 's/^fragmented_datagrams=//p' "$file.stats")" \
            -v dropped="$(sed -n 's/^malformed.incomplete-fragments=//p' "$file.stats")" '
            { n++; if ($1 != $2 || $2 != length($3) / 2 + 8) bad++ }
            END {
                printf "   reassembled datagrams: %d (expected %d), length mismatches: %d\n", n, want - dropped, bad
                exit (n != want - dropped || bad > 0)
            }' || failed=1

    # Every discovery payload, decoded independently.
    tshark -r "$file" -o ip.defragment:TRUE -o udp.check_checksum:TRUE -Y 'udp.port==37020' \
        -T fields -e ip.src -e udp.payload -e udp.checksum.status 2>/dev/null |
        python3 -c "$decoder" "$file.stats" || failed=1
done
[ "$failed" = 0 ] && echo "all captures check out" || { echo "some checks failed"; exit 1; }
