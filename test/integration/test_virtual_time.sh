#!/usr/bin/env bash
# bn-profile: default only (the ASan build it compares with is built for the default profile)
# The virtual clock (--clock virtual): every run without a TAP reproducible
# bit for bit, and a failure that replays itself.
# 1. Two sessions recorded on a TAP in the namespace (real time): the echo
#    and http apps (100 kB echoed, a page), and examples/hello_http.c
#    serving 2 requests.
# 2. boardnet replay --clock virtual --seed 10 of the first with --app mirror --loop 2
#    under a scenario of loss, reorder, delay, a link flap and a pool fault,
#    with --record, --decisions, --report and --stats-json: three runs (as
#    is; pinned to one CPU beside two busy loops; the ASan+UBSan build) give
#    the same sha256 of every output and of standard output; --seed 8
#    changes the decision log.
# 3. hello_http --pcap of its own recording, --clock virtual: the same
#    bytes out (standard output, the recording, the report) plain and
#    pinned under load.
# 4. --clock virtual with --tap: exit 2, the reason said.
# 5. --artifact: a failing board program (served once, the second request
#    finds the port closed: diverged, exit 3) keeps its run; boardnet rerun
#    reproduces it byte for byte (exit 0), from another directory too for a
#    run given relative paths; a run that passed leaves nothing
#    unless --artifact-always; a changed seed makes rerun say where the
#    outputs first differ (exit 3).
# 6. A board program written with the C library's own calls
#    (virtual_program.c: pthread_create/mutex/cond/join, sleep(600),
#    nanosleep, usleep, poll and select without descriptors,
#    clock_gettime, time, gettimeofday, pthread_cond_timedwait), linked as
#    a user links it: on the virtual clock its threads alternate as
#    written, its sleeps take exactly 602.2525 board seconds (and well
#    under the test's 60 s of wall time), the timed wait times out after
#    2 board seconds, twice the same; fork() aborts naming the call.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || bn_skip "no curl"
command -v python3 >/dev/null || bn_skip "no python3"
command -v taskset >/dev/null || bn_skip "no taskset (util-linux)"
bn_build_example hello_http generic
PKG_CONFIG_PATH=$BN_TMP/prefix/lib/pkgconfig cc -std=c11 -Wall -Wextra -Werror "$BN_TOP/test/integration/virtual_program.c" \
  $(PKG_CONFIG_PATH=$BN_TMP/prefix/lib/pkgconfig pkg-config --cflags --libs boardnet-generic) -o "$BN_TMP/virtual_program" \
  2>"$BN_TMP/cc.err" || { cat "$BN_TMP/cc.err"; bn_fail "virtual_program.c does not build with pkg-config"; }
bn_make_net

# ---- 1. the sessions ---------------------------------------------------------------
bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/session.pcap"
bn_echo_session 192.0.2.2 100000
bn_stop_board
ip netns exec "$BN_NS" "$BN_TMP/hello_http" --tap "$BN_TAP" --ip 192.0.2.2/24 --record "$BN_TMP/hello.pcap" -- 2 \
  >"$BN_TMP/hello.log" 2>&1 &
BN_BOARD_PID=$!
bn_wait_for "$BN_TMP/hello.log" "serving 2 requests" 15 || { cat "$BN_TMP/hello.log"; bn_fail "hello_http did not come up"; }
for i in 1 2; do bn_ns curl -sf --max-time 5 -o /dev/null http://192.0.2.2/ || bn_fail "request $i failed"; done
bn_wait_exit "$BN_BOARD_PID" 10
BN_BOARD_PID=
echo "sessions recorded: boardnet run (100 kB echoed, a page), hello_http (2 requests)"

# Busy loops beside a pinned run (bounded: 300 s; killed on exit).
hogs() {
  for _ in 1 2; do timeout 300 sh -c 'while :; do :; done' & bn_track $!; HOGS+=($!); done
}
unhog() { kill "${HOGS[@]}" 2>/dev/null || true; wait "${HOGS[@]}" 2>/dev/null || true; HOGS=(); }
HOGS=()

