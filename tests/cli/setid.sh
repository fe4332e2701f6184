# SPDX-License-Identifier: MIT
# setid.sh - set-id bits under HANDLE_KILLPRIV_V2 (the daemon clears
# them, see docs/daemon.md "Set-id bits"): a write or truncate by a
# non-owner clears S_ISUID and S_ISGID-with-group-exec at once; root's
# write keeps them; S_ISGID without group exec stays; chown clears.
. "$CLI_LIB"
need_root_fuse 60
command -v setpriv >/dev/null || skip "no setpriv"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mode() { stat -c %a "$1"; }
expect_mode() { # expect_mode FILE MODE WHAT
	local m
	m=$(mode "$1")
	if [ "$m" = "$2" ]; then ok "$3"; else fail "$3: mode $m, expected $2"; fi
}

chmod 755 "$T"
"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
mount_fg "allow_other"
F=$MNT/f
echo x >"$F" || die "create"

chmod 6777 "$F"
as_nobody sh -c "echo y >>'$F'" || fail "write as nobody"
expect_mode "$F" 777 "non-owner write clears S_ISUID and S_ISGID"

chmod 6777 "$F"
echo z >>"$F" || fail "write as root"
expect_mode "$F" 6777 "root's write keeps the set-id bits"

chmod 2767 "$F"
as_nobody sh -c "echo y >>'$F'" || fail "write as nobody"
expect_mode "$F" 2767 "S_ISGID without group exec survives a write"

chmod 4777 "$F"
as_nobody truncate -s 1 "$F" || fail "truncate as nobody"
expect_mode "$F" 777 "non-owner truncate clears S_ISUID"
[ "$(stat -c %s "$F")" = 1 ] || fail "truncate did not truncate"

chmod 6755 "$F"
chown 1:1 "$F" || fail "chown"
expect_mode "$F" 755 "chown clears the set-id bits"

# the remounted file shows what the store kept
unmount_fg
mount_fg "allow_other"
expect_mode "$F" 755 "mode after remount"
unmount_fg
finish
