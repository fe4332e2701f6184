#!/bin/bash
# SPDX-License-Identifier: MIT
# test_cpython.sh - CPython's own regression tests of the os, posix, io,
# shutil, mmap, tempfile and archive modules (Debian's
# libpython3.11-testsuite, written outside this project), run with their
# working directory on a fresh mount: once as root, once as an unprivileged
# user with two groups (the chown/permission cases that root skips).  Then
# a clean unmount and `pinfs fsck`.  Every run is bounded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fuse/harness.sh"
PY=/usr/bin/python3.11
[ -x "$PY" ] && "$PY" -c 'import test.test_os, test.libregrtest' 2>/dev/null ||
	fh_skip "CPython's test suite is not installed (scripts/deps.sh installs libpython3.11-testsuite)"
command -v setpriv >/dev/null || fh_skip "setpriv (util-linux) is missing"

# As root: test_io is the long one (about 30 s), the others run beside it.
# The second line writes and reads back whole formats: mailboxes (with
# their locks, links and renames), dbm files, shelves, .pyc caches
# (written beside a temporary name and renamed over, hard-linked between
# optimisation levels), zip imports.
ROOT_TESTS=(test_os test_posix test_shutil test_fileio test_io test_mmap
	test_stat test_tempfile test_pathlib test_glob test_fcntl
	test_genericpath test_posixpath test_zipfile test_tarfile
	test_file test_mailbox test_dbm_dumb test_shelve test_filecmp
	test_fileinput test_py_compile test_compileall test_import
	test_importlib test_zipimport)
# As nobody: the modules with permission and ownership cases.
USER_TESTS=(test_os test_posix test_shutil test_tempfile test_pathlib
	test_fileio test_stat)

FH_REGION_SIZE=${FH_REGION_SIZE:-1G}
fh_setup
failed=()
run() { # run LABEL DIR [setpriv args...] -- TESTS...
	local label=$1 dir=$2; shift 2
	local pre=()
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	local out=$FH_TMPDIR/$label.out
	timeout -k 10 600 "${pre[@]}" env -i PATH=/usr/bin:/bin \
		HOME="$dir" TMPDIR="$dir" LANG=C.UTF-8 \
		"$PY" -m test --header --tempdir "$dir" -j2 --timeout 300 "$@" \
		>"$out" 2>&1
	local rc=$?
	# regrtest names its working directory: it must be on the mount
	if ! grep -q "^== cwd: $dir/test_python_" "$out"; then
		echo "cpython $label: did not run in $dir" >&2
		head -5 "$out" >&2
		failed+=("$label")
	elif [ $rc != 0 ] || ! grep -q "^Tests result: SUCCESS" "$out"; then
		echo "cpython $label: rc=$rc FAILED" >&2
		grep -E "^(FAIL|ERROR):|failed|Tests result" "$out" | head -30 >&2
		failed+=("$label")
	else
		echo "cpython $label: $(grep -E '^All [0-9]+ tests OK' "$out")"
	fi
}
R=$FH_MNT/root
U=$FH_MNT/user
mkdir -m 700 "$R" && mkdir -m 755 "$U" && chown nobody:nogroup "$U" ||
	fh_fail "cannot make the work directories"
run root "$R" -- "${ROOT_TESTS[@]}"
run user "$U" setpriv --reuid=nobody --regid=nogroup \
	--groups=nogroup,users -- "${USER_TESTS[@]}"
fh_is_mountpoint "$FH_MNT" || fh_fail "the mount is gone"
fh_unmount || fh_fail "unmount after the CPython tests"
fh_fsck || fh_fail "fsck after the CPython tests"
[ ${#failed[@]} = 0 ] || fh_fail "CPython test runs failed: ${failed[*]}"
echo "cpython: ${#ROOT_TESTS[@]} modules as root, ${#USER_TESTS[@]} as nobody, OK"
