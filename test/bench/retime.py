#!/usr/bin/env python3
# retime.py GAP: reads `tcpdump -tt -xx -n -r CAPTURE`, writes text2pcap's input
# (`text2pcap -t %s. -` reads it) with the capture's clusters of frames (frames
# closer than 0.1 s to the one before) moved GAP seconds apart, each keeping its
# own timing. Used by test/bench/virtual to stretch a quick session.
import sys
gap = float(sys.argv[1])
pkts, cur = [], None
for line in sys.stdin:
    if line.startswith("\t0x"):
        cur[1].extend(bytes.fromhex("".join(line.split(":", 1)[1].split())))
    elif line.strip():
        cur = (float(line.split()[0]), bytearray())
        pkts.append(cur)
base = pkts[0][0] if pkts else 0.0
cluster, start, prev = 0, base, base
for ts, data in pkts:
    if ts - prev > 0.1:
        cluster, start = cluster + 1, ts
    prev = ts
    new = base + cluster * gap + (ts - start)
    print(f"{new:.6f}")
    for off in range(0, len(data), 16):
        print(f"{off:06x} " + " ".join(f"{b:02x}" for b in data[off:off + 16]))
    print()
