#!/usr/bin/env bash
# Build pinfs, format the default region, mount it, and show a pin being
# revoked: a holder pins a range of a file, another process truncates the
# file, and the timeline of break, unpin and truncate is printed.
# Installs what it needs; safe to rerun (it remounts).
set -euo pipefail
cd "$(dirname "$0")/.."
REGION=${PINFS_REGION:-/dev/shm/pinfs.region}
MNT=${PINFS_MNT:-/mnt/pinfs}
SIZE=${PINFS_SIZE:-1G}

bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
PINFS=$PWD/build/fusefs/pinfs

# An earlier mount may still be there, with its daemon gone ("Transport
# endpoint is not connected": even stat fails), so look in the mount
# table rather than at the directory.
mounted() { awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/self/mounts; }
if mounted "$MNT"; then
	echo "demo: unmounting the previous mount of $MNT"
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT"
fi
mkdir -p "$MNT"
if [ ! -e "$REGION" ]; then
	echo "demo: formatting $REGION ($SIZE)"
	"$PINFS" mkfs --size "$SIZE" "$REGION"
fi
echo "demo: mounting $REGION on $MNT"
"$PINFS" mount -o allow_other,lease_break_time=2000,kill_grace=1000 "$REGION" "$MNT"
df -h "$MNT"

F=$MNT/demo.dat
dd if=/dev/urandom of="$F" bs=1M count=8 status=none
sync "$F"
echo "demo: extents of $F"
"$PINFS" extents "$F"

if "$PINFS" hold --help >/dev/null 2>&1; then
	bash scripts/demo-pins.sh "$PINFS" "$MNT" "$F"
else
	echo "demo: this build has no 'pinfs hold' yet; pin demo skipped"
fi
echo "demo: $REGION stays mounted on $MNT (unmount: fusermount3 -u $MNT)"
