#!/bin/bash
# SPDX-License-Identifier: MIT
# guest-init.sh - PID 1 of the devdax test VM (booted with
# init=/opt/pinfs-vm/guest-init.sh by scripts/vm-devdax.sh).
#
# Mounts the pseudo file systems, loads the NVDIMM, device-DAX and FUSE
# modules (the minbase guest has no udev), runs devdax-test.sh under a
# timeout, prints one result line the host looks for, then powers off.
# Whatever happens, the guest ends: a failing step still reaches the
# power-off, and the host bounds the whole VM with timeout(1) as well.
#
# Kernel command line knobs: pinfs_vm_timeout=SECONDS (default 600).

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
HERE=/opt/pinfs-vm

mnt() { # mnt TYPE DIR [OPTS]: mount unless something is there already
	mkdir -p "$2"
	mountpoint -q "$2" || mount -t "$1" ${3:+-o "$3"} "$1" "$2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts
mnt tmpfs /dev/shm mode=1777
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=0755
mount -o remount,rw / 2>/dev/null
ln -sf /proc/self/mounts /etc/mtab
hostname pinfs-vm
ldconfig

timeout=600
for arg in $(cat /proc/cmdline); do
	case $arg in
	pinfs_vm_timeout=*) timeout=${arg#pinfs_vm_timeout=} ;;
	esac
done

echo "pinfs-vm: kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
for m in nfit libnvdimm nd_pmem dax_pmem device_dax fuse; do
	modprobe "$m" 2>/dev/null || echo "pinfs-vm: modprobe $m failed (built in?)"
done

status=1
if [ -x "$HERE/devdax-test.sh" ]; then
	timeout -k 10 "$timeout" "$HERE/devdax-test.sh"
	status=$?
	[ "$status" = 124 ] && echo "pinfs-vm: the test timed out after $timeout s"
else
	echo "pinfs-vm: $HERE/devdax-test.sh is missing"
fi
if [ "$status" = 0 ]; then
	echo "PINFS-VM-RESULT: PASS"
else
	echo "PINFS-VM-RESULT: FAIL (status $status)"
fi
sync
echo 1 >/proc/sys/kernel/sysrq
echo o >/proc/sysrq-trigger
sleep 30
# never return: PID 1 exiting panics the kernel (panic=-1 reboots, and
# qemu -no-reboot exits), which is also an end
exit "$status"
