#!/usr/bin/env bash
# boardnet replay, round trip: a session over TAP recorded with --record (a
# DHCP lease from dnsmasq, pings, 1 MB echoed over TCP, an HTTP page) and
# replayed offline into fresh boards, no TAP and no namespace needed:
# 1. the same profile and apps: no divergence (exit 0), every TCP stream
#    identical, the lease taken from the capture; the JSON report says so,
#    and tshark reads the capture and the replay's own recording alike;
# 2. into another profile (rp2-pico-w; generic when the session's MSS is
#    rp2-pico-w's 800): exit 3, the report shows the expected divergence (the
#    other's MSS, and window scaling where one of them scales) while the
#    echoed byte stream is still identical;
# 3. --pace top and --pace x4 (recorded timing), which do not wait for the
#    board, replay a session with a static address (DHCP's address check
#    would be outrun) with no divergence either, and so do three passes of
#    --loop 3 into one board; --filter replays only part.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "no tshark (apt-get install tshark)"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

# ---- the session ----------------------------------------------------------------
bn_start_dnsmasq --port 0 --dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,2m --dhcp-authoritative
BN_UP_WAIT=25 bn_start_board --dhcp --dhcp-timeout 20 --app echo --app http --record "$BN_TMP/session.pcap"
ip=$(sed -nE 's/.* ip ([0-9.]+)\/24.*/\1/p' "$BN_TMP/board.log" | head -1)
[ -n "$ip" ] || { bn_board_output; bn_fail "no leased address in the up line"; }
bn_ns ping -c 3 -i 0.2 -W 2 "$ip" >/dev/null || bn_fail "ping $ip failed"
head -c 1000000 /dev/urandom >"$BN_TMP/sent"
bn_ns timeout 60 python3 "$BN_TOP/test/integration/echo_peer.py" "$ip" "$BN_TMP/sent" "$BN_TMP/echoed" ||
  bn_fail "the session's echo of 1 MB failed"
cmp -s "$BN_TMP/sent" "$BN_TMP/echoed" || bn_fail "the session's echo of 1 MB differs"
bn_ns curl -sf --max-time 10 -o "$BN_TMP/page" "http://$ip/bytes/20000" || bn_fail "curl failed"
bn_stop_board
frames=$(tshark -n -r "$BN_TMP/session.pcap" 2>/dev/null | wc -l)
[ "$(tshark -n -r "$BN_TMP/session.pcap" -Y 'dhcp.option.dhcp == 5' 2>/dev/null | wc -l)" = 1 ] ||
  bn_fail "the session holds no DHCPACK"
echo "session: $frames frames (DHCP lease $ip, 3 pings, 1 MB echoed, a 20000-byte page)"

# A second session, static address: pings, 200 kB echoed, two pages.
bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/static.pcap"
bn_echo_session 192.0.2.2 200000
# A second page: two connections from neighbouring ports, both closed by the
# board first (its TIME_WAIT holds their ports: --loop must move past both).
bn_ns curl -sf --max-time 10 -o /dev/null "http://192.0.2.2/" || bn_fail "curl / failed"
bn_stop_board

# replay_board [boardnet options] -- [replay options]: exit status in BN_RC.
CAPTURE=$BN_TMP/session.pcap
replay_board() {
  local pre=() rc=0
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  timeout 120 "$BN" "${pre[@]}" replay "$CAPTURE" "$@" >"$BN_TMP/replay.out" 2>"$BN_TMP/replay.err" || rc=$?
  BN_RC=$rc
}

# flow_field FLOW_SUBSTRING COLUMN: a column of the report's flow table.

