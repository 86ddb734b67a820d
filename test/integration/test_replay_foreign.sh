#!/usr/bin/env bash
# boardnet replay of conversations captured between Linux programs (no board
# in them), as a user brings them, each checked through the JSON report:
# 1. curl downloading 200 kB from python's http.server (HTTP/1.1: curl closes
#    first, having read the body), captured on the
#    namespace's loopback: replayed with --board-ip (the curl side is the
#    board) and --app mirror, the mirror downloads it all before it closes:
#    no reset of its own, the stream identical, nothing the live board took
#    in short of what curl did; same with --ignore options,window (a
#    kernel's SYN is not a board's).
# 2. The same download with the loopback's offloads on (TSO/GSO: frames of
#    up to 64 kB in the capture, as on most Linux hosts): the server's
#    super-frames are cut into segments at the MSS curl offered, same again.
# 3. The server's side as the board (--board-ip 192.0.2.6, --app mirror):
#    its own super-frames are compared by byte stream, same.
# 4. dnsmasq answering dig, captured filtered to UDP: the board is found as
#    the server (its answers from port 53, named as the evidence); replayed
#    into a board with no DNS server, its port-unreachable answers are
#    attributed to the DNS flow ("answered with an ICMP error"), not an
#    ICMP flow beside one where it "sent nothing".
source "$(dirname "$0")/lib.sh"
for tool in tcpdump curl python3 dig; do
  command -v $tool >/dev/null || bn_skip "no $tool"
done
bn_make_net

# The two programs' addresses on the namespace's loopback (one host: the
# capture is of lo, Ethernet with zero MACs).
bn_ns ip addr add 192.0.2.5/32 dev lo
bn_ns ip addr add 192.0.2.6/32 dev lo
bn_ns ip link set lo mtu 1500
command -v ethtool >/dev/null || bn_skip "no ethtool"
bn_ns ethtool -K lo tso off gso off gro off   # part 1: frames as they go on a wire

# replay FILE [options]: BN_RC, replay.out, the JSON report in $BN_TMP/r.json;
# check PYTHON-EXPRESSION...: each must hold on it.
replay() { bn_replay replay "$BN_TMP/$1" --report "$BN_TMP/r.json" "${@:2}"; }
check() { bn_report_check "$BN_TMP/r.json" "$@"; }

# ---- 1. curl from the board's address, mirrored --------------------------------------
mkdir "$BN_TMP/www"
head -c 200000 /dev/urandom >"$BN_TMP/www/file"
(cd "$BN_TMP/www" && exec ip netns exec "$BN_NS" python3 -m http.server --protocol HTTP/1.1 --bind 192.0.2.6 8080 >/dev/null 2>&1) &
bn_track $!
for _ in $(seq 50); do bn_ns curl -sf -o /dev/null http://192.0.2.6:8080/ 2>/dev/null && break; sleep 0.1; done
# download NAME: curl's download captured on lo into $BN_TMP/NAME.
download() {
  bn_tcpdump_start "$1" -i lo host 192.0.2.5
  bn_ns curl -sf --interface 192.0.2.5 -o "$BN_TMP/got" http://192.0.2.6:8080/file || bn_fail "curl failed"
  cmp -s "$BN_TMP/got" "$BN_TMP/www/file" || bn_fail "curl's download differs"
  bn_tcpdump_stop
}
download curl.pcap
replay curl.pcap --board-ip 192.0.2.5 --app mirror --ignore options,window
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "curl mirrored: exit $BN_RC, not 0"; }
check 'len(tcp) == 1' 'tcp[0]["live"]["resets"] == 0' 'tcp[0]["stream"] == "identical"' \
      'not any(d["class"] == "received" for d in tcp[0]["differences"])' 'r["verdict"] == "same"'
echo "curl's 200 kB download mirrored as a client: read to the end before its close, no reset, same (exit 0)"

# ---- 2. offloads on: TSO/GSO super-frames --------------------------------------------
bn_ns ethtool -K lo tso on gso on gro on
download tso.pcap
longest=$(tcpdump -enr "$BN_TMP/tso.pcap" 2>/dev/null | grep -oE 'length [0-9]+' | awk '{ print $2 }' | sort -n | tail -1)
if [ "${longest:-0}" -le 1514 ]; then
  # (not a skip: part 4 needs no offloads)
  echo "not tested here: no super-frame in the capture with offloads on (longest frame ${longest:-0} bytes)"
else
  replay tso.pcap --board-ip 192.0.2.5 --app mirror --ignore options,window
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "TSO capture mirrored: exit $BN_RC, not 0"; }
  check 'tcp[0]["peer_super_frames_cut"] > 0' 'tcp[0]["stream"] == "identical"' 'r["verdict"] == "same"' \
        '"too_long" not in r["skipped"]'
  echo "offloads on (frames of up to $longest bytes): $(bn_report_value "$BN_TMP/r.json" 'r["flows"][-1]["peer_super_frames_cut"]') super-frames cut into segments, same (exit 0)"

  # ---- 3. the server's side as the board: its own super-frames by byte stream --------------
  replay tso.pcap --board-ip 192.0.2.6 --app mirror --ignore options,window
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "TSO server mirrored: exit $BN_RC, not 0"; }
  check 'tcp[0]["stream"] == "identical"' 'tcp[0]["captured"]["bytes"] == tcp[0]["live"]["bytes"]' 'r["verdict"] == "same"'
  echo "the server's side of it (its super-frames): the byte streams identical, same (exit 0)"
fi

# ---- 4. dnsmasq answering dig ----------------------------------------------------------
[ -x /usr/sbin/dnsmasq ] || bn_skip "no /usr/sbin/dnsmasq"
ip netns exec "$BN_NS" /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
  --no-poll --user=root --group=root --bind-interfaces --interface=lo --listen-address=192.0.2.6 \
  --address=/board.test/192.0.2.99 --pid-file="$BN_TMP/dnsmasq.pid" 2>"$BN_TMP/dnsmasq.err" &
bn_track $!
for _ in $(seq 50); do [ -s "$BN_TMP/dnsmasq.pid" ] && break; sleep 0.1; done
bn_tcpdump_start dns.pcap -i lo udp
for _ in 1 2 3; do
  [ "$(bn_ns dig +short +tries=1 +time=2 -b 192.0.2.5 @192.0.2.6 board.test A)" = 192.0.2.99 ] || bn_fail "dig got no answer"
done
bn_tcpdump_stop
replay dns.pcap
[ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "DNS into a board without a DNS server: exit $BN_RC, not 3"; }
python3 - "$BN_TMP/r.json" <<'PY' || { cat "$BN_TMP/replay.out"; bn_fail "the DNS replay's report does not hold"; }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["board_reason"].startswith("192.0.2.6: the server of the capture") and "3 UDP requests" in r["board_reason"], r["board_reason"]
udp = [f for f in r["flows"] if f["flow"].startswith("udp")]
assert len(udp) == 3 and not [f for f in r["flows"] if f["flow"].startswith("icmp")], r["flows"]
for f in udp:
    assert f["divergence"]["field"] == "payload" and "answered with an ICMP error" in f["divergence"]["text"], f
PY
echo "dnsmasq answering dig (udp only): the board found as the server; into a board without DNS, each query's flow says it answered with an ICMP error"
