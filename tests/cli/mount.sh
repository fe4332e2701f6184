# SPDX-License-Identifier: MIT
# mount.sh - pinfs mount end to end: daemonized mount, file operations,
# `pinfs extents` (table and JSON), the mount.fuse.pinfs helper, ro,
# size= on the fly, clean exit on SIGTERM, data across remounts, who
# checks permissions.
. "$CLI_LIB"
need_root_fuse 100

# start_daemonized OPTS: pinfs mount without -f returns once mounted
start_daemonized() {
	OUT=$(timeout 30 "$PINFS" mount ${1:+-o "$1"} "$REGION" "$MNT" 2>&1)
	st=$?
	[ "$st" = 0 ] || die "daemonized mount exited $st: $OUT"
	is_mounted "$MNT" || die "pinfs mount returned before the mount was live"
}

# stop_daemonized: unmount; the daemon exits on its own
stop_daemonized() {
	local pid
	pid=$(daemon_of "$REGION")
	[ -n "$pid" ] || fail "no daemon process found"
	unmount_dir "$MNT"
	[ -n "$pid" ] && { reap "$pid" || fail "daemon did not exit after unmount"; }
}

# 1. size= formats a missing region on the fly; granularity is printed
start_daemonized "size=64M,allow_other"
printf '%s\n' "$OUT" | grep -q "granularity" || fail "no granularity line: $OUT"
[ "$(stat -c %s "$REGION")" = $((64 << 20)) ] || fail "size= region size"
df -k "$MNT" | tail -n 1 | grep -q . || fail "statfs"
run_expect 0 "$PINFS" status --json "$MNT" || fail "status"
python3 - "$OUT" "$REGION" <<'PY' || fail "status JSON: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["region"] == sys.argv[2] and d["region_size"] == 64 << 20, d
assert 0 < d["free_bytes"] < d["region_size"] and d["block_size"] == 4096, d
assert d["broker"].startswith("@") and d["pinned_bytes"] == 0, d
assert "allow_other" in d["options"], d
PY

# 2. file operations
echo hello >"$MNT/a" || fail "create"
[ "$(cat "$MNT/a")" = hello ] || fail "read back"
mkdir -p "$MNT/d/e" || fail "mkdir"
ln -s ../a "$MNT/d/link" || fail "symlink"
[ "$(cat "$MNT/d/link")" = hello ] || fail "follow symlink"
ln "$MNT/a" "$MNT/d/hard" || fail "link"
[ "$(stat -c %h "$MNT/a")" = 2 ] || fail "nlink after link"
mv "$MNT/a" "$MNT/d/e/b" || fail "rename"
[ -e "$MNT/a" ] && fail "rename left the old name"
chmod 600 "$MNT/d/e/b" && [ "$(stat -c %a "$MNT/d/e/b")" = 600 ] || fail "chmod"
chown 1234:5678 "$MNT/d/e/b" && [ "$(stat -c %u:%g "$MNT/d/e/b")" = 1234:5678 ] || fail "chown"
setfattr -n user.k -v v "$MNT/d/e/b" 2>/dev/null &&
	{ [ "$(getfattr --only-values -n user.k "$MNT/d/e/b" 2>/dev/null)" = v ] || fail "xattr"; }
touch -d '2001-02-03 04:05:06' "$MNT/d/e/b" &&
	[ "$(stat -c %Y "$MNT/d/e/b")" = "$(date -d '2001-02-03 04:05:06' +%s)" ] || fail "utimes"
truncate -s 10000 "$MNT/d/e/b" && [ "$(stat -c %s "$MNT/d/e/b")" = 10000 ] || fail "truncate"
[ "$(ls "$MNT/d" | sort | tr '\n' ' ')" = "e hard link " ] || fail "readdir: $(ls "$MNT/d")"
rm "$MNT/d/hard" "$MNT/d/link" || fail "unlink"
umask 022; mkdir "$MNT/m"; [ "$(stat -c %a "$MNT/m")" = 755 ] || fail "umask on mkdir"
(umask 077; : >"$MNT/m/f"); [ "$(stat -c %a "$MNT/m/f")" = 600 ] || fail "umask on create"
rm -r "$MNT/m" || fail "rm -r"

# 3. extents of a sparse file with two extents
F=$MNT/sparse
dd if=/dev/urandom of="$F" bs=4096 count=1 status=none
dd if=/dev/urandom of="$F" bs=4096 count=1 seek=256 conv=notrunc status=none
run_expect 0 "$PINFS" extents "$F" || fail "extents"
echo "$OUT"
printf '%s\n' "$OUT" | head -n 1 | grep -q "2 extents" || fail "extents header: $OUT"
[ "$(printf '%s\n' "$OUT" | grep -c '^ *[0-9]*: ')" = 2 ] || fail "extents rows: $OUT"
printf '%s\n' "$OUT" | tail -n 1 | grep -q "last" || fail "last flag"
run_expect 0 "$PINFS" extents --json "$F" || fail "extents --json"
python3 - "$OUT" <<'PY' || fail "extents JSON: $OUT"
import json, sys
d = json.loads(sys.argv[1])
e = d["extents"]
assert d["total"] == 2 and len(e) == 2, d
assert d["size"] == 257 * 4096, d
assert e[0]["file_offset"] == 0 and e[0]["length"] >= 4096, e
assert e[1]["file_offset"] <= 256 * 4096 < e[1]["file_offset"] + e[1]["length"], e
assert all(x["flags"] == [] for x in e), e
PY
run_expect 0 "$PINFS" extents "$MNT/d/e/b" || fail "extents of a small file"
: >"$MNT/empty"
run_expect 0 "$PINFS" extents --json "$MNT/empty" || fail "extents of an empty file"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["total"]==0 and d["extents"]==[]' "$OUT" ||
	fail "empty file JSON: $OUT"
