#!/usr/bin/env bash
# A scenario on the TAP, seen by the kernel's ping: `delay 50ms` both ways
# holds every frame 50 ms each way (the stage's counters: every frame
# delayed; its decision log: each by 50.000ms), so no reply comes sooner
# than 100 ms (how much later is the machine's load: no upper bound here,
# the RTT's spread belongs in test/bench/scenario), and `loss 20%` (egress, seeded) loses a
# share of 400 probes inside the binomial 99.9% band (20% +- 3.29 sigma),
# counted alike by --stats, --stats-json and ping.
source "$(dirname "$0")/lib.sh"
bn_make_net

median_rtt() { # FILE: the median of ping's time=X ms values
  grep -o 'time=[0-9.]*' "$1" | cut -d= -f2 | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bn_start_board --ip 192.0.2.2/24
bn_ns ping -c 40 -i 0.05 -W 2 192.0.2.2 > "$BN_TMP/base.log" || { cat "$BN_TMP/base.log"; bn_fail "no replies unimpaired"; }
bn_stop_board
base=$(median_rtt "$BN_TMP/base.log")

echo "both delay 50ms" > "$BN_TMP/delay.scn"
bn_start_board --ip 192.0.2.2/24 --scenario "$BN_TMP/delay.scn" --stats-json "$BN_TMP/delay.json" \
  --decisions "$BN_TMP/delay.dec"
bn_ns ping -c 40 -i 0.05 -W 2 192.0.2.2 > "$BN_TMP/delay.log" || { cat "$BN_TMP/delay.log"; bn_fail "no replies delayed"; }
bn_stop_board
grep -q "scenario $BN_TMP/delay.scn: 1 step, seed" "$BN_TMP/board.log" || { bn_board_output; bn_fail "no scenario line"; }
# Every frame from time 0 on (the 40 requests and replies, and ARP) held,
# each by exactly 50 ms: as many delays in the counters as in the log.
delays=$(python3 - "$BN_TMP/delay.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert all(t[d]["delayed"] >= 40 and t[d]["passed"] == t[d]["frames"] for d in ("egress", "ingress")), t
print(t["egress"]["delayed"] + t["ingress"]["delayed"])
PY
) || bn_fail "not every request and reply was delayed"
lines=$(grep -vc '^#' "$BN_TMP/delay.dec")
[ "$lines" = "$delays" ] && [ "$(grep -c ' \* delay 50.000ms' "$BN_TMP/delay.dec")" = "$lines" ] ||
  { head "$BN_TMP/delay.dec"; bn_fail "$lines decision lines for $delays delays, not each 50.000ms"; }
fastest=$(grep -o 'time=[0-9.]*' "$BN_TMP/delay.log" | cut -d= -f2 | sort -n | head -1)
awk -v m="$fastest" 'BEGIN { exit !(m >= 100) }' || bn_fail "a reply came back in $fastest ms, sooner than 50 ms each way"
delayed=$(median_rtt "$BN_TMP/delay.log")
echo "every frame held 50 ms each way; fastest reply $fastest ms; median $base ms unimpaired, $delayed ms delayed"

printf 'seed 7\negress loss 20%%\n' > "$BN_TMP/loss.scn"
bn_start_board --ip 192.0.2.2/24 --scenario "$BN_TMP/loss.scn" --stats-json "$BN_TMP/stats.json" --stats 500ms
bn_ns ping -c 400 -i 0.005 -W 1 192.0.2.2 > "$BN_TMP/loss.log" || true
bn_stop_board
# --stats: a line per interval with the drops by reason and the step in force, and a summary
grep -Eq '^boardnet: \[ *[0-9.]+s\] egress [0-9]+ fr .*dropped [0-9]+ \(loss [0-9]+\).* step: line 2 egress loss random 20%$' \
  "$BN_TMP/board.log" || { bn_board_output; bn_fail "no --stats line"; }
grep -Eq '^boardnet: scenario .*: [0-9.]+ s, 1 of 1 step; egress' "$BN_TMP/board.log" || { bn_board_output; bn_fail "no summary"; }
got=$(grep -o '[0-9]* received' "$BN_TMP/loss.log" | cut -d' ' -f1)
lost=$((400 - got))
# 400 probes at p = 0.2: mean 80, sigma 8; the 99.9% band is 80 +- 26.3
[ "$lost" -ge 54 ] && [ "$lost" -le 106 ] || bn_fail "$lost of 400 lost under loss 20%: outside 54..106"
# the stage's own count agrees with what ping saw (ARP frames pass the same rule)
python3 - "$BN_TMP/stats.json" "$lost" <<'PY' || bn_fail "stats.json disagrees with ping"
import json, sys
st = json.load(open(sys.argv[1]))
lost = st["total"]["egress"]["dropped"]["loss"]
assert st["seed"] == 7, st["seed"]
# every lost reply is a loss; a lost ARP reply may cost more (then ping sees more)
assert lost >= 1 and lost <= int(sys.argv[2]) + 5, (lost, sys.argv[2])
PY
echo "loss 20%: $lost of 400 probes lost"
