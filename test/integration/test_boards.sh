#!/usr/bin/env bash
# bn-profile: default only (it looks at every profile itself)
# The profiles built and their link characters from the command line:
# boardnet boards lists each (the default marked), info --compare puts
# their options side by side (an unknown board: exit 2), info --link prints
# a profile's link.scn (valid for boardnet check; none for generic: exit
# 1), and run --link board applies it: an esp32 board's pings come back no
# sooner than its link's 1 ms each way, and the scenario is reported.
# --link board with --scenario merges them (the scenario's lines replace the
# link's, as later lines do; check --link board prints the merge); --link of
# another kind is a usage error.
source "$(dirname "$0")/lib.sh"
default=$("$BN" info | awk '$1 == "board:" { print $2 }')

out=$("$BN" boards) || bn_fail "boardnet boards failed"
for b in generic rp2-pico-w esp32 stm32; do
  grep -qE "^[ *] $b " <<<"$out" || { echo "$out"; bn_fail "boardnet boards does not list $b"; }
done
grep -qE "^\* $default " <<<"$out" || { echo "$out"; bn_fail "the default profile $default is not marked"; }
grep -qE "^  esp32 +1440 +5760 +12 +link.scn +ESP32" <<<"$out" || { echo "$out"; bn_fail "esp32's line is not its figures"; }
echo "boards: 4 profiles listed, $default marked"

cmp=$("$BN" info --compare generic,esp32,stm32) || bn_fail "info --compare failed"
grep -qE "^TCP_MSS +1460 +1440 +800 *$" <<<"$cmp" || { echo "$cmp"; bn_fail "--compare: no TCP_MSS row 1460 1440 800"; }
grep -qE "^IP_REASSEMBLY +1 +0 +1 *$" <<<"$cmp" || { echo "$cmp"; bn_fail "--compare: no IP_REASSEMBLY row"; }
# Columns hold their widest value (stm32's MAC row): each value starts under its board's name.
cmp=$("$BN" info --compare generic,stm32,esp32) || bn_fail "info --compare failed"
col() { awk -v w="$2" -v row="$1" '$1 == row || (row == "" && NR == 1) { print index($0, w) }' <<<"$cmp"; }
[ "$(col "" esp32)" = "$(col MAC "OUI 24")" ] && [ "$(col "" esp32)" = "$(col TCP_MSS 1440)" ] ||
  { echo "$cmp"; bn_fail "--compare: columns not aligned"; }
# The TCP timers users meet: a connect() to a silent peer gives up after TCP_SYNMAXRTX SYNs 3 s apart.
grep -qE "^connect timeout +18.5 s +18.5 s +36.5 s *$" <<<"$cmp" || { echo "$cmp"; bn_fail "--compare: no connect timeout row"; }
grep -qE "^TIME_WAIT +120 s " <<<"$cmp" || { echo "$cmp"; bn_fail "--compare: no TIME_WAIT row"; }
rc=0; "$BN" info --compare generic,no-such-board >/dev/null 2>"$BN_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "no-such-board" "$BN_TMP/err" || bn_fail "--compare with an unknown board: exit $rc"
echo "info --compare: side by side; an unknown board is exit 2"

"$BN" --board esp32 info --link >"$BN_TMP/esp32.scn" || bn_fail "esp32 has no link"
"$BN" check "$BN_TMP/esp32.scn" | grep -q "ingress rate 30mbit" || bn_fail "esp32's link.scn does not check"
"$BN" --board stm32 info --link >"$BN_TMP/stm32.scn" && "$BN" check -q "$BN_TMP/stm32.scn" || bn_fail "stm32's link.scn"
rc=0; "$BN" --board generic info --link >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || bn_fail "generic's --link: exit $rc, not 1"
echo "info --link: esp32's and stm32's check; generic has none (exit 1)"

bn_make_net
rc=0; bn_ns "$BN" --board esp32 run --tap "$BN_TAP" --link wifi 2>"$BN_TMP/err" || rc=$?
[ $rc = 2 ] || bn_fail "--link wifi: exit $rc"
BN=$(dirname "$BN")/boardnet-esp32 bn_start_board --ip 192.0.2.2/24 --link board
grep -q "scenario esp32:link.scn" "$BN_TMP/board.log" || { bn_board_output; bn_fail "the run does not report its link"; }
min=$(bn_ns ping -c 5 -i 0.2 -W 2 192.0.2.2 | sed -nE 's|.* = ([0-9.]+)/.*|\1|p')
[ -n "$min" ] || bn_fail "no ping through the esp32 link"
awk -v m="$min" 'BEGIN { exit !(m >= 2.0) }' || bn_fail "a ping came back in $min ms, under the link's 1 ms each way"
echo "run --link board: the esp32 link applied (fastest ping $min ms >= 2 ms)"
bn_stop_board

# --link board with --scenario: the link's lines, then the scenario's, which
# replace those of the same direction and impairment (check prints the merge).
printf 'at 0s both delay 20ms\n' >"$BN_TMP/slow.scn"
merged=$("$BN" --board esp32 check --link board "$BN_TMP/slow.scn") || bn_fail "check --link board failed"
grep -qE "^at 0s +both delay 1ms +# esp32:link.scn line [0-9]+$" <<<"$merged" &&
  grep -qE "^at 0s +ingress rate 30mbit +# esp32:link.scn" <<<"$merged" &&
  [ "$(tail -1 <<<"$merged")" = "at 0s       both delay 20ms" ] || { echo "$merged"; bn_fail "check --link board: not the merged timeline"; }
BN=$(dirname "$BN")/boardnet-esp32 bn_start_board --ip 192.0.2.2/24 --link board --scenario "$BN_TMP/slow.scn"
min=$(bn_ns ping -c 3 -i 0.2 -W 2 192.0.2.2 | sed -nE 's|.* = ([0-9.]+)/.*|\1|p')
[ -n "$min" ] || bn_fail "no ping through the esp32 link and the scenario"
awk -v m="$min" 'BEGIN { exit !(m >= 40.0) }' || bn_fail "a ping came back in $min ms, under the scenario's 20 ms each way"
echo "run --link board --scenario: the scenario's delay replaces the link's (fastest ping $min ms >= 40 ms); check prints the merge"
bn_stop_board
