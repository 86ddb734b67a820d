#!/usr/bin/env bash
# bn-profile: default only (it builds its programs for one profile itself)
# A board program behaves like `boardnet run` (issue 22.2), from the same
# code (tools/board/run_report.c):
# 1. an option whose value is forgotten ("--tap -q") is refused, with the
#    --tap=-q form for the rare real case, by a program and by boardnet
#    run/replay: exit 2, no TAP named -q; --version names the profile;
# 2. it prints the seed it took, the status line (mac, ip), carrier changes
#    of its TAP and, at exit, the summary (rx/tx frames) and its status;
# 3. --record - writes a capture tshark reads while the program prints:
#    the program's stdout goes to stderr, never into the capture;
# 4. on a new TAP whose kernel side is down: said at start, and the
#    program's first connect() fails at once with EHOSTUNREACH (the
#    board's link is down from the start, not after a race);
# 5. a second interrupt while the program is given its 5 s to return
#    stops at once (exit 130).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || bn_skip "no curl"
command -v tshark >/dev/null || bn_skip "no tshark"
for prog in hello_http sensor_post; do
  bn_build_example "$prog" rp2-pico-w
done
bn_make_net
prog=$BN_TMP/hello_http

# ---- 1. values that look like options --------------------------------------------------
for cmd in "$prog --tap -q --ip 192.0.2.2/24 -- 1" "$BN run --tap -q" "$BN replay x.pcap --filter -q"; do
  rc=0
  bn_ns $cmd >"$BN_TMP/o.out" 2>&1 || rc=$?
  [ $rc = 2 ] || { cat "$BN_TMP/o.out"; bn_fail "'$cmd' exited $rc, not 2"; }
  grep -qE -- "--(tap|filter): '-q' looks like an option, not its value \(if it is the value: --(tap|filter)=-q\)" \
    "$BN_TMP/o.out" || { cat "$BN_TMP/o.out"; bn_fail "'$cmd': no clear refusal"; }
done
bn_ns ip link show -- -q >/dev/null 2>&1 && bn_fail "a TAP named -q was created"
"$prog" --version | grep -qE "^hello_http: boardnet [0-9.]+ \(board rp2-pico-w, lwIP [0-9.]+" ||
  bn_fail "--version: '$("$prog" --version)'"
echo "'--tap -q' refused by a program, run and replay (exit 2, --tap=-q offered); --version names the profile"

# ---- 2. the same lines as run ----------------------------------------------------------
bn_ns "$prog" --tap "$BN_TAP" --ip 192.0.2.2/24 -- 1 >"$BN_TMP/h.out" 2>"$BN_TMP/h.err" &
BN_BOARD_PID=$!
bn_wait_for "$BN_TMP/h.err" "board rp2-pico-w up on tap $BN_TAP: mac ([0-9a-f]{2}:){5}[0-9a-f]{2}, ip 192.0.2.2/24" 15 ||
  { cat "$BN_TMP/h.err"; bn_fail "no status line"; }
grep -qE "^boardnet: seed [0-9]+ \(--seed [0-9]+ repeats this run's random choices for the same frames" "$BN_TMP/h.err" ||
  { cat "$BN_TMP/h.err"; bn_fail "no seed line"; }
bn_ns ip link set "$BN_TAP" down
bn_wait_for "$BN_TMP/h.err" "^boardnet: link down on tap $BN_TAP" 10 || { cat "$BN_TMP/h.err"; bn_fail "no link down line"; }
bn_ns ip link set "$BN_TAP" up
bn_ns ip addr replace 192.0.2.1/24 dev "$BN_TAP"
bn_wait_for "$BN_TMP/h.err" "^boardnet: link up on tap $BN_TAP" 10 || { cat "$BN_TMP/h.err"; bn_fail "no link up line"; }
bn_ns curl -sf --max-time 10 -o /dev/null http://192.0.2.2/ || { cat "$BN_TMP/h.err"; bn_fail "the request failed"; }
bn_wait_exit "$BN_BOARD_PID" 15
BN_BOARD_PID=
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/h.err"; bn_fail "hello_http exited $BN_RC"; }
grep -qE "^boardnet: stopped \(the program returned\) after [0-9.]+ s: rx [1-9][0-9]* frames [0-9]+ bytes, tx [1-9][0-9]* frames" \
  "$BN_TMP/h.err" || { cat "$BN_TMP/h.err"; bn_fail "no summary"; }
