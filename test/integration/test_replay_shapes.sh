#!/usr/bin/env bash
# boardnet replay on the capture shapes people have, each made here by the
# tool that makes it, and an honest verdict on each (read back from the JSON
# report): a clean kernel-side tcpdump of a session is "same" (exit 0), the
# board's port unreachable in the flow of the datagram that caused it; the
# same with 802.1Q tags added by tcprewrite replays the same once the tags
# are off ("same", the VLAN named), and --vlan of another VLAN leaves nothing
# to replay; a capture cut by the snaplen (tcpdump -s 96) is replayed with
# zeros for what it lacks, the bytes it holds compared: "incomplete", and
# frames cut inside their headers are left out, named; pings of 3000 bytes and a 4000-byte UDP echo (IPv4 fragments
# both ways) are injected as captured and compared whole: "same" (a board
# without reassembly, esp32, diverges: it answers none); IPv6 frames to
# the board's MAC are named IPv6 and make it incomplete, IPv6 multicast does
# not; a pcapng of two interfaces (mergecap of two link types; dumpcap on
# the TAP and lo) is refused with its interfaces listed, --interface N|NAME
# replays one ("same", frame numbers cited as the pcapng's), and without
# capinfos libpcap's own words say why it cannot be read; a capture joined from two files whose clock steps back gets a
# note and a sane duration.
source "$(dirname "$0")/lib.sh"
for tool in tcpdump tcprewrite mergecap editcap capinfos tshark dumpcap python3; do
  command -v $tool >/dev/null || bn_skip "no $tool"
done
bn_make_net

# capture NAME ARGS... / capture_stop: tcpdump on the kernel's side of the TAP.
capture() { bn_tcpdump_start "$1" -i "$BN_TAP" "${@:2}"; }
capture_stop() { bn_tcpdump_stop; }

# replay FILE [options]: the exit status in BN_RC, the JSON report in $BN_TMP/r.json;
# check PYTHON-EXPRESSION...: each must hold on it.
replay() { bn_replay replay "$BN_TMP/$1" --app echo --app http --report "$BN_TMP/r.json" "${@:2}"; }
check() { bn_report_check "$BN_TMP/r.json" "$@"; }

bn_start_board --ip 192.0.2.2/24 --app echo --app http

# ---- a clean session: same --------------------------------------------------------
capture clean.pcap
bn_echo_session 192.0.2.2 20000
echo probe | bn_ns socat -u - UDP:192.0.2.2:9999   # a closed port: the board answers port unreachable
capture_stop
replay clean.pcap
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out"; bn_fail "the clean capture: exit $BN_RC, not 0"; }
check 'r["verdict"] == "same"' 'r["incomplete"] == []' 'r["skipped_board"] == {}' \
      'any(f["flow"].endswith("board:9999") and f["captured"]["frames"] == 1 and f["live"]["frames"] == 1 for f in r["flows"])' \
      'not any(f["flow"].startswith("icmp") and f["captured"]["frames"] == 1 for f in r["flows"])'
grep -q "verdict: same: every frame for the board was replayed and compared" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "no verdict line"; }
# The time waited, by reason: reactive pacing waits for the board's answers
# (on the real clock; on the virtual one an answer takes no board time, and
# what is waited is the capture's own gaps, in board time).
if [ "${BOARDNET_CLOCK:-}" = virtual ]; then board_waits='r["waited"]["capture"] > 0'; else board_waits='r["waited"]["board"] > 0'; fi
check 'sorted(r["waited"]) == ["board", "capture", "connection", "program", "window"]' "$board_waits"
grep -qE "^  waited [0-9]+\.[0-9]{3} s in all with no peer frame due: [0-9.]+ s for " "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "no 'waited' line"; }
echo "clean tcpdump capture: same (exit 0); $(grep -oE 'waited .*' "$BN_TMP/replay.out")"

