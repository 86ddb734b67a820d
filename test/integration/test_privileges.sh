#!/usr/bin/env bash
# Privilege drop (boardnet run): started as root by sudo, the board opens the
# TAP and then becomes sudo's invoking user (SUDO_UID/SUDO_GID), or --user's;
# read back from /proc/PID/status (real, effective, saved and filesystem ids,
# groups, effective capabilities). The board still serves, and a recording
# it creates belongs to that user. Without sudo's variables or --user, root
# stays root. Uses the system's "nobody" (uid 65534).
source "$(dirname "$0")/lib.sh"
getent passwd nobody >/dev/null || bn_skip "no user nobody"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
bn_make_net
# The recording's directory: writable by nobody (BN_TMP is root's, 0700).
rec_dir=$(mktemp -d "${TMPDIR:-/tmp}/bn-priv.XXXXXX")
chmod 0777 "$rec_dir"
bn_at_exit "rm -rf '$rec_dir'"

# field NAME: the whole value of /proc/BOARD/status's field NAME.
field() { awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$BN_BOARD_PID/status"; }

# expect_identity UID GID GROUPS: the running board's ids are exactly these.
expect_identity() {
  local uid=$1 gid=$2 groups=$3 got
  got=$(field Uid); [ "$got" = "$uid $uid $uid $uid" ] || bn_fail "Uid: '$got', expected $uid x4"
  got=$(field Gid); [ "$got" = "$gid $gid $gid $gid" ] || bn_fail "Gid: '$got', expected $gid x4"
  got=$(field Groups); [ "$got" = "$groups" ] || bn_fail "Groups: '$got', expected '$groups'"
  if [ "$uid" != 0 ]; then
    got=$(field CapEff); [ "$got" = 0000000000000000 ] || bn_fail "CapEff: $got, expected none"
  fi
}

# ---- 1. sudo's invoking user -----------------------------------------------
export SUDO_UID=$NOBODY_UID SUDO_GID=$NOBODY_GID
bn_start_board --ip 192.0.2.2/24 --app http --record "$rec_dir/sudo.pcap"
expect_identity "$NOBODY_UID" "$NOBODY_GID" ""
bn_ns curl -sf --max-time 10 -o /dev/null http://192.0.2.2/ || bn_fail "no page from the board after the drop"
[ "$(stat -c %u "$rec_dir/sudo.pcap")" = "$NOBODY_UID" ] || bn_fail "the recording is not nobody's"
echo "sudo: the board runs as uid/gid $NOBODY_UID/$NOBODY_GID, no groups, no capabilities; serves; records as nobody"
bn_stop_board

# ---- 2. --user wins over sudo's user -----------------------------------------
export SUDO_UID=1 SUDO_GID=1
bn_start_board --ip 192.0.2.2/24 --app http --user nobody
expect_identity "$NOBODY_UID" "$NOBODY_GID" "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
bn_ns ping -c 1 -W 2 192.0.2.2 >/dev/null || bn_fail "no ping after --user"
echo "--user nobody: the board runs as nobody with nobody's groups"
bn_stop_board
unset SUDO_UID SUDO_GID

# ---- 3. root without sudo or --user stays root ---------------------------------
bn_start_board --ip 192.0.2.2/24
[ "$(field Uid | cut -d' ' -f2)" = 0 ] || bn_fail "without sudo or --user the board is not root: $(field Uid)"
echo "without sudo or --user the board stays root"
bn_stop_board

# ---- 4. a bad --user or SUDO_UID is an error, before anything runs ----------------
rc=0; bn_ns "$BN" run --tap "$BN_TAP" --user no-such-user-here 2>"$BN_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "no such user" "$BN_TMP/err" || bn_fail "--user no-such-user-here: exit $rc, $(cat "$BN_TMP/err")"
rc=0; SUDO_UID=12x SUDO_GID=0 bn_ns "$BN" run --tap "$BN_TAP" --exit-after 1 2>"$BN_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q "SUDO_UID" "$BN_TMP/err" || bn_fail "SUDO_UID=12x: exit $rc, $(cat "$BN_TMP/err")"
echo "a bad --user exits 2, a bad SUDO_UID exits 1, each with a message"
