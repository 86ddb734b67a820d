#!/usr/bin/env bash
# boardnet run --record: the board's wire in a pcap file, checked with tshark.
# 1. A session (5 pings, 100 kB echoed over TCP, an HTTP page of 20 000
#    bytes) recorded in full: every frame the board counted, the ICMP pairs,
#    both TCP conversations with every payload byte once, nothing malformed.
# 2. --record-filter icmp records only ICMP; --record-size rotates into
#    FILE, FILE1, ... each a whole capture.
# 3. --record - | tshark -r -: frames show up live, while the board runs.
# 4. A full disk (a 64 KiB tmpfs) stops the recording with one message; the
#    board runs on and stops cleanly.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "no tshark (apt-get install tshark)"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

# tshark_count FILE FILTER: frames of FILE that match the display filter.
tshark_count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# echo_bytes N: sends N random bytes to the echo app and checks they come back.
echo_bytes() {
  head -c "$1" /dev/urandom >"$BN_TMP/sent"
  bn_ns timeout 30 python3 "$BN_TOP/test/integration/echo_peer.py" 192.0.2.2 "$BN_TMP/sent" "$BN_TMP/echoed" 10 ||
    bn_fail "the echo of $1 bytes failed"
  cmp -s "$BN_TMP/sent" "$BN_TMP/echoed" || bn_fail "the echo of $1 bytes differs"
}

# ---- 1. a whole session ------------------------------------------------------
bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/session.pcap"
bn_ns ping -c 5 -i 0.2 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed"
echo_bytes 100000
bn_ns curl -sf --max-time 10 -o "$BN_TMP/page" http://192.0.2.2/bytes/20000 || bn_fail "curl failed"
[ "$(stat -c %s "$BN_TMP/page")" = 20000 ] || bn_fail "the page is not 20000 bytes"
bn_stop_board
summary=$(grep "stopped" "$BN_TMP/board.log")
rx=$(sed -E 's/.*rx ([0-9]+) frames.*/\1/' <<<"$summary")
tx=$(sed -E 's/.*tx ([0-9]+) frames.*/\1/' <<<"$summary")
recorded=$(sed -E 's/.*recorded ([0-9]+) frames.*/\1/' <<<"$summary")
frames=$(tshark -n -r "$BN_TMP/session.pcap" 2>/dev/null | wc -l)
echo "board: rx $rx tx $tx recorded $recorded; tshark reads $frames frames"
[ "$frames" = "$recorded" ] || bn_fail "tshark reads $frames frames, the board recorded $recorded"
[ "$frames" = $((rx + tx)) ] || bn_fail "$frames frames recorded, the board moved $((rx + tx))"
[ "$(tshark_count "$BN_TMP/session.pcap" 'icmp.type == 8 && ip.dst == 192.0.2.2')" = 5 ] || bn_fail "not 5 echo requests"
[ "$(tshark_count "$BN_TMP/session.pcap" 'icmp.type == 0 && ip.src == 192.0.2.2')" = 5 ] || bn_fail "not 5 echo replies"
malformed=$(tshark_count "$BN_TMP/session.pcap" '_ws.malformed')
[ "$malformed" = 0 ] || { tshark -n -r "$BN_TMP/session.pcap" -Y _ws.malformed -V | head -60; bn_fail "$malformed malformed frames"; }
# Each TCP payload byte once per direction (retransmissions left out).
payload() {
  tshark -n -r "$BN_TMP/session.pcap" -Y "$1 && !tcp.analysis.retransmission" -T fields -e tcp.len 2>/dev/null |
    awk '{ s += $1 } END { print s + 0 }'
}
[ "$(payload 'tcp.dstport == 7')" = 100000 ] || bn_fail "to port 7: $(payload 'tcp.dstport == 7') payload bytes, not 100000"
[ "$(payload 'tcp.srcport == 7')" = 100000 ] || bn_fail "from port 7: $(payload 'tcp.srcport == 7') payload bytes, not 100000"
http=$(payload 'tcp.srcport == 80')
[ "$http" -gt 20000 ] || bn_fail "from port 80: $http payload bytes, not the page and its headers"
conversations=$(tshark -n -r "$BN_TMP/session.pcap" -q -z conv,tcp 2>/dev/null | grep -c '192.0.2.2:')
[ "$conversations" = 2 ] || bn_fail "$conversations TCP conversations, not 2"
echo "session: $frames frames, 5 pings, 100000 bytes echoed, the page: every byte recorded, nothing malformed"