# ---- 1. same profile: no divergence -------------------------------------------------
replay_board -- --app echo --app http --report "$BN_TMP/r.json" --record "$BN_TMP/replayed.pcap"
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "same-profile replay: exit $BN_RC, not 0"; }
grep -q "result: the live board did what the captured board did" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "the report does not say the boards agree"; }
grep -q "DHCP" "$BN_TMP/replay.out" || { cat "$BN_TMP/replay.out"; bn_fail "the report does not name the lease"; }
[ "$(bn_report_value "$BN_TMP/r.json" 'r["diverged"]')" = False ] || bn_fail "the JSON report says diverged"
tcp_flows=$(bn_report_value "$BN_TMP/r.json" 'sum(1 for f in r["flows"] if f["flow"].startswith("tcp"))')
identical=$(bn_report_value "$BN_TMP/r.json" 'sum(1 for f in r["flows"] if f["stream"] == "identical")')
[ "$tcp_flows" = 2 ] && [ "$identical" = 2 ] || bn_fail "$identical of $tcp_flows TCP streams identical, not 2 of 2"
echoed=$(bn_report_value "$BN_TMP/r.json" '[f["live"]["bytes"] for f in r["flows"] if ":7" in f["flow"]][0]')
[ "$echoed" = 1000000 ] || bn_fail "the live board echoed $echoed bytes, not 1000000"
dhcp_live=$(bn_report_value "$BN_TMP/r.json" '[f["live"]["frames"] for f in r["flows"] if f["flow"] == "dhcp"][0]')
[ "$dhcp_live" -ge 2 ] || bn_fail "the live board sent $dhcp_live DHCP frames: no DISCOVER and REQUEST"
replayed=$(tshark -n -r "$BN_TMP/replayed.pcap" 2>/dev/null | wc -l)
[ "$replayed" -gt 0 ] || bn_fail "tshark reads nothing in the replay's recording"
[ "$(tshark -n -r "$BN_TMP/replayed.pcap" -Y 'dhcp.option.dhcp == 5' 2>/dev/null | wc -l)" = 1 ] ||
  bn_fail "the replay's recording holds no DHCPACK for the live board"
bad=$(tshark -n -r "$BN_TMP/replayed.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
  -o udp.check_checksum:TRUE -Y 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" ||
  udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.malformed' 2>/dev/null | wc -l)
[ "$bad" = 0 ] || bn_fail "$bad malformed or bad-checksum frames in the replay's recording"
echo "same profile: exit 0, 2 of 2 TCP streams identical, lease replayed; tshark reads both files ($frames and $replayed frames)"

# ---- 2. into another profile: the expected divergence, the same bytes ---------------
own_mss=$(bn_board_info TCP_MSS)
other=rp2-pico-w
[ "$own_mss" = 800 ] && other=generic  # another MSS than the session's
other_mss=$("$BN" --board "$other" info | awk '$1 == "TCP_MSS:" { print $2 }')
replay_board --board "$other" -- --app echo --report "$BN_TMP/rp2.json"
[ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "$other replay: exit $BN_RC, not 3"; }
grep "offers MSS $other_mss" "$BN_TMP/replay.out" | grep -q "the captured board's MSS $own_mss" ||
  { cat "$BN_TMP/replay.out"; bn_fail "the $other report does not show the MSS divergence ($other_mss against $own_mss)"; }
echo_flow='[f for f in r["flows"] if ":7" in f["flow"]][0]'
[ "$(bn_report_value "$BN_TMP/rp2.json" "$echo_flow[\"stream\"]")" = identical ] ||
  { cat "$BN_TMP/replay.out"; bn_fail "rp2: the echoed stream is not identical"; }
[ "$(bn_report_value "$BN_TMP/rp2.json" "$echo_flow[\"divergence\"][\"field\"]")" = options ] ||
  bn_fail "rp2: the echo flow's first divergence is not its options"
if [ "$other" = rp2-pico-w ]; then
  grep -q "segments of up to 800 bytes" "$BN_TMP/replay.out" || bn_fail "rp2: no MSS 800 segmentation in the report"
fi
echo "$other: exit 3, MSS $other_mss against $own_mss reported, the 1 MB echoed stream identical"

# ---- 3. other paces, part of the capture -----------------------------------------------
CAPTURE=$BN_TMP/static.pcap
for pace in top x4; do
  replay_board -- --app echo --app http --pace "$pace" -q
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--pace $pace: exit $BN_RC"; }
done
replay_board -- --app echo --filter "icmp or arp or udp" --report "$BN_TMP/part.json"
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--filter: exit $BN_RC"; }
[ "$(bn_report_value "$BN_TMP/part.json" 'sum(1 for f in r["flows"] if f["flow"].startswith("tcp"))')" = 0 ] ||
  bn_fail "--filter 'icmp or arp or udp' replayed TCP"
[ "$(bn_report_value "$BN_TMP/part.json" 'r["skipped"]["filtered"]')" -gt 0 ] || bn_fail "--filter: nothing counted as filtered"
replay_board -- --app echo --app http --loop 3 --report "$BN_TMP/loop.json"
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--loop 3: exit $BN_RC"; }
[ "$(bn_report_value "$BN_TMP/loop.json" '(r["passes"], r["passes_diverged"])')" = "(3, 0)" ] ||
  bn_fail "--loop 3: the JSON report does not show 3 passes, none diverged"
grep -q "passes: 3 (--loop); the live board diverged in 0" "$BN_TMP/replay.out" || bn_fail "--loop 3: no pass line"
echo "--pace top, --pace x4, --loop 3: no divergence; --filter replays only what matches"
