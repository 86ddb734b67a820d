#!/usr/bin/env bash
# DNS: the board's resolver asks dnsmasq on the kernel side (192.0.2.1),
# which answers only from its own --address (no upstream servers at all):
# a known name resolves, an unknown one gives a clear error line and the
# board keeps running.
source "$(dirname "$0")/lib.sh"
bn_make_net
bn_start_dnsmasq --address=/board.test/192.0.2.77 --log-queries

bn_start_board --ip 192.0.2.2/24 --dns 192.0.2.1 --resolve board.test --resolve nothing.test
# The names are looked up one after the other once the board is up; an
# unanswered lookup takes lwIP's retries (bounded), so wait for both results.
bn_wait_for "$BN_TMP/board.err" "nothing\.test" 40 ||
  { bn_board_output; bn_fail "no result for nothing.test within 40 s"; }
grep -qx "boardnet: resolved board.test to 192.0.2.77" "$BN_TMP/board.log" ||
  { bn_board_output; cat "$BN_TMP/dnsmasq.log"; bn_fail "board.test did not resolve to 192.0.2.77"; }
echo "$(grep 'resolved board.test' "$BN_TMP/board.log")"
err=$(grep "nothing\.test" "$BN_TMP/board.err")
[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == "boardnet: cannot resolve nothing.test: "* ]] ||
  { bn_board_output; bn_fail "unexpected error for nothing.test"; }
# ... and says why (not an empty reason).
[[ $err =~ ^boardnet:\ cannot\ resolve\ nothing\.test:\ .*[a-z] ]] ||
  { bn_board_output; bn_fail "the error for nothing.test gives no reason: '$err'"; }
echo "$err"
grep -q "resolved nothing.test" "$BN_TMP/board.log" && bn_fail "nothing.test resolved"

# The board is still running and serving.
kill -0 "$BN_BOARD_PID" 2>/dev/null || { bn_board_output; bn_fail "the board exited after the failed lookup"; }
bn_ns ping -c 2 -i 0.2 -W 2 192.0.2.2 >"$BN_TMP/ping.log" || { cat "$BN_TMP/ping.log"; bn_fail "no ping replies after the lookups"; }

# dnsmasq saw both queries from the board and forwarded neither.
grep -q "query\[A\] board.test from 192.0.2.2" "$BN_TMP/dnsmasq.log" || { cat "$BN_TMP/dnsmasq.log"; bn_fail "dnsmasq saw no query for board.test"; }
grep -q "query\[A\] nothing.test from 192.0.2.2" "$BN_TMP/dnsmasq.log" || { cat "$BN_TMP/dnsmasq.log"; bn_fail "dnsmasq saw no query for nothing.test"; }
grep -q "forwarded" "$BN_TMP/dnsmasq.log" && { cat "$BN_TMP/dnsmasq.log"; bn_fail "dnsmasq forwarded a query"; }
bn_stop_board
