# SPDX-License-Identifier: MIT
# mount_refuse.sh - mount refuses corrupt, truncated, foreign and too
# small regions with one line and a nonzero exit, and writes nothing.
. "$CLI_LIB"
need_root_fuse 75

# try_mount WHAT [FSCK_STATUS]: mount must fail, say why in one line,
# change nothing; fsck (without --repair) exits FSCK_STATUS (default 8)
try_mount() {
	cp "$REGION" "$T/before"
	OUT=$(timeout 30 "$PINFS" mount "$REGION" "$MNT" 2>&1)
	st=$?
	if [ "$st" = 0 ]; then
		fail "$1: mount succeeded"
		unmount_dir "$MNT"
	fi
	[ "$st" = 124 ] && fail "$1: mount hung"
	one_line "$1"
	is_mounted "$MNT" && fail "$1: left a mount"
	cmp -s "$REGION" "$T/before" || fail "$1: region changed"
	# fsck cannot check it either
	OUT=$(timeout 30 "$PINFS" fsck "$REGION" 2>&1)
	st=$?
	[ "$st" = "${2:-8}" ] || fail "$1: fsck exit $st (want ${2:-8}): $OUT"
	cmp -s "$REGION" "$T/before" || fail "$1: fsck changed the region"
	echo "ok: $1"
}

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
cp "$REGION" "$T/good"

# bad magic: the first bytes
printf 'XXXXXXXX' | dd of="$REGION" bs=1 seek=0 conv=notrunc status=none
try_mount "bad magic" 1 # the backup superblock is intact

# one flipped byte in the superblock (CRC mismatch)
cp "$T/good" "$REGION"
b=$(od -An -tu1 -j 64 -N 1 "$REGION" | tr -d ' ')
printf "\\$(printf '%03o' $(( (b ^ 0x5a) & 0xff )))" |
	dd of="$REGION" bs=1 seek=64 conv=notrunc status=none
try_mount "corrupt superblock byte" 1

# truncated to half
cp "$T/good" "$REGION"
truncate -s 32M "$REGION"
try_mount "truncated region"

# foreign: random bytes, zeros, a text file
head -c $((64 << 20)) /dev/urandom >"$REGION"
try_mount "random bytes"
truncate -s 0 "$REGION"; truncate -s 64M "$REGION"
try_mount "zeros"
printf 'hello\n' >"$REGION"
try_mount "a text file"

# too small, and empty
head -c 4096 "$T/good" >"$REGION"
try_mount "4 KiB region"
: >"$REGION"
try_mount "empty file"

# a region already mounted is not mounted twice
cp "$T/good" "$REGION"
mount_fg
mkdir -p "$T/mnt2"
OUT=$(timeout 30 "$PINFS" mount "$REGION" "$T/mnt2" 2>&1)
[ $? != 0 ] || { fail "second mount of a mounted region"; unmount_dir "$T/mnt2"; }
one_line "second mount"
OUT=$(timeout 30 "$PINFS" fsck "$REGION" 2>&1)
[ $? = 8 ] || fail "fsck of a mounted region: $OUT"
unmount_fg
finish
