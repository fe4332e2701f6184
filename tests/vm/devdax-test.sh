#!/bin/bash
# SPDX-License-Identifier: MIT
# devdax-test.sh - pinfs on a real device-DAX character device, inside the
# VM that scripts/vm-devdax.sh boots (qemu's emulated NVDIMM).  Run as
# root in the guest by guest-init.sh; it can also run on any machine with
# a spare pmem region (it reconfigures namespaces: it destroys data).
#
#  1. turn the pmem namespace into devdax (ndctl), plus a small second
#     namespace for the too-small case
#  2. pinfs mkfs /dev/daxN.M; granularity reported (cache-line or byte,
#     never page); mkfs again refused without --force, accepted with it
#  3. pinfs mount; write, fsync, read back; extents; status
#  4. pin holders on the 2 MiB-aligned device: a 1 MiB pin is refused
#     (EINVAL, no pin left); a 2 MiB pin of a file written 1 MiB at a
#     time maps (its extents are on the 2 MiB grid), is written, synced
#     (CPU cache flush), revoked by truncate; on a devdax device with 4 KiB align,
#     1 MiB pins without a lease (revoked: SIGBUS) and with one (break,
#     unpin, exit 0)
#  5. unmount, fsck clean, remount, data verified, fsck clean again
#  6. bad input: too-small device, unformatted device, mkfs of a mounted
#     device
#  7. pinfs-bench --quick pinned --region /dev/daxN.M (overwrites it)
#
# Prints "ok:"/"FAIL:" per check, then "N passed, N failed" and PASS/FAIL.
# Env: PINFS, PINFS_BENCH (defaults: from PATH); DEVDAX_SMALL_MB (16: the
# namespace of the too-small device), DEVDAX_PAGE_MB (64: a third namespace
# with 4 KiB device alignment for the pin case; 0 to skip).  Namespace
# sizes are multiples of the region alignment (16 MiB on qemu).

