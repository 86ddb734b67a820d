#!/usr/bin/env bash
# 5000 malformed frames onto the board's wire (test/integration/
# hostile_frames.py, scapy): bad IPv4 header and total lengths, odd
# versions and options, overlapping, tiny and oversized fragments, TCP with
# bad data offsets, options and flag sets, UDP/ICMP with bad lengths, ARP
# with odd lengths or cut short, runt frames. The board must take every one
# without crashing or asserting, and afterwards answer ping, serve a page and
# echo 100 kB byte for byte.
source "$(dirname "$0")/lib.sh"
# Debian's python3-scapy is for Debian's python3 (another python3 may come first on PATH).
py=python3
$py -c "import scapy.all" 2>/dev/null || py=/usr/bin/python3
$py -c "import scapy.all" 2>/dev/null || bn_skip "no scapy (apt-get install python3-scapy)"
FRAMES=${BN_HOSTILE_FRAMES:-5000}
MAC=02:00:00:c0:00:02
bn_make_net

tx_packets() { bn_ns cat "/sys/class/net/$BN_TAP/statistics/tx_packets"; }

bn_start_board --ip 192.0.2.2/24 --gw 192.0.2.1 --mac "$MAC" --app http --app echo
bn_ns ping -c 1 -W 2 192.0.2.2 >/dev/null || bn_fail "no ping before the frames"
before=$(tx_packets)
bn_ns timeout 180 "$py" "$BN_TOP/test/integration/hostile_frames.py" "$BN_TAP" "$MAC" 192.0.2.2 "$FRAMES" ||
  bn_fail "the scapy peer failed"
sent=$(( $(tx_packets) - before ))
# The kernel drops none of them on the way (runts included: a packet socket
# sends what it is given): they all reached the board's wire.
[ "$sent" -ge "$FRAMES" ] || bn_fail "only $sent of $FRAMES frames reached the TAP"
bn_survived "the malformed frames"
bn_echo_session 192.0.2.2 100000
echo "after $sent malformed frames the board answers ping, serves a page and echoes 100 kB"
bn_stop_board
