# Shared by the integration tests (sourced): a network namespace with a TAP,
# a board in it, cleanup on exit. Only 192.0.2.0/24 is used: the kernel side
# of the TAP is 192.0.2.1, the board 192.0.2.2. Every wait is bounded.
set -euo pipefail

BN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# BN_BOARD=<board> runs a test on that profile (build/boardnet-<board> and
# its bn-usock-agent-<board>); the default is the build's default profile.
BN_BOARD=${BN_BOARD:-}
if [ -n "$BN_BOARD" ]; then
  BN=${BN:-$BN_TOP/build/boardnet-$BN_BOARD}
  BN_AGENT=${BN_AGENT:-$BN_TOP/build/bn-usock-agent-$BN_BOARD}
fi
BN=${BN:-$BN_TOP/build/boardnet}
BN_NS=bn-t$$
BN_TAP=bn0
BN_BOARD_PID=
BN_PIDS=()          # other processes a test started (bn_track PID), killed on exit
BN_UP_WAIT=${BN_UP_WAIT:-15}   # seconds bn_start_board waits for "up on tap"
BN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bn-test.XXXXXX")
BN_AT_EXIT=()       # commands a test added with bn_at_exit, run first on exit
# BN_KEEP=1 keeps $BN_TMP (captures, logs, reports) after the test, to look into a failure.

bn_cleanup() {
  local rc=$?
  if [ -n "$BN_BOARD_PID" ] && kill -0 "$BN_BOARD_PID" 2>/dev/null; then
    kill -TERM "$BN_BOARD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BN_BOARD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BN_BOARD_PID" 2>/dev/null || true
  fi
  local pid
  # Our own background processes: TERM, a bounded wait, then KILL; reaped
  # with stderr closed so bash's job notices ("Terminated") stay out of the log.
  for pid in "${BN_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    { kill -KILL "$pid"; wait "$pid"; } 2>/dev/null || true
  done
  local cmd
  for cmd in "${BN_AT_EXIT[@]}"; do eval "$cmd" 2>/dev/null || true; done
  # Processes we started inside the namespace (peers) go with it.
  for pid in $(ip netns pids "$BN_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$BN_NS" 2>/dev/null || true
  [ -n "${BN_KEEP:-}" ] && echo "kept $BN_TMP" >&2 || rm -rf "$BN_TMP"
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
  # IPv4 only on the kernel's side: no IPv6 router/neighbour chatter on the
  # board's wire (recordings show the test's own traffic).
  bn_ns sysctl -qw "net.ipv6.conf.$BN_TAP.disable_ipv6=1" 2>/dev/null || true
  bn_ns ip addr add 192.0.2.1/24 dev "$BN_TAP"
  bn_ns ip link set "$BN_TAP" up
}

# bn_at_exit COMMAND: runs COMMAND (eval) on exit, after the processes are
# stopped and before the namespace and $BN_TMP go (e.g. umount a tmpfs).
bn_at_exit() { BN_AT_EXIT+=("$1"); }

# Records a PID this test started, so that cleanup kills it (by PID).
bn_track() { BN_PIDS+=("$1"); }

# Launches the board in the namespace without waiting: bn_launch_board [options...]
# stdout goes to $BN_TMP/board.log, stderr to $BN_TMP/board.err; sets BN_BOARD_PID.
bn_launch_board() {
  # Not through bn_ns: a backgrounded function would be a subshell, and $!
  # must be the board itself (ip netns exec execs it). The logs are emptied
  # here, not only by the background job's redirections: a wait for "up on
  # tap" must not find the line of a board this test ran before.
  : >"$BN_TMP/board.log"
  : >"$BN_TMP/board.err"
  ip netns exec "$BN_NS" "$BN" run --tap "$BN_TAP" --exit-after 240 "$@" \
    >"$BN_TMP/board.log" 2>"$BN_TMP/board.err" &
  BN_BOARD_PID=$!
}

# Prints the board's output so far (stdout, then stderr), for failure reports.
bn_board_output() { cat "$BN_TMP/board.log" "$BN_TMP/board.err" 2>/dev/null || true; }

# bn_wait_for FILE PATTERN SECONDS: waits (bounded) until grep -E finds PATTERN
# in FILE; returns 1 on timeout, or early when the board exited meanwhile.
bn_wait_for() {
  local file=$1 pattern=$2 i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
    if [ -n "$BN_BOARD_PID" ] && ! kill -0 "$BN_BOARD_PID" 2>/dev/null; then
      grep -qE -- "$pattern" "$file" 2>/dev/null && return 0
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# bn_tcpdump_start NAME TCPDUMP-ARGS...: tcpdump in the namespace writing
# $BN_TMP/NAME (its messages: $BN_TMP/NAME.err); returns once it listens and
# sets BN_TCPDUMP_PID. -U --immediate-mode: nothing stays in its buffer when
# it is stopped; -B: a 64 MB kernel buffer, so that a busy machine loses
# nothing. bn_tcpdump_stop: lets the last frames arrive, stops it (SIGINT)
# and waits for it.
bn_tcpdump_start() {
  local name=$1
  shift
  : >"$BN_TMP/$name.err"   # no "listening on" left from an earlier capture of the name
  ip netns exec "$BN_NS" tcpdump -n -U --immediate-mode -B 65536 "$@" -w "$BN_TMP/$name" \
    2>"$BN_TMP/$name.err" &
  BN_TCPDUMP_PID=$!
  bn_track "$BN_TCPDUMP_PID"
  bn_wait_for "$BN_TMP/$name.err" "listening on" 10 || { cat "$BN_TMP/$name.err"; bn_fail "tcpdump did not start"; }
}
bn_tcpdump_stop() {
  sleep 0.3
  kill -INT "$BN_TCPDUMP_PID"
  bn_wait_exit "$BN_TCPDUMP_PID" 10
}

# bn_replay ARGS...: `boardnet ARGS...` (a replay, bounded to 120 s); its
# output in $BN_TMP/replay.out and replay.err, its exit status in BN_RC. A
# report an earlier replay left in $BN_TMP/r.json is removed first.
# bn_build_example PROG BOARD: examples/PROG.c built as a user builds it,
# with pkg-config against boardnet installed into $BN_TMP/prefix (once per
# test), into $BN_TMP/PROG; fails the test if it does not build.
bn_build_example() {
  local prefix=$BN_TMP/prefix
  command -v pkg-config >/dev/null || bn_skip "no pkg-config"
  if [ ! -d "$prefix" ]; then
    cmake --install "$(dirname "$BN")" --prefix "$prefix" >/dev/null || bn_fail "cmake --install failed"
  fi
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig cc -std=c11 -Wall -Wextra -Werror "$BN_TOP/examples/$1.c" \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs "boardnet-$2") -o "$BN_TMP/$1" \
    2>"$BN_TMP/cc.err" || { cat "$BN_TMP/cc.err"; bn_fail "$1 does not build with pkg-config boardnet-$2"; }
}

bn_replay() {
  local rc=0
  rm -f "$BN_TMP/r.json"
  timeout 120 "$BN" "$@" >"$BN_TMP/replay.out" 2>"$BN_TMP/replay.err" || rc=$?
  BN_RC=$rc
}

# bn_report_value FILE PYTHON-EXPRESSION: its value on the replay's JSON
# report FILE (as r).
bn_report_value() { python3 -c 'import json,sys; print(eval(sys.argv[2], {"r": json.load(open(sys.argv[1]))}))' "$@"; }

# bn_report_check FILE PYTHON-EXPRESSION...: each must hold on the replay's
# JSON report FILE (as r; its TCP flows as tcp); else the test fails, naming
# the first that does not with the verdict and what was left out.
bn_report_check() {
  python3 - "$@" <<'PY' || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "the report does not hold"; }
import json, sys
r = json.load(open(sys.argv[1]))
tcp = [f for f in r["flows"] if f["flow"].startswith("tcp")]
for expr in sys.argv[2:]:
    if not eval(expr):
        print("does not hold:", expr, "| verdict", r["verdict"], r["incomplete"], "skipped", r["skipped"],
              "board's", r["skipped_board"], "| tcp", json.dumps(tcp)[:1500])
        sys.exit(1)
PY
}

