#!/usr/bin/env bash
# The apps' listen backlog (boardnet run --backlog N), with lwIP's semantics:
# half-open connections (SYN received, no ACK) count against it. Two SYNs
# from a spoofed 192.0.2.77 (nobody answers ARP for it, so they stay
# SYN_RCVD: test/integration/syn_peer.py) fill --backlog 2: a real connect is
# not answered; the listener is free again once lwIP's SYN_RCVD timeout
# (20 s) has dropped them. With --backlog 3 the same two SYNs leave room.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

# connect_once SECONDS: 0 if a kernel connect to the echo app echoes within SECONDS.
connect_once() {
  bn_ns timeout 30 python3 - "$1" <<'PEER'
import socket, sys
s = socket.socket()
s.settimeout(float(sys.argv[1]))
try:
    s.connect(("192.0.2.2", 7))
    s.sendall(b"q")
    sys.exit(0 if s.recv(1) == b"q" else 1)
except OSError as e:
    print("connect: %s" % e)
    sys.exit(1)
PEER
}

bn_start_board --ip 192.0.2.2/24 --app echo --backlog 2
bn_ns python3 "$BN_TOP/test/integration/syn_peer.py" 192.0.2.77 192.0.2.2 7 2
connect_once 3 && bn_fail "--backlog 2 full of half-open connections, yet a connect was answered"
echo "backlog 2 full of half-open connections: a new connect is not answered"
# Bounded: lwIP drops SYN_RCVD connections after 20 s; allow 45.
ok=0
for _ in $(seq 15); do
  if connect_once 3 >/dev/null; then ok=1; break; fi
done
[ $ok = 1 ] || bn_fail "the listener stayed blocked after lwIP's SYN_RCVD timeout"
echo "after lwIP's SYN_RCVD timeout the listener takes connections again"
bn_stop_board

bn_start_board --ip 192.0.2.2/24 --app echo --backlog 3
bn_ns python3 "$BN_TOP/test/integration/syn_peer.py" 192.0.2.77 192.0.2.2 7 2
connect_once 10 || bn_fail "--backlog 3 with two half-open connections refused the third"
echo "backlog 3: two half-open connections leave room for one more"
bn_stop_board
