#!/bin/bash
# SPDX-License-Identifier: MIT
# test_kill9.sh WRITER [ROUNDS] - kill -9 of the daemon under a write load
# loses no fsync'd data.
#
# Each round: two writers append fsync'd records (kill9_writer) and log
# what the filesystem acknowledged, while a third churns metadata and
# replaces a file atomically (write temp, fsync, rename over, fsync dir); once both have logged some records the
# daemon gets SIGKILL mid-load; the dead mount is lazily unmounted; the
# same region is mounted again; every record logged in every round so far
# must read back intact and every replaced file must hold a whole record
# no older than the last logged replacement; then a clean unmount and `pinfs fsck REGION`
# must pass before the next round mounts again.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"

WRITER=${1:?usage: test_kill9.sh KILL9_WRITER [ROUNDS]}
ROUNDS=${2:-3}
fh_init
fh_has_daemon || fh_skip "backend $FH_BACKEND has no daemon to kill"
fh_setup

# Wait (bounded) until each log named has at least $1 lines.
wait_logged() {
	local want=$1 i f ok
	shift
	for ((i = 0; i < 2000; i++)); do
		ok=1
		for f in "$@"; do
			[ -f "$f" ] && [ "$(wc -l <"$f")" -ge "$want" ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.01
	done
	return 1
}

LOGS=()
for ((round = 1; round <= ROUNDS; round++)); do
	pids=()
	rlogs=()
	for w in 1 2; do
		log=$FH_TMPDIR/r$round-w$w.log
		rlogs+=("$log")
		LOGS+=("$log")
		"$WRITER" write "$FH_MNT" "r$round-w$w" "$log" 40 \
			2>>"$FH_TMPDIR/writers.err" &
		pids+=($!)
	done
	# Metadata churn and atomic replacement, in a directory per round.
	mkdir "$FH_MNT/churn$round" || fh_fail "mkdir churn$round"
	"$WRITER" churn "$FH_MNT/churn$round" c "$FH_TMPDIR/r$round-churn.log" \
		2>>"$FH_TMPDIR/writers.err" &
	pids+=($!)
	wait_logged 30 "${rlogs[@]}" &&
		wait_logged 10 "$FH_TMPDIR/r$round-churn.log" ||
		fh_fail "round $round: writers logged too little in 20 s"
	# Kill at a varying point of the load.
	sleep "0.0$((RANDOM % 10))"
	fh_kill9 || fh_fail "round $round: kill -9 / umount -l failed"
	for p in "${pids[@]}"; do
		fh_wait_pid "$p" 20 || {
			kill -KILL "$p" 2>/dev/null
			fh_fail "round $round: writer $p hung after the daemon died"
		}
	done
	n=$(cat "${rlogs[@]}" | wc -l)
	echo "round $round: daemon killed after $n fsync'd records"
	fh_mount || fh_fail "round $round: remount after kill -9 failed"
	for log in "${LOGS[@]}"; do
		"$WRITER" verify "$FH_MNT" "$log" ||
			fh_fail "round $round: fsync'd records lost or corrupt ($log)"
	done
	for ((r = 1; r <= round; r++)); do
		"$WRITER" verify-churn "$FH_MNT/churn$r" c "$FH_TMPDIR/r$r-churn.log" ||
			fh_fail "round $round: atomic replacement broken (churn$r)"
	done
	fh_unmount || fh_fail "round $round: unmount after recovery failed"
	fh_fsck || fh_fail "round $round: fsck after kill -9 and recovery"
	fh_mount || fh_fail "round $round: mount after fsck failed"
done
fh_unmount || fh_fail "final unmount"
fh_fsck || fh_fail "final fsck"
echo "kill -9: $ROUNDS rounds, every fsync'd record intact"
exit 0
