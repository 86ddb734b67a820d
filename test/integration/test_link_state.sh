#!/usr/bin/env bash
# The TAP's state is the board's carrier (netif/backend/tap_carrier.c):
# 1. ip link set TAP down / up: the board's lwIP netif goes link down and up
#    (boardnet run reports both) and the board answers again afterwards.
# 2. A board on DHCP: after the link comes back, lwIP's DHCP client asks
#    again (dnsmasq sees a second DHCPDISCOVER or DHCPREQUEST).
# 3. The TAP deleted under a running board: exit status 1 and a message
#    naming it, within a bounded time, no hang.
source "$(dirname "$0")/lib.sh"
bn_make_net

# ---- 1. down and up ------------------------------------------------------------
bn_start_board --ip 192.0.2.2/24
bn_ns ping -c 1 -W 2 192.0.2.2 >/dev/null || bn_fail "no ping before the flap"
bn_ns ip link set "$BN_TAP" down
bn_wait_for "$BN_TMP/board.log" "link down on tap $BN_TAP" 10 || { bn_board_output; bn_fail "the board did not see the TAP go down"; }
bn_ns ip link set "$BN_TAP" up
bn_wait_for "$BN_TMP/board.log" "link up on tap $BN_TAP" 10 || { bn_board_output; bn_fail "the board did not see the TAP come up"; }
ok=0
for _ in $(seq 10); do bn_ns ping -c 1 -W 1 192.0.2.2 >/dev/null && { ok=1; break; }; done
[ $ok = 1 ] || bn_fail "no ping after the TAP came back"
bn_stop_board
echo "down/up: the board's link went down and up with the TAP, and it answers again"

# ---- 2. DHCP asks again when the link comes back ---------------------------------
bn_start_dnsmasq --dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,1h
bn_start_board --dhcp --dhcp-timeout 20
bn_wait_for "$BN_TMP/dnsmasq.log" "DHCPACK" 10 || bn_fail "no lease"
before=$(grep -cE "DHCP(DISCOVER|REQUEST)" "$BN_TMP/dnsmasq.log")
bn_ns ip link set "$BN_TAP" down
bn_wait_for "$BN_TMP/board.log" "link down on tap $BN_TAP" 10 || bn_fail "the board did not see the TAP go down"
bn_ns ip link set "$BN_TAP" up
after=$before
for _ in $(seq 100); do
  after=$(grep -cE "DHCP(DISCOVER|REQUEST)" "$BN_TMP/dnsmasq.log")
  [ "$after" -gt "$before" ] && break
  sleep 0.1
done
[ "$after" -gt "$before" ] || { cat "$BN_TMP/dnsmasq.log"; bn_fail "lwIP's DHCP did not ask again after the link came back"; }
bn_stop_board
echo "dhcp: after the link came back the board asked its DHCP server again"

# ---- 3. the TAP deleted ------------------------------------------------------------
bn_start_board --ip 192.0.2.2/24
bn_ns ip link del "$BN_TAP"
pid=$BN_BOARD_PID
bn_wait_exit "$pid" 10
BN_BOARD_PID=
[ "$BN_RC" = 1 ] || { bn_board_output; bn_fail "exit status $BN_RC after the TAP was deleted, not 1"; }
grep -q "tap $BN_TAP: the TAP device was deleted" "$BN_TMP/board.err" || { bn_board_output; bn_fail "no message naming the deleted TAP"; }
grep -q "stopped (the link ended)" "$BN_TMP/board.log" || { bn_board_output; bn_fail "no summary"; }
echo "deleted: exit 1 with \"$(cat "$BN_TMP/board.err")\""
