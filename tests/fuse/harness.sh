# SPDX-License-Identifier: MIT
# harness.sh - the mount harness for shell tests (bash; source it).
#
# Same contract as harness.h: the backend comes from the environment
# (PINFS_BIN -> pinfs; FH_BACKEND=passthrough with PASSTHROUGH_BIN;
# FH_BACKEND=tmpfs), tests skip with exit 77 when nothing is configured,
# when not root or without /dev/fuse.  After `fh_setup [EXTRA_OPTS]`:
#   FH_MNT      the mounted directory
#   FH_REGION   the region file (pinfs) or source dir (passthrough)
#   FH_LOG      the daemon log
#   FH_TMPDIR   /dev/shm/pinfs-test.XXXXXX, holding all of the above
# fh_unmount, fh_mount, fh_remount, fh_kill9 (SIGKILL + lazy unmount),
# fh_fsck (after unmount; fails on problems) and fh_teardown (installed as
# the EXIT trap by fh_setup) work on them.  Every wait is bounded.

FH_SKIP=77
FH_MOUNT_WAIT=10      # seconds
FH_EXIT_WAIT=10       # seconds for the daemon to exit after unmount
FH_DAEMON_PID=
FH_MOUNTED=0
FH_TMPDIR=
FH_OPTS=

fh_log() { echo "harness: $*" >&2; }

fh_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

fh_skip() {
	echo "SKIP: $*" >&2
	exit $FH_SKIP
}

fh_log_tail() {
	[ -n "$FH_LOG" ] && [ -f "$FH_LOG" ] || return 0
	echo "---- daemon log (tail) ----" >&2
	tail -n "${1:-30}" "$FH_LOG" >&2
	echo "---- end of log ----" >&2
}

# Choose the backend; exit 77 when this machine cannot run it.
fh_init() {
	FH_BACKEND=${FH_BACKEND:-}
	if [ -z "$FH_BACKEND" ]; then
		[ -n "${PINFS_BIN:-}" ] || fh_skip "PINFS_BIN is not set (pinfs not built) and no FH_BACKEND chosen"
		FH_BACKEND=pinfs
	fi
	case "$FH_BACKEND" in
	pinfs) FH_BIN=${PINFS_BIN:-} ;;
	passthrough) FH_BIN=${PASSTHROUGH_BIN:-} ;;
	tmpfs) FH_BIN= ;;
	*) fh_fail "FH_BACKEND=$FH_BACKEND is not one of pinfs, passthrough, tmpfs" ;;
	esac
	if [ "$FH_BACKEND" != tmpfs ]; then
		[ -x "$FH_BIN" ] || fh_skip "no executable for backend $FH_BACKEND"
		[ -w /dev/fuse ] || fh_skip "/dev/fuse is not usable"
		command -v fusermount3 >/dev/null || fh_skip "fusermount3 is missing"
	fi
	[ "$(id -u)" = 0 ] || fh_skip "mount tests need root"
}

fh_is_mountpoint() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts
}

fh_is_fuse() {
	[ "$(stat -f -c %t "$1" 2>/dev/null)" = 65735546 ]
}

fh_has_daemon() { [ "$FH_BACKEND" != tmpfs ]; }

fh_mount() {
	if [ "$FH_BACKEND" = tmpfs ]; then
		fh_is_mountpoint "$FH_MNT" ||
			mount -t tmpfs -o size=512m,mode=0755 tmpfs "$FH_MNT" ||
			return 1
		FH_MOUNTED=1
		return 0
	fi
	echo "==== harness: mount ====" >>"$FH_LOG"
	local opts
	if [ "$FH_BACKEND" = pinfs ]; then
		opts="allow_other${FH_OPTS:+,$FH_OPTS}"
		PINFS_PDEATHSIG=1 "$FH_BIN" mount -f -o "$opts" \
			"$FH_REGION" "$FH_MNT" >>"$FH_LOG" 2>&1 &
	else
		opts="source=$FH_REGION,xattr,allow_other,default_permissions${FH_OPTS:+,$FH_OPTS}"
		"$FH_BIN" -f -o "$opts" "$FH_MNT" >>"$FH_LOG" 2>&1 &
	fi
	FH_DAEMON_PID=$!
	local i
	for ((i = 0; i < FH_MOUNT_WAIT * 100; i++)); do
		if fh_is_fuse "$FH_MNT"; then
			FH_MOUNTED=1
			return 0
		fi
		if ! kill -0 "$FH_DAEMON_PID" 2>/dev/null; then
			wait "$FH_DAEMON_PID"
			fh_log "$FH_BACKEND daemon exited ($?) before mounting $FH_MNT"
			FH_DAEMON_PID=
			fh_log_tail
			return 1
		fi
		sleep 0.01
	done
	fh_log "$FH_BACKEND did not mount $FH_MNT within ${FH_MOUNT_WAIT}s"
	fh_log_tail
	kill -KILL "$FH_DAEMON_PID" 2>/dev/null
	wait "$FH_DAEMON_PID" 2>/dev/null
	FH_DAEMON_PID=
	fh_is_mountpoint "$FH_MNT" && umount -l "$FH_MNT"
	return 1
}