set -u
PINFS=${PINFS:-$(command -v pinfs)}
BENCH=${PINFS_BENCH:-$(command -v pinfs-bench)}
SMALL_MB=${DEVDAX_SMALL_MB:-16}
PAGE_MB=${DEVDAX_PAGE_MB:-64}
T=$(mktemp -d /tmp/devdax-test.XXXXXX) || exit 1
MNT=$T/mnt
mkdir -p "$MNT"
PASSED=0
FAILED=0
HOLDERS=

ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { # check DESCRIPTION CMD...: ok when CMD succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
section() { echo; echo "== $*"; }

is_mounted() { awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/self/mounts; }
daemon_of() { pgrep -f -- "pinfs mount .* $1\$" | head -n 1; }

# Waits count $SECONDS, not loop turns: under TCG every fork+exec
# (sleep, grep) costs a good fraction of a second.
reap() { # reap PID: wait (bounded: 10 s) for it to exit; TERM, then KILL
	local end=$((SECONDS + 10))
	while [ "$SECONDS" -lt "$end" ]; do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -TERM "$1" 2>/dev/null
	sleep 1
	kill -KILL "$1" 2>/dev/null
	return 1
}

unmount() { # unmount: unmount $MNT, wait for its daemon to exit
	local pid
	is_mounted "$MNT" || return 0
	pid=$(daemon_of "$MNT")
	timeout 10 umount "$MNT" || timeout 10 umount -l "$MNT" || return 1
	[ -z "$pid" ] || reap "$pid"
}

cleanup() {
	local p
	for p in $HOLDERS; do kill -KILL "$p" 2>/dev/null; done
	unmount
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

finish() {
	echo
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]; then
		echo "PASS"
		exit 0
	fi
	echo "FAIL"
	exit 1
}

# run STATUS CMD...: run CMD (bounded), its output in $OUT (also shown);
# true when it exits with STATUS
run() {
	local want=$1 got
	shift
	OUT=$(timeout 120 "$@" 2>&1)
	got=$?
	printf '%s\n' "$OUT" | sed 's/^/    | /'
	[ "$got" = "$want" ] || { echo "    (exit $got, expected $want)"; return 1; }
}

# wait_for FILE PATTERN SECS [PID]: until FILE has a line matching
# PATTERN; gives up early when PID exits
wait_for() {
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$end" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && break
		sleep 0.05
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# pin_case WHAT FILE LEN [HOLD OPTIONS]: a 4 MiB file, a holder pins
# [0, LEN) writing through its mapping; truncate revokes it; the holder
# must have written, and end unpinned (exit 0) or SIGBUSed (135)
pin_case() {
	local what=$1 f=$2 len=$3 h st
	shift 3
	# PIN_KEEP=1: the caller wrote FILE (and checked its extents)
	[ -n "${PIN_KEEP:-}" ] ||
		dd if=/dev/zero of="$f" bs=1M count=4 conv=fsync status=none
	"$PINFS" hold --write "$@" "$f" 0 "$len" >"$T/hold.log" 2>&1 &
	h=$!
	HOLDERS=$h
	wait_for "$T/hold.log" "pinned id=" 20 "$h"
	wait_for "$T/hold.log" "wrote pass\|failed" 20 "$h"
	check "$what: pinned [0, $len)" grep -q "pinned id=" "$T/hold.log"
	check "$what: wrote through the mapping and synced" \
		grep -q "wrote pass" "$T/hold.log"
	run 0 "$PINFS" pins "${f%/*}"
	check "$what: pinfs pins lists it" grep -q " write[a-z,]* *active" <<<"$OUT"
	echo "    $(uptime_s) truncating (CLOCK_MONOTONIC, as the holder's log)"
	timeout 30 truncate -s 0 "$f"
	check "$what: truncate returns" [ $? = 0 ]
	echo "    $(uptime_s) truncate returned"
	reap "$h"
	wait "$h"
	st=$?
	echo "    $(uptime_s) holder gone"
	HOLDERS=
	sed 's/^/    | /' "$T/hold.log"
	check "$what: holder unpinned (0) or was revoked (SIGBUS, 135): status $st" \
		[ $st = 0 -o $st = 135 ]
	check "$what: the file is empty" [ "$(stat -c %s "$f")" = 0 ]
	run 0 "$PINFS" pins "${f%/*}"
	check "$what: no pin left" grep -q "(no pins)" <<<"$OUT"
}

# pin_refused WHAT FILE LEN: on a 2 MiB-aligned device a pin of a range
# that is not whole 2 MiB units cannot map: the holder must fail with
# EINVAL at once, leave no pin behind and write nothing
pin_refused() {
	local what=$1 f=$2 len=$3 h st
	dd if=/dev/zero of="$f" bs=1M count=4 conv=fsync status=none
	timeout 30 "$PINFS" hold --write "$f" 0 "$len" >"$T/hold.log" 2>&1
	st=$?
	sed 's/^/    | /' "$T/hold.log"
	check "$what: refused (status $st, not 0/124)" [ $st != 0 -a $st != 124 ]
	check "$what: the refusal is EINVAL" \
		grep -q "Invalid argument" "$T/hold.log"
	run 0 "$PINFS" pins "${f%/*}"
	check "$what: no pin left" grep -q "(no pins)" <<<"$OUT"
	check "$what: nothing written" \
		cmp -s -n $((4 << 20)) "$f" /dev/zero
}

# first_roff FILE: region offset of the file's first extent
first_roff() {
	"$PINFS" extents "$1" | awk '$1 == "0:" { sub(/[.][.].*/, "", $3); print $3 }'
}

# ---------------------------------------------------------------- 1
section "1. devdax namespaces (ndctl $(ndctl --version 2>/dev/null))"
if [ ! -d /sys/bus/nd/devices/region0 ]; then
	fail "no NVDIMM region (is the nfit module loaded? qemu -device nvdimm?)"
	finish
fi
echo "    region0: size $(cat /sys/bus/nd/devices/region0/size)," \
	"persistence domain: $(cat /sys/bus/nd/devices/region0/persistence_domain 2>/dev/null || echo unknown)"
# Labels let a region hold several namespaces (qemu: nvdimm label-size=);
# a label-less region is one namespace, reconfigured whole.
ndctl destroy-namespace -f all -r region0 >/dev/null 2>&1
labels=0
if ndctl disable-region region0 >/dev/null 2>&1 &&
	ndctl init-labels -f all >/dev/null 2>&1; then
	labels=1
fi
ndctl enable-region region0 >/dev/null 2>&1
json1() { tr -d ' \n\t'; }
avail=$(ndctl list -R -r region0 | json1 | sed -n 's/.*"available_size":\([0-9]*\).*/\1/p')
echo "    labels initialized: $labels; available: ${avail:-?} bytes"
if [ "$labels" = 1 ] && [ -n "$avail" ] &&
	[ "$avail" -gt $(( (SMALL_MB + PAGE_MB + 256) << 20 )) ]; then
	main_size=$(( (avail / (1 << 20) - SMALL_MB - PAGE_MB - 16) / 16 * 16 ))M
	run 0 ndctl create-namespace -r region0 -m devdax -a 2M -s "$main_size"
	check "ndctl create-namespace -m devdax -a 2M -s $main_size" [ $? = 0 ]
	run 0 ndctl create-namespace -r region0 -m devdax -a 2M -s "${SMALL_MB}M"
	check "ndctl create-namespace -m devdax -s ${SMALL_MB}M (the too-small device)" [ $? = 0 ]
	if [ "$PAGE_MB" -gt 0 ]; then
		run 0 ndctl create-namespace -r region0 -m devdax -a 4K -s "${PAGE_MB}M"
		check "ndctl create-namespace -m devdax -a 4K -s ${PAGE_MB}M" [ $? = 0 ]
	fi
else
	run 0 ndctl create-namespace -f -e namespace0.0 -m devdax
	check "ndctl create-namespace -f -e namespace0.0 -m devdax (label-less: no small device)" [ $? = 0 ]
	main_size=
fi
run 0 daxctl list
# the big one is the first dax device; the small one the other
DAX=$(for d in /sys/bus/dax/devices/*; do echo "$(cat "$d/size") ${d##*/}"; done |
	sort -n -r | head -n 1 | cut -d' ' -f2)
# the too-small one is the smallest; the 4K-aligned one has align 4096
SMALL=$(for d in /sys/bus/dax/devices/*; do echo "$(cat "$d/size") ${d##*/}"; done |
	sort -n | head -n 1 | cut -d' ' -f2)
