#!/usr/bin/env python3
"""Writes libFuzzer seeds from the shared captures (../shared/captures beside the
repository): every distinct UDP payload tshark read (frames*.tsv), the distinct
Ethernet frames of each bridge.pcap, and the IP fragments of each fragmented
datagram as one input (2-byte length, packet; the harness's third reading)."""
import glob, gzip, hashlib, os, struct, sys

captures, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
seen = set()

def seed(data):
    digest = hashlib.sha1(data).hexdigest()
    if digest in seen:
        return
    seen.add(digest)
    with open(os.path.join(out, digest), "wb") as f:
        f.write(data)

def lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        yield from f

for path in sorted(glob.glob(os.path.join(captures, "*", "frames*.tsv*"))):
    for line in lines(path):
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "frame.number" or len(fields) < 8:
            continue
        try:
            seed(bytes.fromhex(fields[7]))
        except ValueError:
            pass

def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at = 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        yield data[at + 16:at + 16 + caplen]
        at += 16 + caplen

for path in sorted(glob.glob(os.path.join(captures, "*", "bridge.pcap"))):
    per_capture = 0
    fragments = {}
    for frame in packets(path):
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        flags = struct.unpack(">H", ip[6:8])[0]
        if flags & 0x3FFF:
            fragments.setdefault((ip[12:16], ip[4:6]), []).append(ip)
        elif per_capture < 300:
            before = len(seen)
            seed(frame)
            per_capture += len(seen) - before
    for pieces in list(fragments.values())[:50]:
        seed(b"".join(struct.pack(">H", len(p)) + p for p in pieces))
        seed(b"".join(struct.pack(">H", len(p)) + p for p in reversed(pieces)))

print(f"{len(seen)} seeds in {out}")