# Wait up to $2 seconds for pid $1 to exit; its status in FH_STATUS.
fh_wait_pid() {
	local pid=$1 i
	for ((i = 0; i < $2 * 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			FH_STATUS=$?
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# Clean unmount; fails when the daemon had to be killed or exited nonzero.
fh_unmount() {
	[ "$FH_BACKEND" = tmpfs ] && return 0
	local rc=0
	echo "==== harness: unmount ====" >>"$FH_LOG"
	if fh_is_mountpoint "$FH_MNT"; then
		if ! timeout 10 fusermount3 -u "$FH_MNT" >>"$FH_LOG" 2>&1; then
			fh_log "fusermount3 -u $FH_MNT failed; umount -l"
			umount -l "$FH_MNT"
			rc=1
		fi
	fi
	if [ -n "$FH_DAEMON_PID" ]; then
		if fh_wait_pid "$FH_DAEMON_PID" "$FH_EXIT_WAIT"; then
			if [ "$FH_STATUS" != 0 ]; then
				fh_log "daemon exited with status $FH_STATUS"
				rc=1
			fi
		else
			fh_log "daemon still running ${FH_EXIT_WAIT}s after unmount; SIGTERM"
			kill -TERM "$FH_DAEMON_PID" 2>/dev/null
			fh_wait_pid "$FH_DAEMON_PID" 3 || {
				kill -KILL "$FH_DAEMON_PID" 2>/dev/null
				wait "$FH_DAEMON_PID" 2>/dev/null
			}
			rc=1
		fi
		FH_DAEMON_PID=
	fi
	FH_MOUNTED=0
	[ $rc = 0 ] || fh_log_tail
	return $rc
}

fh_remount() {
	fh_unmount && fh_mount
}

# kill -9 the daemon and lazy-unmount the dead mount.
fh_kill9() {
	fh_has_daemon || return 1
	[ -n "$FH_DAEMON_PID" ] || return 1
	echo "==== harness: kill -9 ====" >>"$FH_LOG"
	kill -KILL "$FH_DAEMON_PID"
	wait "$FH_DAEMON_PID" 2>/dev/null
	FH_DAEMON_PID=
	umount -l "$FH_MNT" || return 1
	FH_MOUNTED=0
}

# `pinfs fsck REGION` after unmount; prints its report and fails on problems.
fh_fsck() {
	[ "$FH_BACKEND" = pinfs ] || return 0
	[ -z "$FH_DAEMON_PID" ] || { fh_log "fsck while mounted"; return 1; }
	local out rc
	out=$(timeout 120 "$FH_BIN" fsck "$FH_REGION" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		fh_log "pinfs fsck $FH_REGION: exit $rc"
		printf '%s\n' "$out" | sed 's/^/  fsck: /' >&2
		return 1
	fi
	return 0
}

fh_teardown() {
	[ -n "$FH_TMPDIR" ] || return 0
	if fh_has_daemon; then
		if fh_is_mountpoint "$FH_MNT"; then
			timeout 10 fusermount3 -u "$FH_MNT" >>"$FH_LOG" 2>&1 ||
				umount -l "$FH_MNT"
		fi
		if [ -n "$FH_DAEMON_PID" ]; then
			fh_wait_pid "$FH_DAEMON_PID" 3 || {
				kill -TERM "$FH_DAEMON_PID" 2>/dev/null
				fh_wait_pid "$FH_DAEMON_PID" 3 || {
					kill -KILL "$FH_DAEMON_PID" 2>/dev/null
					wait "$FH_DAEMON_PID" 2>/dev/null
				}
			}
			FH_DAEMON_PID=
		fi
	fi
	fh_is_mountpoint "$FH_MNT" && umount -l "$FH_MNT"
	[ "$FH_BACKEND" = passthrough ] && fh_is_mountpoint "$FH_REGION" &&
		umount -l "$FH_REGION"
	if [ -n "${FH_KEEP:-}" ]; then
		fh_log "kept $FH_TMPDIR"
	else
		rm -rf --one-file-system "$FH_TMPDIR"
	fi
	FH_TMPDIR=
}

fh_on_exit() {
	local rc=$?
	fh_teardown
	exit $rc
}

# fh_setup [EXTRA_OPTS]: temp dir, region (mkfs), mount; EXIT trap.
fh_setup() {
	fh_init
	FH_OPTS=${1:-}
	FH_TMPDIR=$(mktemp -d /dev/shm/pinfs-test.XXXXXX) || fh_fail "mktemp"
	trap fh_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	chmod 755 "$FH_TMPDIR"
	echo $$ >"$FH_TMPDIR/owner"
	FH_MNT=$FH_TMPDIR/mnt
	FH_LOG=$FH_TMPDIR/daemon.log
	mkdir "$FH_MNT" || fh_fail "mkdir $FH_MNT"
	case "$FH_BACKEND" in
	pinfs)
		FH_REGION=$FH_TMPDIR/region
		timeout 120 "$FH_BIN" mkfs --size "${FH_REGION_SIZE:-256M}" \
			"$FH_REGION" >>"$FH_LOG" 2>&1 ||
			{ fh_log_tail; fh_fail "pinfs mkfs --size ${FH_REGION_SIZE:-256M} $FH_REGION"; }
		;;
	passthrough)
		FH_REGION=$FH_TMPDIR/src
		mkdir -m 755 "$FH_REGION" &&
			mount -t tmpfs -o size=512m,mode=0755 tmpfs "$FH_REGION" ||
			fh_fail "cannot mount the passthrough source tmpfs"
		;;
	tmpfs) FH_REGION= ;;
	esac
	fh_mount || fh_fail "cannot mount $FH_BACKEND at $FH_MNT"
}
