#!/usr/bin/env bash
# A connection flood against a full board (test/integration/flood_peer.py):
# the echo app holds as many connections as the profile takes at once (its
# TCP pcbs, or its sockets where fewer), a kernel peer fires hundreds of
# connects at it, and one held connection
# closes so that the retransmitted SYNs land on the freed pcb. lwIP 2.1.3
# with LWIP_NETCONN_FULLDUPLEX aborted the board here ("netconn marked closed",
# about every other round); now the board must survive every round, serve the
# connections it holds, refuse or drop the rest, and have its full capacity
# back once they close.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bn_skip "no python3"
ROUNDS=${BN_FLOOD_ROUNDS:-8}
capacity=$(bn_tcp_capacity 2)  # the echo app holds 2 sockets
bn_make_net
bn_start_board --ip 192.0.2.2/24 --app echo
bn_ns timeout 240 python3 "$BN_TOP/test/integration/flood_peer.py" 192.0.2.2 7 "$capacity" 300 "$ROUNDS" ||
  { bn_board_output | tail -20; bn_fail "the flood peer failed (board alive: $(kill -0 "$BN_BOARD_PID" 2>/dev/null && echo yes || echo no))"; }
kill -0 "$BN_BOARD_PID" 2>/dev/null || { bn_board_output | tail -20; bn_fail "the board died"; }
if grep -q "Assertion" "$BN_TMP/board.err"; then bn_board_output; bn_fail "lwIP asserted"; fi
bn_stop_board
echo "flood: $ROUNDS rounds of 300 connects against $capacity held connections, the board survived"
