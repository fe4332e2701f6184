/* SPDX-License-Identifier: MIT */
/*
 * devdax.c - what a pin must respect when the region is a device-DAX
 * character device: the device maps only in units of its alignment, and
 * msync() is refused on it (the flush is a CPU cache flush, flush.c).
 *
 * The alignment is the device's sysfs "align" attribute (kernel 5.10+:
 * /sys/dev/char/MAJ:MIN/align, the dax device itself; older kernels have
 * only the dax region's, /sys/dev/char/MAJ:MIN/device/align).  When
 * neither can be read, the kernel's default (2 MiB) is assumed: refusing
 * a pin that would have mapped is better than a mapping that faults.
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int read_align(const char *path, uint64_t *align)
{
	char buf[64], *end;
	unsigned long long v;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EIO;
	/* a power of two from 4 KiB to 1 GiB (what device DAX offers) */
	if (v < 4096 || v > (1ull << 30) || (v & (v - 1)))
		return -EIO;
	*align = v;
	return 0;
}

int cl_devdax_align_at(const char *sysfs, unsigned maj, unsigned min,
		       uint64_t *align)
{
	static const char *const attr[] = { "align", "device/align" };
	char path[512];

	for (size_t i = 0; i < sizeof(attr) / sizeof(attr[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/dev/char/%u:%u/%s",
				 sysfs, maj, min, attr[i]);

		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (read_align(path, align) == 0)
			return 0;
	}
	*align = CL_DEVDAX_DEFAULT_ALIGN;
	return -ENOENT;
}

int cl_region_kind(int fd, bool *devdax, uint64_t *align)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*devdax = S_ISCHR(st.st_mode);
	*align = 0;
	if (*devdax)
		cl_devdax_align_at("/sys", major(st.st_rdev),
				   minor(st.st_rdev), align);
	return 0;
}

int cl_devdax_extent_ok(uint64_t align, uint64_t region_off,
			uint64_t span_off, uint64_t len)
{
	if (!align)
		return 0;
	if (region_off % align || span_off % align || len % align)
		return -EINVAL;
	return 0;
}
