#!/usr/bin/env bash
# bn-profile: default only (it sweeps two profiles itself)
# boardnet sweep: a matrix of virtual-time runs, its shards and their merge.
# 1. deadline_client.c (a board program whose bug shows only when the SYN-ACK
#    of its 2nd connection is lost), built for generic and esp32, records a
#    session of 3 echo connections to socat on the TAP.
# 2. A sweep of that capture: 2 scenarios (SYN-ACKs lost at 30 % and 50 %)
#    x 20 seeds x 2 profiles = 80 cells, -j 2. The truth, found without the
#    sweep: each cell run on its own with --record, and tshark counting the
#    SYN-ACKs in the 2nd TCP stream of its recording, the wire before the
#    ingress faults (two or more: the first was lost and the replay's peer
#    sent it again). The table, summary.json and the JUnit XML name
#    exactly those seeds as failing per scenario and profile; each failing
#    cell has its artifact, and boardnet rerun of each reproduces it.
# 3. The same sweep -j 1, and as 3 shards run by GNU parallel (--shard auto
#    --shards 3) then merged: byte-identical summary.json and JUnit XML. A
#    shard missing and a shard given twice are refused, naming them.
# 4. --shard auto from GitLab's, Kubernetes', Slurm's and GNU parallel's
#    variables: the shard said and taken is the one meant; none set: exit 2.
# 5. The JUnit XML validates (xmllint --schema) against the JUnit schema
#    written below; --max-failures 1 stops early: cells "not run", exit 3;
#    bad usage (a scenario glob matching nothing, a bad seed list): exit 2.
# 6. boardnet shrink on failing cells of a 6-connection session (the 5th
#    connection's connect watched) under a delay on every frame and SYN-ACK
#    loss (50 faults or more): where one lost SYN-ACK is the bug, it finds
#    that one (the 5th connection's, by its port in the recording), and its
#    scenario alone fails the program the same way; where the bug needs two
#    in a row (a 2.5 s threshold), it finds both; a run without a scenario
#    is said to have nothing to shrink, one that fails without any fault
#    (esp32's SYN options against generic's capture) is said so (exit 4).
# 7. --time-budget 1s over 2000 cells: the cells it did not reach are
#    reported "not run", each saying why, never passed.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "no tshark"
command -v socat >/dev/null || bn_skip "no socat"
command -v parallel >/dev/null || bn_skip "no GNU parallel (apt-get install parallel)"
command -v xmllint >/dev/null || bn_skip "no xmllint (apt-get install libxml2-utils)"
T=$BN_TMP
prefix=$T/prefix
cmake --install "$(dirname "$BN")" --prefix "$prefix" >/dev/null || bn_fail "cmake --install failed"
for board in generic esp32; do
  PKG_CONFIG_PATH=$prefix/lib/pkgconfig cc -std=c11 -Wall -Wextra -Werror "$BN_TOP/examples/deadline_client.c" \
    $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs "boardnet-$board") -o "$T/deadline_client-$board" \
    2>"$T/cc.err" || { cat "$T/cc.err"; bn_fail "deadline_client.c does not build for $board"; }
done
bn_make_net

# ---- 1. the session ------------------------------------------------------------------------------
bn_ns socat TCP4-LISTEN:7,bind=192.0.2.1,fork,reuseaddr EXEC:cat 2>/dev/null &
bn_track $!
sleep 0.3
bn_ns timeout 60 "$T/deadline_client-generic" --tap "$BN_TAP" --ip 192.0.2.2/24 --record "$T/session.pcap" \
  -- 192.0.2.1 7 3 2 >"$T/session.log" 2>&1 || { cat "$T/session.log"; bn_fail "the session on the TAP failed"; }
[ "$(grep -c echoed "$T/session.log")" = 3 ] || { cat "$T/session.log"; bn_fail "the session did not echo 3 times"; }
bn_ns timeout 60 "$T/deadline_client-generic" --tap "$BN_TAP" --ip 192.0.2.2/24 --record "$T/session6.pcap" \
  -- 192.0.2.1 7 6 2 >"$T/session6.log" 2>&1 || { cat "$T/session6.log"; bn_fail "the 6-connection session failed"; }
