# SPDX-License-Identifier: MIT
# mmap.sh - shared mappings of files on the mount agree with read/write,
# across punch, copy_file_range, truncate and a remount.
. "$CLI_LIB"
need_root_fuse 45
: "${CLI_MMAP_BIN:?}"

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
mount_fg
timeout 60 "$CLI_MMAP_BIN" write "$MNT" || fail "mmap write checks"
unmount_fg
mount_fg
timeout 60 "$CLI_MMAP_BIN" verify "$MNT" || fail "mmap data after remount"
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || echo "$OUT" >&2
finish
