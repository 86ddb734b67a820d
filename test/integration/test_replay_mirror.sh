#!/usr/bin/env bash
# boardnet replay --app mirror: the captured board's own side re-enacted by
# the live stack, so that any board's capture replays on both layers.
# 1. The board as TCP client: bn-usock-agent (usocket) connects to socat on
#    the kernel's side and sends 300 kB, then receives 200 kB from another
#    socat, recorded with --record. Replayed offline with --app mirror: the
#    live board opens both connections itself, sends the same bytes; no
#    divergence (exit 0), both streams identical.
# 2. The same capture into a profile of another MSS (rp2-pico-w's 800, or
#    generic's 1460 for a capture of an 800 board): exit 3 for the MSS, the
#    upload still identical.
# 3. The board as server (boardnet run --app echo --app http): mirrored
#    without those apps, no divergence.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/usock_agent.sh"
command -v socat >/dev/null || bn_skip "no socat"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

head -c 300000 /dev/urandom >"$BN_TMP/up"
head -c 200000 /dev/urandom >"$BN_TMP/down"

# ---- the board as client, recorded --------------------------------------------------
bn_ns timeout 60 socat -u TCP-LISTEN:5001,bind=192.0.2.1,reuseaddr CREATE:"$BN_TMP/got" 2>"$BN_TMP/socat1.err" &
socat_pid=$!; bn_track $socat_pid
ua_wait_listen 5001
ua_start send --hold 60 --record "$BN_TMP/client-send.pcap" tcp-client-send 192.0.2.1 5001 "$BN_TMP/up"
bn_wait_exit $socat_pid 60
ua_stop
cmp -s "$BN_TMP/up" "$BN_TMP/got" || bn_fail "the session's upload differs"
bn_ns timeout 60 socat -u OPEN:"$BN_TMP/down" TCP-LISTEN:5002,bind=192.0.2.1,reuseaddr 2>"$BN_TMP/socat2.err" &
socat_pid=$!; bn_track $socat_pid
ua_wait_listen 5002
ua_start recv --record "$BN_TMP/client-recv.pcap" tcp-client-recv 192.0.2.1 5002 "$BN_TMP/got2"
ua_end 60
bn_wait_exit $socat_pid 10
cmp -s "$BN_TMP/down" "$BN_TMP/got2" || bn_fail "the session's download differs"
mergecap -w "$BN_TMP/client.pcap" "$BN_TMP/client-send.pcap" "$BN_TMP/client-recv.pcap" 2>/dev/null ||
  bn_skip "no mergecap (apt-get install tshark)"
echo "sessions: the board (usocket) uploaded 300000 bytes and downloaded 200000, recorded"

# replay FILE [boardnet options] -- [replay options]: BN_RC, replay.out.
replay() {
  local file=$1 pre=()
  shift
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  bn_replay "${pre[@]}" replay "$file" "$@"
}
# stream_of PORT: the stream column of the report's flow to peer port PORT.
stream_of() { sed -nE "s/^  tcp board:[0-9]+ -> 192\.0\.2\.1:$1 .* ([a-z]+( kept)?) +[a-z]+$/\1/p" "$BN_TMP/replay.out"; }

# ---- 1. mirrored on the same profile ------------------------------------------------
replay "$BN_TMP/client.pcap" -- --app mirror
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "mirror: exit $BN_RC, not 0"; }
for port in 5001 5002; do
  [ "$(stream_of $port)" = identical ] || { cat "$BN_TMP/replay.out"; bn_fail "mirror: the stream to port $port is not identical"; }
done
grep -qE "tcp board:[0-9]+ -> 192\.0\.2\.1:5001 .* 300000 B .* 300000 B" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "mirror: the live board did not send the 300000 bytes"; }
# A pass waits up to 10 s for the board (not 2): a small board on a loaded
# machine (tools/test runs the profiles at once) can be that slow.
replay "$BN_TMP/client.pcap" -- --app mirror --loop 2 --step-timeout 10
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "mirror --loop 2: exit $BN_RC, not 0"; }
grep -q "passes: 2 (--loop); the live board diverged in 0" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "mirror --loop 2: not 2 clean passes"; }
echo "mirror, board as client: exit 0, both connections opened by the live board, both streams identical; twice with --loop 2"

# ---- 2. mirrored into a profile of another MSS ------------------------------------------
other=rp2-pico-w
[ "$(bn_board_info TCP_MSS)" = 800 ] && other=generic
other_mss=$("$BN" --board "$other" info | awk '$1 == "TCP_MSS:" { print $2 }')
replay "$BN_TMP/client.pcap" --board "$other" -- --app mirror
[ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "mirror into $other: exit $BN_RC, not 3"; }
grep -q "SYN offers MSS $other_mss" "$BN_TMP/replay.out" || { cat "$BN_TMP/replay.out"; bn_fail "$other: no MSS divergence"; }
[ "$(stream_of 5001)" = identical ] || { cat "$BN_TMP/replay.out"; bn_fail "$other: the upload is not identical"; }
echo "mirror into $other: exit 3 (MSS $other_mss), the upload identical"
# The same with the classes that differ by design as notes: it passes, the notes still shown
# (a small board's download mirrored into generic meets generic's zero window: the replay's
# window probes, as a peer's persist timer, find it open again).
replay "$BN_TMP/client.pcap" --board "$other" -- --app mirror --ignore options,window --report "$BN_TMP/ign.json"
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "--ignore options,window: exit $BN_RC, not 0"; }
grep -q "note (--ignore): at capture frame [0-9]* (options)" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "--ignore: the options difference is not shown as a note"; }
python3 - "$BN_TMP/ign.json" <<'PY' || bn_fail "--ignore: the JSON report does not mark the difference ignored"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "same", r["verdict"]
diffs = [d for f in r["flows"] for d in f["differences"]]
assert diffs and all(d["ignored"] and d["class"] in ("options", "window") for d in diffs), diffs
PY
echo "mirror into $other with --ignore options,window: exit 0, the MSS difference a note"

# ---- 3. the board as server, mirrored without its apps ------------------------------
bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/server.pcap"
head -c 50000 /dev/urandom | bn_ns timeout 30 socat -t 5 - TCP:192.0.2.2:7 >"$BN_TMP/echoed" || bn_fail "echo failed"
[ "$(stat -c %s "$BN_TMP/echoed")" = 50000 ] || bn_fail "the session's echo is not 50000 bytes"
bn_ns curl -sf --max-time 10 -o /dev/null "http://192.0.2.2/bytes/5000" || bn_fail "curl failed"
bn_stop_board
replay "$BN_TMP/server.pcap" -- --app mirror
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "mirror as server: exit $BN_RC, not 0"; }
[ "$(grep -cE '^  tcp .* identical  none$' "$BN_TMP/replay.out")" = 2 ] ||
  { cat "$BN_TMP/replay.out"; bn_fail "mirror as server: not 2 identical streams"; }
echo "mirror, board as server: exit 0, the echo and the page identical without --app echo/http"