# ---- 2. boardnet replay: three runs, one set of bytes ---------------------------------------
cat >"$BN_TMP/faults.scn" <<'EOF'
both loss 3%
egress reorder 25% gap 5 delay 2ms
at 100ms ingress delay 20ms 5ms
at 150ms link down
at 400ms link up
at 450ms fail PBUF_POOL next 3
at 600ms clear
EOF
# vreplay NAME [PREFIX...]: the replay into $BN_TMP/NAME/; its sha256 sums in $BN_TMP/NAME.sums.
vreplay() {
  local name=$1 bin=$BN seed=${SEED:-10}; shift
  [ "${1:-}" = asan ] && { bin=$BN_TOP/build-asan/boardnet; shift; }
  mkdir -p "$BN_TMP/$name"
  local d=$BN_TMP/$name rc=0
  "$@" timeout 300 "$bin" replay "$BN_TMP/session.pcap" --app mirror --loop 2 --clock virtual --seed "$seed" \
    --scenario "$BN_TMP/faults.scn" --record "$d/out.pcap" --decisions "$d/why.log" --report "$d/r.json" \
    --stats-json "$d/stats.json" >"$d/stdout" 2>"$d/stderr" || rc=$?
  [ "$rc" -le 4 ] && [ "$rc" != 1 ] && [ "$rc" != 2 ] || { cat "$d/stderr"; bn_fail "$name: exit $rc"; }
  echo "$rc" >"$d/status"
  # The outputs name their own files: compare them under one name.
  sed -i "s|$d/|OUT/|g" "$d/out.pcap.events" "$d/stdout" "$d/r.json" 2>/dev/null || true
  (cd "$d" && sha256sum status stdout out.pcap out.pcap.events why.log r.json stats.json) >"$BN_TMP/$name.sums"
}
vreplay plain
grep -q "passes: 2 (--loop)" "$BN_TMP/plain/stdout" || { cat "$BN_TMP/plain/stdout"; bn_fail "not two passes"; }
grep -q "link down" "$BN_TMP/plain/out.pcap.events" || bn_fail "the scenario's link flap is not in the recording's events"
grep -q "allocations refused 3" "$BN_TMP/plain/stderr" "$BN_TMP/plain/stdout" ||
  { cat "$BN_TMP/plain/stderr"; bn_fail "the pool fault did not refuse 3 allocations"; }
[ -s "$BN_TMP/plain/why.log" ] || bn_fail "no decisions logged"
hogs
vreplay loaded taskset -c 0
unhog
diff "$BN_TMP/plain.sums" "$BN_TMP/loaded.sums" ||
  bn_fail "the replay pinned under two busy loops gave other bytes than the plain one"
runs="plain, pinned to CPU 0 beside two busy loops"
if [ -x "$BN_TOP/build-asan/boardnet" ]; then
  vreplay asan asan
  diff "$BN_TMP/plain.sums" "$BN_TMP/asan.sums" || bn_fail "the ASan build's replay gave other bytes"
  runs="$runs, the ASan+UBSan build"
else
  echo "note: no build-asan/boardnet (tools/test builds it): the ASan run is left out"
fi
echo "replay --clock virtual, mirror --loop 2, loss/reorder/delay/link flap/pool fault: the same sha256 of the 7 outputs ($runs)"
SEED=8 vreplay seed8
cmp -s "$BN_TMP/plain/why.log" "$BN_TMP/seed8/why.log" && bn_fail "--seed 8 logged the same decisions as --seed 10"
echo "--seed 8: another decision log"

