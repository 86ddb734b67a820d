#!/usr/bin/env python3
"""The kernel-side peer of test/bench/soak: for SECONDS, CONNS TCP echo
connections each send chunks of seeded random bytes (1..16 KiB) and read
each back, compared byte for byte, while one UDP flow sends numbered
datagrams to the echo app and checks every answer against what was sent.
Prints one JSON line of totals at the end (and progress lines before it).

    soak_peer.py HOST SECONDS CONNS STATUS_FILE

Every socket wait is bounded (120 s: longer than any outage a scenario
makes), so a stuck board ends the run with an error, not a hang. Exits 1
if any byte came back different or a connection broke.
"""
import json
import random
import socket
import struct
import sys
import threading
import time

host, seconds, conns, status_file = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
deadline = time.monotonic() + seconds
lock = threading.Lock()
totals = {"tcp_bytes": 0, "tcp_chunks": 0, "tcp_mismatches": 0, "tcp_broken": 0, "tcp_errors": [],
          "udp_sent": 0, "udp_back": 0, "udp_mismatches": 0}


def add(key, n=1):
    with lock:
        totals[key] += n


def recv_exact(s, n):
    parts, got = [], 0
    while got < n:
        chunk = s.recv(min(65536, n - got))
        if not chunk:
            raise ConnectionError("the board closed the connection")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def tcp_flow(index):
    rng = random.Random(1000 + index)
    try:
        s = socket.create_connection((host, 7), timeout=120)
        s.settimeout(120)
        while time.monotonic() < deadline:
            data = rng.randbytes(rng.randint(1, 16384))
            s.sendall(data)
            if recv_exact(s, len(data)) != data:
                add("tcp_mismatches")
            add("tcp_bytes", len(data))
            add("tcp_chunks")
        s.close()
    except OSError as e:
        add("tcp_broken")
        with lock:
            totals["tcp_errors"].append("connection %d: %s" % (index, e))


def udp_flow():
    rng = random.Random(7)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    sent = {}
    seq = 0
    while time.monotonic() < deadline:
        payload = struct.pack("!I", seq) + rng.randbytes(rng.randint(0, 1200))
        sent[seq] = payload
        s.sendto(payload, (host, 7))
        add("udp_sent")
        seq += 1
        try:
            while True:
                got, frm = s.recvfrom(2048)
                if len(got) >= 4 and sent.pop(struct.unpack("!I", got[:4])[0], None) == got:
                    add("udp_back")
                else:
                    add("udp_mismatches")
        except socket.timeout:
            pass
        if len(sent) > 10000:  # lost ones: forget the oldest
            for k in sorted(sent)[:5000]:
                del sent[k]


threads = [threading.Thread(target=tcp_flow, args=(i,)) for i in range(conns)]
threads.append(threading.Thread(target=udp_flow))
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    time.sleep(1)
    with lock:
        snapshot = dict(totals, tcp_errors=len(totals["tcp_errors"]))
    with open(status_file, "w") as f:
        json.dump(snapshot, f)
for t in threads:
    t.join()
print(json.dumps(totals))
sys.exit(1 if totals["tcp_mismatches"] or totals["tcp_broken"] or totals["udp_mismatches"] else 0)
