#!/usr/bin/env bash
# A scenario in a replay (boardnet replay --scenario): a recorded session
# replayed through `both delay 5ms` and `ingress duplicate 5%` has the same
# byte streams (reactive pacing waits for the board), and the stage's
# counters match the replay (every peer frame through the ingress rule);
# an `end` stops the replay early (exit 4, incomplete: "the scenario's end"); a bad
# scenario is refused before anything runs (exit 2, file:line:col), and
# boardnet check lists each of a file's errors with the word meant.
source "$(dirname "$0")/lib.sh"
bn_make_net
bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/session.pcap"
bn_echo_session 192.0.2.2 200000
bn_stop_board

printf 'seed 3\nboth delay 5ms\ningress duplicate 5%%\n' > "$BN_TMP/delay.scn"
rc=0
timeout 120 "$BN" replay "$BN_TMP/session.pcap" --app echo --app http --scenario "$BN_TMP/delay.scn" \
  --stats-json "$BN_TMP/stats.json" --report "$BN_TMP/report.json" > "$BN_TMP/replay.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || { cat "$BN_TMP/replay.out"; bn_fail "replay under a scenario exited $rc"; }
python3 - "$BN_TMP/stats.json" "$BN_TMP/report.json" <<'PY' || { cat "$BN_TMP/replay.out"; bn_fail "counters or streams wrong"; }
import json, sys
st = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
t = st["total"]
assert st["seed"] == 3
assert t["ingress"]["delayed"] > 0 and t["egress"]["delayed"] > 0, t
assert t["ingress"]["duplicated"] > 0, t["ingress"]
tcp = [f for f in rep["flows"] if f["flow"].startswith("tcp")]
assert len(tcp) == 2 and all(f["stream"] == "identical" for f in tcp), tcp
PY
grep -q "boardnet: scenario .* 2 of 2 steps" "$BN_TMP/replay.out" || { cat "$BN_TMP/replay.out"; bn_fail "no scenario summary"; }

printf 'at 200ms end\n' > "$BN_TMP/end.scn"
rc=0
timeout 60 "$BN" replay "$BN_TMP/session.pcap" --app echo --app http --pace x0.1 --scenario "$BN_TMP/end.scn" \
  > "$BN_TMP/end.out" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$BN_TMP/end.out"; bn_fail "a scenario's end exited $rc, expected 4 (incomplete)"; }
grep -q "verdict: incomplete" "$BN_TMP/end.out" || { cat "$BN_TMP/end.out"; bn_fail "a scenario's end: not incomplete"; }
grep -q "stopped early (the scenario's end)" "$BN_TMP/end.out" || { cat "$BN_TMP/end.out"; bn_fail "no early-stop line"; }

printf 'at 1s delay 5\n' > "$BN_TMP/bad.scn"
rc=0
"$BN" replay "$BN_TMP/session.pcap" --scenario "$BN_TMP/bad.scn" > "$BN_TMP/bad.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || bn_fail "a bad scenario exited $rc, expected 2"
grep -q "bad.scn:1:13: '5': the delay needs a unit" "$BN_TMP/bad.out" || { cat "$BN_TMP/bad.out"; bn_fail "no file:line:col error"; }

# boardnet check lists every error of a file (three here), each with the word meant.
printf 'at 1s ingres delay 5ms\nat 2s egress delay 5ms\nat 3s egress los 5%%\nat 4s link dwn\n' > "$BN_TMP/three.scn"
rc=0
"$BN" check "$BN_TMP/three.scn" > /dev/null 2> "$BN_TMP/three.err" || rc=$?
[ $rc -eq 1 ] || bn_fail "check of a file with three errors exited $rc, expected 1"
[ "$(grep -cE '^boardnet: .*three.scn:[0-9]+:[0-9]+: ' "$BN_TMP/three.err")" -eq 3 ] || { cat "$BN_TMP/three.err"; bn_fail "check did not list three errors"; }
for meant in ingress loss down; do
  grep -q "did you mean '$meant'?" "$BN_TMP/three.err" || { cat "$BN_TMP/three.err"; bn_fail "no 'did you mean $meant'"; }
done
grep -q "three.scn: 3 errors" "$BN_TMP/three.err" || { cat "$BN_TMP/three.err"; bn_fail "no count of the errors"; }
