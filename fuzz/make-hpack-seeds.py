#!/usr/bin/env python3
"""Seeds for hpack_decode from the vendored hpack-test-case corpus
(h2o-core/tests/fixtures/hpack-test-case): for each implementation, stories 00-04 become one
input each: config byte 0x0f (4096-byte table, no list limit), then every header block of the
story that fits the target's one-byte length prefix, in order (the dynamic table carries over).
Usage: fuzz/make-hpack-seeds.py [OUT_DIR] (default fuzz/corpus/hpack_decode)."""
import json, os, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
fixtures = os.path.join(root, "h2o-core/tests/fixtures/hpack-test-case")
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "fuzz/corpus/hpack_decode")
os.makedirs(out, exist_ok=True)
n = 0
for impl in sorted(os.listdir(fixtures)):
    d = os.path.join(fixtures, impl)
    if not os.path.isdir(d):
        continue
    for i in range(5):
        p = os.path.join(d, f"story_{i:02d}.json")
        if not os.path.exists(p):
            continue
        seed = bytearray([0x0F])
        for case in json.load(open(p))["cases"]:
            if "wire" not in case:
                continue
            wire = bytes.fromhex(case["wire"])
            if len(wire) <= 255:
                seed.append(len(wire))
                seed += wire
        with open(os.path.join(out, f"hpack-test-case-{impl}-{i:02d}"), "wb") as f:
            f.write(seed)
        n += 1
print(f"{n} seeds written to {out}")
