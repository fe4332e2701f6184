#!/bin/bash
# SPDX-License-Identifier: MIT
# test_fio.sh [FIO_JOB] - fio with verify=crc32c over a fresh mount, then
# a clean unmount and fsck.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/harness.sh"
JOB=${1:-$HERE/fio-verify.fio}
command -v fio >/dev/null || fh_skip "fio is not installed"
fh_setup
FIO_DIR=$FH_MNT timeout 600 fio --output="$FH_TMPDIR/fio.out" "$JOB"
rc=$?
if [ $rc != 0 ]; then
	cat "$FH_TMPDIR/fio.out" >&2
	fh_fail "fio exited $rc (verify failure or I/O error)"
fi
grep -E '^ *(WRITE|READ):|err=' "$FH_TMPDIR/fio.out"
if grep -q 'err= *[1-9]' "$FH_TMPDIR/fio.out"; then
	fh_fail "fio reported errors"
fi
fh_unmount || fh_fail "unmount after fio"
fh_fsck || fh_fail "fsck after fio"
echo "fio verify: OK"