grep -q "^boardnet: board rp2-pico-w stopped, exit status 0" "$BN_TMP/h.err" || { cat "$BN_TMP/h.err"; bn_fail "no exit line"; }
grep -q "serving 1 requests" "$BN_TMP/h.out" || bn_fail "the program's own output is not on its stdout"
echo "a program prints run's lines: seed, status (mac, ip), link down/up, summary (rx/tx), exit status"

# ---- 3. --record - ------------------------------------------------------------------------
bn_ns "$prog" --tap "$BN_TAP" --ip 192.0.2.2/24 --record - -- 1 >"$BN_TMP/cap.pcap" 2>"$BN_TMP/r.err" &
BN_BOARD_PID=$!
bn_wait_for "$BN_TMP/r.err" "serving 1 requests" 15 || { cat "$BN_TMP/r.err"; bn_fail "--record -: the program's output is not on stderr"; }
bn_ns curl -sf --max-time 10 -o /dev/null http://192.0.2.2/ || bn_fail "the request failed (--record -)"
bn_wait_exit "$BN_BOARD_PID" 15
BN_BOARD_PID=
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/r.err"; bn_fail "hello_http --record - exited $BN_RC"; }
n=$(tshark -r "$BN_TMP/cap.pcap" -Y "http.response.code == 200" 2>"$BN_TMP/tshark.err" | wc -l)
[ "$n" = 1 ] || { cat "$BN_TMP/tshark.err"; bn_fail "--record -: tshark finds $n HTTP answers, not 1"; }
echo "--record -: tshark reads the capture (one HTTP 200), the program's output went to stderr"

# ---- 4. a new TAP, its kernel side down ----------------------------------------------------
rc=0
bn_ns "$BN_TMP/sensor_post" --tap bn9 --ip 192.0.2.2/24 --exit-after 2 -- 192.0.2.1 8080 1 1000 >"$BN_TMP/d.out" 2>"$BN_TMP/d.err" || rc=$?
grep -q "^boardnet: tap bn9: its kernel side is down, so is the board's link (ip link set bn9 up)" "$BN_TMP/d.err" ||
  { cat "$BN_TMP/d.err"; bn_fail "a TAP down at start is not said"; }
[ "$(head -2 "$BN_TMP/d.out" | tail -1)" = "reading 0: No route to host; again in 1000 ms" ] ||
  { cat "$BN_TMP/d.out"; bn_fail "the first connect on a TAP down did not fail at once with EHOSTUNREACH"; }
echo "a new TAP down: said at start, the first connect fails at once (EHOSTUNREACH)"

# ---- 5. a second interrupt ---------------------------------------------------------------------
bn_ns "$prog" --tap "$BN_TAP" --ip 192.0.2.2/24 -- 5 >"$BN_TMP/i.out" 2>"$BN_TMP/i.err" &
BN_BOARD_PID=$!
bn_wait_for "$BN_TMP/i.out" "serving 5 requests" 15 || { cat "$BN_TMP/i.err"; bn_fail "hello_http did not come up"; }
pid=$(pgrep -P "$BN_BOARD_PID" -x hello_http || echo "$BN_BOARD_PID")
kill -INT "$pid"
bn_wait_for "$BN_TMP/i.err" "interrupt again to stop at once" 10 || { cat "$BN_TMP/i.err"; bn_fail "no hint after an interrupt"; }
kill -INT "$pid"
bn_wait_exit "$BN_BOARD_PID" 10
BN_BOARD_PID=
[ "$BN_RC" = 130 ] || { cat "$BN_TMP/i.err"; bn_fail "a second interrupt: exit $BN_RC, not 130"; }
grep -q "Interrupt again: stopping the board under its program at once" "$BN_TMP/i.err" ||
  { cat "$BN_TMP/i.err"; bn_fail "no line for the second interrupt"; }
echo "a second interrupt during the 5 s grace stops at once (exit 130)"
