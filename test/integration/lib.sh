# Shared by the integration tests (sourced): a network namespace with a TAP,
# a board in it, cleanup on exit. Only 192.0.2.0/24 is used: the kernel side
# of the TAP is 192.0.2.1, the board 192.0.2.2. Every wait is bounded.
set -euo pipefail

BN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BN=${BN:-$BN_TOP/build/boardnet}
BN_NS=bn-t$$
BN_TAP=bn0
BN_BOARD_PID=
BN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bn-test.XXXXXX")

bn_cleanup() {
  local rc=$?
  if [ -n "$BN_BOARD_PID" ] && kill -0 "$BN_BOARD_PID" 2>/dev/null; then
    kill -TERM "$BN_BOARD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BN_BOARD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BN_BOARD_PID" 2>/dev/null || true
  fi
  # Processes we started inside the namespace (peers) go with it.
  for pid in $(ip netns pids "$BN_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$BN_NS" 2>/dev/null || true
  rm -rf "$BN_TMP"
  exit $rc
}
trap bn_cleanup EXIT INT TERM

bn_skip() { echo "skip: $*"; exit 77; }
bn_fail() { echo "FAIL: $*" >&2; exit 1; }
bn_ns() { ip netns exec "$BN_NS" "$@"; }

# Creates the namespace and a TAP addressed 192.0.2.1/24 on the kernel side.
bn_make_net() {
  [ "$(id -u)" = 0 ] || bn_skip "needs root"
  [ -c /dev/net/tun ] || bn_skip "no /dev/net/tun"
  ip netns add "$BN_NS"
  bn_ns ip link set lo up
  bn_ns ip tuntap add dev "$BN_TAP" mode tap
  bn_ns ip addr add 192.0.2.1/24 dev "$BN_TAP"
  bn_ns ip link set "$BN_TAP" up
}

# Starts the board in the namespace: bn_start_board [boardnet run options...]
# Its output goes to $BN_TMP/board.log; waits (bounded) until it reports up.
bn_start_board() {
  # Not through bn_ns: a backgrounded function would be a subshell, and $!
  # must be the board itself (ip netns exec execs it).
  ip netns exec "$BN_NS" "$BN" run --tap "$BN_TAP" --exit-after 240 "$@" >"$BN_TMP/board.log" 2>&1 &
  BN_BOARD_PID=$!
  for _ in $(seq 150); do
    grep -q "up on tap" "$BN_TMP/board.log" 2>/dev/null && return 0
    kill -0 "$BN_BOARD_PID" 2>/dev/null || { cat "$BN_TMP/board.log"; bn_fail "board exited"; }
    sleep 0.1
  done
  cat "$BN_TMP/board.log"; bn_fail "board did not come up within 15 s"
}

# Stops the board with SIGTERM and waits (bounded); fails if it does not stop cleanly.
bn_stop_board() {
  kill -TERM "$BN_BOARD_PID"
  local rc=0
  for _ in $(seq 100); do kill -0 "$BN_BOARD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$BN_BOARD_PID" 2>/dev/null && bn_fail "board did not stop within 10 s of SIGTERM"
  wait "$BN_BOARD_PID" || rc=$?
  BN_BOARD_PID=
  [ $rc -eq 0 ] || bn_fail "board exited with $rc"
  grep -q "stopped" "$BN_TMP/board.log" || bn_fail "no summary line"
}