echo "sessions recorded: 3 and 6 echo connections"

cd "$T"
SYNACK='tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)'
printf 'match "%s" ingress loss 30%%\n' "$SYNACK" >synack30.scn
printf 'match "%s" ingress loss 50%%\nat 0s both delay 2ms\n' "$SYNACK" >synack50.scn
OPTS='--ignore options,window'   # the capture is generic's: esp32's SYN options and window differ by design
SWEEP=(sweep --pcap session.pcap --program "$T/deadline_client-{board}" --scenario 'synack*.scn' --seeds 1-20
       --board generic,esp32 --options "$OPTS")
ARGS=(-- 192.0.2.1 7 3 2)

# ---- 2. the sweep, and the truth without it ----------------------------------------------------------
rc=0
timeout 600 "$BN" "${SWEEP[@]}" -j 2 --out j2 --junit j2.xml "${ARGS[@]}" >j2.out 2>j2.err || rc=$?
[ $rc = 3 ] || { cat j2.out j2.err; bn_fail "the sweep exits $rc, not 3 (some cells fail)"; }
grep -q "^sweep: 80 cells" j2.out || { cat j2.out; bn_fail "the sweep did not run 80 cells"; }

declare -A truth
for scn in synack30 synack50; do
  for board in generic esp32; do
    seeds=""
    for seed in $(seq 1 20); do
      r=0
      timeout 120 "$T/deadline_client-$board" --pcap session.pcap --clock virtual --seed "$seed" --scenario "$scn.scn" \
        $OPTS --record "truth.pcap" "${ARGS[@]}" >truth.out 2>truth.err || r=$?
      # The recording is the wire before the ingress faults: a SYN-ACK the
      # scenario dropped is in it, and so is the one the peer sent again.
      synacks=$(tshark -r truth.pcap -Y 'tcp.stream == 1 && tcp.flags.syn == 1 && tcp.flags.ack == 1' \
               -T fields -e frame.number 2>/dev/null | wc -l)
      # The premise of the test: the program fails (5) exactly when that SYN-ACK was lost.
      if [ "$synacks" -ge 2 ]; then
        [ $r = 5 ] || { cat truth.err; bn_fail "$board $scn seed $seed: the 2nd SYN-ACK was lost ($synacks sent) but the program exits $r"; }
        seeds+="${seeds:+,}$seed"
      else
        [ $r = 0 ] || { cat truth.out truth.err; bn_fail "$board $scn seed $seed: exit $r with the 2nd SYN-ACK answered"; }
      fi
    done
    truth[$scn-$board]=$seeds
  done
done
for key in "${!truth[@]}"; do
  echo "truth $key: failing seeds ${truth[$key]:--}"
done
# Both kinds of cell must occur, or the test would prove nothing.
all="${truth[*]}"
[ -n "${all// /}" ] || bn_fail "no seed loses the 2nd SYN-ACK: the test proves nothing"

