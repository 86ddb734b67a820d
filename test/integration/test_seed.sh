#!/usr/bin/env bash
# --seed on a TAP: the board's first SYN-ACK (its TCP initial sequence
# number) is the same in two runs with the same seed, and another with
# another seed; a run without --seed prints the seed it took, and that seed
# repeats it. Checked in the recording (--record) with tshark.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || bn_skip "no tshark (apt-get install tshark)"
bn_make_net

# isn_of [options]: runs a board, connects to its echo app once, prints the
# raw sequence number of the board's SYN-ACK.
isn_of() {
  local pcap=$BN_TMP/seed-$RANDOM.pcap
  bn_start_board --ip 192.0.2.2/24 --app echo --record "$pcap" "$@"
  printf 'x' | bn_ns timeout 10 socat -t 1 - TCP:192.0.2.2:7 >/dev/null || bn_fail "cannot connect to the echo app"
  bn_stop_board
  tshark -n -r "$pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 192.0.2.2" \
    -T fields -e tcp.seq_raw 2>/dev/null | head -1
}

a=$(isn_of --seed 7)
b=$(isn_of --seed 7)
c=$(isn_of --seed 8)
[ -n "$a" ] || bn_fail "no SYN-ACK recorded"
[ "$a" = "$b" ] || bn_fail "seed 7 gave ISN $a, then $b"
[ "$a" != "$c" ] || bn_fail "seeds 7 and 8 both gave ISN $a"
echo "seed 7: ISN $a twice; seed 8: ISN $c"

d=$(isn_of)
seed=$(sed -nE 's/^boardnet: seed ([0-9]+) .*/\1/p' "$BN_TMP/board.log")
[ -n "$seed" ] || { bn_board_output; bn_fail "no seed printed without --seed"; }
e=$(isn_of --seed "$seed")
[ "$d" = "$e" ] || bn_fail "the printed seed $seed gave ISN $e, the run that printed it $d"
grep -q "^boardnet: seed" "$BN_TMP/board.log" && bn_fail "a seed was printed although --seed was given"
echo "no --seed: printed seed $seed, which repeats ISN $d"