[ "$SMALL" = "$DAX" ] && SMALL=
PAGEDAX=
for d in /sys/bus/dax/devices/*; do
	[ "${d##*/}" != "$DAX" ] && [ "$(cat "$d/align")" = 4096 ] && PAGEDAX=${d##*/}
done
DEV=/dev/$DAX
SMALLDEV=${SMALL:+/dev/$SMALL}
check "$DEV is a character device" [ -c "$DEV" ]
DEVSIZE=$(cat "/sys/bus/dax/devices/$DAX/size" 2>/dev/null || echo 0)
echo "    $DEV: $DEVSIZE bytes, align $(cat "/sys/bus/dax/devices/$DAX/align" 2>/dev/null || echo ?)"
echo "    small: ${SMALLDEV:-none}: $(cat "/sys/bus/dax/devices/$SMALL/size" 2>/dev/null || echo 0) bytes"
echo "    4K-aligned: ${PAGEDAX:+/dev/$PAGEDAX}: $(cat "/sys/bus/dax/devices/$PAGEDAX/size" 2>/dev/null || echo 0) bytes"
[ -c "$DEV" ] || finish

# ---------------------------------------------------------------- 2
section "2. mkfs on $DEV"
run 0 "$PINFS" mkfs "$DEV"
check "pinfs mkfs $DEV" [ $? = 0 ]
# the summary reopens the device read-only
check "mkfs prints its summary (size, granularity)" grep -q "granularity" <<<"$OUT"
check "the summary (a read-only reopen) says cache-line or byte, not page" \
	grep -q "granularity \(cache-line\|byte\)" <<<"$OUT"
run 1 "$PINFS" mkfs "$DEV"
check "mkfs again without --force is refused" [ $? = 0 ]
check "the refusal says why" grep -q "already holds a pinfs filesystem" <<<"$OUT"
run 0 "$PINFS" mkfs --force "$DEV"
check "mkfs --force reformats" [ $? = 0 ]

# ---------------------------------------------------------------- 3
section "3. mount, write, fsync, read back"
run 0 "$PINFS" mount "$DEV" "$MNT"
check "pinfs mount $DEV $MNT" [ $? = 0 ]
GRAN=$(printf '%s\n' "$OUT" | sed -n 's/.*granularity \([a-z-]*\).*/\1/p')
echo "    libpmem2 store granularity on $DEV: ${GRAN:-none reported}"
check "mount says devdax, granularity cache-line or byte (got '$GRAN')" \
	grep -q "granularity \(cache-line\|byte\) (devdax)" <<<"$OUT"
