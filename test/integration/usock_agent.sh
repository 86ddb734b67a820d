# Shared by test_usocket_*.sh (sourced after lib.sh): runs bn-usock-agent,
# the board program that executes one usocket scenario, in the test's
# namespace on its TAP, and reads its "key=value" result lines.
# The agent is found beside $BN (build/boardnet), or at $BN_AGENT.

BN_AGENT=${BN_AGENT:-$(dirname "$BN")/bn-usock-agent}
[ -x "$BN_AGENT" ] || bn_skip "no $BN_AGENT (build it: cmake --build build)"
UA_LOG=

# ua_start NAME [agent options...] SCENARIO ARGS...: launches the agent in the
# namespace (board 192.0.2.2/24 on the TAP) and waits (bounded) until it is
# up. Output: $BN_TMP/NAME.log (stdout), $BN_TMP/NAME.err. It is the test's
# "board" (BN_BOARD_PID), so lib.sh's cleanup stops it and bn_wait_for gives
# up early when it exits.
ua_start() {
  local name=$1; shift
  UA_LOG=$BN_TMP/$name.log
  ip netns exec "$BN_NS" timeout -k 5 120 "$BN_AGENT" --tap "$BN_TAP" --ip 192.0.2.2/24 "$@" \
    >"$UA_LOG" 2>"$BN_TMP/$name.err" &
  BN_BOARD_PID=$!
  ua_wait "agent: up on tap" 15
}

# ua_wait PATTERN SECONDS: waits until the agent's output matches (grep -E).
ua_wait() {
  bn_wait_for "$UA_LOG" "$1" "$2" && return 0
  ua_output
  bn_fail "agent: no line matching '$1' within $2 s"
}

# Prints the current agent's output (stdout, then stderr), for failure reports.
ua_output() { cat "$UA_LOG" "${UA_LOG%.log}.err" 2>/dev/null || true; }

# ua_end [SECONDS]: waits (bounded, default 30 s) for the agent to exit by
# itself; fails the test unless it exits 0.
ua_end() {
  bn_wait_exit "$BN_BOARD_PID" "${1:-30}"
  BN_BOARD_PID=
  [ "$BN_RC" = 0 ] || { ua_output; bn_fail "agent exited with $BN_RC"; }
}

# ua_stop: ends an agent started with --hold (SIGTERM), as ua_end.
ua_stop() {
  kill -TERM "$BN_BOARD_PID" 2>/dev/null || true
  ua_end 10
}

# ua_wait_listen PORT [udp]: waits (bounded, 10 s) until a kernel socket in
# the namespace listens on PORT (TCP, or UDP bound).
ua_wait_listen() {
  local opt=-Hltn i; [ "${2:-}" = udp ] && opt=-Huan
  for ((i = 0; i < 100; i++)); do
    [ -n "$(bn_ns ss $opt "sport = :$1")" ] && return 0
    sleep 0.1
  done
  bn_fail "nothing listens on port $1 in the namespace after 10 s"
}

# ua_value KEY [LINE-PATTERN]: the value of KEY=... on the last output line
# that has it (and matches LINE-PATTERN).
ua_value() {
  grep -E -- "${2:-.}" "$UA_LOG" | grep -oE "(^| )$1=[^ ]*" | tail -1 | sed "s/^ *$1=//"
}

# ua_expect KEY VALUE [LINE-PATTERN]: fails the test unless the agent printed KEY=VALUE.
ua_expect() {
  local got; got=$(ua_value "$1" "${3:-.}")
  [ "$got" = "$2" ] || { ua_output; bn_fail "expected $1=$2, agent printed $1=${got:-<nothing>}"; }
}

# ua_sha FILE: the file's sha256.
ua_sha() { sha256sum <"$1" | cut -d' ' -f1; }

# ua_same_file WHAT SENT RECEIVED: fails unless both files are byte for byte equal.
ua_same_file() {
  local a b; a=$(ua_sha "$2"); b=$(ua_sha "$3")
  if [ "$a" != "$b" ]; then
    local where; where=$(cmp "$2" "$3" 2>&1 | head -1 || true)
    bn_fail "$1: sent $(stat -c %s "$2") bytes sha256 $a, received $(stat -c %s "$3") bytes sha256 $b ($where)"
  fi
  echo "$1: $(stat -c %s "$3") bytes, sha256 $b"
}
