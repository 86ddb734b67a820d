#!/usr/bin/env bash
# 1 MB of random bytes through the board's echo app (port 7) with the
# kernel's socat as the peer: what comes back is byte for byte what was sent.
# Then the echo app's UDP half: 200 datagrams of 0..1472 bytes, one at a
# time, each answered with exactly its bytes by port 7 to the sender.
source "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || bn_skip "no socat"
bn_make_net
bn_start_board --ip 192.0.2.2/24 --app echo

head -c 1000000 /dev/urandom >"$BN_TMP/sent"
# socat sends the file, then half-closes (shutdown SHUT_WR) at its EOF and
# keeps reading until the board closes its side (the echo app does once it
# has echoed everything and seen our FIN); -t bounds that wait, timeout the rest.
rc=0
timeout 60 ip netns exec "$BN_NS" socat -t 30 -T 30 - TCP:192.0.2.2:7,connect-timeout=5 \
  <"$BN_TMP/sent" >"$BN_TMP/received" 2>"$BN_TMP/socat.err" || rc=$?
[ $rc -eq 0 ] || { cat "$BN_TMP/socat.err"; bn_board_output; bn_fail "socat exited with $rc"; }

sent=$(sha256sum <"$BN_TMP/sent" | cut -d' ' -f1)
got=$(sha256sum <"$BN_TMP/received" | cut -d' ' -f1)
got_len=$(stat -c %s "$BN_TMP/received")
if [ "$sent" != "$got" ]; then
  first=$(cmp "$BN_TMP/sent" "$BN_TMP/received" 2>&1 | head -1 || true)
  bn_fail "echo differs: sent 1000000 bytes sha256 $sent, got $got_len bytes sha256 $got ($first)"
fi
echo "echoed 1000000 bytes, sha256 $got"

bn_ns timeout 60 python3 - <<'PEER' || bn_fail "UDP echo failed"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(200):
    data = os.urandom((i * 97) % 1473)
    for attempt in range(3):          # a lost datagram (none expected here) is sent again
        s.sendto(data, ("192.0.2.2", 7))
        try:
            got, frm = s.recvfrom(2048)
            break
        except socket.timeout:
            continue
    else:
        sys.exit("datagram %d (%d bytes): no answer" % (i, len(data)))
    if got != data or frm != ("192.0.2.2", 7):
        sys.exit("datagram %d: %d bytes back from %s, sent %d" % (i, len(got), frm, len(data)))
print("UDP echo: 200 datagrams of 0..1472 bytes came back intact")
PEER
bn_stop_board