check "the store spans the whole device ($DEVSIZE bytes)" \
	grep -q "$(( DEVSIZE >> 20 )) MiB\|$(( DEVSIZE >> 30 )) GiB" <<<"$OUT"
is_mounted "$MNT" || { fail "not mounted; stopping"; finish; }
run 0 "$PINFS" status "$MNT"
check "pinfs status names $DEV" grep -q "region: *$DEV\$" <<<"$OUT"

mkdir -p "$T/ref" "$MNT/dir"
head -c 12345 /dev/urandom >"$T/ref/small"
head -c $((3 << 20)) /dev/urandom >"$T/ref/three-mib"
head -c $((40 << 20)) /dev/urandom >"$T/ref/forty-mib"
echo "pinfs on $DEV" >"$T/ref/text"
wr_ok=0
for f in small three-mib forty-mib text; do
	dd if="$T/ref/$f" of="$MNT/dir/$f" bs=1M conv=fsync status=none || wr_ok=1
done
check "write + fsync 4 files (12 KiB .. 40 MiB)" [ $wr_ok = 0 ]
check "sync -f on the mount" sync -f "$MNT/dir/text"
# a write into the middle of a file, then fsync through dd
head -c 8192 /dev/urandom >"$T/patch"
dd if="$T/patch" of="$T/ref/three-mib" bs=4096 seek=100 conv=notrunc status=none
dd if="$T/patch" of="$MNT/dir/three-mib" bs=4096 seek=100 conv=notrunc,fsync status=none
check "overwrite in place + fsync" [ $? = 0 ]
rd_ok=0
for f in small three-mib forty-mib text; do
	cmp "$T/ref/$f" "$MNT/dir/$f" || rd_ok=1
done
check "read back equals what was written" [ $rd_ok = 0 ]
echo 3 >/proc/sys/vm/drop_caches
rd_ok=0
for f in small three-mib forty-mib text; do
	cmp "$T/ref/$f" "$MNT/dir/$f" || rd_ok=1
done
check "read back after drop_caches" [ $rd_ok = 0 ]
run 0 "$PINFS" extents "$MNT/dir/forty-mib"
check "pinfs extents of a 40 MiB file" [ $? = 0 ]
(cd "$T/ref" && sha256sum small three-mib forty-mib text) >"$T/sums"

# ---------------------------------------------------------------- 4
section "4. pins on $DEV: revoked by truncate"
F=$MNT/dir/pinned
# devdax maps only in units of its alignment (2 MiB here): libpinfs
# refuses a 1 MiB pin (EINVAL) instead of mapping past it
pin_refused "1 MiB pin on a 2 MiB-aligned device" "$F" 1M
truncate -s 0 "$F"
# a file written 1 MiB at a time is on the 2 MiB grid (the allocator puts
# file block f at f mod 512 blocks into a region group), so a 2 MiB pin
# of it maps
dd if=/dev/zero of="$MNT/dir/pinned2" bs=1M count=4 conv=fsync status=none
roff=$(first_roff "$MNT/dir/pinned2")
echo "    pinned2: first extent at region offset ${roff:-?}"
on_grid() { [ -n "$1" ] && [ $(($1 % (2 << 20))) = 0 ]; }
check "a dd bs=1M file starts on the 2 MiB grid" on_grid "$roff"
PIN_KEEP=1 pin_case "2 MiB pin, lease" "$MNT/dir/pinned2" 2M \
	--lease --ack-after 50
check "file size after truncate is 0" \
	[ "$(stat -c %s "$MNT/dir/pinned2")" = 0 ]
rm -f "$MNT/dir/pinned2"
head -c $((2 << 20)) /dev/urandom >"$T/ref/after-pin"
dd if="$T/ref/after-pin" of="$MNT/dir/after-pin" bs=1M conv=fsync status=none
check "a new file after the revocations reads back" \
	cmp "$T/ref/after-pin" "$MNT/dir/after-pin"
check "the holders' pattern is not in the new file" \
	bash -c "! grep -qa 'pinfs hold' '$MNT/dir/after-pin'"
(cd "$T/ref" && sha256sum after-pin) >>"$T/sums"