# The table, summary.json and JUnit name exactly those seeds.
for scn in synack30 synack50; do
  for board in generic esp32; do
    want=${truth[$scn-$board]}
    row=$(awk -v s="$scn" -v b="$board" '$1 == s && $2 == b' j2.out)
    [ -n "$row" ] || { cat j2.out; bn_fail "the table has no row for $scn on $board"; }
    got=$(echo "$row" | awk '{ print $NF }')
    [ "$got" = "${want:--}" ] || { cat j2.out; bn_fail "$scn on $board: the table's failing seeds are '$got', the truth '${want:--}'"; }
    got=$(python3 - "$scn" "$board" <<'EOF'
import json, sys
s = json.load(open("j2/summary.json"))
g = [g for g in s["groups"] if g["scenario"] == sys.argv[1] and g["board"] == sys.argv[2]][0]
assert g["runs"] == 20 and g["same"] + g["failed"] == 20, g
print(",".join(str(x) for x in g["failing_seeds"]))
EOF
    ) || bn_fail "summary.json's group for $scn on $board is not 20 runs of same or failed"
    [ "$got" = "$want" ] || bn_fail "$scn on $board: summary.json's failing seeds are '$got', the truth '$want'"
    for seed in ${want//,/ }; do
      id=$board-$scn-seed-$seed
      grep -q "<testcase name=\"$id\"" j2.xml || bn_fail "the JUnit XML has no testcase $id"
      [ -d "j2/fail/$id" ] || bn_fail "failing cell $id has no artifact"
      [ "$(cat "j2/fail/$id/status")" = 5 ] || bn_fail "$id's artifact says status $(cat "j2/fail/$id/status")"
      grep -q "took .* s to connect (watchdog: 0.5 s)" "j2/fail/$id/stderr" || bn_fail "$id's artifact lacks the program's stderr"
      r=0
      timeout 120 "$BN" rerun "j2/fail/$id" >rerun.out 2>&1 || r=$?
      [ $r = 0 ] || { cat rerun.out; bn_fail "boardnet rerun j2/fail/$id: exit $r, not the same"; }
    done
  done
done
nfail=$(ls j2/fail | wc -l)
[ "$(grep -c '<error ' j2.xml)" = "$nfail" ] || bn_fail "the JUnit XML has not one <error> per failing cell ($nfail)"
echo "sweep -j 2: 80 cells, the failing seeds exactly the truth's ($nfail), each with an artifact that reruns the same"

# ---- 3. -j 1, and 3 shards by GNU parallel, merged ---------------------------------------------------
timeout 600 "$BN" "${SWEEP[@]}" -j 1 --out j1 --junit j1.xml "${ARGS[@]}" >j1.out 2>j1.err || true
cmp j1/summary.json j2/summary.json || bn_fail "summary.json of -j 1 and -j 2 differ"
cmp j1.xml j2.xml || bn_fail "the JUnit XML of -j 1 and -j 2 differ"
# One command line for parallel's shell, quoted as a user would write it.
cmd="$(printf '%q ' "$BN" "${SWEEP[@]}" -j 1 --shard auto --shards 3 -q) --out part{} $(printf '%q ' "${ARGS[@]}")"
timeout 600 parallel -j 3 --halt never "$cmd >part{}.out 2>part{}.err" ::: 1 2 3 || true
for k in 1 2 3; do
  grep -q "shard $k/3, from GNU parallel: PARALLEL_SEQ=$k" "part$k.err" || { cat "part$k.err"; bn_fail "shard $k did not say it came from GNU parallel"; }
done
rc=0
"$BN" sweep merge part1 part2 part3 --out merged --junit merged.xml >merge.out 2>&1 || rc=$?
[ $rc = 3 ] || { cat merge.out; bn_fail "sweep merge exits $rc, not 3"; }
cmp merged/summary.json j2/summary.json || bn_fail "the merged summary.json differs from the -j 2 run's"
cmp merged.xml j2.xml || bn_fail "the merged JUnit XML differs from the -j 2 run's"
[ "$(ls merged/fail | wc -l)" = "$nfail" ] || bn_fail "the merge did not bring every artifact"
rc=0
"$BN" sweep merge part1 part3 --out m2 >m2.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "shard is missing: 2/3" m2.out || { cat m2.out; bn_fail "a missing shard: exit $rc"; }
rc=0
"$BN" sweep merge part1 part2 part3 part2 --out m3 >m3.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "shard 2/3 is given twice" m3.out || { cat m3.out; bn_fail "a shard given twice: exit $rc"; }
echo "-j 1, -j 2 and 3 shards by GNU parallel merged: the same summary.json and JUnit XML; missing and twice refused"

# ---- 4. --shard auto ------------------------------------------------------------------------------
SMALL=(sweep --pcap session.pcap --program "$T/deadline_client-{board}" --scenario synack30.scn --seeds 1-6 --options "$OPTS" -q)
auto() { # auto NAME EXPECTED-TEXT ENV... [-- EXTRA-OPTIONS]
  local name=$1 said=$2; shift 2
  local envs=() extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift && extra=("$@")
  env -u PARALLEL_SEQ "${envs[@]}" timeout 120 "$BN" "${SMALL[@]}" --shard auto "${extra[@]}" --out "auto-$name" \
    "${ARGS[@]}" >"auto-$name.out" 2>"auto-$name.err" || true
  grep -qF "$said" "auto-$name.err" || { cat "auto-$name.err"; bn_fail "--shard auto ($name) did not say '$said'"; }
  [ "$(cat "auto-$name/shard")" = 2/3 ] || bn_fail "--shard auto ($name) took shard $(cat "auto-$name/shard"), not 2/3"
}
timeout 120 "$BN" "${SMALL[@]}" --shard 2/3 --out given "${ARGS[@]}" >/dev/null 2>&1 || true
auto gitlab "GitLab: CI_NODE_INDEX=2 CI_NODE_TOTAL=3" CI_NODE_INDEX=2 CI_NODE_TOTAL=3
auto k8s "Kubernetes Indexed Job: JOB_COMPLETION_INDEX=1" JOB_COMPLETION_INDEX=1 -- --shards 3
auto slurm "Slurm: SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3" \
  SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3
auto parallel "GNU parallel: PARALLEL_SEQ=2" PARALLEL_SEQ=2 -- --shards 3
for name in gitlab k8s slurm parallel; do
  cmp "auto-$name/cells.tsv" given/cells.tsv || bn_fail "--shard auto ($name) ran other cells than --shard 2/3"
done
rc=0
env -u PARALLEL_SEQ "$BN" "${SMALL[@]}" --shard auto --out none "${ARGS[@]}" >none.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "no scheduler's variables found" none.out || { cat none.out; bn_fail "--shard auto with no scheduler: exit $rc"; }
rc=0
env -u PARALLEL_SEQ JOB_COMPLETION_INDEX=0 "$BN" "${SMALL[@]}" --shard auto --out k8s0 "${ARGS[@]}" >k8s0.out 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "add --shards N" k8s0.out || { cat k8s0.out; bn_fail "a Kubernetes index without --shards: exit $rc"; }
echo "--shard auto: GitLab, Kubernetes, Slurm and GNU parallel each give shard 2/3; none set: exit 2"

# ---- 5. JUnit schema, --max-failures, usage -------------------------------------------------------------
# The JUnit XML schema as the reporters (Jenkins' junit plugin, GitLab, GitHub
# actions' test reporters) read it: testsuites > testsuite > testcase with
# properties and at most one of skipped, error, failure.
cat >junit.xsd <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:attributeGroup name="counts">
    <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
    <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
    <xs:attribute name="time" type="xs:decimal"/>
  </xs:attributeGroup>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attributeGroup ref="counts"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="properties" minOccurs="0"/>
        <xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attributeGroup ref="counts"/>
      <xs:attribute name="timestamp" type="xs:string"/>
      <xs:attribute name="hostname" type="xs:string"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="properties">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="property" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="value" type="xs:string" use="required"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:complexType name="outcome">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="message" type="xs:string"/>
        <xs:attribute name="type" type="xs:string"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="properties" minOccurs="0"/>
        <xs:choice minOccurs="0">
          <xs:element name="skipped" type="outcome"/>
          <xs:element name="error" type="outcome"/>
          <xs:element name="failure" type="outcome"/>
        </xs:choice>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string" use="required"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
EOF
xmllint --noout --schema junit.xsd j2.xml 2>xmllint.err || { cat xmllint.err; bn_fail "the JUnit XML does not validate"; }
tests=$(xmllint --xpath 'string(/testsuites/@tests)' j2.xml)
errors=$(xmllint --xpath 'string(/testsuites/@errors)' j2.xml)
[ "$tests" = 80 ] && [ "$errors" = "$nfail" ] || bn_fail "the JUnit XML counts $tests tests, $errors errors (want 80, $nfail)"

rc=0
timeout 600 "$BN" "${SWEEP[@]}" -j 1 --max-failures 1 --out maxf --junit maxf.xml "${ARGS[@]}" >maxf.out 2>&1 || rc=$?
[ $rc = 3 ] || { cat maxf.out; bn_fail "--max-failures 1: exit $rc, not 3"; }
python3 - <<'EOF' || bn_fail "--max-failures 1: the cells after the first failure are not all 'not run'"
import json
s = json.load(open("maxf/summary.json"))
t = s["totals"]
assert t["failed"] == 1 and t["not_run"] > 0 and t["runs"] + t["not_run"] == 80, t
cells = s["cells"]
first = next(i for i, c in enumerate(cells) if c["status"] == "failed")
assert all(c["status"] == "not run" and c["message"].startswith("not run: --max-failures") for c in cells[first + 1:]), cells[first + 1]
EOF
xmllint --noout --schema junit.xsd maxf.xml 2>xmllint.err || { cat xmllint.err; bn_fail "the JUnit XML of --max-failures does not validate"; }
[ "$(grep -c '<skipped message="not run' maxf.xml)" -gt 0 ] || bn_fail "cells not run are not <skipped> in the JUnit XML"
for bad in "--scenario nothing*.scn" "--seeds 5-1" "--seeds 1,1" "--board nosuch"; do
  rc=0
  # shellcheck disable=SC2086
  "$BN" sweep --pcap session.pcap --program "$T/deadline_client-{board}" $bad --out "bad$RANDOM" >bad.out 2>&1 || rc=$?
  [ $rc = 2 ] || { cat bad.out; bn_fail "sweep $bad: exit $rc, not 2"; }
done
echo "JUnit XML valid against the schema; --max-failures 1 leaves the rest 'not run' (exit 3); bad usage exits 2"

# ---- 6. shrink -----------------------------------------------------------------------------------------
printf 'both delay 1ms\nmatch "%s" ingress loss 40%%\n' "$SYNACK" >noisy.scn
# shrink_case NAME SECONDS: a sweep of seeds for a failing cell with 50 faults or more, shrunk; sets CELL, SEED.
shrink_case() {
  local name=$1 fatal=$2 rc=0
  timeout 600 "$BN" sweep --pcap session6.pcap --program "$T/deadline_client-{board}" --board generic \
    --scenario noisy.scn --seeds 1-40 --out "$name" -q -- 192.0.2.1 7 6 5 "$fatal" >"$name.out" 2>&1 || rc=$?
  [ $rc = 3 ] || { cat "$name.out"; bn_fail "$name: the sweep found no failing cell (exit $rc)"; }
  CELL=
  for d in "$name"/fail/*/; do
    d=${d%/}
    # the program's bug (exit 5), not a divergence the delays made (a FIN before the last ACK: exit 3)
    if [ "$(cat "$d/status")" = 5 ] && [ "$(grep -vc '^#' "$d/out/decisions.log")" -ge 50 ]; then CELL=$d; break; fi
  done
  [ -n "$CELL" ] || bn_fail "$name: no cell failing with the program's exit 5 and 50 faults or more"
  SEED=$(cat "$CELL/seed")
  rc=0
  timeout 600 "$BN" shrink "$CELL" >"$name.shrink" 2>"$name.shrink.err" || rc=$?
  [ $rc = 0 ] || { cat "$name.shrink" "$name.shrink.err"; bn_fail "$name: shrink exits $rc"; }
  grep -q "none of them can go" "$name.shrink" || { cat "$name.shrink"; bn_fail "$name: shrink did not say its set is minimal"; }
  # The scenario alone fails the program the same way (exit 5).
  rc=0
  timeout 120 "$T/deadline_client-generic" --pcap session6.pcap --clock virtual --seed "$SEED" --scenario "$CELL/shrunk.scn" \
    -- 192.0.2.1 7 6 5 "$fatal" >alone.out 2>alone.err || rc=$?
  [ $rc = 5 ] || { cat "$CELL/shrunk.scn" alone.err; bn_fail "$name: the shrunk scenario alone exits $rc, not 5"; }
  # The 5th connection's port, from the run's own recording.
  PORT=$(tshark -r "$CELL/out/record.pcap" -Y 'tcp.stream == 4 && tcp.flags.syn == 1 && tcp.flags.ack == 0' \
           -T fields -e tcp.srcport 2>/dev/null | head -1)
  [ -n "$PORT" ] || bn_fail "$name: no 5th connection in the run's recording"
  AIMS=$(grep -c '^at ' "$CELL/shrunk.scn")
  echo "$name: cell $(basename "$CELL") with $(grep -vc '^#' "$CELL/out/decisions.log") faults shrunk to $AIMS: $(grep -c '^shrink: run' "$name.shrink.err" || true) runs"
}
shrink_case one 0.5
[ "$AIMS" = 1 ] || { cat "$CELL/shrunk.scn"; bn_fail "one lost SYN-ACK: shrink kept $AIMS faults, not 1"; }
grep -q "dst port $PORT and tcp\[tcpflags\] & (tcp-syn|tcp-fin|tcp-rst) == tcp-syn\" ingress nth 1 drop" "$CELL/shrunk.scn" \
  || { cat "$CELL/shrunk.scn"; bn_fail "shrink did not find the 5th connection's (port $PORT) first SYN-ACK"; }
shrink_case two 2.5
[ "$AIMS" = 2 ] || { cat "$CELL/shrunk.scn"; bn_fail "two lost SYN-ACKs: shrink kept $AIMS faults, not 2"; }
for k in 1 2; do
  grep -q "dst port $PORT and tcp\[tcpflags\] & (tcp-syn|tcp-fin|tcp-rst) == tcp-syn\" ingress nth $k drop" "$CELL/shrunk.scn" \
    || { cat "$CELL/shrunk.scn"; bn_fail "shrink did not find the 5th connection's SYN-ACK number $k"; }
done
mkdir -p nofault && rc=0
timeout 60 "$T/deadline_client-generic" --pcap session.pcap --clock virtual --seed 3 --artifact nofault/run --artifact-always \
  -- 192.0.2.1 7 3 2 >/dev/null 2>&1 || true
"$BN" shrink nofault/run >nofault.out 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "injected no fault" nofault.out || { cat nofault.out; bn_fail "shrink of a run without a scenario: exit $rc"; }
# A failure that needs no fault: esp32 against generic's capture without --ignore (its SYN options differ by design).
rc=0
timeout 60 "$T/deadline_client-esp32" --pcap session.pcap --clock virtual --seed 3 --scenario synack30.scn \
  --artifact nofault/esp32 -- 192.0.2.1 7 3 2 >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || bn_fail "esp32 on generic's capture: exit $rc, not 3 (diverged)"
rc=0
"$BN" shrink nofault/esp32 >esp32.shrink 2>&1 || rc=$?
[ $rc = 4 ] && grep -q "the bug needs none of them" esp32.shrink || { cat esp32.shrink; bn_fail "a failure without faults: shrink exits $rc"; }
echo "shrink: one lost SYN-ACK among 50+ faults found alone, two in a row found both; each scenario fails the program alone;" \
  "a divergence that needs no fault said so (exit 4); a run without a scenario has nothing to shrink"

# ---- 7. --time-budget ---------------------------------------------------------------------------------
rc=0
timeout 120 "$BN" sweep --pcap session.pcap --program "$T/deadline_client-{board}" --scenario synack30.scn \
  --seeds 1-2000 -j 1 --time-budget 1s --out budget -q "${ARGS[@]}" >budget.out 2>&1 || rc=$?
[ $rc = 3 ] || [ $rc = 4 ] || { cat budget.out; bn_fail "--time-budget: exit $rc"; }
python3 - <<'EOF2' || bn_fail "--time-budget: the cells not run are not all said so"
import json
s = json.load(open("budget/summary.json"))
t = s["totals"]
assert t["runs"] + t["not_run"] == 2000 and t["not_run"] > 0, t
assert all(c["message"] == "not run: the time budget (--time-budget) ran out" for c in s["cells"] if c["status"] == "not run")
EOF2
echo "--time-budget 1s: $(python3 -c 'import json; t = json.load(open("budget/summary.json"))["totals"]; print(t["runs"], "run,", t["not_run"], "not run, none passed")')"
