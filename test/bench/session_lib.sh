# test/bench/session_lib.sh (sourced by benches): a namespace with a TAP
# (the kernel's side 192.0.2.1/24), sessions recorded by a board on it, a
# capture's clusters of frames stretched apart, cleanup on exit.
# The sourcing bench sets BOARDNET, top and BENCH (its name, for messages)
# first; NS, TAP, TMP and BOARD_PID are set here.
NS=bnbench-$BENCH-$$
TAP=bnv0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bn-bench.XXXXXX")
BOARD_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$BOARD_PID" ] && kill -0 "$BOARD_PID" 2>/dev/null; then
    kill -TERM "$BOARD_PID"; wait "$BOARD_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip tuntap add dev $TAP mode tap
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null || true
ip netns exec "$NS" ip addr add 192.0.2.1/24 dev $TAP
ip netns exec "$NS" ip link set $TAP up

# session FILE APPS... -- COMMANDS: a board on the TAP recording to FILE while COMMANDS run (eval).
session() {
  local file=$1; shift
  local apps=()
  while [ "$1" != -- ]; do apps+=("$1"); shift; done
  shift
  ip netns exec "$NS" "$BOARDNET" run --tap $TAP --ip 192.0.2.2/24 --exit-after 600 "${apps[@]}" --record "$file" \
    >"$TMP/board.log" 2>&1 &
  BOARD_PID=$!
  for _ in $(seq 150); do grep -q "up on tap" "$TMP/board.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "up on tap" "$TMP/board.log" || { cat "$TMP/board.log" >&2; echo "$BENCH bench: no board" >&2; exit 1; }
  eval "$@"
  kill -TERM "$BOARD_PID"; wait "$BOARD_PID" 2>/dev/null || true
  BOARD_PID=
}
# stretch IN OUT GAP: IN's clusters of frames GAP seconds apart.
stretch() {
  tcpdump -tt -xx -n -r "$1" 2>/dev/null | python3 "$top/test/bench/retime.py" "$3" | text2pcap -q -t "%s." - "$2"
}
now() { date +%s.%N; }
