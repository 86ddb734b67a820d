#!/usr/bin/env bash
# Per-packet aim: "drop the 3rd SYN-ACK" (match on the flags, nth 3, egress
# drop). Of three connections from the kernel, the third one's first SYN-ACK
# never reaches the wire, so the kernel retransmits its SYN exactly once and
# connects; read back from the board's recording with tshark, and from the
# decision log; the step is marked in the recording (EtherType 0x88b5) and
# named by tools/wireshark/boardnet.lua; --record-board holds the dropped
# SYN-ACK the wire's recording lacks.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "tshark not installed (sudo tools/setup)"
bn_make_net
cat > "$BN_TMP/aim.scn" <<'SCN'
match "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)" nth 3 egress drop
SCN
bn_start_board --ip 192.0.2.2/24 --app echo --scenario "$BN_TMP/aim.scn" --record "$BN_TMP/aim.pcap" \
  --record-board "$BN_TMP/board.pcap" --decisions "$BN_TMP/decisions.log"
bn_ns timeout 30 python3 - > "$BN_TMP/ports" <<'PY' || bn_fail "a connection failed"
import socket
for i in range(3):
    s = socket.create_connection(("192.0.2.2", 7), timeout=10)
    s.sendall(b"ping %d" % i)
    assert s.recv(64) == b"ping %d" % i
    print(s.getsockname()[1])
    s.close()
PY
bn_stop_board
mapfile -t ports < "$BN_TMP/ports"
[ "${#ports[@]}" -eq 3 ] || bn_fail "expected 3 connections, got ${#ports[*]}"
count() { # FILTER: frames of the recording that match the display filter
  tshark -r "$BN_TMP/aim.pcap" -Y "$1" 2>/dev/null | wc -l
}
for i in 0 1 2; do
  p=${ports[$i]}
  syns=$(count "tcp.srcport == $p && tcp.flags.syn == 1 && tcp.flags.ack == 0")
  synacks=$(count "tcp.dstport == $p && tcp.flags.syn == 1 && tcp.flags.ack == 1")
  want=1; [ "$i" -eq 2 ] && want=2
  [ "$syns" -eq "$want" ] || bn_fail "connection $((i + 1)) (port $p): $syns SYNs on the wire, expected $want"
  [ "$synacks" -eq 1 ] || bn_fail "connection $((i + 1)) (port $p): $synacks SYN-ACKs on the wire, expected 1"
done
[ "$(count "tcp.analysis.retransmission && tcp.flags.syn == 1")" -eq 1 ] || bn_fail "tshark does not see exactly one retransmitted SYN"
grep -Eq '^[0-9.]+ egress [0-9]+ "tcp\[tcpflags\].*" drop aim capture - \(never on the wire\)$' "$BN_TMP/decisions.log" ||
  { cat "$BN_TMP/decisions.log"; bn_fail "no aim drop in the decision log"; }
[ "$(grep -c 'drop aim' "$BN_TMP/decisions.log")" -eq 1 ] || bn_fail "more than one aimed drop"
grep -q 'drop aim capture - (never on the wire)$' "$BN_TMP/decisions.log" ||
  { cat "$BN_TMP/decisions.log"; bn_fail "the dropped SYN-ACK's line does not say it never reached the wire"; }
[ -s "$BN_TMP/aim.pcap.events" ] || bn_fail "no events file beside the recording"
# the step is marked in the capture, where Wireshark shows it
marks=$(tshark -r "$BN_TMP/aim.pcap" -Y "eth.type == 0x88b5" -T fields -e data.data 2>/dev/null |
  python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().replace(":", "").strip()).decode(errors="replace"))')
grep -q "line 1: egress match .* nth 3 drop" <<<"$marks" || bn_fail "no mark of the step in the capture: '$marks'"
# The board's side (--record-board): the SYN-ACK lwIP sent and the stage
# dropped is there (two for the third connection), absent from the wire's.
p=${ports[2]}
n=$(tshark -r "$BN_TMP/board.pcap" -Y "tcp.dstport == $p && tcp.flags.syn == 1 && tcp.flags.ack == 1" 2>/dev/null | wc -l)
[ "$n" -eq 2 ] || bn_fail "--record-board: $n SYN-ACKs of connection 3, expected 2 (the dropped one too)"
# Wireshark names the step with tools/wireshark/boardnet.lua.
lua=$BN_TOP/tools/wireshark/boardnet.lua
step=$(tshark -X "lua_script:$lua" -r "$BN_TMP/aim.pcap" -Y boardnet -T fields -e boardnet.line -e boardnet.step 2>"$BN_TMP/lua.err")
grep -qP '^1\tegress match ".*" nth 3 drop$' <<<"$step" || { cat "$BN_TMP/lua.err"; bn_fail "the dissector does not name the step: '$step'"; }
info=$(tshark -X "lua_script:$lua" -r "$BN_TMP/board.pcap" -Y boardnet 2>/dev/null)
grep -q "boardnet scenario step: egress match" <<<"$info" || bn_fail "--record-board has no named mark: '$info'"

