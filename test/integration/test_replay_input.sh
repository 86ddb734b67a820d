#!/usr/bin/env bash
# boardnet replay on what users bring: a session (pings, 100 kB echoed, an
# HTTP page) captured on the kernel's side with tcpdump -i any (Linux cooked
# v2) and -y LINUX_SLL (v1), and by the board (--record, Ethernet), replays
# with no divergence from each, and from its pcapng and raw-IP conversions
# (editcap). Bad input gets one clear line and exit 1, never a crash or a
# hang: a file that is no capture, an unknown link type, a missing file,
# standard input or a pipe, a board the capture does not show; a file cut off
# in the middle replays what it holds and counts the cut (incomplete: the cut
# frame may have been the board's); a replay stopped by SIGINT reports what it
# replayed and exits 4 (incomplete), the flows it never reached named so.
# Bad usage exits 2, a --report into a missing folder among them, before
# anything runs.
source "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null || bn_skip "no tcpdump"
command -v editcap >/dev/null || bn_skip "no editcap (apt-get install tshark)"
command -v python3 >/dev/null || bn_skip "no python3"
bn_make_net

bn_start_board --ip 192.0.2.2/24 --app echo --app http --record "$BN_TMP/board.pcap"
bn_tcpdump_start any2.pcap -i any
bn_tcpdump_start any1.pcap -i any -y LINUX_SLL
bn_echo_session 192.0.2.2 100000
sleep 0.3   # the last ACKs reach tcpdump
bn_stop_board
for pid in "${BN_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${BN_PIDS[@]}"; do bn_wait_exit "$pid" 10; done
editcap -F pcapng "$BN_TMP/board.pcap" "$BN_TMP/board.pcapng"
editcap -L -C 14 -T rawip "$BN_TMP/board.pcap" "$BN_TMP/raw.pcap"  # -L: lengths follow the cut

# replay FILE [options]: exit status in BN_RC, output in replay.out/replay.err.
replay() { bn_replay replay "$@"; }

# ---- every link type: no divergence ----------------------------------------------------
for file in any2.pcap any1.pcap board.pcap board.pcapng raw.pcap; do
  if grep -qE "^[1-9][0-9]* packets dropped by kernel" "$BN_TMP/$file.err" 2>/dev/null; then
    echo "$file: tcpdump lost frames ($(grep 'dropped by kernel' "$BN_TMP/$file.err")): not a whole session, left out"
    continue
  fi
  replay "$BN_TMP/$file" --app echo --app http
  linktype=$(sed -nE 's/^replay of .* \(([A-Z0-9_]+), .*/\1/p' "$BN_TMP/replay.out")
  [ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; capinfos "$BN_TMP/$file"; cat "$BN_TMP/$file.err"; tshark -r "$BN_TMP/$file" | head; bn_fail "$file ($linktype): exit $BN_RC, not 0"; }
  grep -qE "tcp 192\.0\.2\.1:[0-9]+ -> board:7 .* 100000 B .* 100000 B +identical" "$BN_TMP/replay.out" ||
    { cat "$BN_TMP/replay.out"; bn_fail "$file: the echoed stream is not identical"; }
  echo "$file ($linktype): no divergence, the echoed 100000 bytes identical"
done
[ "$(sed -nE 's/^replay of .* \(([A-Z0-9_]+), .*/\1/p' "$BN_TMP/replay.out")" = RAW ] || bn_fail "raw.pcap is not raw IP"

# ---- bad input: one line, exit 1 ----------------------------------------------------
# refused FILE PATTERN [options]: exit 1 with one line on stderr matching PATTERN.
refused() {
  local file=$1 pattern=$2
  shift 2
  replay "$file" "$@"
  [ "$BN_RC" = 1 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "$file: exit $BN_RC, not 1"; }
  [ "$(wc -l <"$BN_TMP/replay.err")" = 1 ] || { cat "$BN_TMP/replay.err"; bn_fail "$file: not one line on stderr"; }
  grep -qE -- "$pattern" "$BN_TMP/replay.err" || { cat "$BN_TMP/replay.err"; bn_fail "$file: no '$pattern'"; }
  echo "refused: $(cat "$BN_TMP/replay.err")"
}
head -c 4000 /dev/urandom >"$BN_TMP/noise.bin"
refused "$BN_TMP/noise.bin" "not a capture libpcap reads"
editcap -T ieee-802-11 "$BN_TMP/board.pcap" "$BN_TMP/wifi.pcap"
refused "$BN_TMP/wifi.pcap" "link type IEEE802_11 .* cannot be replayed"
refused "$BN_TMP/missing.pcap" "missing.pcap: No such file or directory"
refused - "reads its capture twice" <"$BN_TMP/board.pcap"
refused "$BN_TMP/board.pcap" "nothing to replay for board 192.0.2.77" --board-ip 192.0.2.77
refused <(cat "$BN_TMP/board.pcap") "give a regular file, not a pipe"
: >"$BN_TMP/empty.pcap"
refused "$BN_TMP/empty.pcap" "not a capture libpcap reads"