# ---- 3. a board program on its capture -------------------------------------------------------
# vhello NAME [PREFIX...]: hello_http --pcap into $BN_TMP/NAME/.
vhello() {
  local name=$1 rc=0; shift
  local d=$BN_TMP/$name
  mkdir -p "$d"
  "$@" timeout 120 "$BN_TMP/hello_http" --pcap "$BN_TMP/hello.pcap" --clock virtual --seed 3 \
    --record "$d/out.pcap" --report "$d/r.json" -- 2 >"$d/stdout" 2>"$d/stderr" || rc=$?
  [ "$rc" = 0 ] || { cat "$d/stdout" "$d/stderr"; bn_fail "hello_http $name: exit $rc, not 0"; }
  sed -i "s|$d/|OUT/|g" "$d/r.json" "$d/stdout"
  (cd "$d" && sha256sum stdout out.pcap r.json) >"$BN_TMP/$name.sums"
}
vhello hello1
hogs
vhello hello2 taskset -c 0
unhog
diff "$BN_TMP/hello1.sums" "$BN_TMP/hello2.sums" || bn_fail "hello_http --clock virtual: other bytes under load"
grep -q '"verdict": "same"' "$BN_TMP/hello1/r.json" || { cat "$BN_TMP/hello1/stdout"; bn_fail "hello_http's replay is not 'same'"; }
echo "hello_http --pcap --clock virtual: exit 0, the same stdout, recording and report plain and under load"

# ---- 4. not on a TAP ---------------------------------------------------------------------------
rc=0
ip netns exec "$BN_NS" "$BN" run --tap "$BN_TAP" --clock virtual --exit-after 5 >"$BN_TMP/tap.out" 2>"$BN_TMP/tap.err" || rc=$?
[ "$rc" = 2 ] || bn_fail "--clock virtual on a TAP: exit $rc, not 2"
grep -q "not on a TAP: the kernel's peers live in real time" "$BN_TMP/tap.err" || { cat "$BN_TMP/tap.err"; bn_fail "no reason for the refusal"; }
echo "--clock virtual --tap: exit 2, the reason said"

# ---- 5. a failure kept, and rerun --------------------------------------------------------------------
art=$BN_TMP/fail
rc=0
timeout 120 "$BN_TMP/hello_http" --pcap "$BN_TMP/hello.pcap" --clock virtual --artifact "$art" -- 1 \
  >"$BN_TMP/fail.out" 2>"$BN_TMP/fail.err" || rc=$?
[ "$rc" = 3 ] || { cat "$BN_TMP/fail.out" "$BN_TMP/fail.err"; bn_fail "hello_http served once: exit $rc, not 3 (diverged)"; }
grep -q "boardnet rerun $art" "$BN_TMP/fail.err" || { cat "$BN_TMP/fail.err"; bn_fail "the failing run does not say where it is kept"; }
for f in command exe seed sched-seed profile version input README status out/record.pcap out/report.json; do
  [ -s "$art/$f" ] || bn_fail "the artifact has no $f"
done
grep -qx "$BN_TMP/hello.pcap" "$art/input" || bn_fail "the artifact does not name its input capture"
grep -qx "$(sha256sum <"$BN_TMP/hello.pcap" | cut -d' ' -f1)" "$art/input" || bn_fail "the artifact's sha256 of its input is wrong"
rc=0
"$BN" rerun "$art" >"$BN_TMP/rerun.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$BN_TMP/rerun.out"; bn_fail "rerun of the failing run: exit $rc, not 0"; }
grep -q "rerun: the same: 2 outputs byte-identical (paths aside), exit status 3 as the run's" "$BN_TMP/rerun.out" ||
  { cat "$BN_TMP/rerun.out"; bn_fail "rerun did not say the same"; }
cmp -s "$art/out/record.pcap" "$art/rerun/record.pcap" || bn_fail "rerun: the recordings are not byte-identical"
echo "a failing hello_http (exit 3) kept in its artifact; boardnet rerun: byte-identical, exit 3 again"
# Relative paths (the capture, the artifact) and a rerun from another directory.
rc=0
(cd "$BN_TMP" && timeout 120 ./hello_http --pcap hello.pcap --clock virtual --artifact rel/ -- 1 >/dev/null 2>&1) || rc=$?
[ "$rc" = 3 ] || bn_fail "hello_http with relative paths: exit $rc, not 3"
rc=0
(cd / && "$BN" rerun "$BN_TMP/rel") >"$BN_TMP/rerun-rel.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$BN_TMP/rerun-rel.out"; bn_fail "rerun from / of a run with relative paths: exit $rc, not 0"; }
echo "relative paths, rerun from another directory: the same"
echo 99 >"$art/seed"
rc=0
"$BN" rerun "$art" >"$BN_TMP/rerun2.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$BN_TMP/rerun2.out"; bn_fail "rerun under another seed: exit $rc, not 3"; }
grep -q "record.pcap differs first at frame" "$BN_TMP/rerun2.out" || { cat "$BN_TMP/rerun2.out"; bn_fail "rerun did not name the first difference"; }
echo "rerun under another seed: exit 3, the first differing frame named"
timeout 120 "$BN_TMP/hello_http" --pcap "$BN_TMP/hello.pcap" --clock virtual --artifact "$BN_TMP/pass" -- 2 \
  >/dev/null 2>&1 || bn_fail "hello_http -- 2 on its capture failed"
