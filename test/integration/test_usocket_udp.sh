#!/usr/bin/env bash
# usocket UDP against python3 kernel peers, byte for byte: the board as echo
# server (recvfrom/sendto) and as client of a kernel echo server, datagrams
# from 0 bytes to 8000 (IP fragments both ways, as far as the board can
# reassemble them); then a multicast group joined
# with IP_ADD_MEMBERSHIP and left with IP_DROP_MEMBERSHIP.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/usock_agent.sh"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

count=16

# 1. Board as echo server; the kernel client checks every echo. The sizes
# are those the board can take, as the agent says (usock_agent_udp.c): up to
# 8000 bytes, fewer where its reassembly cannot hold them (esp32 has none;
# rp2-pico-w's and stm32's 10 pool pbufs hold 7392 bytes).
ua_start udp-echo udp-echo-server 5010 $count
ua_wait "^listening port=5010" 10
read -ra sizes <<<"$(ua_value sizes "^sizes=" | tr ',' ' ')"
[ ${#sizes[@]} -ge 5 ] || { ua_output; bn_fail "the agent names no datagram sizes"; }
bn_ns timeout 60 python3 - $count "${sizes[@]}" <<'EOF' || { ua_output; bn_fail "kernel UDP client failed"; }
import os, socket, sys
count, sizes = int(sys.argv[1]), [int(a) for a in sys.argv[2:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 0))
s.settimeout(10)
total = 0
for i in range(count):
    data = os.urandom(sizes[i % len(sizes)])
    s.sendto(data, ("192.0.2.2", 5010))
    got, frm = s.recvfrom(65535)
    if got != data or frm != ("192.0.2.2", 5010):
        sys.exit("datagram %d: sent %d bytes, got %d from %s" % (i, len(data), len(got), frm))
    total += len(data)
print("kernel client: %d datagrams, %d bytes echoed byte for byte" % (count, total))
EOF
ua_end 30
total=0
for ((i = 0; i < count; i++)); do total=$((total + sizes[i % ${#sizes[@]}])); done
ua_expect datagrams $count "^echoed"
ua_expect bytes $total "^echoed"

# 2. Board as client of a kernel echo server (which echoes COUNT datagrams).
bn_ns timeout 60 python3 - $count <<'EOF' >"$BN_TMP/udp-server.log" 2>&1 &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 5011))
s.settimeout(30)
for i in range(int(sys.argv[1])):
    data, frm = s.recvfrom(65535)
    s.sendto(data, frm)
print("kernel server: echoed %d datagrams" % int(sys.argv[1]))
EOF
peer_pid=$!; bn_track $peer_pid
ua_wait_listen 5011 udp
ua_start udp-client udp-client 192.0.2.1 5011 $count
ua_end 30
bn_wait_exit $peer_pid 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/udp-server.log"; bn_fail "kernel UDP server failed"; }
ua_expect datagrams $count "^udp-client"
ua_expect bytes $total "^udp-client"
ua_expect mismatches 0 "^udp-client"
echo "board client: $count datagrams, $total bytes echoed byte for byte"

# 3. Multicast. The one exception to the 192.0.2.0/24 rule: the group is
# 239.255.42.1 (administratively scoped, RFC 2365), routed only onto the TAP
# of this test's own namespace, so nothing leaves it.
group=239.255.42.1
bn_ns ip route add 239.255.42.0/24 dev "$BN_TAP"
ua_start mcast mcast-recv $group 5020
ua_wait "^joined group=$group" 10
mcast_send() {  # mcast_send DEST PAYLOAD: one datagram from 192.0.2.1 to DEST:5020
  bn_ns timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.1"))
s.sendto(sys.argv[2].encode(), (sys.argv[1], 5020))' "$1" "$2"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
mcast_send $group "to-the-group-1"
ua_wait "^member " 10
ua_expect data "$(hex to-the-group-1)" "^member "
[[ $(ua_value from "^member ") == 192.0.2.1:* ]] || { ua_output; bn_fail "group datagram from an unexpected sender"; }
ua_wait "^dropped group=$group" 10
# After leaving, the group's datagram must be dropped and the unicast one,
# sent after it, be the next to arrive.
mcast_send $group "to-the-group-2"
mcast_send 192.0.2.2 "unicast-3"
ua_end 30
ua_expect data "$(hex unicast-3)" "^after-drop "
echo "multicast: received on $group while a member, not after IP_DROP_MEMBERSHIP"
