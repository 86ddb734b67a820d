#!/usr/bin/env bash
# Every global symbol that an installed libboardnet-<board>.a defines carries
# a product prefix (DESIGN.md): bn_ inside, usocket_ and board_ for the
# public APIs; besides those only what lwIP's own objects define (lwIP is in
# the archive, built for the profile), the sys_* of lwIP's port API that
# stack/port implements, main() (the board program's, board_main.c) and the
# two names ld's --wrap gives the pool faults' wrappers. A user's firmware with a function called tap_open or
# record_close must neither fail to link nor link against ours.
# Prints every other name with the object that defines it; exits 1 if any.
#
#   test/layout/check_symbols.sh [BUILD_DIR]     (default: build)
set -uo pipefail
build=${1:-build}

ours='^(bn_|usocket_|board_)'
# lwIP's objects are lwIP's business: every name they define is allowed.
# They are the archive's members compiled from lwIP's tree (its src/*.c),
# none of which shares a name with a file of ours.
lwip_dir=$(sed -n 's/^LWIP_DIR:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null)
lwip_dir=${lwip_dir:-$build/_deps/lwip}
if [ ! -d "$lwip_dir/src" ]; then
  echo "check_symbols: no lwIP tree at $lwip_dir"; exit 1
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
lwip_objects=$(comm -23 <(find "$lwip_dir/src" -name '*.c' -printf '%f.o\n' | sort -u) \
                        <(find "$top"/netif "$top"/stack "$top"/usocket "$top"/scenarios "$top"/tools -name '*.c' -printf '%f.o\n' | sort -u) |
               paste -sd' ')
# Ours besides the prefixes: lwIP's port API that our port implements
# (sys_arch.h: sys_now, sys_mbox_new ...), main() and ld's --wrap names (the
# pool faults' and the virtual clock's wrappers).
allowed="$ours|^sys_|^main$|^__wrap_[a-z_]+$"

shopt -s nullglob
archives=("$build"/libboardnet-*.a)
if [ ${#archives[@]} -eq 0 ]; then
  echo "check_symbols: no $build/libboardnet-*.a (build first: tools/setup)"; exit 1
fi
bad=0
for a in "${archives[@]}"; do
  # nm -A: "archive:member:value type name"; defined, global only.
  names=$(nm -A --defined-only --extern-only "$a" 2>/dev/null |
          awk 'NF >= 3 { n = split($1, p, ":"); print p[n - 1], $NF }')
  total=$(awk '{ print $2 }' <<<"$names" | sort -u | wc -l)
  others=$(awk -v re="$allowed" -v lwip=" $lwip_objects " \
             'index(lwip, " " $1 " ") == 0 && $2 !~ re { print "  " $2 " (" $1 ")" }' <<<"$names" | sort -u)
  if [ -n "$others" ]; then
    echo "check_symbols: $(basename "$a") exports names without a product prefix:"
    echo "$others"
    bad=1
  else
    echo "check_symbols: $(basename "$a"): $total global symbols, each bn_/usocket_/board_, lwIP's, sys_arch's, main or a --wrap"
  fi
done
exit $bad
