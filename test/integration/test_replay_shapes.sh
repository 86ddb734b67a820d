#!/usr/bin/env bash
# boardnet replay on the capture shapes people have, each made here by the
# tool that makes it, and an honest verdict on each (read back from the JSON
# report): a clean kernel-side tcpdump of a session is "same" (exit 0), the
# board's port unreachable in the flow of the datagram that caused it; the
# same with 802.1Q tags added by tcprewrite replays the same once the tags
# are off ("same", the VLAN named), and --vlan of another VLAN leaves nothing
# to replay; pings of 3000 bytes and a 4000-byte UDP echo (IPv4 fragments
# both ways) are injected as captured and compared whole: "same" (a board
# without reassembly, esp32, diverges: it answers none); IPv6 frames to
# the board's MAC are named IPv6 and make it incomplete, IPv6 multicast does
# not; a pcapng joining two link types (mergecap) is refused with libpcap's
# own words; a capture joined from two files whose clock steps back gets a
# note and a sane duration.
source "$(dirname "$0")/lib.sh"
for tool in tcpdump tcprewrite mergecap editcap python3; do
  command -v $tool >/dev/null || bn_skip "no $tool"
done
bn_make_net

# capture NAME ARGS... / capture_stop: tcpdump on the kernel's side of the TAP.
capture() { bn_tcpdump_start "$1" -i "$BN_TAP" "${@:2}"; }
capture_stop() { bn_tcpdump_stop; }

# replay FILE [options]: the exit status in BN_RC, the JSON report in $BN_TMP/r.json.
replay() {
  local file=$1 rc=0
  shift
  rm -f "$BN_TMP/r.json"
  timeout 120 "$BN" replay "$BN_TMP/$file" --app echo --app http --report "$BN_TMP/r.json" "$@" \
    >"$BN_TMP/replay.out" 2>"$BN_TMP/replay.err" || rc=$?
  BN_RC=$rc
}

# check PYTHON-EXPRESSION...: each must hold on the JSON report (as r).
check() {
  python3 - "$BN_TMP/r.json" "$@" <<'PY' || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "the report does not hold"; }
import json, sys
r = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    if not eval(expr):
        print("does not hold:", expr, "| verdict", r["verdict"], r["incomplete"], "skipped", r["skipped"],
              "board's", r["skipped_board"])
        sys.exit(1)
PY
}

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
echo "clean tcpdump capture: same (exit 0)"

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
echo "IPv6: named; 2 echo requests to the board's MAC make it incomplete ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["skipped"]["ipv6"])' "$BN_TMP/r.json") IPv6 frames in all)"

# ---- two link types in one pcapng: libpcap's own words ---------------------------------
editcap -L -C 14 -T rawip "$BN_TMP/clean.pcap" "$BN_TMP/raw.pcap"
mergecap -w "$BN_TMP/two.pcapng" "$BN_TMP/clean.pcap" "$BN_TMP/raw.pcap"
replay two.pcapng
[ "$BN_RC" = 1 ] && grep -q "libpcap cannot read frame [0-9]*: .*different from the type of the first interface" \
  "$BN_TMP/replay.err" || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "two link types: exit $BN_RC"; }
echo "pcapng of two link types (mergecap): refused with libpcap's words: $(cut -c1-120 "$BN_TMP/replay.err")"

# ---- a clock that steps back (two files joined in the wrong order) ---------------------
editcap -t -3600 "$BN_TMP/clean.pcap" "$BN_TMP/earlier.pcap"
mergecap -a -F pcap -w "$BN_TMP/joined.pcap" "$BN_TMP/clean.pcap" "$BN_TMP/earlier.pcap"
replay joined.pcap
check 'r["time_steps_back"] == 1'
grep -qE "frames over 36[0-9][0-9]\.[0-9]+ s" "$BN_TMP/replay.out" && grep -q "clock steps back 1 time" "$BN_TMP/replay.out" ||
  { head -5 "$BN_TMP/replay.out"; bn_fail "joined files: no sane duration or no note"; }
echo "joined files whose clock steps back: the note, and $(grep -oE '[0-9.]+ s\)' "$BN_TMP/replay.out" | head -1) as the span"
bn_stop_board
