#!/usr/bin/env python3
"""Compares peersniff --json (on stdin) with the generator's FILE.stats: frames by
type and malformed payloads by reason must match exactly. Prints one Markdown line."""
import collections
import json
import sys

stats_path, name = sys.argv[1], sys.argv[2]
expected = collections.Counter()
for line in open(stats_path):
    key, _, value = line.strip().partition("=")
    if key.startswith(("frame.", "malformed.")):
        expected[key] = int(value)

found = collections.Counter()
records = 0
bad_lines = 0
for line in sys.stdin:
    records += 1
    try:
        record = json.loads(line)
    except ValueError:
        bad_lines += 1
        continue
    kind = record.get("kind")
    if kind == "frame":
        found["frame." + str(record.get("type"))] += 1
    elif kind == "malformed":
        found["malformed." + str(record.get("reason"))] += 1

differences = [
    f"{key} {found[key]} (expected {expected[key]})"
    for key in sorted(set(expected) | set(found))
    if found[key] != expected[key]
]
if bad_lines:
    differences.append(f"{bad_lines} of {records} lines are not JSON")
if differences:
    print(f"- {name}: MISMATCH: " + "; ".join(differences))
    sys.exit(0)
total_frames = sum(v for k, v in found.items() if k.startswith("frame."))
total_malformed = sum(v for k, v in found.items() if k.startswith("malformed."))
print(f"- {name}: OK ({total_frames} frames by type and {total_malformed} malformed by reason, as generated)")
