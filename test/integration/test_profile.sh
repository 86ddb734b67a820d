#!/usr/bin/env bash
# The running board against its own lwipopts.h, seen from the outside (run
# on every profile: BN_BOARD=<board>; tools/test does):
# 1. its MAC starts with the profile's OUI (or is locally administered, as
#    the board makes it) and the kernel's ARP table shows it;
# 2. its SYN-ACK, read with tshark from its recording, announces MSS
#    TCP_MSS and a window of TCP_WND (unscaled in a SYN: at most 65535),
#    with window scaling TCP_RCV_SCALE where the profile scales;
# 3. connections at once: opened one after another and held, each echoing
#    1 KB once taken (so that the app's accept keeps up: a small board's
#    accept queue, esp32's 6, would refuse a burst): exactly its capacity
#    are taken (TCP pcbs, or sockets where fewer), the 4 beyond it refused
#    or left unanswered, and every one taken still echoes at the end;
# 4. its listen backlog: 7 SYNs to an app listening with backlog 3, from
#    spoofed 198.18.0.0/24 addresses that never answer (the SYN-ACKs go to
#    the gateway, whose kernel does not forward): exactly 3 get a SYN-ACK,
#    the half-open connections filling the backlog as lwIP counts them.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "no tshark"
command -v python3 >/dev/null || bn_skip "no python3"
board=$(bn_board_info board)
mss=$(bn_board_info TCP_MSS)
wnd=$(bn_board_info TCP_WND)
scale=0
[ "$(bn_board_info LWIP_WND_SCALE)" = 1 ] && scale=$(bn_board_info TCP_RCV_SCALE)
capacity=$(bn_tcp_capacity 2)  # the echo app holds 2 sockets
bn_make_net

# A backlog that never limits (255) for 1 to 3; backlog 3 for 4.
bn_start_board --ip 192.0.2.2/24 --app echo --backlog 255 --record "$BN_TMP/wire.pcap"

# ---- 1. the MAC ---------------------------------------------------------------------
bn_ns ping -c 1 -W 2 192.0.2.2 >/dev/null || bn_fail "no ping"
mac=$(bn_ns ip neigh show 192.0.2.2 | awk '{ print $5 }')
oui=$("$BN" info | sed -n 's/^MAC: *OUI //p')
if [ -n "$oui" ]; then
  [[ $mac == "$oui":* ]] || bn_fail "$board's MAC $mac does not start with its OUI $oui"
else
  [[ $mac == 02:* ]] || bn_fail "$board's MAC $mac is not locally administered (02:...)"
fi
echo "$board: MAC $mac ($([ -n "$oui" ] && echo "OUI $oui" || echo "locally administered"))"

# ---- 2. MSS and window in the SYN-ACK --------------------------------------------------
echo x >"$BN_TMP/x"
bn_ns timeout 20 python3 "$BN_TOP/test/integration/echo_peer.py" 192.0.2.2 "$BN_TMP/x" "$BN_TMP/x.back" ||
  bn_fail "no echo"

# ---- 3. connections at once -------------------------------------------------------------
result=$(bn_ns timeout 120 python3 - $((capacity + 4)) <<'PEER'
import os, socket, sys
n, held, refused, unanswered = int(sys.argv[1]), [], 0, 0
data = os.urandom(1000)
def echo(s):
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        c = s.recv(len(data) - len(got))
        if not c:
            raise ConnectionError("closed")
        got += c
    return got == data
for i in range(n):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect(("192.0.2.2", 7))
        if not echo(s):
            sys.exit("connection %d: the echo differs" % i)
        held.append(s)
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, ConnectionError):
        refused += 1
    except socket.timeout:
        unanswered += 1
broken = sum(1 for s in held if not echo(s))
print("taken=%d refused=%d unanswered=%d broken=%d" % (len(held), refused, unanswered, broken))
PEER
) || bn_fail "the connections peer failed"
echo "$board: $((capacity + 4)) connections, one after another: $result"
field() { sed -n "s/.*$1=\\([0-9]*\\).*/\\1/p" <<<"$result"; }
[ "$(field taken)" = "$capacity" ] || bn_fail "$board took $(field taken) connections, its capacity is $capacity"
[ "$(field broken)" = 0 ] || bn_fail "$board broke $(field broken) connections it had taken"
[ $(( $(field refused) + $(field unanswered) )) = 4 ] || bn_fail "not 4 connections refused or unanswered"

bn_stop_board

# ---- 4. the listen backlog --------------------------------------------------------------
bn_start_board --ip 192.0.2.2/24 --gw 192.0.2.1 --app echo --backlog 3 --record "$BN_TMP/backlog.pcap"
bn_ns python3 "$BN_TOP/test/integration/syn_peer.py" 198.18.0.0/24 192.0.2.2 7 7 >/dev/null
sleep 2  # SYN-ACKs out (ARP for the gateway first)
bn_stop_board

# synacks FILE: the board's SYN-ACKs in a recording: to, port, MSS, window, scale.
synacks() {
  tshark -n -r "$1" -Y "ip.src == 192.0.2.2 && tcp.flags.syn == 1 && tcp.flags.ack == 1" \
    -T fields -e ip.dst -e tcp.dstport -e tcp.options.mss_val -e tcp.window_size_value -e tcp.options.wscale.shift 2>/dev/null
}
synack=$(synacks "$BN_TMP/wire.pcap")
first=$(grep -m1 "^192.0.2.1" <<<"$synack") || bn_fail "no SYN-ACK to 192.0.2.1 in the recording"
read -r _ _ got_mss got_wnd got_shift <<<"$first"
want_wnd=$(( wnd < 65535 ? wnd : 65535 ))
[ "$got_mss" = "$mss" ] || bn_fail "$board's SYN-ACK announces MSS $got_mss, TCP_MSS is $mss"
[ "$got_wnd" = "$want_wnd" ] || bn_fail "$board's SYN-ACK announces window $got_wnd, TCP_WND $wnd gives $want_wnd"
if [ "$scale" != 0 ]; then
  [ "$got_shift" = "$scale" ] || bn_fail "$board's SYN-ACK scales its window by ${got_shift:-nothing}, TCP_RCV_SCALE is $scale"
else
  [ -z "$got_shift" ] || bn_fail "$board's SYN-ACK offers window scaling ($got_shift), the profile has none"
fi
echo "$board: SYN-ACK announces MSS $got_mss, window $got_wnd${got_shift:+, scale $got_shift}"
spoofed=$(synacks "$BN_TMP/backlog.pcap" | grep "^198\.18\." | awk '{ print $1 ":" $2 }' | sort -u | wc -l)
[ "$spoofed" = 3 ] || bn_fail "$board answered $spoofed of 7 half-open SYNs, its listen backlog 3 takes 3"
echo "$board: listen backlog 3: 3 of 7 spoofed SYNs answered"
