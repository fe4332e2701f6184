# SPDX-License-Identifier: MIT
# stress.sh - concurrent namespace and data traffic from several
# processes (create, write, rename, link, unlink, readdirplus, stat,
# truncate, punch) for a few seconds; then the daemon must unmount and
# exit 0 (no crash, no sanitizer report), and fsck must find the region
# clean - lookup counts and orphans included.
. "$CLI_LIB"
need_root_fuse 100

SECS=${CLI_STRESS_SECS:-5}
"$PINFS" mkfs --size 128M "$REGION" >/dev/null || die "mkfs"
mount_fg
mkdir "$MNT/shared" || die "mkdir"

# worker ID: a bounded loop of mixed operations.  Each worker has its
# own names, so its writes must succeed; listings and stats race with
# the other workers' removals (ENOENT is normal there).
worker() {
	local id=$1 end=$((SECONDS + SECS)) i=0 d=$MNT/shared
	while [ $SECONDS -lt $end ]; do
		i=$((i + 1))
		f=$d/w$id.$((i % 40))
		case $((i % 9)) in
		0) echo "$id $i" >"$f" || echo "write $f" >>"$T/errors" ;;
		1) dd if=/dev/zero of="$f" bs=4k count=$((i % 7 + 1)) status=none ||
			echo "dd $f" >>"$T/errors" ;;
		2) mv -f "$f" "$d/w$id.r$((i % 5))" 2>/dev/null ;;
		3) ln -f "$d/w$id.r$((i % 5))" "$d/w$id.l$((i % 3))" 2>/dev/null ;;
		4) rm -f "$d/w$id.$(((i + 7) % 40))" "$d/w$id.l$((i % 3))" ||
			echo "rm $f" >>"$T/errors" ;;
		5) ls -l "$d" >/dev/null 2>&1 ;;
		6) truncate -s $((i % 5 * 3000)) "$f" 2>/dev/null ;;
		7) fallocate -p -o 0 -l 4096 "$f" 2>/dev/null ;;
		8) stat "$d"/* >/dev/null 2>&1 ;;
		esac
	done
	return 0
}

pids=
for w in 1 2 3 4; do
	worker $w &
	pids="$pids $!"
done
# a reader holding a file open while it is unlinked (an orphan)
exec 9<>"$MNT/orphan"
echo kept >&9
rm "$MNT/orphan"
for p in $pids; do
	wait "$p" || fail "worker $p failed"
done
[ -s "$T/errors" ] && fail "operations failed: $(head -n 5 "$T/errors")"
[ "$(cat /proc/$$/fd/9)" = kept ] || fail "an unlinked open file lost its data"
exec 9>&-
kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon died under load"
rm -rf "$MNT/shared" || fail "rm -rf"
unmount_fg
run_expect 0 "$PINFS" fsck "$REGION" || fail "fsck after the load: $OUT"
finish
