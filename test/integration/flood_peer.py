#!/usr/bin/env python3
"""A hostile kernel-side peer for test_flood.sh: floods the board's echo app
with connections while the board's TCP pcbs are all taken, and checks that
the board keeps serving, refuses or drops what it cannot take, and has its
full capacity back once the connections close.

    flood_peer.py HOST PORT CAPACITY BURST ROUNDS

Every round: hold CAPACITY echo connections (the board's MEMP_NUM_TCP_PCB),
fire BURST non-blocking connects, check that every held connection still
echoes, close one held connection and wait for the SYN retransmissions to
land on the freed pcb, then close everything. Afterwards: CAPACITY
connections each echo 1 KB byte for byte, one more is refused or left
unanswered, and after they close CAPACITY connections work again.
Every wait is bounded; exits non-zero with a message on the first failure.
"""
import os
import socket
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
CAPACITY, BURST, ROUNDS = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def fail(msg):
    sys.exit("flood_peer: " + msg)


def echo(s, data):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(len(data) - len(got))
        if not chunk:
            fail("EOF after %d of %d echoed bytes" % (len(got), len(data)))
        got += chunk
    if got != data:
        fail("echo differs")


def connect_all(count, deadline_s=15):
    """count echo connections; retries (bounded) while the board frees pcbs."""
    held, deadline = [], time.monotonic() + deadline_s
    while len(held) < count:
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((HOST, PORT))
            echo(s, b"x")
            held.append(s)
        except OSError as e:
            s.close()
            if time.monotonic() > deadline:
                fail("only %d of %d connections within %d s (%s)" % (len(held), count, deadline_s, e))
            time.sleep(0.2)
    return held


def close_all(socks):
    for s in socks:
        s.close()


for r in range(ROUNDS):
    held = connect_all(CAPACITY)
    flood = []
    for _ in range(BURST):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((HOST, PORT))
        except BlockingIOError:
            pass
        flood.append(s)
    time.sleep(0.3)
    for s in held:
        echo(s, b"y")               # the board keeps serving what it has
    held.pop().close()
    time.sleep(3.5)                 # SYNs are retransmitted after 1 s and 3 s
    close_all(flood)
    close_all(held)
    print("round %d: %d held, %d flooded, the board served throughout" % (r, CAPACITY, BURST), flush=True)

held = connect_all(CAPACITY)
payload = os.urandom(1024)
for s in held:
    echo(s, payload)
extra = socket.socket()
extra.settimeout(2)
try:
    extra.connect((HOST, PORT))
    extra.sendall(b"z")
    if extra.recv(1) == b"z":
        fail("a connection beyond the board's %d pcbs was served" % CAPACITY)
    outcome = "closed"
except ConnectionRefusedError:
    outcome = "refused"
except socket.timeout:
    outcome = "unanswered"
except OSError as e:
    outcome = "failed (%s)" % e.strerror
extra.close()
close_all(held)
print("capacity: %d connections echoed 1 KB each, one more was %s" % (CAPACITY, outcome), flush=True)
close_all(connect_all(CAPACITY))
print("capacity back: %d connections again after they closed" % CAPACITY, flush=True)
