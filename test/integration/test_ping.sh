#!/usr/bin/env bash
# The kernel's ping gets replies from the board over the TAP.
source "$(dirname "$0")/lib.sh"
bn_make_net
bn_start_board --ip 192.0.2.2/24
bn_ns ping -c 5 -i 0.2 -W 2 192.0.2.2 > "$BN_TMP/ping.log" || { cat "$BN_TMP/ping.log"; bn_fail "no ping replies"; }
grep -q " 0% packet loss" "$BN_TMP/ping.log" || { cat "$BN_TMP/ping.log"; bn_fail "ping lost packets"; }
bn_stop_board
