/* SPDX-License-Identifier: MIT */
/*
 * region_fi.c - crash-injection variant of the region (see region.h).
 *
 * The store works on a private anonymous copy of the image; the file is
 * mapped MAP_SHARED as the "durable media".  Only the persist calls copy
 * their ranges from the copy to the media, so a crash (the armed persist
 * call, which _exit()s before copying) loses every store not persisted, as
 * a power cut would.  Devdax devices are not supported here.
 */
#include "region.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

struct region {
	struct region_file rf;
	uint8_t *base;    /* the private working copy */
	uint8_t *media;   /* MAP_SHARED file mapping; NULL when read-only */
	uint64_t size;
	bool readonly;
};

static uint64_t persist_calls;
static uint64_t crash_at;      /* absolute count; 0 = disarmed */
static bool crash_env_read;

static void crash_env(void)
{
	const char *s;

	if (crash_env_read)
		return;
	crash_env_read = true;
	s = getenv("PINFS_CRASH_AT");
	if (s && *s)
		crash_at = persist_calls + strtoull(s, NULL, 10);
}

int region_open(const char *path, uint32_t flags, uint64_t create_size,
		struct region **out, const char **why)
{
	const char *dummy;
	struct region *r;
	int err;

	if (!why)
		why = &dummy;
	crash_env();
	r = calloc(1, sizeof(*r));
	if (!r) {
		*why = "out of memory";
		return -ENOMEM;
	}
	err = region_file_open(path, flags, create_size, &r->rf, why);
	if (err)
		goto err_free;
	if (r->rf.is_chr) {
		err = -ENOTSUP;
		*why = "the crash-injection build does not support devdax";
		goto err_close;
	}
	r->size = r->rf.size;
	r->readonly = flags & REGION_READONLY;
	if (r->readonly) {
		r->base = region_map_private(r->rf.fd, r->size);
		if (!r->base) {
			err = -errno;
			*why = "cannot map region";
			goto err_close;
		}
	} else {
		r->media = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
				MAP_SHARED, r->rf.fd, 0);
		if (r->media == MAP_FAILED) {
			err = -errno;
			*why = "cannot map region";
			goto err_close;
		}
		r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r->base == MAP_FAILED) {
			err = -errno;
			*why = "cannot allocate the working copy";
			munmap(r->media, r->size);
			goto err_close;
		}
		memcpy(r->base, r->media, r->size);
	}
	*out = r;
	return 0;

err_close:
	close(r->rf.fd);
err_free:
	free(r);
	return err;
}

void region_close(struct region **rp)
{
	struct region *r = *rp;

	if (!r)
		return;
	munmap(r->base, r->size);
	if (r->media)
		munmap(r->media, r->size);
	close(r->rf.fd);
	free(r);
	*rp = NULL;
}

void *region_base(struct region *r) { return r->base; }
uint64_t region_size(const struct region *r) { return r->size; }
int region_fd(const struct region *r) { return r->rf.fd; }
bool region_is_devdax(const struct region *r) { return false; }
bool region_is_readonly(const struct region *r) { return r->readonly; }
bool region_ram_only(const struct region *r) { (void)r; return false; }
const char *region_granularity(const struct region *r) { return "page"; }

void region_persist(struct region *r, const void *ptr, size_t len)
{
	const uint8_t *p = ptr;
	uint64_t n = __atomic_add_fetch(&persist_calls, 1, __ATOMIC_RELAXED);

	if (crash_at && n == crash_at)
		_exit(PINFS_CRASH_EXIT);
	if (!r->media || !len)
		return;
	memcpy(r->media + (p - r->base), p, len);
}

void region_memcpy_persist(struct region *r, void *dst, const void *src,
			   size_t len, unsigned flags)
{
	(void)flags;
	memcpy(dst, src, len);
	region_persist(r, dst, len);
}

void region_memset_persist(struct region *r, void *dst, int c, size_t len)
{
	memset(dst, c, len);
	region_persist(r, dst, len);
}

bool region_writes_by_fd(const struct region *r) { (void)r; return false; }

/* The working copy gets the bytes, the media only what the persist call
 * copies: a crash at this call loses the whole write, as on the real
 * region a power cut before the msync may. */
int region_write_persist(struct region *r, void *dst,
			 const struct iovec *iov, int niov)
{
	uint8_t *p = dst;

	if (niov < 0 || niov > REGION_IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < niov; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	region_persist(r, dst, region_iov_len(iov, niov));
	return 0;
}

uint64_t region_persist_count(void)
{
	return __atomic_load_n(&persist_calls, __ATOMIC_RELAXED);
}

int region_crash_at(uint64_t n)
{
	crash_env_read = true;
	crash_at = n ? persist_calls + n : 0;
	return 0;
}
