#!/usr/bin/env bash
# usocket TCP against kernel peers (socat): 10 MB of random bytes byte for
# byte both ways, with the board as client (sendall; recv to EOF) and as
# server (makefile().read() to EOF; recv+sendall echo).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/usock_agent.sh"
command -v socat >/dev/null || bn_skip "no socat"
bn_make_net

size=$((10 * 1024 * 1024))
head -c $size /dev/urandom >"$BN_TMP/data"

# 1. Board as client sends: socat listens and writes what it gets to a file.
bn_ns timeout 90 socat -u TCP-LISTEN:5001,bind=192.0.2.1,reuseaddr CREATE:"$BN_TMP/got1" \
  2>"$BN_TMP/socat1.err" &
socat_pid=$!; bn_track $socat_pid
ua_wait_listen 5001
# --hold: the board stays up after close() until lwIP has delivered it all.
ua_start client-send --hold 60 tcp-client-send 192.0.2.1 5001 "$BN_TMP/data"
bn_wait_exit $socat_pid 60
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/socat1.err"; ua_output; bn_fail "socat (receiver) exited with $BN_RC"; }
ua_stop
ua_expect bytes $size "^sent"
ua_same_file "board client -> kernel" "$BN_TMP/data" "$BN_TMP/got1"

# 2. Board as client receives: socat listens, sends the file and closes.
bn_ns timeout 90 socat -u OPEN:"$BN_TMP/data" TCP-LISTEN:5002,bind=192.0.2.1,reuseaddr \
  2>"$BN_TMP/socat2.err" &
socat_pid=$!; bn_track $socat_pid
ua_wait_listen 5002
ua_start client-recv tcp-client-recv 192.0.2.1 5002 "$BN_TMP/got2"
ua_end 60
ua_expect end EOF "^received"
ua_expect bytes $size "^received"
ua_same_file "kernel -> board client" "$BN_TMP/data" "$BN_TMP/got2"
bn_wait_exit $socat_pid 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/socat2.err"; bn_fail "socat (sender) exited with $BN_RC"; }

# 3. Board as server receives (stream read() to EOF): socat connects and sends.
ua_start server-sink tcp-server-sink 5003 "$BN_TMP/got3"
ua_wait "^listening port=5003" 10
bn_ns timeout 90 socat -u OPEN:"$BN_TMP/data" TCP:192.0.2.2:5003,connect-timeout=5 2>"$BN_TMP/socat3.err" ||
  { cat "$BN_TMP/socat3.err"; ua_output; bn_fail "socat (sender) failed"; }
ua_end 60
[[ $(ua_value from "^accepted") == 192.0.2.1:* ]] || { ua_output; bn_fail "accepted from an unexpected peer"; }
ua_expect end EOF "^received"
ua_expect bytes $size "^received"
ua_same_file "kernel -> board server" "$BN_TMP/data" "$BN_TMP/got3"

# 4. Board as echo server: socat sends 10 MB while it reads the echo, then
# half-closes; the board closes after echoing everything.
ua_start server-echo --hold 60 tcp-server-echo 5004
ua_wait "^listening port=5004" 10
bn_ns timeout 90 socat -t 30 -T 30 - TCP:192.0.2.2:5004,connect-timeout=5 \
  <"$BN_TMP/data" >"$BN_TMP/got4" 2>"$BN_TMP/socat4.err" ||
  { cat "$BN_TMP/socat4.err"; ua_output; bn_fail "socat (echo client) failed"; }
ua_stop
ua_expect end EOF "^echoed"
ua_expect bytes $size "^echoed"
ua_same_file "kernel -> board echo -> kernel" "$BN_TMP/data" "$BN_TMP/got4"
