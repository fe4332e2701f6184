# SPDX-License-Identifier: MIT
# mount8.sh - mount(8) itself runs the helper: `mount -t fuse.pinfs` and an
# fstab line.  mount(8) looks for /sbin/mount.fuse.pinfs; so that nothing
# is installed on the machine, the test runs in a private mount namespace
# where a copy of /usr/sbin (symlinks) with the helper is bound over it.
. "$CLI_LIB"
command -v unshare >/dev/null || skip "no unshare"

if [ "${CLI_MOUNT8_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	# re-run this script inside a private mount namespace
	trap - EXIT
	rm -rf "$T"
	CLI_MOUNT8_INNER=1 exec timeout 100 unshare -m --propagation private \
		bash "$0" "$@"
fi

need_root_fuse 90
mkdir "$T/sbin"
for f in /usr/sbin/*; do ln -s "$f" "$T/sbin/"; done
ln -s "$PINFS" "$T/sbin/mount.fuse.pinfs"
mount --bind "$T/sbin" /usr/sbin || skip "cannot bind over /usr/sbin"

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"

# 1. mount -t
OUT=$(timeout 30 mount -t fuse.pinfs -o allow_other,nodev "$REGION" "$MNT" 2>&1) ||
	die "mount -t fuse.pinfs: $OUT"
is_mounted "$MNT" || die "mount -t did not mount"
echo hi >"$MNT/f" && [ "$(cat "$MNT/f")" = hi ] || fail "file on the mount"
pid=$(daemon_of "$REGION")
timeout 10 umount "$MNT" || fail "umount"
[ -n "$pid" ] && { reap "$pid" || fail "daemon did not exit after umount"; }

# 2. a bad option: mount(8) reports the helper's failure
OUT=$(timeout 30 mount -t fuse.pinfs -o bogus "$REGION" "$MNT" 2>&1) &&
	{ fail "mount -o bogus succeeded"; umount "$MNT"; }
printf '%s\n' "$OUT" | grep -q "unknown mount option 'bogus'" || fail "reason: $OUT"

# 3. an fstab line (with size=: a missing region is formatted)
rm -f "$REGION"
printf '%s %s fuse.pinfs defaults,allow_other,nofail,size=64M,x-test.opt 0 0\n' \
	"$REGION" "$MNT" >"$T/fstab"
OUT=$(timeout 30 mount -T "$T/fstab" "$MNT" 2>&1) || die "fstab mount: $OUT"
is_mounted "$MNT" || die "the fstab line did not mount"
[ -s "$REGION" ] || fail "size= did not format the region"
pid=$(daemon_of "$REGION")
timeout 10 umount "$MNT" || fail "umount (fstab)"
[ -n "$pid" ] && { reap "$pid" || fail "daemon did not exit after umount"; }
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck: $OUT"
finish