[ ! -e "$BN_TMP/pass" ] || bn_fail "a run that passed left its artifact"
timeout 120 "$BN_TMP/hello_http" --pcap "$BN_TMP/hello.pcap" --clock virtual --artifact "$BN_TMP/kept" --artifact-always \
  --artifact-copy-input -- 2 >/dev/null 2>&1 || bn_fail "hello_http --artifact-always failed"
cmp -s "$BN_TMP/kept/input.pcap" "$BN_TMP/hello.pcap" || bn_fail "--artifact-copy-input kept no copy"
mv "$BN_TMP/hello.pcap" "$BN_TMP/hello.moved"
"$BN" rerun "$BN_TMP/kept" >"$BN_TMP/rerun3.out" 2>&1 || { cat "$BN_TMP/rerun3.out"; bn_fail "rerun from the copied input failed"; }
echo "a run that passed: no artifact; --artifact-always --artifact-copy-input: kept, rerun from the copy: the same"

# ---- 6. a program's own time, sleeps, locks and threads --------------------------------------------
for i in 1 2; do
  rc=0
  timeout 60 "$BN_TMP/virtual_program" --pcap "$BN_TMP/hello.moved" --clock virtual --seed 5 -q \
    >"$BN_TMP/vp$i.out" 2>"$BN_TMP/vp$i.err" || rc=$?
  [ "$rc" -le 4 ] && [ "$rc" != 1 ] && [ "$rc" != 2 ] || { cat "$BN_TMP/vp$i.out" "$BN_TMP/vp$i.err"; bn_fail "virtual_program: exit $rc"; }
done
grep -qx "threads: ababab" "$BN_TMP/vp1.out" || { cat "$BN_TMP/vp1.out"; bn_fail "the program's threads did not alternate through its mutex and condition"; }
grep -qxE "slept: 602252500000 ns, 60[23] s of time\(\), joined 42" "$BN_TMP/vp1.out" ||
  { cat "$BN_TMP/vp1.out"; bn_fail "the program's sleeps did not take exactly 602.2525 board seconds"; }
grep -qE "^timedwait: ETIMEDOUT after 1999999[0-9]{3} ns$" "$BN_TMP/vp1.out" ||
  { cat "$BN_TMP/vp1.out"; bn_fail "pthread_cond_timedwait did not time out after 2 board seconds (gettimeofday's microseconds)"; }
cmp -s "$BN_TMP/vp1.out" "$BN_TMP/vp2.out" || bn_fail "virtual_program printed other lines the second time"
echo "a program on the C library's calls: threads alternate, 602.2525 s of sleeps exactly, a 2 s timed wait, twice the same"
rc=0
timeout 60 "$BN_TMP/virtual_program" --pcap "$BN_TMP/hello.moved" --clock virtual -q -- fork >"$BN_TMP/fork.out" 2>"$BN_TMP/fork.err" || rc=$?
[ "$rc" = 134 ] || { cat "$BN_TMP/fork.out" "$BN_TMP/fork.err"; bn_fail "fork() on the virtual clock: exit $rc, not 134 (abort)"; }
grep -q "the board program called fork(), which makes a process outside the board" "$BN_TMP/fork.err" ||
  { cat "$BN_TMP/fork.err"; bn_fail "fork() aborted without naming it"; }
grep -q "fork returned" "$BN_TMP/fork.out" && bn_fail "fork() returned on the virtual clock"
echo "fork() on the virtual clock: aborts at once, naming the call"
