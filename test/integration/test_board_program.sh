#!/usr/bin/env bash
# bn-profile: default only (it builds programs for two profiles itself)
# A user's board program, built as a user would, both ways: `cmake
# --install` into a scratch prefix, then `cc prog.c $(pkg-config --cflags
# --libs boardnet-<board>)`, and a CMake project with find_package(boardnet)
# (examples/CMakeLists.txt), of examples/hello_http.c (usocket, for
# rp2-pico-w) and examples/netconn_echo.c (lwIP's netconn API, for esp32),
# each run on a TAP in a namespace:
# 1. hello_http (pkg-config's) serves 2 requests (curl reads its board's
#    name) and exits with board_main()'s return value, 0; a bad argument
#    gives its 2;
# 2. SIGTERM stops a serving hello_http (CMake's): exit 143, stop reported;
# 3. netconn_echo, both builds, echoes 100 kB byte for byte and exits 0;
# 4. the recording of 1. replayed into hello_http (--pcap): no TAP, the
#    report's two HTTP flows identical, exit 0; under a scenario (both
#    delay 5ms) too, the stage's counters showing it; served with COUNT 1
#    the second connection finds the port closed: diverged, exit 3;
# 5. a scenario on a TAP: hello_http behind `both delay 5ms` still serves,
#    the stage's counters showing the delay;
# 6. the options: a replay option without --pcap, --pcap with --tap, no
#    wire at all: exit 2 with the reason;
# 7. a client, examples/mqtt_ping.c (stm32): CONNECT, 3 PINGREQs and
#    DISCONNECT to a broker stub in the namespace (mqtt_broker.py, which
#    checks the order), exit 0; its recording replayed into it: the
#    connection it opens is replayed when it opens it, identical, exit 0.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || bn_skip "no curl"
prefix=$BN_TMP/prefix
for pair in hello_http:rp2-pico-w netconn_echo:esp32 mqtt_ping:stm32; do
  bn_build_example "${pair%%:*}" "${pair#*:}"
done
echo "built with pkg-config: hello_http (boardnet-rp2-pico-w), netconn_echo (boardnet-esp32), mqtt_ping (boardnet-stm32)"
command -v cmake >/dev/null || bn_skip "no cmake"
cmake -S "$BN_TOP/examples" -B "$BN_TMP/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >"$BN_TMP/cmake.log" 2>&1 &&
  cmake --build "$BN_TMP/cmake-build" >>"$BN_TMP/cmake.log" 2>&1 ||
  { tail -20 "$BN_TMP/cmake.log"; bn_fail "the examples do not build with find_package(boardnet)"; }
for prog in hello_http netconn_echo mqtt_ping; do cp "$BN_TMP/cmake-build/$prog" "$BN_TMP/$prog.cmake"; done
echo "built with CMake's find_package(boardnet): boardnet::rp2-pico-w, boardnet::esp32"
bn_make_net

# run PROG LOG ARGS...: starts PROG on the TAP (as the test's board); waits for PATTERN in LOG.
run() {
  local prog=$1 log=$2; shift 2
  ip netns exec "$BN_NS" "$BN_TMP/$prog" --tap "$BN_TAP" --ip 192.0.2.2/24 "$@" >"$BN_TMP/$log" 2>&1 &
  BN_BOARD_PID=$!
}