# Starts the board in the namespace: bn_start_board [boardnet run options...]
# Its output goes to $BN_TMP/board.log (errors: board.err); waits (bounded,
# $BN_UP_WAIT s) until it reports up.
bn_start_board() {
  bn_launch_board "$@"
  bn_wait_for "$BN_TMP/board.log" "up on tap" "$BN_UP_WAIT" && return 0
  bn_board_output
  kill -0 "$BN_BOARD_PID" 2>/dev/null || bn_fail "board exited before it was up"
  bn_fail "board did not come up within $BN_UP_WAIT s"
}

# bn_wait_exit PID SECONDS: waits (bounded) for a child to exit; sets BN_RC
# to its exit status; fails the test if it is still running then.
bn_wait_exit() {
  local pid=$1 i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && bn_fail "process $pid still running after $2 s"
  BN_RC=0
  wait "$pid" || BN_RC=$?
}

# Starts dnsmasq in the namespace on the TAP (192.0.2.1) with the given extra
# options; it never reads /etc config, /etc/hosts or resolv.conf, so it has no
# upstream server and answers only from its options. Log: $BN_TMP/dnsmasq.log,
# leases: $BN_TMP/dnsmasq.leases. Sets BN_DNSMASQ_PID. It stays root (only
# inside the test's namespace) to keep writing into the 0700 $BN_TMP.
bn_start_dnsmasq() {
  [ -x /usr/sbin/dnsmasq ] || bn_skip "no /usr/sbin/dnsmasq (apt-get install dnsmasq-base)"
  ip netns exec "$BN_NS" /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --no-poll --user=root --group=root \
    --bind-interfaces --interface="$BN_TAP" --except-interface=lo --listen-address=192.0.2.1 \
    --pid-file="$BN_TMP/dnsmasq.pid" --dhcp-leasefile="$BN_TMP/dnsmasq.leases" \
    --log-facility="$BN_TMP/dnsmasq.log" "$@" 2>"$BN_TMP/dnsmasq.err" &
  BN_DNSMASQ_PID=$!
  bn_track "$BN_DNSMASQ_PID"
  # Up once it has written its pid file (after binding its sockets).
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$BN_TMP/dnsmasq.pid" ] && return 0
    kill -0 "$BN_DNSMASQ_PID" 2>/dev/null || { cat "$BN_TMP/dnsmasq.err" "$BN_TMP/dnsmasq.log" 2>/dev/null; bn_fail "dnsmasq exited"; }
    sleep 0.1
  done
  bn_fail "dnsmasq did not start within 10 s"
}

