# SPDX-License-Identifier: MIT
# ioctl.sh - mount a region and run cli_ioctl against the dispatcher.
. "$CLI_LIB"
need_root_fuse 45
: "${CLI_IOCTL_BIN:?}"

"$PINFS" mkfs --size 64M "$REGION" >/dev/null || die "mkfs"
mount_fg
timeout 60 "$CLI_IOCTL_BIN" "$MNT" $((64 << 20)) || fail "cli_ioctl"
# the daemon survived and logged no crash
[ -f "$MNT/sparse" ] || fail "mount lost the file"
unmount_fg
finish
