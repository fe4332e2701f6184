/* SPDX-License-Identifier: MIT */
/* pinops_none.c - built when include/pinfs/ioctl.h has no pin calls yet. */
#include "pinops.h"

#include <errno.h>
#include <pinfs/ioctl.h>
#include <string.h>
#include <sys/ioctl.h>

const char *pinops_missing(void)
{
	return "awaits the pin layer (no PINFS_IOC_PIN in pinfs/ioctl.h)";
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
	return -ENOTSUP;
}

int pinops_pin(int fd, uint64_t off, uint64_t len, uint64_t *pin_id)
{
	return -ENOTSUP;
}

int pinops_unpin(int fd, uint64_t pin_id)
{
	return -ENOTSUP;
}
