#!/usr/bin/env bash
# A SYN flood: 20 000 SYNs to the http app from spoofed addresses all over
# 198.18.0.0/15 (test/integration/syn_peer.py), none of which ever answers.
# lwIP has no SYN cookies: the half-open connections fill its listen backlog
# and pcbs until its SYN_RCVD timeout (20 s) drops them. The board must stay
# up throughout (it answers ping right after the flood), lwIP must not assert,
# and a normal request must be served afterwards (bounded wait).
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bn_skip "no python3"
SYNS=${BN_SYN_FLOOD:-20000}
bn_make_net

tx_packets() { bn_ns cat "/sys/class/net/$BN_TAP/statistics/tx_packets"; }

bn_start_board --ip 192.0.2.2/24 --gw 192.0.2.1 --app http
bn_ns curl -sf --max-time 10 -o /dev/null http://192.0.2.2/ || bn_fail "no page before the flood"
before=$(tx_packets)
bn_ns timeout 120 python3 "$BN_TOP/test/integration/syn_peer.py" 198.18.0.0/15 192.0.2.2 80 "$SYNS" ||
  bn_fail "the SYN flood peer failed"
after=$(tx_packets)
# The flood reached the board's wire (the kernel counts what it queued on the TAP).
[ $((after - before)) -ge $((SYNS / 2)) ] || bn_fail "only $((after - before)) frames reached the TAP"
echo "flood: $((after - before)) frames onto the board's wire"
bn_survived "the SYN flood"
echo "after $SYNS spoofed SYNs the board answers ping and serves a page"
bn_stop_board