# Decision lines name their frames as Wireshark numbers them: the second
# echo request dropped on the way in (it is in the recording), the replies
# delayed on the way out; tshark reads each number back.
cat > "$BN_TMP/num.scn" <<'SCN'
match "icmp[icmptype] == icmp-echo" nth 2 ingress drop
egress delay 5ms
SCN
bn_start_board --ip 192.0.2.2/24 --scenario "$BN_TMP/num.scn" --record "$BN_TMP/num.pcap" --decisions "$BN_TMP/num.log"
bn_ns ping -c 4 -i 0.2 -W 1 192.0.2.2 > /dev/null || true
bn_stop_board
frame() { tshark -r "$BN_TMP/num.pcap" -Y "frame.number == $1" -T fields -e icmp.type -e icmp.seq 2>/dev/null; }
n=$(sed -nE 's/^[0-9.]+ ingress [0-9]+ ".*" drop aim capture ([0-9]+)$/\1/p' "$BN_TMP/num.log")
[ -n "$n" ] && [ "$(frame "$n")" = "$(printf '8\t2')" ] ||
  { cat "$BN_TMP/num.log"; bn_fail "the dropped request's line names frame '$n', not the second echo request"; }
seqs=$(sed -nE 's/^[0-9.]+ egress [0-9]+ \* delay .* capture ([0-9]+)$/\1/p' "$BN_TMP/num.log" |
  while read -r m; do frame "$m"; done | awk -F'\t' '$1 == 0 { print $2 }' | sort -n | tr '\n' ' ')
[ "$seqs" = "1 3 4 " ] || { cat "$BN_TMP/num.log"; bn_fail "the delayed replies' lines name the replies to '$seqs', not 1 3 4"; }
echo "decision lines carry capture numbers: the dropped echo request (seq 2) and the delayed replies, read back with tshark"

# A pool fault on the same timeline: lwIP cannot allocate the pcb for the
# first SYN (tcp_alloc() asks MEMP_TCP_PCB 5 times), drops it as a real
# board would, and the kernel's retransmitted SYN connects.
printf 'fail TCP_PCB next 5\n' > "$BN_TMP/pool.scn"
bn_start_board --ip 192.0.2.2/24 --app echo --scenario "$BN_TMP/pool.scn" --record "$BN_TMP/pool.pcap"
sleep 0.2  # the step's hook runs on the pump's first round
bn_ns timeout 30 python3 -c '
import socket
s = socket.create_connection(("192.0.2.2", 7), timeout=10)
s.sendall(b"x"); assert s.recv(8) == b"x"' || bn_fail "no connection after the refused SYN"
bn_stop_board
syns=$(tshark -r "$BN_TMP/pool.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" 2>/dev/null | wc -l)
[ "$syns" -eq 2 ] || bn_fail "$syns SYNs with the first pcb allocation failed, expected 2"
grep -q "allocations refused 5" "$BN_TMP/board.log" || { bn_board_output; bn_fail "the summary does not count the refusals"; }

# A pool the board does not have is an error before anything runs.
printf '\nat 1s pool NO_SUCH_POOL exhaust 10%%\n' > "$BN_TMP/bad.scn"
rc=0; bn_ns "$BN" run --tap "$BN_TAP" --scenario "$BN_TMP/bad.scn" 2> "$BN_TMP/bad.err" || rc=$?
[ "$rc" -eq 2 ] || bn_fail "an unknown pool exited $rc, expected 2"
grep -q "bad.scn:2:12: 'NO_SUCH_POOL': board [a-z0-9-]* has no such lwIP pool" "$BN_TMP/bad.err" || { cat "$BN_TMP/bad.err"; bn_fail "no file:line:col message for the unknown pool"; }
