# SPDX-License-Identifier: MIT
# lib.sh - shared by the tests/cli scripts: skip rules, a temp dir, a
# region file in /dev/shm, mounting with bounded waits, and a trap that
# ALWAYS unmounts and stops the daemon, even when a check fails.
#
# Env: PINFS_BIN (the built pinfs).  A test that cannot run exits 77.

set -u
: "${PINFS_BIN:?PINFS_BIN must name the built pinfs}"
PINFS=$PINFS_BIN

SKIP=77
T=$(mktemp -d /tmp/pinfs-cli.XXXXXX) || exit 1
MNT=$T/mnt
mkdir -p "$MNT"
REGION=$(mktemp -u /dev/shm/pinfs-cli.XXXXXX).region
DAEMON_PID=
DAEMON_LOG=$T/daemon.log
FAILS=0

skip() { echo "SKIP: $*"; exit $SKIP; }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FAIL: $*" >&2; [ -f "$DAEMON_LOG" ] && tail -n 20 "$DAEMON_LOG" >&2; exit 1; }

# Skip unless root with /dev/fuse; start the watchdog (SECS, default 80:
# below the meson timeouts of the mounted tests).
need_root_fuse() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	command -v fusermount3 >/dev/null || skip "no fusermount3"
	watchdog "${1:-80}"
}

is_mounted() { # is_mounted DIR
	awk -v d="$1" '$2 == d && $3 == "fuse.pinfs" { f = 1 } END { exit !f }' \
		/proc/self/mounts
}

# The pid of the daemon serving REGION (a daemonized mount), or nothing.
daemon_of() { pgrep -f -- "pinfs.* $1( |\$)" | head -n 1; }

unmount_dir() { # unmount_dir DIR: fusermount3, then lazy umount
	is_mounted "$1" || return 0
	timeout 10 fusermount3 -u "$1" 2>/dev/null || timeout 10 umount -l "$1" 2>/dev/null
}

# Wait (bounded) for PID to exit; then TERM, then KILL.
reap() { # reap PID
	local pid=$1 i
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 1
}

# A daemon that hangs would leave the script blocked in the kernel until
# meson SIGKILLs it, and then nothing cleans up.  The watchdog kills the
# daemon(s) of this test after SECS seconds: blocked calls then fail
# (ENOTCONN), the script goes on to fail and clean up.
WATCHDOG_PID=
watchdog() { # watchdog SECS
	(
		trap - EXIT
		# the sleep must not hold meson's output pipes open
		sleep "$1" </dev/null >/dev/null 2>&1 &
		s=$!
		trap 'kill $s 2>/dev/null; exit 0' TERM
		wait $s || exit 0
		echo "FAIL: watchdog: still running after $1 s; killing the daemon" >&2
		: >"$T/watchdog.fired"
		for p in $DAEMON_PID $(daemon_of "$REGION"); do
			kill -KILL "$p" 2>/dev/null
		done
	) &
	WATCHDOG_PID=$!
}

cleanup() {
	local pid
	[ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
	pid=$(daemon_of "$REGION")
	unmount_dir "$MNT"
	[ -n "$DAEMON_PID" ] && reap "$DAEMON_PID" >/dev/null 2>&1
	[ -n "$pid" ] && reap "$pid" >/dev/null 2>&1
	rm -rf "$T"
	rm -f "$REGION" "$REGION".*
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Wait (bounded) until DIR is a pinfs mount; fail if PID (if given) died.
wait_mounted() { # wait_mounted DIR [PID]
	local i
	for i in $(seq 100); do
		is_mounted "$1" && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# Mount REGION on MNT in the foreground as our child (-f), options $1.
mount_fg() { # mount_fg [OPTS]
	PINFS_PDEATHSIG=1 "$PINFS" mount -f ${1:+-o "$1"} "$REGION" "$MNT" \
		>>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_mounted "$MNT" "$DAEMON_PID" || die "mount did not come up"
}

# Unmount the -f daemon; it must exit 0 on its own.
unmount_fg() {
	local st
	unmount_dir "$MNT" || die "cannot unmount $MNT"
	if ! reap "$DAEMON_PID"; then
		DAEMON_PID=
		die "daemon did not exit after unmount"
	fi
	wait "$DAEMON_PID"
	st=$?
	DAEMON_PID=
	[ "$st" = 0 ] || die "daemon exited with status $st"
}

# Pin holders (`pinfs hold`) started by hold; stop_holders ends them.
HOLDERS=
# hold FILE [ARGS...]: start `pinfs hold` on the first 64K; wait (bounded)
# until it has pinned
hold() {
	local f=$1 log i
	shift
	log=$T/hold.$RANDOM
	"$PINFS" hold "$@" "$f" 0 64K >"$log" 2>&1 &
	HOLDERS="$HOLDERS $!"
	for i in $(seq 100); do
		grep -q "pinned id=" "$log" 2>/dev/null && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	die "holder did not pin $f"
}
stop_holders() {
	local p
	for p in $HOLDERS; do kill -TERM "$p" 2>/dev/null; done
	for p in $HOLDERS; do reap "$p" >/dev/null; done
	HOLDERS=
}

# Exit with the verdict.
finish() {
	[ -e "$T/watchdog.fired" ] && fail "the watchdog had to kill the daemon"
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

# run_expect STATUS CMD...: run CMD, capture output in $OUT, check status.
run_expect() {
	local want=$1 got
	shift
	OUT=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		fail "'$*' exited $got, expected $want: $OUT"
		return 1
	fi
	return 0
}

# one_line: $OUT is exactly one non-empty line
one_line() { # one_line WHAT
	local n
	n=$(printf '%s\n' "$OUT" | grep -c .)
	[ "$n" = 1 ] || fail "$1: expected one line, got $n: $OUT"
}
