#!/usr/bin/env bash
# 60 idle connections held open against the http app (a slowloris): the
# peer connects and sends nothing. The board takes as many as its profile's
# TCP pcbs and sockets allow (generic: MEMP_NUM_TCP_PCB 32) and leaves the rest
# unanswered or refused; held for 5 s, the board stays up and answers ping;
# once the peer lets go, a normal request is served (bounded wait).
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bn_skip "no python3"
IDLE=${BN_IDLE_CONNS:-60}
capacity=$(bn_tcp_capacity 1)  # the http app holds 1 socket
bn_make_net

bn_start_board --ip 192.0.2.2/24 --gw 192.0.2.1 --app http
bn_ns timeout 60 python3 - "$IDLE" "$BN_TMP/held" <<'PEER' || bn_fail "the idle peer failed"
import select, socket, sys, time
n, flag = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("192.0.2.2", 80))
    socks.append(s)
deadline = time.monotonic() + 5
established = set()
while time.monotonic() < deadline:
    _, w, _ = select.select([], [s for s in socks if s not in established], [], 0.2)
    for s in w:
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            established.add(s)
print("idle peer: %d of %d connections established, held idle 5 s" % (len(established), n))
open(flag, "w").write("%d\n" % len(established))
for s in socks:
    s.close()
sys.exit(0 if established else 1)
PEER
held=$(cat "$BN_TMP/held")
# Most of its pcbs (a few go to lwIP's own use: the ones being set up or freed).
[ "$held" -ge $((capacity / 2)) ] || bn_fail "the board took only $held idle connections (MEMP_NUM_TCP_PCB $capacity)"
bn_survived "the idle connections"
echo "after $held idle connections (of $IDLE tried) the board serves a page"
bn_stop_board