# ---- 2. filter and rotation ------------------------------------------------------
bn_start_board --ip 192.0.2.2/24 --app echo --record "$BN_TMP/icmp.pcap" --record-filter icmp
bn_ns ping -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed"
echo_bytes 20000
bn_stop_board
all=$(tshark -n -r "$BN_TMP/icmp.pcap" 2>/dev/null | wc -l)
[ "$all" = 6 ] && [ "$(tshark_count "$BN_TMP/icmp.pcap" icmp)" = 6 ] ||
  bn_fail "--record-filter icmp recorded $all frames, not the 6 ICMP ones"
echo "filter: 6 ICMP frames of the session, nothing else"

bn_start_board --ip 192.0.2.2/24 --app echo --record "$BN_TMP/rot.pcap" --record-size 1
echo_bytes 1500000
bn_stop_board
[ -f "$BN_TMP/rot.pcap1" ] || bn_fail "--record-size 1: no rot.pcap1 after 3 MB on the wire"
total=0
for f in "$BN_TMP"/rot.pcap*; do
  size=$(stat -c %s "$f")
  [ "$size" -le 1000000 ] || bn_fail "$f holds $size bytes, more than 1 MB"
  n=$(tshark -n -r "$f" 2>/dev/null | wc -l) || bn_fail "tshark cannot read $f"
  [ "$n" -gt 0 ] || bn_fail "$f is empty"
  total=$((total + n))
done
recorded=$(grep "stopped" "$BN_TMP/board.log" | sed -E 's/.*recorded ([0-9]+) frames.*/\1/')
[ "$total" = "$recorded" ] || bn_fail "the rotated files hold $total frames, the board recorded $recorded"
echo "rotation: $(ls "$BN_TMP"/rot.pcap* | wc -l) files of at most 1 MB, $total frames in all"

# ---- 3. live on standard output ------------------------------------------------
ip netns exec "$BN_NS" "$BN" run --tap "$BN_TAP" --ip 192.0.2.2/24 --exit-after 60 --record - \
  2>"$BN_TMP/live.err" | tshark -n -l -r - >"$BN_TMP/live.txt" 2>/dev/null &
live_pid=$!
bn_track "$live_pid"
for _ in $(seq 100); do grep -q "up on tap" "$BN_TMP/live.err" 2>/dev/null && break; sleep 0.1; done
grep -q "up on tap" "$BN_TMP/live.err" || { cat "$BN_TMP/live.err"; bn_fail "the board on --record - did not come up"; }
bn_ns ping -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed"
seen=0
for _ in $(seq 150); do  # tshark's own start can take seconds on a loaded machine
  seen=$(grep -c "Echo (ping) reply" "$BN_TMP/live.txt" 2>/dev/null || true)
  [ "$seen" -ge 3 ] && break
  sleep 0.1
done
[ "$seen" -ge 3 ] || bn_fail "tshark saw $seen echo replies while the board ran, not 3"
board_pid=$(ip netns pids "$BN_NS" | head -1)
kill -TERM "$board_pid"
bn_wait_exit "$live_pid" 10
grep -q "stopped" "$BN_TMP/live.err" || bn_fail "no summary on stderr with --record -"
echo "live: tshark -r - showed the 3 echo replies while the board ran; messages on stderr"

# ---- 4. a full disk --------------------------------------------------------------
mkdir "$BN_TMP/small"
mount -t tmpfs -o size=64k tmpfs "$BN_TMP/small" || bn_skip "cannot mount a tmpfs"
bn_at_exit "umount '$BN_TMP/small'"
bn_start_board --ip 192.0.2.2/24 --app echo --record "$BN_TMP/small/full.pcap"
echo_bytes 300000
bn_wait_for "$BN_TMP/board.err" "recording to .* stopped: No space left on device" 10 ||
  { bn_board_output; bn_fail "no message about the full disk"; }
echo_bytes 50000   # the board serves on
bn_ns ping -c 1 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed after the disk filled"
bn_stop_board
[ "$(grep -c "No space left" "$BN_TMP/board.err")" = 1 ] || bn_fail "not exactly one message about the full disk"
tshark -n -r "$BN_TMP/small/full.pcap" >/dev/null 2>&1 || echo "(the cut-off capture ends mid-frame, as tcpdump's would)"
echo "full disk: one message, the board served on and stopped cleanly"
