#!/usr/bin/env bash
# bn-profile: default only (the replay's pacing is the same for every profile)
# A recording that holds an outage replays with the default --step-timeout
# (issue 22): examples/sensor_post.c (a board's HTTP client that POSTs a
# reading every 400 ms and backs off when a connection fails) is recorded
# on a TAP under a scenario, then replayed into itself (--pcap) under the
# same scenario. The capture waits 4 to 6 s for the board's next SYN after
# the outage, longer than the 2 s default: the replay waits as long as the
# capture did, and --step-timeout more.
# 1. `link down` for 3.2 s: every reading posted, the replay exits 0 with
#    every flow identical, no flow given up, no step timed out;
# 2. `both blackhole` for 3.2 s (carrier up: lwIP's SYNs vanish): the same;
#    and a recording under scenarios/wifi-weak.scn replayed under it;
# 3. replayed into a board that posts one reading fewer: diverged (exit 3,
#    the last connection missing); the report names the capture frame the replay waited at, how long
#    the capture itself waited there, and that the connection never came;
#    the JSON's "timeouts" counts it.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bn_skip "no python3"
bn_build_example sensor_post esp32
bn_make_net
COUNT=6

# record NAME SEED SCENARIO-LINE...: sensor_post on the TAP under the
# scenario, recorded to NAME.pcap; every reading must reach the server. Each
# recording has its own seed: the same one would give the same ports and
# ISNs, and the kernel's TIME_WAIT of the last recording would answer them.
record() {
  local name=$1 seed=$2; shift 2
  printf '%s\n' "$@" >"$BN_TMP/$name.scn"
  echo "$seed" >"$BN_TMP/$name.seed"
  rm -f "$BN_TMP/got"
  ip netns exec "$BN_NS" timeout 40 python3 "$BN_TOP/test/integration/post_server.py" 192.0.2.1 8080 "$BN_TMP/got" 30 &
  local server=$!; bn_track $server
  for _ in $(seq 50); do bn_ns ss -ltn | grep -q '192.0.2.1:8080 ' && break; sleep 0.1; done
  local rc=0
  bn_ns timeout 40 "$BN_TMP/sensor_post" --tap "$BN_TAP" --ip 192.0.2.2/24 --seed "$seed" --scenario "$BN_TMP/$name.scn" \
    --record "$BN_TMP/$name.pcap" -- 192.0.2.1 8080 $COUNT 400 >"$BN_TMP/$name.log" 2>&1 || rc=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  [ $rc = 0 ] || { cat "$BN_TMP/$name.log"; bn_fail "$name: sensor_post exited $rc while recorded"; }
  [ "$(grep -c temperature "$BN_TMP/got")" = $COUNT ] || { cat "$BN_TMP/$name.log"; bn_fail "$name: not $COUNT readings"; }
}

# replay NAME COUNT [options]: sensor_post --pcap NAME.pcap under NAME.scn; BN_RC, NAME.out, NAME.json.
replay() {
  local name=$1 count=$2; shift 2
  BN_RC=0
  timeout 90 "$BN_TMP/sensor_post" --pcap "$BN_TMP/$name.pcap" --seed "$(cat "$BN_TMP/$name.seed")" --scenario "$BN_TMP/$name.scn" \
    --report "$BN_TMP/$name.json" "$@" -- 192.0.2.1 8080 "$count" 400 >"$BN_TMP/$name.out" 2>&1 || BN_RC=$?
}

seed=7
for kind in "link:at 1s link down|after 3200ms link up" "blackhole:at 1s both blackhole|after 3200ms clear"; do
  name=${kind%%:*} lines=${kind#*:}
  seed=$((seed + 1))
  record "$name" $seed "${lines%%|*}" "${lines#*|}"
  grep -q "again in" "$BN_TMP/$name.log" || { cat "$BN_TMP/$name.log"; bn_fail "$name: the outage did not fail a reading"; }
  replay "$name" $COUNT
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/$name.out"; bn_fail "$name: the replay of the outage exited $BN_RC, not 0"; }
  bn_report_check "$BN_TMP/$name.json" 'len(tcp) == '$COUNT \
    'all(f["stream"] == "identical" and f["given_up"] is None for f in tcp)' 'r["timeouts"] == 0'
  echo "$name: a $COUNT-reading recording with a 3.2 s outage replays into sensor_post with the default --step-timeout: exit 0, $COUNT flows identical"
done

# ---- a recording under wifi-weak.scn (rate, delay, jitter, bursts of loss), replayed under it
record wifi 20 "$(cat "$BN_TOP/scenarios/wifi-weak.scn")"
replay wifi $COUNT
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/wifi.out"; bn_fail "wifi-weak: the replay exited $BN_RC, not 0"; }
bn_report_check "$BN_TMP/wifi.json" 'len(tcp) >= '$COUNT 'all(f["stream"] == "identical" for f in tcp)'
echo "wifi-weak: recorded under scenarios/wifi-weak.scn and replayed under it: exit 0, $COUNT flows identical"

# ---- a board that never opens the last connection ------------------------------------
replay link $((COUNT - 1))
[ "$BN_RC" = 3 ] || { cat "$BN_TMP/link.out"; bn_fail "one reading fewer: exit $BN_RC, not 3 (diverged)"; }
bn_report_check "$BN_TMP/link.json" 'r["timeouts"] == 1' \
  'sum(f["given_up"] is not None for f in tcp) == 1' \
  '[f for f in tcp if f["given_up"]][0]["given_up"].startswith("waited ")' \
  '"for the live board to open this connection (the capture waited" in [f for f in tcp if f["given_up"]][0]["given_up"]' \
  '[f for f in tcp if f["given_up"]][0]["given_up"].endswith("it never came")'
grep -q "given up on: waited .* at capture frame [0-9]* for the live board to open this connection" "$BN_TMP/link.out" ||
  { cat "$BN_TMP/link.out"; bn_fail "the text report does not say where it waited"; }
echo "one reading fewer: diverged (exit 3), the report names the step it waited at and the capture's own wait; timeouts 1"
