#!/bin/sh
# Rebuilds the slices of the shared `big` capture kept in this folder, and
# checks them: the frames TSV derived from the shared tshark oracle must equal
# tshark's own reading of the slice. Run from the package root:
#     sh Fixtures/big/make-slices.sh [path/to/shared/captures/big]
# Needs editcap, tshark, gzip, awk.
set -eu

SRC=${1:-../shared/captures/big}
OUT=Fixtures/big
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

HEADER='frame.number	frame.time_epoch	ip.src	ip.dst	udp.srcport	udp.dstport	udp.length	udp.payload'
FRAG_HEADER='frame.number	frame.time_epoch	ip.src	ip.dst	ip.id	ip.frag_offset	ip.flags.mf	ip.len'

# The exact reading of captures/README.md.
oracle() {
    tshark -o ip.defragment:TRUE -Y udp.port==37020 -T fields -e frame.number \
        -e frame.time_epoch -e ip.src -e ip.dst -e udp.srcport -e udp.dstport \
        -e udp.length -e udp.payload -r "$1" 2>/dev/null
}

# Fragment packets of the whole capture. For the bridge view the shared
# fragments.tsv is that list; the board view has none, so it is read with
# tshark from the shared board-view.pcap (and the bridge list is checked the
# same way).
fragments() {
    tshark -o ip.defragment:TRUE -Y '(ip.flags.mf==1 || ip.frag_offset>0) && !icmp' \
        -T fields -e frame.number -e frame.time_epoch -e ip.src -e ip.dst -e ip.id \
        -e ip.frag_offset -e ip.flags.mf -e ip.len -r "$1" 2>/dev/null
}

fragments "$SRC/bridge.pcap" > "$TMP/bridge.fragments"
tail -n +2 "$SRC/fragments.tsv" | cmp -s - "$TMP/bridge.fragments" \
    || { echo "shared fragments.tsv disagrees with tshark" >&2; exit 1; }
fragments "$SRC/board-view.pcap" > "$TMP/board-view.fragments"
gzip -dc "$SRC/frames.tsv.gz" > "$TMP/bridge.frames"
gzip -dc "$SRC/frames-board-view.tsv.gz" > "$TMP/board-view.frames"

# slice VIEW NAME FIRST LAST
slice() {
    view=$1 name=$2 first=$3 last=$4
    pcap="$OUT/$name.pcap"
    editcap -F pcap -r "$SRC/$view.pcap" "$pcap" "$first-$last"

    # Fragments inside the slice, renumbered as editcap numbers them.
    { echo "$FRAG_HEADER"
      awk -F'\t' -v OFS='\t' -v a="$first" -v b="$last" \
          '$1 >= a && $1 <= b { $1 = $1 - a + 1; print }' "$TMP/$view.fragments"
    } > "$OUT/$name.fragments.tsv"

    # Rows of the shared oracle inside the slice, renumbered; a reassembled
    # datagram stays only if every one of its fragments is inside the slice.
    { echo "$HEADER"
      awk -F'\t' -v OFS='\t' -v a="$first" -v b="$last" '
          FNR == NR {                     # fragments: group by source and IP id
              key = $3 SUBSEP $4 SUBSEP $5
              fragOf[$1] = key
              if (!(key in lo) || $1 < lo[key]) lo[key] = $1
              if (!(key in hi) || $1 > hi[key]) hi[key] = $1
              next
          }
          FNR == 1 { next }               # header of the frames TSV
          $1 < a || $1 > b { next }
          ($1 in fragOf) && (lo[fragOf[$1]] < a || hi[fragOf[$1]] > b) { next }
          { $1 = $1 - a + 1; print }
      ' "$TMP/$view.fragments" "$TMP/$view.frames"
    } > "$TMP/$name.derived"

    { echo "$HEADER"; oracle "$pcap"; } > "$OUT/$name.frames.tsv"
    if cmp -s "$TMP/$name.derived" "$OUT/$name.frames.tsv"; then
        echo "$name: packets $first-$last of $view.pcap, $(($(wc -l < "$OUT/$name.frames.tsv") - 1)) rows; derived rows == tshark on the slice"
    else
        echo "$name: derived rows differ from tshark on the slice:" >&2
        diff "$TMP/$name.derived" "$OUT/$name.frames.tsv" >&2 || true
        exit 1
    fi
}

slice bridge      bridge-start             1  800
slice board-view  board-view-start         1  800
# 4560: HELLOs and unfragmented FULLs of 1408-1445 bytes (over the boards'
# 1024-byte buffer), then the first fragmented FULLs (4673+); 5342 is the
# first fragment of a FULL whose last fragment is outside the slice.
slice bridge      bridge-fragments      4560 5342
# 4634: the LAST fragment of the first fragmented FULL (its first fragment,
# 4633, is outside); 5302: a first fragment whose last one is outside.
slice board-view  board-view-fragments  4634 5302
