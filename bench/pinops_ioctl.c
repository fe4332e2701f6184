/* SPDX-License-Identifier: MIT */
/* pinops_ioctl.c - the pin-layer ioctls (include/pinfs/ioctl.h). */
#include "pinops.h"

#include <errno.h>
#include <pinfs/ioctl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* The pin reply carries the extent list inline (16 KiB): keep one. */
static struct pinfs_pin *pin_buf;

const char *pinops_missing(void)
{
	return NULL;
}

int pinops_info(int fd)
{
	struct pinfs_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = PINFS_ABI_VERSION;
	return ioctl(fd, PINFS_IOC_INFO, &info) < 0 ? -errno : 0;
}

int pinops_lease(int fd, uint64_t off, uint64_t len, int signo)
{
	struct pinfs_lease l;

	memset(&l, 0, sizeof(l));
	l.abi_version = PINFS_ABI_VERSION;
	l.type = PINFS_LEASE_BREAKABLE;
	l.off = off;
	l.len = len;
	l.signo = (uint32_t)signo;
	return ioctl(fd, PINFS_IOC_SETLEASE, &l) < 0 ? -errno : 0;
}

int pinops_pin(int fd, uint64_t off, uint64_t len, uint64_t *pin_id)
{
	if (!pin_buf) {
		pin_buf = malloc(sizeof(*pin_buf));
		if (!pin_buf)
			return -ENOMEM;
	}
	/* only the header is input; the extent array is output */
	memset(pin_buf, 0, offsetof(struct pinfs_pin, ext));
	pin_buf->abi_version = PINFS_ABI_VERSION;
	pin_buf->flags = PINFS_PIN_WRITE;
	pin_buf->off = off;
	pin_buf->len = len;
	if (ioctl(fd, PINFS_IOC_PIN, pin_buf) < 0)
		return -errno;
	*pin_id = pin_buf->pin_id;
	return 0;
}

int pinops_unpin(int fd, uint64_t pin_id)
{
	struct pinfs_unpin u;

	memset(&u, 0, sizeof(u));
	u.abi_version = PINFS_ABI_VERSION;
	u.pin_id = pin_id;
	return ioctl(fd, PINFS_IOC_UNPIN, &u) < 0 ? -errno : 0;
}
