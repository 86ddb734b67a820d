#!/usr/bin/env bash
# Stopping: SIGTERM and SIGINT each stop the board cleanly (exit 0, summary
# line "stopped", no process left); a TAP the board created itself is gone
# after it stops; --exit-after stops it by itself.
source "$(dirname "$0")/lib.sh"
bn_make_net

# stop_with SIGNAL: the board is up, gets SIGNAL, exits 0 with the summary.
stop_with() {
  local sig=$1
  bn_start_board --ip 192.0.2.2/24 --app echo --app http
  local pid=$BN_BOARD_PID peer
  # An idle echo connection stays open across the stop.
  ip netns exec "$BN_NS" socat -T 60 STDIO,ignoreeof TCP:192.0.2.2:7,connect-timeout=5 </dev/null >/dev/null 2>&1 &
  peer=$!
  bn_track "$peer"
  for _ in $(seq 50); do
    bn_ns ss -Htn state established dst 192.0.2.2:7 | grep -q . && break
    sleep 0.1
  done
  bn_ns ss -Htn state established dst 192.0.2.2:7 | grep -q . || bn_fail "no echo connection open"
  kill "-$sig" "$pid"
  bn_wait_exit "$pid" 10
  BN_BOARD_PID=
  [ "$BN_RC" = 0 ] || { bn_board_output; bn_fail "SIG$sig: exit $BN_RC, expected 0"; }
  grep -qE "^boardnet: stopped \\(.*\\) after " "$BN_TMP/board.log" || { bn_board_output; bn_fail "SIG$sig: no summary line"; }
  [ -s "$BN_TMP/board.err" ] && { bn_board_output; bn_fail "SIG$sig: output on stderr"; }
  { kill -KILL "$peer"; wait "$peer"; } 2>/dev/null || true
  [ -z "$(ip netns pids "$BN_NS")" ] || { ps -o pid,args -p "$(ip netns pids "$BN_NS" | tr '\n' ,)0"; bn_fail "SIG$sig: processes left in the namespace"; }
  [ -d "/proc/$pid" ] && bn_fail "SIG$sig: board process $pid still exists"
  echo "SIG$sig: $(grep '^boardnet: stopped' "$BN_TMP/board.log")"
}
stop_with TERM
stop_with INT

# A TAP that boardnet creates itself (bnx does not exist) goes away with it.
bn_ns ip link show bnx >/dev/null 2>&1 && bn_fail "bnx exists before the test"
BN_TAP=bnx bn_start_board --ip 192.0.2.2/24
bn_ns ip link show bnx >/dev/null 2>&1 || bn_fail "bnx does not exist while the board runs"
bn_stop_board
bn_ns ip link show bnx >/dev/null 2>&1 && bn_fail "bnx still exists after the board stopped"
echo "created TAP bnx: there while running, gone after the stop"

# --exit-after 2: stops by itself, as the summary says.
bn_start_board --ip 192.0.2.2/24 --exit-after 2
bn_wait_exit "$BN_BOARD_PID" 20
BN_BOARD_PID=
[ "$BN_RC" = 0 ] || { bn_board_output; bn_fail "--exit-after: exit $BN_RC, expected 0"; }
grep -q "^boardnet: stopped (--exit-after) after " "$BN_TMP/board.log" || { bn_board_output; bn_fail "--exit-after: no summary line naming it"; }
echo "--exit-after 2: $(grep '^boardnet: stopped' "$BN_TMP/board.log")"