# ---- cut by the snaplen: the bytes that exist replayed, incomplete --------------------
capture snap.pcap -s 96
bn_echo_session 192.0.2.2 20000
capture_stop
replay snap.pcap
[ "$BN_RC" = 4 ] || { cat "$BN_TMP/replay.out"; bn_fail "a snaplen-96 capture: exit $BN_RC, not 4"; }
check 'r["verdict"] == "incomplete"' '"cut" not in r["skipped"]' \
      'any("snaplen" in x for x in r["incomplete"])' \
      'any(f["flow"].endswith("board:7") and f["snaplen_cut_frames"] > 0 and f["stream"] == "cut" and
           f["live"]["bytes"] == 20000 and f["divergence"] is None and
           all(d["ignored"] for d in f["differences"]) for f in r["flows"])'
echo "tcpdump -s 96: $(bn_report_value "$BN_TMP/r.json" 'sum(f["snaplen_cut_frames"] for f in r["flows"])') frames cut, replayed with zeros for the rest, the stream "cut", no divergence: incomplete (exit 4)"
# Cut inside the TCP headers (60 bytes): those frames are left out, named.
editcap -s 60 "$BN_TMP/snap.pcap" "$BN_TMP/snap60.pcap"
replay snap60.pcap
[ "$BN_RC" = 4 ] || [ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out"; bn_fail "a snaplen-60 capture: exit $BN_RC"; }
check 'r["skipped"]["cut"] > 0' 'r["skipped_board"]["cut"] > 0' 'r["verdict"] != "same"'
echo "cut inside the headers (editcap -s 60): $(bn_report_value "$BN_TMP/r.json" 'r["skipped"]["cut"]') frames left out as cut, verdict $(bn_report_value "$BN_TMP/r.json" 'r["verdict"]')"

# ---- 802.1Q: the tags taken off -----------------------------------------------------
tcprewrite --enet-vlan=add --enet-vlan-tag=10 --enet-vlan-cfi=0 --enet-vlan-pri=0 \
  -i "$BN_TMP/clean.pcap" -o "$BN_TMP/vlan.pcap"
[ "$(tcpdump -nr "$BN_TMP/vlan.pcap" -e 2>/dev/null | grep -c 'vlan 10')" -gt 0 ] || bn_fail "tcprewrite added no tag"
replay vlan.pcap
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out"; bn_fail "the 802.1Q capture: exit $BN_RC, not 0"; }
check 'r["verdict"] == "same"' 'r["vlans"] == [10]'
replay vlan.pcap --vlan 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out"; bn_fail "--vlan 10: exit $BN_RC, not 0"; }
replay vlan.pcap --vlan 20
[ "$BN_RC" = 1 ] && grep -q "on another VLAN than --vlan" "$BN_TMP/replay.err" ||
  { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--vlan 20: exit $BN_RC, not 1 naming the other VLAN"; }
echo "802.1Q capture (tcprewrite --enet-vlan=add): same with the tag off; --vlan 20 leaves nothing to replay"

# ---- IPv4 fragments: injected as captured, compared whole -----------------------------
capture frag.pcap
bn_ns ping -c 2 -i 0.2 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed"
reassembles=$(bn_board_info IP_REASSEMBLY)
# (a profile without IPv4 reassembly, esp32, answers none of these: the requests alone are fragments)
bn_ns ping -c 3 -i 0.2 -W 1 -s 3000 192.0.2.2 >/dev/null || [ "$reassembles" = 0 ] || bn_fail "ping -s 3000 failed"
bn_ns timeout 5 python3 - <<'PY' || [ "$reassembles" = 0 ] || bn_fail "the 4000-byte UDP echo failed"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
data = bytes(i % 251 for i in range(4000))
s.sendto(data, ("192.0.2.2", 7))
assert s.recvfrom(8192)[0] == data
PY
capture_stop
replay frag.pcap
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out"; bn_fail "fragmented pings and UDP: exit $BN_RC, not 0"; }
check 'r["verdict"] == "same"' 'r["skipped_board"] == {}' '"fragment" not in r["skipped"]' \
      'all(f["divergence"] is None for f in r["flows"])'
echo "ping -s 3000 and a 4000-byte UDP echo: fragments injected as captured, datagrams compared whole: same (exit 0)"
# Into a board without IPv4 reassembly: a divergence of that board's, not a skip.
if [ "$reassembles" = 1 ] && [ -x "$BN_TOP/build/boardnet-esp32" ]; then
  BN="$BN_TOP/build/boardnet-esp32" replay frag.pcap
  [ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out"; bn_fail "fragments into esp32: exit $BN_RC, not 3"; }
  check 'r["verdict"] == "diverged"' '"fragment" not in r["skipped_board"]' \
        'any(f["flow"].startswith("udp") and f["divergence"]["field"] == "missing" for f in r["flows"])'
  echo "the same into esp32 (no IPv4 reassembly): diverged (exit 3), the UDP echo missing"
fi

# ---- IPv6: named; to the board's MAC, incomplete ---------------------------------------
mac=$(sed -nE 's/.*mac ([0-9a-f:]{17}).*/\1/p' "$BN_TMP/board.log" | head -1)
[ -n "$mac" ] || { bn_board_output; bn_fail "no board MAC in its output"; }
bn_ns sysctl -qw "net.ipv6.conf.$BN_TAP.accept_dad=0"   # its link-local address usable at once
bn_ns sysctl -qw "net.ipv6.conf.$BN_TAP.disable_ipv6=0"
bn_ns ip -6 neigh replace fe80::2 lladdr "$mac" dev "$BN_TAP" nud permanent
capture v6.pcap
bn_ns ping -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null || bn_fail "ping failed"
bn_ns ping -6 -c 2 -i 0.2 -W 1 "fe80::2%$BN_TAP" >/dev/null 2>&1 || true   # the board has no IPv6 here: unanswered
capture_stop
bn_ns sysctl -qw "net.ipv6.conf.$BN_TAP.disable_ipv6=1"
replay v6.pcap
[ "$BN_RC" = 4 ] || { cat "$BN_TMP/replay.out"; bn_fail "IPv6 to the board: exit $BN_RC, not 4"; }
check 'r["skipped"]["ipv6"] >= 2' 'r["skipped_board"]["ipv6"] >= 2' 'r["verdict"] == "incomplete"' \
      '"ethertype" not in r["skipped"]'
grep -q "IPv6 (not replayed)" "$BN_TMP/replay.out" || bn_fail "IPv6 is not named"
echo "IPv6: named; 2 echo requests to the board's MAC make it incomplete ($(bn_report_value "$BN_TMP/r.json" 'r["skipped"]["ipv6"]') IPv6 frames in all)"

# ---- a pcapng of several interfaces: --interface -------------------------------------
# (a) mergecap of two link types: refused with the list, libpcap's words
# without capinfos; --interface 1 replays the raw-IP one.
editcap -L -C 14 -T rawip "$BN_TMP/clean.pcap" "$BN_TMP/raw.pcap"
mergecap -w "$BN_TMP/two.pcapng" "$BN_TMP/clean.pcap" "$BN_TMP/raw.pcap"
replay two.pcapng
[ "$BN_RC" = 2 ] && grep -q "holds 2 interfaces, and only one is the board's wire" "$BN_TMP/replay.err" &&
  grep -qE "^  1 .*Raw IP" "$BN_TMP/replay.err" ||
  { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "two interfaces without --interface: exit $BN_RC"; }
clean_frames=$(capinfos -M -c "$BN_TMP/clean.pcap" | awk '/Number of packets/ { print $NF }')
replay two.pcapng --interface 1
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--interface 1: exit $BN_RC, not 0"; }
check 'r["verdict"] == "same"' 'r["interface"]["id"] == 1' 'r["interface"]["interfaces"] == 2' \
      "r['interface']['other_interfaces_frames'] == $clean_frames" 'r["linktype"] == "RAW"'
rc=0; timeout 60 env PATH=/nonexistent "$BN" replay "$BN_TMP/two.pcapng" >"$BN_TMP/replay.out" 2>"$BN_TMP/replay.err" || rc=$?
[ "$rc" = 1 ] && grep -q "cannot list the interfaces of .*capinfos: not installed" "$BN_TMP/replay.err" &&
  grep -q "libpcap cannot read frame [0-9]*: .*different from the type of the first interface" "$BN_TMP/replay.err" ||
  { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "two link types without capinfos: exit $rc"; }
for bad in "two.pcapng --interface 5|has no interface '5'" "two.pcapng --interface eth9|has no interface 'eth9'" \
           "clean.pcap --interface 0|is a pcap file, of one interface"; do
  IFS='|' read -r args want <<<"$bad"
  replay $args
  [ "$BN_RC" = 2 ] && grep -q "$want" "$BN_TMP/replay.err" || { cat "$BN_TMP/replay.err"; bn_fail "$args: exit $BN_RC"; }
done
echo "pcapng of two link types (mergecap): refused with its interfaces listed (exit 2); --interface 1: same;" \
     "without capinfos libpcap's words; a bad --interface exits 2"
# (b) dumpcap on the TAP and on lo at once: the TAP by name; frame numbers are the file's.
ip netns exec "$BN_NS" dumpcap -q -i "$BN_TAP" -i lo -w "$BN_TMP/dc.pcapng" 2>"$BN_TMP/dc.err" &
dc=$!
bn_track $dc
bn_wait_for "$BN_TMP/dc.err" "Capturing on" 10 || { cat "$BN_TMP/dc.err"; bn_fail "dumpcap did not start"; }
sleep 0.5 # (dumpcap says so before its capture of the second interface runs)
bn_ns ping -c 3 -i 0.1 127.0.0.1 >/dev/null
bn_echo_session 192.0.2.2 20000
bn_ns ping -c 2 -i 0.1 127.0.0.1 >/dev/null
sleep 0.3
kill -INT $dc
bn_wait_exit $dc 10
replay dc.pcapng
[ "$BN_RC" = 2 ] && grep -qE "^  [01] lo " "$BN_TMP/replay.err" && grep -qE "^  [01] $BN_TAP " "$BN_TMP/replay.err" ||
  { cat "$BN_TMP/replay.err"; bn_fail "dumpcap's two interfaces without --interface: exit $BN_RC"; }
replay dc.pcapng --interface "$BN_TAP"
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--interface $BN_TAP: exit $BN_RC, not 0"; }
check 'r["verdict"] == "same"' "r['interface']['name'] == '$BN_TAP'" 'r["interface"]["other_interfaces_frames"] >= 10'
# Into a board without the echo server: the divergence names the SYN-ACK's number in dc.pcapng.
synack=$(tshark -n -r "$BN_TMP/dc.pcapng" -Y "ip.src == 192.0.2.2 && tcp.srcport == 7 && tcp.flags.syn == 1" \
           -T fields -e frame.number 2>/dev/null | head -1)
rm -f "$BN_TMP/r.json"
rc=0; timeout 120 "$BN" replay "$BN_TMP/dc.pcapng" --interface "$BN_TAP" --app http --report "$BN_TMP/r.json" \
  >"$BN_TMP/replay.out" 2>"$BN_TMP/replay.err" || rc=$?
[ "$rc" = 3 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "no echo server: exit $rc, not 3"; }
check "any(f['flow'].endswith('board:7') and f['divergence']['frame'] == $synack for f in r['flows'])"
echo "dumpcap -i $BN_TAP -i lo: refused with both listed; --interface $BN_TAP: same; a divergence cites frame $synack of the pcapng"

# ---- a clock that steps back (two files joined in the wrong order) ---------------------
editcap -t -3600 "$BN_TMP/clean.pcap" "$BN_TMP/earlier.pcap"
mergecap -a -F pcap -w "$BN_TMP/joined.pcap" "$BN_TMP/clean.pcap" "$BN_TMP/earlier.pcap"
replay joined.pcap
check 'r["time_steps_back"] == 1'
grep -qE "frames over 36[0-9][0-9]\.[0-9]+ s" "$BN_TMP/replay.out" && grep -q "clock steps back 1 time" "$BN_TMP/replay.out" ||
  { head -5 "$BN_TMP/replay.out"; bn_fail "joined files: no sane duration or no note"; }
echo "joined files whose clock steps back: the note, and $(grep -oE '[0-9.]+ s\)' "$BN_TMP/replay.out" | head -1) as the span"
bn_stop_board