# ---------------------------------------------------------------- 5
section "5. unmount, fsck, remount"
run 1 "$PINFS" mkfs --force "$DEV"
check "mkfs --force of the mounted device is refused" [ $? = 0 ]
check "unmount; the daemon exits" unmount
run 0 "$PINFS" fsck "$DEV"
check "pinfs fsck $DEV is clean" [ $? = 0 ]
run 0 "$PINFS" mount -o ro "$DEV" "$MNT"
check "mount -o ro $DEV (the store opens the device read-only)" [ $? = 0 ]
check "the read-only mount reports the device's granularity" \
	grep -q "granularity \(cache-line\|byte\) (devdax)" <<<"$OUT"
if is_mounted "$MNT"; then
	check "read-only mount: data verified (sha256)" \
		bash -c "cd '$MNT/dir' && sha256sum --quiet -c '$T/sums'"
	check "unmount the read-only mount" unmount
fi
run 0 "$PINFS" mount "$DEV" "$MNT"
check "remount" [ $? = 0 ]
check "after remount: data verified (sha256)" \
	bash -c "cd '$MNT/dir' && sha256sum --quiet -c '$T/sums'"
check "after remount: the pinned file is still empty" \
	[ "$(stat -c %s "$MNT/dir/pinned" 2>/dev/null)" = 0 ]
check "unmount again" unmount
run 0 "$PINFS" fsck "$DEV"
check "fsck clean after the second mount" [ $? = 0 ]

# ---------------------------------------------------------------- 6
section "6. bad input"
if [ -n "$SMALLDEV" ] && [ -c "$SMALLDEV" ]; then
	run 8 "$PINFS" fsck "$SMALLDEV"
	check "fsck of an unformatted devdax says it cannot check (8)" [ $? = 0 ]
	run 1 "$PINFS" mount "$SMALLDEV" "$MNT"
	check "mount of an unformatted devdax is refused" [ $? = 0 ]
	is_mounted "$MNT" && { fail "it mounted anyway"; unmount; }
	run 1 "$PINFS" mkfs "$SMALLDEV"
	check "mkfs of a $(( $(cat "/sys/bus/dax/devices/$SMALL/size") >> 20 )) MiB devdax is refused" [ $? = 0 ]
	check "the refusal says it is too small" grep -qi "small" <<<"$OUT"
else
	fail "no small devdax device for the too-small case"
fi
run 2 "$PINFS" mkfs --size 1x "$DEV"
check "mkfs --size 1x is a usage error" [ $? = 0 ]
run 1 "$PINFS" mkfs /dev/null
check "mkfs of /dev/null (a character device, not devdax) is refused" [ $? = 0 ]
run 0 "$PINFS" fsck "$DEV"
check "$DEV untouched by the bad input (fsck clean)" [ $? = 0 ]

# ---------------------------------------------------------------- 6b
section "6b. pins on a devdax device with 4 KiB alignment (${PAGEDAX:-none})"
if [ -n "$PAGEDAX" ] && [ -c "/dev/$PAGEDAX" ]; then
	run 0 "$PINFS" mkfs "/dev/$PAGEDAX"
	check "mkfs /dev/$PAGEDAX" [ $? = 0 ]
	run 0 "$PINFS" mount "/dev/$PAGEDAX" "$MNT"
	check "mount /dev/$PAGEDAX" [ $? = 0 ]
	if is_mounted "$MNT"; then
		pin_case "4K-align device, 1 MiB pin, no lease" "$MNT/p" 1M
		pin_case "4K-align device, 1 MiB pin, lease" "$MNT/p" 1M --lease --ack-after 50
		check "unmount /dev/$PAGEDAX" unmount
	fi
else
	echo "    skipped: no 4K-aligned devdax device (DEVDAX_PAGE_MB=0 or label-less region)"
fi

# ---------------------------------------------------------------- 7
section "7. pinfs-bench --quick pinned --region $DEV"
if [ -x "$BENCH" ]; then
	BOUT=$(timeout 600 "$BENCH" --quick --pinfs-bin "$PINFS" --workdir "$T" \
		pinned --region "$DEV" 2>"$T/bench.err")
	bst=$?
	printf '%s\n' "$BOUT" | sed 's/^/    | /'
	echo "    stderr (last 15 lines):"
	tail -n 15 "$T/bench.err" | sed 's/^/    ! /'
	check "pinfs-bench --quick pinned --region $DEV exits 0 (status $bst)" [ $bst = 0 ]
else
	fail "pinfs-bench not found"
fi

section "kernel messages about dax (dmesg)"
dmesg | grep -i "dax\|nd_pmem\|nvdimm" | tail -n 30 | sed 's/^/    /'

finish
