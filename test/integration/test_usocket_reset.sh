#!/usr/bin/env bash
# usocket failures with kernel peers, with the errors MicroPython raises on
# lwIP (extmod/modlwip.c: lwIP's ERR_RST is ECONNRESET; a failed socket's
# connect() is EALREADY; its first send raises the error, later ones EBADF;
# a recv raises ECONNRESET once, then gives EOF):
# - non-blocking connect to a port without listener (the kernel answers RST);
# - the peer resets (SO_LINGER {1,0}) after sending: everything it sent before
#   is read, then ECONNRESET, then EOF; once with the board reading only
#   after the reset arrived, once reading all along;
# - the peer resets while the board is sending: sendall fails with ECONNRESET.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/usock_agent.sh"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

# 1. Non-blocking connect to 192.0.2.1:5009, where nothing listens.
ua_start connect-closed connect-closed 192.0.2.1 5009
ua_end 30
ua_expect connect EINPROGRESS
ua_expect poll 1
# modlwip's poll on a socket reset by the peer: ERR|HUP, plus OUT if asked for.
ua_expect revents "OUT|ERR|HUP" "^poll"
ua_expect connect2 EALREADY
ua_expect send ECONNRESET
ua_expect recv EBADF
echo "connect to a closed port: EINPROGRESS, poll OUT|ERR|HUP, then EALREADY, ECONNRESET, EBADF"

# The kernel peer of 2 and 3: accepts one connection on PORT, sends FILE,
# waits (bounded) until the board has acknowledged all of it (SIOCOUTQ 0), then
# closes with SO_LINGER {1, 0}: a reset, no FIN. It resets only once the
# test has seen the agent's connect() return (reset_go PORT): a reset that
# overtakes a loaded board's connect() makes it ECONNRESET, as MicroPython's
# would (modlwip's connect loop sees the error state), not what is tested.
sender_then_reset() {
  bn_ns timeout 60 python3 - "$@" "$BN_TMP/go.$1" <<'EOF' &
import fcntl, os, socket, struct, sys, termios, time
port, path, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("192.0.2.1", port))
ls.listen(1)
ls.settimeout(30)
c, _ = ls.accept()
c.settimeout(30)
c.sendall(data)
for _ in range(300):
    unacked = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    if unacked == 0:
        break
    time.sleep(0.1)
else:
    sys.exit("peer: %d bytes still unacknowledged after 30 s" % unacked)
for _ in range(300):
    if os.path.exists(go):
        break
    time.sleep(0.1)
else:
    sys.exit("peer: the agent's connect() did not return within 30 s")
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
print("peer: sent %d bytes, then reset" % len(data))
EOF
  peer_pid=$!; bn_track $peer_pid
  ua_wait_listen "$1"
}
# reset_go PORT: once the agent says its connect() returned, the peer on PORT resets.
reset_go() { ua_wait "connected" 30; touch "$BN_TMP/go.$1"; }

# 2a. The board reads nothing until the reset has arrived (poll with no
# events: it reports ERR|HUP for a reset); what the peer sends fits in the
# board's receive window: 200 000 bytes of generic's 256 KiB, half the
# window of a smaller board.
wnd=$(bn_board_info TCP_WND)
small=$(( wnd >= 400000 ? 200000 : wnd / 2 ))
head -c "$small" /dev/urandom >"$BN_TMP/small"
sender_then_reset 5005 "$BN_TMP/small"
ua_start recv-reset-wait recv-reset 192.0.2.1 5005 wait "$BN_TMP/got-wait"
reset_go 5005
ua_end 60
bn_wait_exit $peer_pid 10
[ "$BN_RC" = 0 ] || { ua_output; bn_fail "the resetting peer failed"; }
ua_expect revents "ERR|HUP" "^poll"
ua_expect bytes "$small" "^received"
ua_expect end ECONNRESET "^received"
ua_expect then EOF "^received"
ua_same_file "read after the reset" "$BN_TMP/small" "$BN_TMP/got-wait"

# 2b. The board reads all along while 4 MB arrive, then the reset.
head -c $((4 * 1024 * 1024)) /dev/urandom >"$BN_TMP/big"
sender_then_reset 5006 "$BN_TMP/big"
ua_start recv-reset-read recv-reset 192.0.2.1 5006 read "$BN_TMP/got-read"
reset_go 5006
ua_end 60
bn_wait_exit $peer_pid 10
[ "$BN_RC" = 0 ] || { ua_output; bn_fail "the resetting peer failed"; }
ua_expect bytes $((4 * 1024 * 1024)) "^received"
ua_expect end ECONNRESET "^received"
ua_expect then EOF "^received"
ua_same_file "read until the reset" "$BN_TMP/big" "$BN_TMP/got-read"

# 3. The peer reads 1 MB of what the board sends, then resets.
bn_ns timeout 60 python3 - 5007 <<'EOF' &
import socket, struct, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("192.0.2.1", int(sys.argv[1])))
ls.listen(1)
ls.settimeout(30)
c, _ = ls.accept()
c.settimeout(30)
got = 0
while got < 1 << 20:
    b = c.recv(65536)
    if not b:
        sys.exit("peer: EOF after %d bytes" % got)
    got += len(b)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
print("peer: read %d bytes, then reset" % got)
EOF
peer_pid=$!; bn_track $peer_pid
ua_wait_listen 5007
ua_start send-reset send-reset 192.0.2.1 5007 "$BN_TMP/big"
ua_end 60
bn_wait_exit $peer_pid 10
[ "$BN_RC" = 0 ] || { ua_output; bn_fail "the resetting peer failed"; }
ua_expect end ECONNRESET "^sent"
ua_expect then EBADF "^sent"
echo "reset while sending: sendall $(ua_value end "^sent"), then $(ua_value then "^sent")"
