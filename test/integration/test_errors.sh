#!/usr/bin/env bash
# Bad input and a board that cannot start: each exits with the right code
# (2 bad usage, 1 cannot start) and ONE line on stderr starting "boardnet: ",
# promptly (every run bounded by timeout). All inside the test's namespace,
# so a board that wrongly starts touches nothing outside it.
source "$(dirname "$0")/lib.sh"
bn_make_net
failures=0

# expect CODE PATTERN COMMAND...: runs COMMAND in the namespace; checks its
# exit code, that stderr is exactly one line "boardnet: ..." matching PATTERN.
expect() {
  local want=$1 pattern=$2 rc=0; shift 2
  timeout 20 ip netns exec "$BN_NS" "$@" >"$BN_TMP/out" 2>"$BN_TMP/err" </dev/null || rc=$?
  local err; err=$(cat "$BN_TMP/err")
  local why=
  if [ $rc = 124 ]; then why="did not exit within 20 s"
  elif [ $rc != "$want" ]; then why="exit $rc, expected $want"
  elif [ "$(wc -l <"$BN_TMP/err")" != 1 ]; then why="stderr is not exactly one line"
  elif [[ $err != "boardnet: "* ]]; then why="stderr does not start with 'boardnet: '"
  elif ! grep -qiE -- "$pattern" <<<"$err"; then why="message does not match /$pattern/"
  fi
  if [ -n "$why" ]; then
    echo "FAIL: ${*#"$BN "}: $why"; sed 's/^/  stderr: /' "$BN_TMP/err"; sed 's/^/  stdout: /' "$BN_TMP/out"
    failures=$((failures + 1))
  else
    echo "ok ($rc): $err"
  fi
}

# Bad usage: exit 2.
expect 2 "--tap"                 "$BN" run --ip 192.0.2.2/24
expect 2 "192\.0\.2\.0"          "$BN" run --tap "$BN_TAP" --ip 192.0.2.0/24
expect 2 "300\.1\.1\.1"          "$BN" run --tap "$BN_TAP" --ip 300.1.1.1
expect 2 "01:00:00:00:00:01|mac" "$BN" run --tap "$BN_TAP" --mac 01:00:00:00:00:01
expect 2 "00:00:00:00:00:00.*all-zero" "$BN" run --tap "$BN_TAP" --mac 00:00:00:00:00:00
expect 2 "nope"                  "$BN" run --tap "$BN_TAP" --app nope
expect 2 "nosuch"                "$BN" --board nosuch info
expect 2 "198\.18\.0\.1|gw|gateway" "$BN" run --tap "$BN_TAP" --ip 192.0.2.2/24 --gw 198.18.0.1
expect 2 "dhcp"                  "$BN" run --tap "$BN_TAP" --dhcp --ip 192.0.2.2/24
expect 2 "dhcp-timeout"          "$BN" run --tap "$BN_TAP" --dhcp --dhcp-timeout 0
expect 2 "70000|port"            "$BN" run --tap "$BN_TAP" --app echo --port 70000
expect 2 "--backlog.*'0'"        "$BN" run --tap "$BN_TAP" --app echo --backlog 0
expect 2 "--backlog.*'256'"      "$BN" run --tap "$BN_TAP" --app echo --backlog 256
expect 2 "needs a value"         "$BN" run --tap
expect 2 "--bogus"               "$BN" run --tap "$BN_TAP" --bogus
expect 2 "record-filter.*tcp port" "$BN" run --tap "$BN_TAP" --record "$BN_TMP/x.pcap" --record-filter "tcp port"
expect 2 "need --record"         "$BN" run --tap "$BN_TAP" --record-size 5
expect 2 "cannot be rotated"     "$BN" run --tap "$BN_TAP" --record - --record-size 5
expect 2 "--seed.*'-1'"          "$BN" run --tap "$BN_TAP" --seed -1
expect 2 "--seed.*'x'"           "$BN" run --tap "$BN_TAP" --seed x

# Cannot start: exit 1.
bn_ns ip link add bnv0 type veth peer name bnv1
expect 1 "bnv0: exists but is not a TAP device" "$BN" run --tap bnv0 --exit-after 5
expect 1 "lo: exists but is not a TAP device"   "$BN" run --tap lo --exit-after 5

expect 1 "cannot record to /nonexistent/x.pcap: No such file" "$BN" run --tap "$BN_TAP" --record /nonexistent/x.pcap --exit-after 5
[ ! -e "$BN_TMP/x.pcap" ] || { echo "FAIL: a usage error created the recording"; failures=$((failures + 1)); }

bn_start_board --ip 192.0.2.2/24
expect 1 "busy"                  "$BN" run --tap "$BN_TAP" --ip 192.0.2.3/24 --exit-after 5
kill -0 "$BN_BOARD_PID" 2>/dev/null || { bn_board_output; bn_fail "the first board died when a second one tried its TAP"; }
bn_stop_board

# Unprivileged (nobody, no capabilities): a copy of the binary it can run.
mkdir "$BN_TMP/pub"; chmod 711 "$BN_TMP"; chmod 755 "$BN_TMP/pub"
cp "$BN" "$BN_TMP/pub/boardnet"
expect 1 "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups \
  --inh-caps=-all --bounding-set=-all "$BN_TMP/pub/boardnet" run --tap "$BN_TAP" --exit-after 5
expect 1 "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups \
  --inh-caps=-all --bounding-set=-all "$BN_TMP/pub/boardnet" run --tap bnnew --exit-after 5

[ $failures = 0 ] || bn_fail "$failures error case(s) wrong"