# ---- 1. two requests, then board_main's return value ------------------------------
run hello_http h1.log --record "$BN_TMP/h1.pcap" -- 2
bn_wait_for "$BN_TMP/h1.log" "serving 2 requests" 15 || { cat "$BN_TMP/h1.log"; bn_fail "hello_http did not come up"; }
for i in 1 2; do
  page=$(bn_ns curl -sf --max-time 5 http://192.0.2.2/) || bn_fail "request $i failed"
  [ "$page" = "hello from board rp2-pico-w at 192.0.2.2" ] || bn_fail "request $i: '$page'"
done
bn_wait_exit "$BN_BOARD_PID" 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/h1.log"; bn_fail "hello_http exited $BN_RC after its 2 requests, not 0"; }
BN_BOARD_PID=
run hello_http h0.log -- 0
bn_wait_exit "$BN_BOARD_PID" 15
[ "$BN_RC" = 2 ] || { cat "$BN_TMP/h0.log"; bn_fail "hello_http -- 0 exited $BN_RC, not its 2"; }
BN_BOARD_PID=
echo "hello_http: 2 requests served by board rp2-pico-w, exit 0; a bad COUNT, its exit 2"

# ---- 2. SIGTERM while it serves --------------------------------------------------------
run hello_http.cmake h2.log -- 5
bn_wait_for "$BN_TMP/h2.log" "serving 5 requests" 15 || { cat "$BN_TMP/h2.log"; bn_fail "hello_http did not come up"; }
kill -TERM "$BN_BOARD_PID"
bn_wait_exit "$BN_BOARD_PID" 15   # board_main() is given 5 s to return
[ "$BN_RC" = 143 ] || { cat "$BN_TMP/h2.log"; bn_fail "hello_http exited $BN_RC on SIGTERM, not 143"; }
grep -q "stopped, exit status 143" "$BN_TMP/h2.log" || { cat "$BN_TMP/h2.log"; bn_fail "no stop reported"; }
BN_BOARD_PID=
echo "hello_http: SIGTERM stops it, exit 143"

# ---- 3. a netconn program, both builds ---------------------------------------------------
head -c 100000 /dev/urandom >"$BN_TMP/sent"
for prog in netconn_echo netconn_echo.cmake; do
  run "$prog" n.log
  bn_wait_for "$BN_TMP/n.log" "board esp32 up on tap" 15 || { cat "$BN_TMP/n.log"; bn_fail "$prog did not come up"; }
  bn_ns timeout 30 python3 "$BN_TOP/test/integration/echo_peer.py" 192.0.2.2 "$BN_TMP/sent" "$BN_TMP/back" ||
    bn_fail "$prog's echo of 100 kB failed"
  bn_wait_exit "$BN_BOARD_PID" 10
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/n.log"; bn_fail "$prog exited $BN_RC, not 0"; }
  BN_BOARD_PID=
done
echo "netconn_echo (esp32), pkg-config's and CMake's: 100 kB echoed byte for byte, exit 0"

# ---- 4. the recording of 1., replayed into the program --------------------------------
reject_report() { cat "$BN_TMP/$1"; bn_fail "$2"; }
rc=0
timeout 60 "$BN_TMP/hello_http" --pcap "$BN_TMP/h1.pcap" --report "$BN_TMP/r1.json" -- 2 >"$BN_TMP/r1.out" 2>&1 || rc=$?
[ $rc = 0 ] || reject_report r1.out "hello_http --pcap of its own recording exited $rc, not 0"
python3 - "$BN_TMP/r1.json" <<'PY' || reject_report r1.out "the replay's report is wrong"
import json, sys
rep = json.load(open(sys.argv[1]))
tcp = [f for f in rep["flows"] if f["flow"].startswith("tcp")]
assert len(tcp) == 2 and all(f["stream"] == "identical" for f in tcp), tcp
assert rep["diverged"] is False, rep
PY
grep -q "board rp2-pico-w up on capture" "$BN_TMP/r1.out" || reject_report r1.out "no 'up on capture' line"
echo "hello_http --pcap (its own recording): 2 HTTP flows identical, exit 0"

printf 'seed 5\nboth delay 5ms\n' >"$BN_TMP/delay.scn"
rc=0
timeout 60 "$BN_TMP/hello_http.cmake" --pcap "$BN_TMP/h1.pcap" --scenario "$BN_TMP/delay.scn" \
  --stats-json "$BN_TMP/s2.json" --report "$BN_TMP/r2.json" -- 2 >"$BN_TMP/r2.out" 2>&1 || rc=$?
[ $rc = 0 ] || reject_report r2.out "hello_http --pcap --scenario exited $rc, not 0"
python3 - "$BN_TMP/r2.json" "$BN_TMP/s2.json" <<'PY' || reject_report r2.out "the replay under a scenario is wrong"
import json, sys
rep, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
tcp = [f for f in rep["flows"] if f["flow"].startswith("tcp")]
assert len(tcp) == 2 and all(f["stream"] == "identical" for f in tcp), tcp
t = st["total"]
assert st["seed"] == 5 and t["ingress"]["delayed"] > 0 and t["egress"]["delayed"] > 0, t
PY
echo "hello_http --pcap --scenario (both delay 5ms): identical streams, every direction delayed, exit 0"

rc=0
timeout 60 "$BN_TMP/hello_http" --pcap "$BN_TMP/h1.pcap" -q -- 1 >"$BN_TMP/r3.out" 2>&1 || rc=$?
[ $rc = 3 ] || reject_report r3.out "hello_http --pcap -- 1 (one request of two) exited $rc, not 3"
grep -q "the live board diverged" "$BN_TMP/r3.out" || reject_report r3.out "no divergence reported"
echo "hello_http --pcap -- 1: the second request finds the port closed: diverged, exit 3"

# ---- 5. a scenario on the TAP ------------------------------------------------------------
run hello_http h5.log --scenario "$BN_TMP/delay.scn" --stats-json "$BN_TMP/s5.json" -- 1
bn_wait_for "$BN_TMP/h5.log" "serving 1 requests" 15 || { cat "$BN_TMP/h5.log"; bn_fail "hello_http did not come up"; }
page=$(bn_ns curl -sf --max-time 5 http://192.0.2.2/) || { cat "$BN_TMP/h5.log"; bn_fail "the request under a scenario failed"; }
[ "$page" = "hello from board rp2-pico-w at 192.0.2.2" ] || bn_fail "under a scenario: '$page'"
bn_wait_exit "$BN_BOARD_PID" 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/h5.log"; bn_fail "hello_http under a scenario exited $BN_RC"; }
BN_BOARD_PID=
python3 - "$BN_TMP/s5.json" <<'PY' || { cat "$BN_TMP/h5.log"; bn_fail "no delay in the stage's counters"; }
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["ingress"]["delayed"] > 0 and t["egress"]["delayed"] > 0, t
PY
echo "hello_http --tap --scenario: served, both directions delayed"

# ---- 6. the options --------------------------------------------------------------------
usage() { # usage EXPECTED-MESSAGE ARGS...
  local want=$1; shift
  rc=0
  "$BN_TMP/hello_http" "$@" >"$BN_TMP/u.out" 2>&1 || rc=$?
  [ $rc = 2 ] || reject_report u.out "hello_http $* exited $rc, not 2"
  grep -q -- "$want" "$BN_TMP/u.out" || reject_report u.out "hello_http $*: no '$want'"
}
usage "--pace: a replay option, for --pcap CAPTURE" --tap bn9 --pace x2
usage "a replay's wire is its capture, not a TAP" --pcap "$BN_TMP/h1.pcap" --tap bn9
usage "the wire: --tap NAME or --pcap CAPTURE" --ip 192.0.2.2/24
"$BN_TMP/hello_http" --help >"$BN_TMP/help.out" || bn_fail "--help exited non-zero"
grep -q -- "--pcap CAPTURE" "$BN_TMP/help.out" || bn_fail "--help names no --pcap"
echo "options: a replay option without --pcap, --pcap with --tap, no wire: exit 2 with the reason"

# ---- 7. a client, on the TAP, then replayed ------------------------------------------------
bn_ns timeout 40 python3 "$BN_TOP/test/integration/mqtt_broker.py" 192.0.2.1 1883 3 20 >"$BN_TMP/broker.log" 2>&1 &
broker=$!
bn_track "$broker"
for _ in $(seq 100); do bn_ns ss -ltn | grep -q "192.0.2.1:1883" && break; sleep 0.1; done
run mqtt_ping m.log --record "$BN_TMP/m.pcap" -- 192.0.2.1 1883 3
bn_wait_exit "$BN_BOARD_PID" 30
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/m.log" "$BN_TMP/broker.log"; bn_fail "mqtt_ping exited $BN_RC, not 0"; }
BN_BOARD_PID=
bn_wait_exit "$broker" 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/m.log" "$BN_TMP/broker.log"; bn_fail "the broker saw another session ($BN_RC)"; }
grep -q "client id stm32" "$BN_TMP/broker.log" || { cat "$BN_TMP/broker.log"; bn_fail "no client id stm32"; }
rc=0
timeout 60 "$BN_TMP/mqtt_ping" --pcap "$BN_TMP/m.pcap" --report "$BN_TMP/m.json" -- 192.0.2.1 1883 3 \
  >"$BN_TMP/mr.out" 2>&1 || rc=$?
[ $rc = 0 ] || reject_report mr.out "mqtt_ping --pcap of its own recording exited $rc, not 0"
python3 - "$BN_TMP/m.json" <<'PY' || reject_report mr.out "the client's replay is wrong"
import json, sys
rep = json.load(open(sys.argv[1]))
tcp = [f for f in rep["flows"] if f["flow"].startswith("tcp")]
assert len(tcp) == 1 and tcp[0]["stream"] == "identical", tcp
assert rep["diverged"] is False, rep
PY
echo "mqtt_ping (stm32): CONNECT, 3 pings, DISCONNECT to the broker, exit 0; replayed into it: identical, exit 0"