# bn_echo_session IP BYTES: a kernel-side session with a board (192.0.2.0/24)
# that runs the echo and http apps: 3 pings, BYTES random bytes echoed over
# TCP (checked: all of them back), a 20000-byte page; fails the test if a
# step fails.
bn_echo_session() {
  local ip=$1 bytes=$2
  bn_ns ping -c 3 -i 0.2 -W 2 "$ip" >/dev/null || bn_fail "ping $ip failed"
  head -c "$bytes" /dev/urandom >"$BN_TMP/echo.sent"
  bn_ns timeout 30 python3 "$BN_TOP/test/integration/echo_peer.py" "$ip" "$BN_TMP/echo.sent" "$BN_TMP/echo.back" \
    || bn_fail "the echo of $bytes bytes failed"
  bn_ns curl -sf --max-time 10 -o /dev/null "http://$ip/bytes/20000" || bn_fail "curl http://$ip/bytes/20000 failed"
}

# bn_board_info KEY: the value of KEY (e.g. MEMP_NUM_TCP_PCB) in `boardnet info`.
bn_board_info() {
  local v; v=$("$BN" info | awk -v k="$1:" '$1 == k { print $2 }')
  [ -n "$v" ] || bn_fail "boardnet info shows no $1"
  echo "$v"
}

# bn_tcp_capacity SOCKETS: the TCP connections the board takes at once while
# its apps hold SOCKETS sockets of their own (the echo app: 2, its TCP
# listener and its UDP socket): each connection takes a TCP pcb and a socket
# (netconn), so the fewer of the two that are left (esp32: 10 sockets, 12
# TCP pcbs).
bn_tcp_capacity() {
  local pcbs sockets
  pcbs=$(bn_board_info MEMP_NUM_TCP_PCB)
  sockets=$(( $(bn_board_info MEMP_NUM_NETCONN) - $1 ))
  echo $(( pcbs < sockets ? pcbs : sockets ))
}

# bn_survived WHAT: after an attack (WHAT names it), the board is alive,
# answers ping, serves its page within 60 s (lwIP may first have to time
# out what the attack left: SYN_RCVD 20 s, retransmitted SYN-ACKs), and
# lwIP asserted nothing; fails the test otherwise.
bn_survived() {
  kill -0 "$BN_BOARD_PID" 2>/dev/null || { bn_board_output | tail -20; bn_fail "the board died ($1)"; }
  bn_ns ping -c 1 -W 5 192.0.2.2 >/dev/null || bn_fail "no ping after $1"
  local ok=0
  for _ in $(seq 30); do
    if bn_ns curl -sf --max-time 2 -o "$BN_TMP/page" http://192.0.2.2/; then ok=1; break; fi
    sleep 1
  done
  [ $ok = 1 ] || { bn_board_output | tail -20; bn_fail "no page within 60 s of $1"; }
  grep -q "boardnet" "$BN_TMP/page" || bn_fail "the page after $1 is not the board's"
  if grep -q "Assertion" "$BN_TMP/board.err"; then bn_board_output; bn_fail "lwIP asserted ($1)"; fi
}

# Stops the board with SIGTERM and waits (bounded); fails if it does not stop cleanly.
bn_stop_board() {
  kill -TERM "$BN_BOARD_PID"
  local rc=0
  for _ in $(seq 100); do kill -0 "$BN_BOARD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$BN_BOARD_PID" 2>/dev/null && bn_fail "board did not stop within 10 s of SIGTERM"
  wait "$BN_BOARD_PID" || rc=$?
  BN_BOARD_PID=
  [ $rc -eq 0 ] || { bn_board_output; bn_fail "board exited with $rc"; }
  grep -q "stopped" "$BN_TMP/board.log" || { bn_board_output; bn_fail "no summary line"; }
}
