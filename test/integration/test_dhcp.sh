#!/usr/bin/env bash
# DHCP: the board gets its address from the kernel side's dnsmasq (a lease
# in the range, answered to ping, recorded with the board's MAC); without a
# DHCP server, --dhcp gives up after --dhcp-timeout with one clear line.
source "$(dirname "$0")/lib.sh"
bn_make_net

# No server yet: exit 1 after about 2 s, one line on stderr.
bn_launch_board --dhcp --dhcp-timeout 2
bn_wait_exit "$BN_BOARD_PID" 20
BN_BOARD_PID=
[ "$BN_RC" = 1 ] || { bn_board_output; bn_fail "--dhcp with no server: exit $BN_RC, expected 1"; }
[ "$(wc -l <"$BN_TMP/board.err")" = 1 ] || { bn_board_output; bn_fail "--dhcp with no server: not exactly one line on stderr"; }
grep -qx "boardnet: no DHCP lease on tap $BN_TAP within 2 s" "$BN_TMP/board.err" ||
  { bn_board_output; bn_fail "--dhcp with no server: unexpected message"; }
echo "no server: $(cat "$BN_TMP/board.err") (exit 1)"

bn_start_dnsmasq --port 0 --dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,2m --dhcp-authoritative
BN_UP_WAIT=25 bn_start_board --dhcp --dhcp-timeout 20
line=$(grep "up on tap" "$BN_TMP/board.log")
echo "$line"
ip=$(sed -nE 's/.* ip ([0-9.]+)\/24.*\(DHCP lease [0-9]+ s from 192\.0\.2\.1\)$/\1/p' <<<"$line")
[ -n "$ip" ] || bn_fail "the up line shows no /24 DHCP lease from 192.0.2.1"
last=${ip##*.}
[ "${ip%.*}" = 192.0.2 ] && [ "$last" -ge 50 ] && [ "$last" -le 60 ] || bn_fail "leased $ip is outside 192.0.2.50-60"
mac=$(sed -nE 's/.* mac ([0-9a-f:]{17}),.*/\1/p' <<<"$line")
[ -n "$mac" ] || bn_fail "no MAC in the up line"

bn_ns ping -c 3 -i 0.2 -W 2 "$ip" >"$BN_TMP/ping.log" || { cat "$BN_TMP/ping.log"; bn_fail "no ping replies from $ip"; }
grep -q " 0% packet loss" "$BN_TMP/ping.log" || { cat "$BN_TMP/ping.log"; bn_fail "ping to $ip lost packets"; }

# dnsmasq's lease file: "expiry MAC IP hostname client-id".
grep -qiE "^[0-9]+ $mac $ip " "$BN_TMP/dnsmasq.leases" ||
  { cat "$BN_TMP/dnsmasq.leases" "$BN_TMP/dnsmasq.log"; bn_fail "no lease for $mac $ip in dnsmasq's lease file"; }
echo "lease $ip for $mac; ping ok; dnsmasq's lease file agrees"
bn_stop_board
