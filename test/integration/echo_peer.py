#!/usr/bin/env python3
"""A kernel-side client of the board's echo app: sends a file's bytes and
reads them back at the same time (so that only what the board's windows
hold is in flight: a small board does not deadlock a sender that would
first write everything), then half-closes and reads to the board's FIN.

    echo_peer.py HOST FILE ECHOED_FILE [TIMEOUT_S [SPREAD_S]]

Writes what came back to ECHOED_FILE; exits 0 if it equals FILE, 1 if
not (with the lengths), and with a traceback on a socket error or when a
wait exceeds TIMEOUT_S (default 20) seconds. SPREAD_S spreads the sending
over at least that many seconds (50 equal parts), so that the connection
is busy across a scenario's timeline however fast the board is.
"""
import socket
import sys
import threading
import time

host, sent_path, echoed_path = sys.argv[1], sys.argv[2], sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
spread = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
data = open(sent_path, "rb").read()
s = socket.create_connection((host, 7), timeout=timeout)


def send():
    if spread > 0:
        part = max(1, len(data) // 50)
        for i in range(0, len(data), part):
            s.sendall(data[i:i + part])
            time.sleep(spread / 50)
    else:
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)


sender = threading.Thread(target=send)
sender.start()
got = bytearray()
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
sender.join()
s.close()
open(echoed_path, "wb").write(got)
if got != data:
    sys.exit("echo_peer: sent %d bytes, %d came back%s" % (len(data), len(got), "" if len(got) != len(data) else ", different"))