# A file cut off mid-frame: what it holds is replayed, the cut counted.
size=$(stat -c %s "$BN_TMP/board.pcap")
head -c $((size / 2 + 7)) "$BN_TMP/board.pcap" >"$BN_TMP/cut.pcap"
replay "$BN_TMP/cut.pcap" --app echo --app http --report "$BN_TMP/cut.json"
[ "$BN_RC" = 4 ] || [ "$BN_RC" = 3 ] || { cat "$BN_TMP/replay.out" "$BN_TMP/replay.err"; bn_fail "cut.pcap: exit $BN_RC"; }
grep -q "1  cut off by the end of the file (1 to or from the board)" "$BN_TMP/replay.out" ||
  { cat "$BN_TMP/replay.out"; bn_fail "cut.pcap: the cut is not counted"; }
python3 - "$BN_TMP/cut.json" "$BN_RC" <<'PY' || bn_fail "cut.pcap: the JSON report does not count the cut"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["skipped"]["file_truncated"] == 1 and r["skipped_board"]["file_truncated"] == 1, r["skipped"]
assert r["verdict"] == ("incomplete" if sys.argv[2] == "4" else "diverged"), r["verdict"]
assert any("not replayed" in x for x in r["incomplete"]), r["incomplete"]
PY
echo "cut.pcap: replayed what it holds (exit $BN_RC, $(bn_report_value "$BN_TMP/cut.json" 'r["verdict"]')), the cut counted once"

# Progress: with --progress (stderr is no terminal here) frames done of all, rate, time to go.
replay "$BN_TMP/board.pcap" --app echo --app http --progress
[ "$BN_RC" = 0 ] || { cat "$BN_TMP/replay.err"; bn_fail "--progress: exit $BN_RC"; }
total=$(sed -nE 's/.*: ([0-9]+) peer frames in .*/\1/p' "$BN_TMP/replay.out")
grep -qE "replay $total/$total peer frames \(100%\), [0-9]+ frames/s, 0 s to go" "$BN_TMP/replay.err" ||
  { cat "$BN_TMP/replay.err"; bn_fail "--progress: no final progress line"; }
replay "$BN_TMP/board.pcap" --app echo --app http
[ ! -s "$BN_TMP/replay.err" ] || { cat "$BN_TMP/replay.err"; bn_fail "progress shown without a terminal or --progress"; }
echo "progress: with --progress, up to $total/$total peer frames; quiet otherwise"

# Stopped early (SIGINT, as Ctrl-C): the report of what was replayed, exit 4.
# On the real clock: a slow replay interrupted after a second of wall time.
"$BN" replay "$BN_TMP/board.pcap" --app echo --app http --pace x0.01 --clock real >"$BN_TMP/int.out" 2>"$BN_TMP/int.err" &
pid=$!
bn_track $pid
bn_wait_for "$BN_TMP/int.out" "^boardnet: replaying" 10 || bn_fail "the slow replay did not start"
sleep 1
kill -INT $pid
bn_wait_exit $pid 10
[ "$BN_RC" = 4 ] || { cat "$BN_TMP/int.out" "$BN_TMP/int.err"; bn_fail "an interrupted replay exited $BN_RC, not 4"; }
grep -q "replay stopped early (Interrupt)" "$BN_TMP/int.err" && grep -q "^result: incomplete: the replay was stopped early (Interrupt)" "$BN_TMP/int.out" ||
  { cat "$BN_TMP/int.out" "$BN_TMP/int.err"; bn_fail "an interrupted replay: no notice or no report"; }
grep -q "not reached" "$BN_TMP/int.out" && ! grep -q "sent nothing in this flow" "$BN_TMP/int.out" ||
  { cat "$BN_TMP/int.out"; bn_fail "an interrupted replay: flows never reached are not named so (or called missing)"; }
echo "interrupted: the report of what was replayed, incomplete (exit 4), the flows never reached named so"

# ---- bad usage: exit 2 -------------------------------------------------------------
usage() {
  local rc=0
  timeout 10 "$BN" replay "$@" >/dev/null 2>"$BN_TMP/usage.err" || rc=$?
  [ "$rc" = 2 ] || { cat "$BN_TMP/usage.err"; bn_fail "replay $*: exit $rc, not 2"; }
  [ "$(wc -l <"$BN_TMP/usage.err")" = 1 ] || { cat "$BN_TMP/usage.err"; bn_fail "replay $*: not one line"; }
}
usage
usage "$BN_TMP/board.pcap" "$BN_TMP/board.pcap"
usage "$BN_TMP/board.pcap" --pace fast
usage "$BN_TMP/board.pcap" --pace x0
usage "$BN_TMP/board.pcap" --limit 0
usage "$BN_TMP/board.pcap" --step-timeout 0
usage "$BN_TMP/board.pcap" --start-at -1
usage "$BN_TMP/board.pcap" --filter "tcp port banana"
usage "$BN_TMP/board.pcap" --app telnet
usage "$BN_TMP/board.pcap" --tap bn0
usage "$BN_TMP/board.pcap" --board-ip 300.1.1.1
usage "$BN_TMP/board.pcap" --report "$BN_TMP/no/such/folder/r.json"
usage "$BN_TMP/board.pcap" --ignore window,banana
usage "$BN_TMP/board.pcap" --vlan 4095
"$BN" replay --help >"$BN_TMP/help.out"   # whole: grep -q on a pipe may end the writer (pipefail)
grep -q "4  incomplete: it did the same in what was compared, but not" "$BN_TMP/help.out" ||
  bn_fail "replay --help does not document the exit status"
echo "usage errors: exit 2 with one line each; --help documents the exit status"
