#!/usr/bin/env bash
# MicroPython's tests/multi_net/tcp_client_rst.py with the board as the
# server (instance0, bn-usock-agent's tcp-client-rst scenario) and a kernel
# client (instance1, python3) that sends a request and closes with
# SO_LINGER {1, 0}: a reset. The board's output must be, line for line, what
# MicroPython on lwIP prints (extmod/modlwip.c: poll gives POLLIN|POLLERR|
# POLLHUP while the reset is unreported, the queued data is read first, recv
# raises ECONNRESET once, then gives b'' with poll POLLIN|POLLHUP; a closed
# socket polls POLLNVAL and recv raises EBADF).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/usock_agent.sh"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

ua_start client-rst tcp-client-rst 8000
ua_wait "^listening" 10

# instance1, with the original's sleep(0.2) made a bounded wait until the
# board has acknowledged the request (SIOCOUTQ 0), so the reset comes after it.
bn_ns timeout 60 python3 - <<'PEER'
import fcntl, socket, struct, termios, time
for iteration in range(2):
    print("client iteration", iteration)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    s.settimeout(10)
    s.connect(("192.0.2.2", 8000))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.send(b"GET / HTTP/1.0\r\n\r\n")
    for _ in range(100):
        if struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0\0\0\0"))[0] == 0:
            break
        time.sleep(0.05)
    s.close()  # This issues a TCP RST since we've set the linger option
    time.sleep(0.5)
PEER
ua_end 60

cat >"$BN_TMP/expected" <<'EXP'
server iteration 0
[25]
[32]
EBADF: True
[32]
server iteration 1
[25]
b'GET / HTTP'
[25]
b'/1.0\r\n\r\n'
[25]
ECONNRESET: True
[17]
b''
[17]
b''
[17]
[32]
EBADF: True
[32]
EXP
sed -n '/^server iteration 0$/,/^agent: scenario/p' "$UA_LOG" | grep -v '^agent:' >"$BN_TMP/got"
if ! diff -u "$BN_TMP/expected" "$BN_TMP/got"; then
  ua_output
  bn_fail "the board's output differs from MicroPython's (above: - MicroPython, + board)"
fi
echo "tcp_client_rst.py server side: $(wc -l <"$BN_TMP/got") lines as MicroPython on lwIP"
