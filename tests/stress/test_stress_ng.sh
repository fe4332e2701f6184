#!/bin/bash
# SPDX-License-Identifier: MIT
# test_stress_ng.sh SECONDS [seq|mix] - stress-ng (Debian's package, an
# exerciser written outside this project) over a fresh mount, with
# --verify, then a clean unmount and `pinfs fsck`.
#   seq: each file-system stressor on its own, 2 instances, SECONDS each;
#   mix: all of them at once for SECONDS (region full, ENOSPC included).
# The harness mounts with allow_other and the work directory is 1777, so the
# stressors that switch uids (chown, access, ...) reach it as other users.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fuse/harness.sh"
SECS=${1:-1}
MODE=${2:-seq}
command -v stress-ng >/dev/null || fh_skip "stress-ng is not installed (scripts/deps.sh installs it)"

# The file-system and I/O stressors of stress-ng 0.15 that apply to a
# FUSE mount.  Left out, and why (docs/testing.md):
#   fiemap    FUSE has no ->fiemap; stress-ng skips it itself
#   io-uring  fails on tmpfs as well (IORING_OP_STATX -> ENOENT on 6.18)
#   verity, bind-mount, binderfs, handle, ... not file data: need other
#             file systems, privileges or kernel features
STRESSORS=(access chdir chmod chown copy-file dentry dir dirdeep dirmany
	dup fallocate fcntl file-ioctl filename flock fpunch fsize fstat
	getdent hdd inode-flags io iomix lease link locka lockf lockofd mknod
	open rename symlink sync-file touch utime xattr seek readahead revio
	aio aiol mmap msync sendfile splice)
# Per-stressor options: sizes that fit the region, file-backed mmap,
# punching seeks.
extra() {
	case $1 in
	iomix) echo --iomix-bytes 32M ;;
	hdd) echo --hdd-bytes 64M ;;
	fallocate) echo --fallocate-bytes 64M ;;
	mmap) echo --mmap-file --mmap-bytes 32M ;;
	seek) echo --seek-punch --seek-size 64M ;;
	revio) echo --revio-bytes 64M ;;
	readahead) echo --readahead-bytes 64M ;;
	aio | aiol) echo ;;
	*) echo ;;
	esac
}

FH_REGION_SIZE=${FH_REGION_SIZE:-1G}
fh_setup
W=$FH_MNT/w
mkdir -m 1777 "$W" || fh_fail "mkdir $W"
failed=()
# stress-ng returns when its stressors have exited, but their last
# children may still hold a directory or file of the mount for a moment.
users() { # processes with a file or directory of the mount open
	find /proc/[0-9]*/cwd /proc/[0-9]*/fd -maxdepth 1 \
		\( -lname "$FH_MNT" -o -lname "$FH_MNT/*" \) 2>/dev/null |
		cut -d/ -f3 | sort -u
}
settle() {
	local i p
	for ((i = 0; i < 100; i++)); do
		[ -z "$(users)" ] && return 0
		sleep 0.1
	done
	echo "still using $FH_MNT after 10 s:" >&2
	for p in $(users); do
		echo "  $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)" >&2
	done
	return 1
}
run() { # run LABEL ARGS...: one bounded stress-ng run
	local label=$1; shift
	local out=$FH_TMPDIR/$label.out
	timeout -k 10 $((SECS * 4 + 60)) stress-ng "$@" --timeout "$SECS" \
		--verify --temp-path "$W" --metrics-brief >"$out" 2>&1
	local rc=$?
	# 0: ok; 3: a stressor ran out of resources (ENOSPC in mix mode);
	# 4: not implemented on this kernel.  2 (a stressor failed, e.g. a
	# --verify mismatch), 1 (error) and timeouts are failures.
	case $rc in
	0 | 3 | 4) echo "stress-ng $label: rc=$rc ok" ;;
	*)
		echo "stress-ng $label: rc=$rc FAILED" >&2
		grep -E 'fail|error' "$out" | head -20 >&2
		failed+=("$label")
		;;
	esac
}
case $MODE in
seq)
	for s in "${STRESSORS[@]}"; do
		# shellcheck disable=SC2046
		run "$s" --"$s" 2 $(extra "$s")
		fh_is_mountpoint "$FH_MNT" || fh_fail "the mount is gone after $s"
		# A clean region after every stressor names the one that broke it.
		if [ "$FH_BACKEND" = pinfs ]; then
			settle || fh_fail "processes left on the mount after $s"
			fh_unmount || fh_fail "unmount after $s"
			fh_fsck || fh_fail "fsck after $s"
			fh_mount || fh_fail "remount after $s"
		fi
	done
	;;
mix)
	args=()
	for s in "${STRESSORS[@]}"; do
		# shellcheck disable=SC2207
		args+=(--"$s" 1 $(extra "$s"))
	done
	run mix "${args[@]}"
	;;
*) fh_fail "mode $MODE is not seq or mix" ;;
esac
[ -d "$W" ] || fh_fail "$W vanished"
settle || fh_fail "processes left on the mount"
fh_unmount || fh_fail "unmount after stress-ng"
fh_fsck || fh_fail "fsck after stress-ng"
[ ${#failed[@]} = 0 ] || fh_fail "stressors failed: ${failed[*]}"
echo "stress-ng $MODE: ${#STRESSORS[@]} stressors, ${SECS}s, OK"
