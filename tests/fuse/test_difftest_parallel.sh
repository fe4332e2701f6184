#!/bin/bash
# SPDX-License-Identifier: MIT
# test_difftest_parallel.sh DIFFTEST [JOBS] [OPS] - several differential
# testers at once on one mount, each in its own directory against its own
# tmpfs reference (no remounts: the others are busy), then a clean
# unmount and fsck.  Catches what one process alone cannot: races between
# requests of different inodes in the daemon and the store.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
DT=${1:?usage: test_difftest_parallel.sh DIFFTEST [JOBS] [OPS]}
JOBS=${2:-3}
OPS=${3:-2000}
fh_setup
emul=
[ "$FH_BACKEND" = pinfs ] || emul=--emulate-zero-range
# passthrough_ll refuses renameat2 flags (docs/testing.md).
[ "$FH_BACKEND" = passthrough ] && emul="$emul --no-rename2"
pids=()
for ((j = 1; j <= JOBS; j++)); do
	mkdir "$FH_MNT/w$j" "$FH_TMPDIR/ref$j" || fh_fail "mkdir w$j"
	"$DT" --seed $((1000 + j)) --ops "$OPS" --files 6 $emul \
		--dir "$FH_MNT/w$j" --ref "$FH_TMPDIR/ref$j" \
		--log "$FH_TMPDIR/difftest-w$j.log" >"$FH_TMPDIR/w$j.out" 2>&1 &
	pids+=($!)
done
rc=0
for ((j = 1; j <= JOBS; j++)); do
	if ! fh_wait_pid "${pids[$((j - 1))]}" 900 || [ "$FH_STATUS" != 0 ]; then
		echo "tester $j (seed $((1000 + j))) failed:" >&2
		cat "$FH_TMPDIR/w$j.out" >&2
		[ -f "$FH_TMPDIR/difftest-w$j.log" ] &&
			tail -n 20 "$FH_TMPDIR/difftest-w$j.log" >&2
		rc=1
	else
		tail -n 1 "$FH_TMPDIR/w$j.out"
	fi
done
[ $rc = 0 ] || fh_fail "a parallel differential tester found a mismatch"
fh_unmount || fh_fail "unmount after the parallel testers"
fh_fsck || fh_fail "fsck after the parallel testers"
echo "parallel difftest: $JOBS testers x $OPS ops agree"
