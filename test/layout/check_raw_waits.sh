#!/usr/bin/env bash
# No object of libboardnet waits, sleeps, starts or joins a thread, or reads
# the host's clock behind bn_clock's back (DESIGN.md "Time"): on the virtual
# clock every such call must be one the scheduler sees, or the board freezes
# (a raw wait holds the baton) or stops being reproducible (a raw clock
# read). Reads `nm -u` of every member of the installed archives; the
# allowed users are the clock and its scheduler themselves (netif/base) and
# the TAP backend (a TAP runs on the real clock only).
# Prints each forbidden call with the object that makes it; exits 1 if any.
#
#   test/layout/check_raw_waits.sh [BUILD_DIR]     (default: build)
set -uo pipefail
build=${1:-build}

forbidden='^(pthread_(mutex_lock|mutex_timedlock|cond_wait|cond_timedwait|cond_clockwait|create|join|timedjoin_np|rwlock_(rd|wr)lock)|sem_(wait|timedwait|clockwait)|nanosleep|clock_nanosleep|usleep|sleep|clock_gettime|gettimeofday|time|poll|ppoll|select|pselect|epoll_wait|sigtimedwait|sigwait|io_uring_(wait|submit_and_wait).*)$'
# Objects allowed to: the clock and scheduler, the TAP backend (real time only).
allowed_objects='^(bn_clock\.c\.o|bn_sched\.c\.o|link_tap\.c\.o|tap_uring\.c\.o|tap_carrier\.c\.o)$'
# Single calls allowed, with why: the runner's wait for SIGINT/SIGTERM (a
# zero timeout on the virtual clock: it looks, it never waits).
allowed_calls='^(board_runner\.c\.o:sigtimedwait)$'

shopt -s nullglob
archives=("$build"/libboardnet-*.a)
if [ ${#archives[@]} -eq 0 ]; then
  echo "check_raw_waits: no $build/libboardnet-*.a (build first: tools/setup)"; exit 1
fi
lwip_dir=$(sed -n 's/^LWIP_DIR:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null)
lwip_dir=${lwip_dir:-$build/_deps/lwip}
top=$(cd "$(dirname "$0")/../.." && pwd)
# Only our objects: lwIP's own (its src/*.c) wait through our sys_arch.
ours=$(find "$top"/netif "$top"/stack "$top"/usocket "$top"/scenarios "$top"/tools/board "$top"/tools/apps \
         -name '*.c' -printf '%f.o\n' | sort -u)
bad=0
for a in "${archives[@]}"; do
  # nm -A -u: "archive:member:  U name"
  while IFS= read -r line; do
    member=${line#*:}; member=${member%%:*}
    name=${line##* }
    name=${name%@*}
    [[ $name =~ $forbidden ]] || continue
    grep -qxF "$member" <<<"$ours" || continue
    [[ $member =~ $allowed_objects || $member:$name =~ $allowed_calls ]] && continue
    echo "check_raw_waits: $(basename "$a"): $member calls $name (go through bn_clock / bn_sched)"
    bad=1
  done < <(nm -A -u "$a" 2>/dev/null)
done
[ $bad = 0 ] && echo "check_raw_waits: no raw wait, sleep, thread or clock call in ${#archives[@]} archive(s)"
exit $bad
