# SPDX-License-Identifier: MIT
# usage.sh - the command line's help, version and usage errors: exit 2,
# a one-line reason, and nothing created or written.
. "$CLI_LIB"

run_expect 2 "$PINFS"
run_expect 0 "$PINFS" --help
for c in mkfs mount fsck extents status; do
	printf '%s\n' "$OUT" | grep -q "^  $c " || fail "--help does not list $c"
done
run_expect 0 "$PINFS" --version
printf '%s\n' "$OUT" | grep -Eq '^pinfs [0-9]+\.[0-9]+\.[0-9]+$' || fail "version: $OUT"
run_expect 2 "$PINFS" frobnicate && one_line "unknown command"

for c in mkfs mount fsck extents status; do
	run_expect 0 "$PINFS" "$c" --help
	printf '%s\n' "$OUT" | grep -q "^Usage: pinfs $c" || fail "$c --help: $OUT"
	run_expect 2 "$PINFS" "$c" --bogus-option && one_line "$c --bogus-option"
	run_expect 2 "$PINFS" "$c" && one_line "$c without arguments"
done

# mkfs: bad sizes; a missing region is not created
for s in abc 10M 16777217 -5 1.5G 0 '' 99999999999999999999 64Q; do
	run_expect 2 "$PINFS" mkfs --size "$s" "$REGION" && one_line "mkfs --size '$s'"
	[ -e "$REGION" ] && fail "mkfs --size '$s' created the region"
done
run_expect 2 "$PINFS" mkfs "$REGION" && one_line "mkfs of a missing file without --size"
[ -e "$REGION" ] && fail "mkfs without size created the region"
run_expect 2 "$PINFS" mkfs --size && one_line "mkfs --size without value"
run_expect 2 "$PINFS" mkfs --size 64M "$REGION" extra && one_line "mkfs extra argument"
run_expect 1 "$PINFS" mkfs --size 64M "$T" && one_line "mkfs of a directory"

# mount: unknown and malformed options, before anything is created
for o in bogus size=12Q lease_break_time=soon kill_grace=-1 \
	 max_pin_bytes=0 max_pin_bytes_holder=x policy=nope \
	 pin_uid=no-such-user-pinfs pin_gid=no-such-group-pinfs \
	 size=64M,bogus allow_other=yes permissions= permissions=both \
	 permissions=Daemon default_permissions=1 direct_write= \
	 direct_write=yes direct_write=OFF; do
	run_expect 2 "$PINFS" mount -o "$o" "$REGION" "$MNT" && one_line "mount -o $o"
	[ -e "$REGION" ] && fail "mount -o $o created the region"
done
run_expect 2 "$PINFS" mount -o permissions=bogus "$REGION" "$MNT"
printf '%s\n' "$OUT" | grep -q "bad value for permissions: 'bogus' (auto, daemon or kernel)" ||
	fail "permissions=bogus: $OUT"
run_expect 2 "$PINFS" mount -o direct_write=maybe "$REGION" "$MNT"
printf '%s\n' "$OUT" | grep -q "bad value for direct_write: 'maybe' (on or off)" ||
	fail "direct_write=maybe: $OUT"
run_expect 2 "$PINFS" mount -o && one_line "mount -o without value"
run_expect 2 "$PINFS" mount "$REGION" && one_line "mount without mountpoint"
run_expect 2 "$PINFS" mount -x "$REGION" "$MNT" && one_line "mount -x"
run_expect 2 "$PINFS" mount "$REGION" "$MNT" third && one_line "mount extra argument"
run_expect 1 "$PINFS" mount "$REGION" "$MNT" && one_line "mount of a missing region"
run_expect 1 "$PINFS" mount -o size=64M "$REGION" "$T/no-such-dir" &&
	one_line "mount on a missing mountpoint"
[ -e "$REGION" ] && fail "mount on a bad mountpoint created the region"
touch "$T/file"
run_expect 1 "$PINFS" mount -o size=64M "$REGION" "$T/file" &&
	one_line "mount on a file"
run_expect 2 "$PINFS" mount -o size=1M "$REGION" "$MNT" && one_line "mount -o size=1M"
[ -e "$REGION" ] && fail "mount -o size=1M created the region"

# fsck and extents
run_expect 8 "$PINFS" fsck "$T/no-such-region" && one_line "fsck of a missing region"
run_expect 2 "$PINFS" fsck a b && one_line "fsck extra argument"
run_expect 1 "$PINFS" extents "$T/no-such-file" && one_line "extents of a missing file"
run_expect 1 "$PINFS" extents "$T/file" && one_line "extents of a file not on pinfs"
printf '%s\n' "$OUT" | grep -q "not on a pinfs mount" || fail "extents: $OUT"

run_expect 1 "$PINFS" status "$T" && one_line "status of a directory not on pinfs"
run_expect 1 "$PINFS" status "$T/no-such-dir" && one_line "status of a missing directory"

# the mount(8) helper: same program under another name
ln -s "$PINFS" "$T/mount.fuse.pinfs"
run_expect 0 "$T/mount.fuse.pinfs" --help
run_expect 1 "$T/mount.fuse.pinfs" "$REGION"
run_expect 1 "$T/mount.fuse.pinfs" "$REGION" "$MNT" -f -o bogus && one_line "helper -o bogus"
run_expect 0 "$T/mount.fuse.pinfs" "$REGION" "$MNT" -f -n -o rw,nosuid,nodev,allow_other
run_expect 1 "$T/mount.fuse.pinfs" "$REGION" "$MNT" -t ext4
run_expect 32 "$T/mount.fuse.pinfs" "$REGION" "$MNT" -o rw && one_line "helper, missing region"
[ -e "$REGION" ] && fail "the helper created the region"
finish
