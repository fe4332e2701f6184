#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vm-devdax.sh - run pinfs on a real device-DAX device: boot a Debian 12
# guest in qemu with an emulated NVDIMM and run tests/vm/devdax-test.sh in
# it (see docs/devdax.md).  Run from anywhere as root; exits 0 only when
# the guest test passed.
#
#  1. host packages (apt-get, only what is missing): qemu-system-x86,
#     debootstrap, e2fsprogs; the build dependencies via scripts/deps.sh
#  2. builds the tree in build-devdax and installs it (meson install
#     --destdir) into a staging directory
#  3. guest root: debootstrap --variant=minbase bookworm with the Debian
#     kernel (6.1), ndctl/daxctl and pinfs's runtime libraries; cached in
#     $PINFS_VM_CACHE (default /var/tmp/pinfs-devdax) and reused
#  4. copies pinfs and tests/vm into the root, makes an ext4 image of it
#     (mkfs.ext4 -d: no loop device, no mount)
#  5. boots it: qemu -machine pc,nvdimm=on, a memory-backend-file NVDIMM
#     with a label area, KVM when /dev/kvm works (else TCG), serial
#     console, init=/opt/pinfs-vm/guest-init.sh, all under timeout(1)
#  6. the verdict is the guest's "PINFS-VM-RESULT: PASS" line
#
# Env: PINFS_VM_CACHE (guest root cache), PINFS_VM_TIMEOUT (seconds for
# the whole VM, default 1800), PINFS_VM_PMEM (NVDIMM size, default 1G),
# PINFS_VM_ACCEL (kvm or tcg; default: kvm when it works),
# PINFS_VM_MIRROR (Debian mirror), PINFS_VM_KEEP=1 (keep the run
# directory: console log, image).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$TOP/build-devdax
CACHE=${PINFS_VM_CACHE:-/var/tmp/pinfs-devdax}
ROOT=$CACHE/root
ROOT_STAMP=$ROOT/.pinfs-vm-root-v1
VM_TIMEOUT=${PINFS_VM_TIMEOUT:-1800}
PMEM_SIZE=${PINFS_VM_PMEM:-1G}
MIRROR=${PINFS_VM_MIRROR:-http://deb.debian.org/debian}
GUEST_PKGS=linux-image-amd64,kmod,fuse3,libfuse3-3,liburing2,libpmem2,ndctl,daxctl,procps

say() { echo "vm-devdax: $*"; }
die() { echo "vm-devdax: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get, debootstrap, mkfs.ext4 -d of a root tree)"
START=$(date +%s)

# ------------------------------------------------------------ packages
need=()
for p in qemu-system-x86 debootstrap e2fsprogs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ -f "$TOP/scripts/deps.sh" ]; then bash "$TOP/scripts/deps.sh"; fi

mkdir -p "$CACHE"
# one run at a time per cache: the guest root is shared
exec 9>"$CACHE/lock"
flock -w 60 9 || die "another vm-devdax.sh holds $CACHE/lock"

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
PMEM_FILE=
QEMU_PID=
TAIL_PID=
cleanup() {
	local st=$?
	local i
	# QEMU_PID is timeout(1): it passes TERM on to qemu and exits with it
	if [ -n "$QEMU_PID" ] && kill -TERM "$QEMU_PID" 2>/dev/null; then
		for i in $(seq 50); do
			kill -0 "$QEMU_PID" 2>/dev/null || break
			sleep 0.2
		done
		# still there: qemu first (the child of timeout), then timeout
		pkill -KILL -P "$QEMU_PID" 2>/dev/null
		kill -KILL "$QEMU_PID" 2>/dev/null
	fi
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
	[ -n "$PMEM_FILE" ] && rm -f "$PMEM_FILE"
	if [ "${PINFS_VM_KEEP:-0}" = 1 ]; then
		say "kept $RUN"
	else
		rm -rf "$RUN"
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ------------------------------------------------------------ build
say "building $TOP in $BUILD"
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$TOP" >"$RUN/setup.log" ||
	{ tail -n 30 "$RUN/setup.log"; die "meson setup failed"; }
ninja -C "$BUILD" >"$RUN/build.log" 2>&1 || { tail -n 30 "$RUN/build.log"; die "build failed"; }
meson install -C "$BUILD" --destdir "$RUN/stage" --quiet >"$RUN/install.log" 2>&1 ||
	{ tail -n 30 "$RUN/install.log"; die "meson install failed"; }
[ -x "$RUN/stage/usr/local/bin/pinfs" ] || die "no pinfs in the staged install"

# ------------------------------------------------------------ guest root
if [ ! -e "$ROOT_STAMP" ]; then
	say "debootstrap bookworm (minbase + $GUEST_PKGS) into $ROOT; takes minutes once"
	rm -rf "$CACHE/root.tmp"
	timeout 1800 debootstrap --variant=minbase --include="$GUEST_PKGS" bookworm \
		"$CACHE/root.tmp" "$MIRROR" >"$RUN/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$RUN/debootstrap.log"; die "debootstrap failed"; }
	rm -rf "$ROOT"
	mv "$CACHE/root.tmp" "$ROOT"
	chroot "$ROOT" apt-get clean
	touch "$ROOT_STAMP"
fi
KERNEL=$(ls "$ROOT"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
INITRD=$(ls "$ROOT"/boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] && [ -n "$INITRD" ] || die "no kernel/initrd in $ROOT/boot (remove $ROOT to rebuild)"

# this run's pinfs and test scripts, replacing the last run's
rm -rf "$ROOT/usr/local" "$ROOT/opt/pinfs-vm"
mkdir -p "$ROOT/usr/local" "$ROOT/opt/pinfs-vm"
cp -a "$RUN/stage/usr/local/." "$ROOT/usr/local/"
install -m 0755 "$TOP/tests/vm/guest-init.sh" "$TOP/tests/vm/devdax-test.sh" "$ROOT/opt/pinfs-vm/"
echo "$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)" >"$ROOT/opt/pinfs-vm/version"

say "making the root image"
size_mb=$(( $(du -sm "$ROOT" | cut -f1) + 512 ))
mkfs.ext4 -q -F -L pinfs-vm -d "$ROOT" "$RUN/root.img" "${size_mb}M" ||
	die "mkfs.ext4 -d failed"

# ------------------------------------------------------------ boot
ACCEL=${PINFS_VM_ACCEL:-}
# KVM works when the guest kernel prints its banner under it within 20 s.
# (Not just "qemu starts": a nested /dev/kvm that cannot run a stock
# kernel - e.g. kvm-pvm - starts qemu fine and then hangs in the boot.)
kvm_boots() {
	local log=$RUN/kvm-probe.log pid i
	[ -w /dev/kvm ] || return 1
	timeout -k 5 30 qemu-system-x86_64 -machine pc,accel=kvm -cpu host,-arch-capabilities -m 256 \
		-kernel "$KERNEL" -append "console=ttyS0 panic=-1" -no-reboot \
		-nodefaults -display none -monitor none -serial file:"$log" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 40); do
		grep -q "Linux version" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -TERM "$pid" 2>/dev/null # timeout(1) passes it on to qemu
	wait "$pid" 2>/dev/null
	grep -q "Linux version" "$log" 2>/dev/null
}
if [ -z "$ACCEL" ]; then
	ACCEL=tcg
	if kvm_boots; then
		ACCEL=kvm
	else
		say "KVM cannot boot the guest kernel here; using TCG (slower)"
	fi
fi
# -cpu max under nested KVM asks for MSRs the outer hypervisor refuses
CPU=max
[ "$ACCEL" = kvm ] && CPU=host,-arch-capabilities
PMEM_FILE=$(mktemp /dev/shm/pinfs-devdax-pmem.XXXXXX)
CONSOLE=$RUN/console.log
: >"$CONSOLE"
say "booting $(basename "$KERNEL") with accel=$ACCEL, a $PMEM_SIZE NVDIMM backed by $PMEM_FILE (timeout $VM_TIMEOUT s)"
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 \
	-machine pc,nvdimm=on,accel="$ACCEL" -cpu "$CPU" -smp 2 \
	-m 2G,slots=2,maxmem=4G \
	-object memory-backend-file,id=pmem0,share=on,mem-path="$PMEM_FILE",size="$PMEM_SIZE" \
	-device nvdimm,id=nvdimm0,memdev=pmem0,label-size=128K \
	-drive file="$RUN/root.img",format=raw,if=virtio,cache=unsafe \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "root=/dev/vda rw console=ttyS0 quiet loglevel=4 panic=-1 init=/opt/pinfs-vm/guest-init.sh pinfs_vm_timeout=$((VM_TIMEOUT - 60))" \
	-nodefaults -display none -monitor none -no-reboot \
	-chardev file,id=con,path="$CONSOLE" -serial chardev:con \
	</dev/null &
QEMU_PID=$!
tail -n +1 -f --pid="$QEMU_PID" "$CONSOLE" &
TAIL_PID=$!
set +e
wait "$QEMU_PID"
qst=$?
set -e
QEMU_PID=
wait "$TAIL_PID" 2>/dev/null || true
TAIL_PID=
ELAPSED=$(( $(date +%s) - START ))
[ "$qst" = 124 ] && say "qemu killed after $VM_TIMEOUT s"
if grep -q '^PINFS-VM-RESULT: PASS' "$CONSOLE"; then
	say "PASS (accel=$ACCEL, $ELAPSED s in all)"
	exit 0
fi
say "FAIL (qemu status $qst, accel=$ACCEL, $ELAPSED s in all)"
exit 1