run_expect 1 "$PINFS" extents "$MNT/d" && one_line "extents of a directory"
fallocate -l 64K "$MNT/prealloc" 2>/dev/null && {
	run_expect 0 "$PINFS" extents "$MNT/prealloc"
	printf '%s\n' "$OUT" | grep -q unwritten || fail "preallocated extent not unwritten: $OUT"
}
sum=$(md5sum <"$F")

# 4. clean unmount; data and fsck after it
stop_daemonized
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after unmount: $OUT"

# 5. the mount(8) helper, as mount -t fuse.pinfs runs it
ln -s "$PINFS" "$T/mount.fuse.pinfs"
OUT=$(timeout 30 "$T/mount.fuse.pinfs" "$REGION" "$MNT" -o rw,nosuid,nodev,allow_other 2>&1) ||
	die "helper mount: $OUT"
is_mounted "$MNT" || die "helper did not mount"
grep " $MNT fuse.pinfs " /proc/self/mounts | grep -q nosuid || fail "nosuid not passed on"
[ "$(md5sum <"$F")" = "$sum" ] || fail "data changed across remount"
if [ -x /sbin/mount.fuse.pinfs ]; then
	stop_daemonized
	timeout 30 mount -t fuse.pinfs "$REGION" "$MNT" || fail "mount -t fuse.pinfs"
	is_mounted "$MNT" || fail "mount -t fuse.pinfs did not mount"
else
	echo "note: /sbin/mount.fuse.pinfs not installed; mount -t not tried"
fi

# 6. SIGTERM unmounts cleanly
pid=$(daemon_of "$REGION")
[ -n "$pid" ] && kill -TERM "$pid"
[ -n "$pid" ] && { reap "$pid" || fail "daemon ignored SIGTERM"; }
sleep 0.2
is_mounted "$MNT" && { fail "SIGTERM left the mount"; unmount_dir "$MNT"; }
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after SIGTERM: $OUT"

# 7. read-only: reads work, writes fail, the region is not written
cp "$REGION" "$T/before"
start_daemonized "ro"
[ "$(md5sum <"$F")" = "$sum" ] || fail "ro read"
echo x >"$MNT/new" 2>/dev/null && fail "write on a ro mount"
stop_daemonized
cmp -s "$REGION" "$T/before" || fail "ro mount changed the region"

# 8. PINFS_PDEATHSIG=1: a -f daemon whose parent dies unmounts and exits
bash -c 'PINFS_PDEATHSIG=1 "$0" mount -f "$1" "$2" >>"$3" 2>&1 &
	echo $! >"$4"; wait' "$PINFS" "$REGION" "$MNT" "$DAEMON_LOG" "$T/pid" &
wrapper=$!
wait_mounted "$MNT" "$wrapper" || die "mount under a wrapper"
dpid=$(cat "$T/pid")
kill -KILL "$wrapper"
wait "$wrapper" 2>/dev/null
reap "$dpid" || fail "daemon outlived its parent"
sleep 0.2
is_mounted "$MNT" && { fail "parent death left the mount"; unmount_dir "$MNT"; }

# 9. foreground mount with debug logs requests
mount_fg "debug"
stat "$MNT/sparse" >/dev/null
unmount_fg
grep -qi "getattr\|lookup" "$DAEMON_LOG" || fail "debug logged no requests"

# 10. every built-in policy mounts; a plugin that does not load is
#     refused before the daemon detaches, in one line
for p in break deny require-lease implicit-lease quarantine remap; do
	mount_fg "policy=$p"
	unmount_fg
done
OUT=$(timeout 30 "$PINFS" mount -o policy=/bin/sh "$REGION" "$MNT" 2>&1) &&
	{ fail "mounted with a plugin that is not one"; unmount_dir "$MNT"; }
printf '%s\n' "$OUT" | grep -q "policy=/bin/sh" || fail "plugin refusal: $OUT"
is_mounted "$MNT" && fail "a refused plugin left a mount"

# 11. who checks permissions (OPTS:WHO): by default the kernel
#     (default_permissions) on a mount other users reach, the daemon on
#     one only its owner reaches; either may be asked for
for c in ":daemon" "allow_other:kernel" "permissions=daemon,allow_other:daemon" \
	 "permissions=kernel:kernel" "default_permissions:kernel" \
	 "permissions=auto:daemon"; do
	mount_fg "${c%:*}"
	got=daemon
	awk -v m="$MNT" '$2 == m { print $4 }' /proc/mounts | tr ',' '\n' |
		grep -qx default_permissions && got=kernel
	[ "$got" = "${c##*:}" ] ||
		fail "-o '${c%:*}': the $got checks permissions, expected the ${c##*:}"
	unmount_fg
done
# a shared mount checked by the daemon says what it cannot enforce
grep -q "FIFOs, sockets and device nodes are not enforced" "$DAEMON_LOG" ||
	fail "no warning for permissions=daemon with allow_other"
finish
