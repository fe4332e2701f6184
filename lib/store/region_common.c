/* SPDX-License-Identifier: MIT */
/* region_common.c - opening a region file, shared by both variants. */
#include "region.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

int region_file_open(const char *path, uint32_t flags, uint64_t create_size,
		     struct region_file *rf, const char **why)
{
	bool ro = flags & REGION_READONLY;
	int oflags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat stb;
	int fd, err;

	if (!path || !*path) {
		*why = "no region path given";
		return -EINVAL;
	}
	fd = open(path, oflags);
	if (fd < 0 && errno == ENOENT && (flags & REGION_CREATE) && !ro) {
		if (!create_size) {
			*why = "region file does not exist and no size given";
			return -EINVAL;
		}
		fd = open(path, oflags | O_CREAT | O_EXCL, 0600);
	}
	if (fd < 0) {
		err = -errno;
		*why = err == -ENOENT ? "region does not exist"
				       : "cannot open region";
		return err;
	}
	if (fstat(fd, &stb) < 0) {
		err = -errno;
		*why = "cannot stat region";
		goto err_close;
	}
	rf->is_chr = S_ISCHR(stb.st_mode);
	if (!rf->is_chr && !S_ISREG(stb.st_mode)) {
		err = -EINVAL;
		*why = "region is neither a regular file nor a devdax device";
		goto err_close;
	}
	if (!rf->is_chr && (flags & REGION_CREATE) && create_size &&
	    (uint64_t)stb.st_size != create_size) {
		if (ftruncate(fd, (off_t)create_size) < 0) {
			err = -errno;
			*why = "cannot size region file";
			goto err_close;
		}
		stb.st_size = (off_t)create_size;
	}
	rf->fd = fd;
	rf->size = rf->is_chr ? 0 : (uint64_t)stb.st_size;
	if (!rf->is_chr && rf->size == 0) {
		err = -EUCLEAN;
		*why = "region file is empty";
		goto err_close;
	}
	return 0;

err_close:
	close(fd);
	return err;
}

void region_ro_map_mode(bool is_chr, int *prot, int *flags)
{
	if (is_chr) {
		/* device DAX refuses MAP_PRIVATE ("attempted private
		 * mapping"); the descriptor is O_RDONLY, so PROT_READ */
		*prot = PROT_READ;
		*flags = MAP_SHARED;
	} else {
		*prot = PROT_READ | PROT_WRITE;
		*flags = MAP_PRIVATE;
	}
}

void *region_map_private(int fd, uint64_t size)
{
	return region_map_readonly(fd, size, false);
}

void *region_map_readonly(int fd, uint64_t size, bool is_chr)
{
	int prot, flags;
	void *p;

	region_ro_map_mode(is_chr, &prot, &flags);
	p = mmap(NULL, size, prot, flags, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

size_t region_iov_len(const struct iovec *iov, int niov)
{
	size_t len = 0;

	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	return len;
}

int region_pwritev_all(int fd, uint64_t off, const struct iovec *iov,
		       int niov)
{
	struct iovec v[REGION_IOV_MAX];
	int i = 0;

	if (niov < 0 || niov > REGION_IOV_MAX)
		return -EINVAL;
	for (int k = 0; k < niov; k++)
		v[k] = iov[k];
	while (i < niov) {
		ssize_t n;

		if (!v[i].iov_len) {
			i++;
			continue;
		}
		n = pwritev(fd, v + i, niov - i, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += (uint64_t)n;
		/* skip what was written: whole pieces, then part of one */
		while (i < niov && (size_t)n >= v[i].iov_len) {
			n -= (ssize_t)v[i].iov_len;
			i++;
		}
		if (i < niov) {
			v[i].iov_base = (uint8_t *)v[i].iov_base + n;
			v[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

bool region_fd_ram_only(int fd)
{
	struct statfs sf;

	/* tmpfs and ramfs: the page cache is all there is */
	return fstatfs(fd, &sf) == 0 &&
	       (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC);
}
