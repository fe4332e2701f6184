/* SPDX-License-Identifier: MIT */
/*
 * file.c - libpinfs file handles: open, info, leases, and the cache of
 * region descriptors fetched from the broker.
 */
#include "client.h"

#include "broker_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int query_info(int fd, struct pinfs_info *out)
{
	struct pinfs_info info;

	memset(&info, 0, sizeof(info));
	info.abi_version = PINFS_ABI_VERSION;
	if (ioctl(fd, PINFS_IOC_INFO, &info) < 0) {
		/* Not a pinfs file: ENOTTY from any other filesystem. */
		if (errno == ENOTTY || errno == EINVAL || errno == ENOSYS)
			return errno == EINVAL ? -EPROTONOSUPPORT : -ENOTTY;
		return -errno;
	}
	if (info.abi_version != PINFS_ABI_VERSION)
		return -EPROTONOSUPPORT;
	info.broker[sizeof(info.broker) - 1] = '\0';
	*out = info;
	return 0;
}

/* Take ownership of @fd (closed on failure). */
static int file_wrap(int fd, struct pinfs_file **out)
{
	struct pinfs_info info;
	struct pinfs_file *f;
	int fl, r;

	r = query_info(fd, &info);
	if (r < 0)
		goto err_close;
	if (info.block_size == 0 ||
	    (info.block_size & (info.block_size - 1)) != 0) {
		r = -EPROTO;
		goto err_close;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		r = -errno;
		goto err_close;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		r = -ENOMEM;
		goto err_close;
	}
	f->fd = fd;
	f->writable = (fl & O_ACCMODE) != O_RDONLY;
	f->block_size = info.block_size;
	f->region_ro = -1;
	f->region_rw = -1;
	memcpy(f->broker, info.broker, sizeof(info.broker));
	atomic_init(&f->refs, 1);
	r = -pthread_mutex_init(&f->lock, NULL);
	if (r < 0)
		goto err_free;
	f->break_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->break_fd < 0) {
		r = -errno;
		goto err_mutex;
	}
	f->note_slot = cl_note_file_add(f->break_fd);
	*out = f;
	return 0;

err_mutex:
	pthread_mutex_destroy(&f->lock);
err_free:
	free(f);
err_close:
	close(fd);
	return r;
}

int pinfs_file_new(const char *path, unsigned flags, struct pinfs_file **out)
{
	int fd;

	if (!path || !out || (flags & ~(unsigned)PINFS_OPEN_WRITE))
		return -EINVAL;
	fd = open(path, ((flags & PINFS_OPEN_WRITE) ? O_RDWR : O_RDONLY) |
				O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return file_wrap(fd, out);
}

int pinfs_file_from_fd(int fd, struct pinfs_file **out)
{
	int dup;

	if (fd < 0 || !out)
		return -EINVAL;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -errno;
	return file_wrap(dup, out);
}

void cl_file_get(struct pinfs_file *f)
{
	atomic_fetch_add(&f->refs, 1);
}

void cl_file_put(struct pinfs_file *f)
{
	if (atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	cl_note_file_del(f->note_slot); /* waits out a running handler */
	close(f->break_fd);
	if (f->region_ro >= 0)
		close(f->region_ro);
	if (f->region_rw >= 0)
		close(f->region_rw);
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void pinfs_file_delete(struct pinfs_file **fp)
{
	if (!fp || !*fp)
		return;
	cl_file_put(*fp);
	*fp = NULL;
}

int pinfs_file_fd(const struct pinfs_file *f)
{
	return f ? f->fd : -EINVAL;
}

int pinfs_file_info(struct pinfs_file *f, struct pinfs_info *out)
{
	if (!f || !out)
		return -EINVAL;
	return query_info(f->fd, out);
}

int pinfs_lease_set(struct pinfs_file *f, enum pinfs_lease_type type,
		    uint64_t off, uint64_t len, int signo)
{
	struct pinfs_lease l;

	if (!f || signo < 0 || signo >= NSIG ||
	    (type != PINFS_LEASE_NONE && type != PINFS_LEASE_BREAKABLE &&
	     type != PINFS_LEASE_UNBREAKABLE))
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	l.abi_version = PINFS_ABI_VERSION;
	l.type = (uint32_t)type;
	l.off = off;
	l.len = len;
	l.signo = (uint32_t)signo;
	if (ioctl(f->fd, PINFS_IOC_SETLEASE, &l) < 0)
		return -errno;
	return 0;
}

int pinfs_lease_get(struct pinfs_file *f, struct pinfs_lease *out)
{
	struct pinfs_lease l;

	if (!f || !out)
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	l.abi_version = PINFS_ABI_VERSION;
	if (ioctl(f->fd, PINFS_IOC_GETLEASE, &l) < 0)
		return -errno;
	*out = l;
	return 0;
}

int cl_file_region_fd(struct pinfs_file *f, uint64_t pin_id, bool write,
		      int *fd_out)
{
	int *cache = write ? &f->region_rw : &f->region_ro;
	int r = 0, fd, mode;

	pthread_mutex_lock(&f->lock);
	if (*cache >= 0) {
		*fd_out = *cache;
		goto out_unlock;
	}
	if (!f->broker[0]) {
		r = -EOPNOTSUPP; /* the daemon runs no broker */
		goto out_unlock;
	}
	r = cl_broker_fetch(f->broker, pin_id, CL_BROKER_TIMEOUT_MS, &fd);
	if (r < 0)
		goto out_unlock;
	mode = fcntl(fd, F_GETFL) & O_ACCMODE;
	if (mode != (write ? O_RDWR : O_RDONLY)) {
		close(fd);
		r = -EPROTO; /* the broker must not widen or narrow access */
		goto out_unlock;
	}
	*cache = fd;
	*fd_out = fd;
out_unlock:
	pthread_mutex_unlock(&f->lock);
	return r;
}
