# SPDX-License-Identifier: MIT
# wait.sh - layout changes that wait on pins, through the daemon: the
# request is kept (no worker thread parked), answered when the holder
# unpins, EINTR when the caller is interrupted (file unchanged), ETXTBSY
# under policy=deny; many waiting truncates do not starve the unpins.
. "$CLI_LIB"
need_root_fuse 100

trap 'stop_holders; cleanup' EXIT

mkfile() { dd if=/dev/zero of="$1" bs=64K count=16 status=none || die "mkfile $1"; }
size() { stat -c %s "$1"; }

"$PINFS" mkfs --size 128M "$REGION" >/dev/null || die "mkfs"
mount_fg "lease_break_time=20000,kill_grace=0"

# 1. an interrupted truncate returns at once and changes nothing
F=$MNT/f1
mkfile "$F"
hold "$F" --lease --ignore
truncate -s 0 "$F" 2>"$T/tr.err" &
tr=$!
sleep 0.5
kill -0 $tr 2>/dev/null || fail "truncate did not wait for the holder"
[ "$(timeout 5 stat -c %s "$F")" = 1048576 ] || fail "stat during the wait"
t0=$(date +%s%N)
# (a background job of a script ignores SIGINT: TERM interrupts alike)
kill -TERM $tr
reap $tr >/dev/null || fail "interrupted truncate did not return"
wait $tr && fail "interrupted truncate succeeded"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "EINTR took $ms ms"
[ "$(size "$F")" = 1048576 ] || fail "interrupted truncate changed the size"
stop_holders

# 2. a holder that acknowledges: the truncate completes
hold "$F" --lease --ack-after 100
# meanwhile `pinfs extents` flags the pinned extent
run_expect 0 "$PINFS" extents --json "$F" || fail "extents of a pinned file"
python3 -c 'import json,sys; e=json.loads(sys.argv[1])["extents"]; assert "pinned" in e[0]["flags"], e' "$OUT" ||
	fail "pinned extent not flagged: $OUT"
timeout 15 truncate -s 4096 "$F" || fail "truncate with a cooperative holder"
[ "$(size "$F")" = 4096 ] || fail "size after the revoke: $(size "$F")"
stop_holders

# 3. more waiting truncates than libfuse has worker threads: all finish
N=20
for i in $(seq $N); do
	mkfile "$MNT/m$i"
	hold "$MNT/m$i" --lease --ack-after 300
done
pids=
for i in $(seq $N); do
	timeout 20 truncate -s 0 "$MNT/m$i" &
	pids="$pids $!"
done
# meanwhile the mount still answers
timeout 5 ls "$MNT" >/dev/null || fail "mount blocked while truncates wait"
for p in $pids; do wait "$p" || fail "a concurrent truncate failed"; done
for i in $(seq $N); do
	[ "$(size "$MNT/m$i")" = 0 ] || fail "m$i not truncated"
done
stop_holders
unmount_fg

# 4. who may pin: root and the mount owner; others only with pin_uid=
#    or pin_gid= (nobody: uid/gid 65534)
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if command -v setpriv >/dev/null; then
	chmod 755 "$T"
	mount_fg "allow_other"
	F=$MNT/shared
	mkfile "$F"
	chmod 644 "$F"
	OUT=$(as_nobody timeout 10 "$PINFS" hold --for 100 "$F" 0 64K 2>&1) &&
		fail "nobody pinned without pin_uid"
	printf '%s\n' "$OUT" | grep -q "Operation not permitted" || fail "pin_uid refusal: $OUT"
	unmount_fg
	for o in pin_uid=65534 pin_gid=65534; do
		mount_fg "allow_other,$o"
		OUT=$(as_nobody timeout 10 "$PINFS" hold --for 100 "$F" 0 64K 2>&1) ||
			fail "nobody could not pin with $o: $OUT"
		# a read-only file gives no write pin
		OUT=$(as_nobody timeout 10 "$PINFS" hold --write --for 100 "$F" 0 64K 2>&1) &&
			fail "write pin without write permission ($o)"
		unmount_fg
	done
else
	echo "note: no setpriv; pin_uid/pin_gid not tried"
fi

# 5. policy=deny: the truncate fails with ETXTBSY at once
mount_fg "policy=deny"
F=$MNT/f2
mkfile "$F"
hold "$F" --write
OUT=$(timeout 10 truncate -s 0 "$F" 2>&1) && fail "truncate under deny succeeded"
printf '%s\n' "$OUT" | grep -qi "text file busy" || fail "deny: $OUT"
[ "$(size "$F")" = 1048576 ] || fail "deny changed the size"
stop_holders
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck: $OUT"
finish
