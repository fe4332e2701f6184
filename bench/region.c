/* SPDX-License-Identifier: MIT */
/* region.c - map a region file or devdax with libpmem2. */
#include "region.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <libpmem2.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libpmem2's persist function for a PAGE-granularity map flushes with
 * msync(2) only addresses inside a map libpmem2 made itself; for any other
 * address (a pinned range mapped by libpinfs) it silently does nothing.  So
 * that raw and pinned targets do the same work, a PAGE map persists through
 * this function instead, which does what libpmem2 does for its own maps:
 * msync(MS_SYNC) of the pages holding the range (and, like libpmem2,
 * aborts if that fails: the range is mapped, so it cannot).
 */
static void persist_pages(const void *addr, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(page - 1);
	uintptr_t end = ((uintptr_t)addr + len + page - 1) & ~(page - 1);

	if (msync((void *)start, end - start, MS_SYNC) < 0)
		abort();
}

struct region {
	int fd;
	struct pmem2_map **maps;       /* one, or one per piece */
	unsigned nmaps;
	struct pmem2_vm_reservation *rsv; /* pieces: the range they fill */
	void *addr;
	size_t len;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_persist_fn persist_fn;
	enum pmem2_granularity gran;
};

bool region_is_devdax(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static int pmem_err(const char *what, int ret)
{
	fprintf(stderr, "pinfs-bench: region: %s: %s\n", what,
		pmem2_errormsg());
	return ret < 0 ? ret : -EIO;
}

/* One libpmem2 map of [off, off + len) of r->fd, placed at rsv_off in
 * r->rsv when there is one: 0 or -errno. */
static int map_one(struct region *r, size_t off, size_t len, size_t rsv_off,
		   struct pmem2_map **map)
{
	struct pmem2_source *src = NULL;
	struct pmem2_config *cfg = NULL;
	int ret;

	ret = pmem2_config_new(&cfg);
	if (ret)
		return pmem_err("pmem2_config_new", ret);
	/* files on tmpfs/ext4 only offer PAGE; devdax offers CACHE_LINE */
	ret = pmem2_config_set_required_store_granularity(cfg,
						PMEM2_GRANULARITY_PAGE);
	if (!ret)
		ret = pmem2_config_set_offset(cfg, off);
	if (!ret)
		ret = pmem2_config_set_length(cfg, len);
	if (!ret && r->rsv)
		ret = pmem2_config_set_vm_reservation(cfg, r->rsv, rsv_off);
	if (ret) {
		ret = pmem_err("pmem2_config", ret);
		goto out_cfg;
	}
	ret = pmem2_source_from_fd(&src, r->fd);
	if (ret) {
		ret = pmem_err("pmem2_source_from_fd", ret);
		goto out_cfg;
	}
	ret = pmem2_map_new(map, cfg, src);
	if (ret)
		ret = pmem_err("pmem2_map_new", ret);
	pmem2_source_delete(&src);
out_cfg:
	pmem2_config_delete(&cfg);
	return ret;
}

/* The copy and persist functions of the first map (all maps of a region
 * are of the same file, so they get the same ones). */
static void set_fns(struct region *r)
{
	r->memcpy_fn = pmem2_get_memcpy_fn(r->maps[0]);
	r->gran = pmem2_map_get_store_granularity(r->maps[0]);
	/* CPU flushes (CACHE_LINE, BYTE) work on any address; msync does not */
	r->persist_fn = r->gran == PMEM2_GRANULARITY_PAGE ?
			persist_pages : pmem2_get_persist_fn(r->maps[0]);
}

static struct region *region_alloc(unsigned nmaps)
{
	struct region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->maps = calloc(nmaps, sizeof(*r->maps));
	if (!r->maps) {
		free(r);
		return NULL;
	}
	return r;
}

int region_map(const char *path, size_t len, bool fresh, struct region **out)
{
	bool devdax = region_is_devdax(path);
	struct region *r;
	int ret;

	r = region_alloc(1);
	if (!r)
		return -ENOMEM;
	r->fd = open(path, O_RDWR | O_CLOEXEC | (devdax ? 0 : O_CREAT), 0600);
	if (r->fd < 0) {
		ret = -errno;
		fprintf(stderr, "pinfs-bench: region %s: %s\n", path,
			strerror(errno));
		goto err;
	}
	if (!devdax && ((fresh && ftruncate(r->fd, 0) < 0) ||
			ftruncate(r->fd, (off_t)len) < 0)) {
		ret = -errno;
		fprintf(stderr, "pinfs-bench: region %s: size %zu: %s\n", path,
			len, strerror(errno));
		goto err;
	}
	ret = map_one(r, 0, len, 0, &r->maps[0]);
	if (ret)
		goto err;
	r->nmaps = 1;
	r->addr = pmem2_map_get_address(r->maps[0]);
	r->len = pmem2_map_get_size(r->maps[0]);
	set_fns(r);
	*out = r;
	return 0;
err:
	region_unmap(&r);
	return ret;
}

int region_map_pieces(const char *path, const struct target_piece *pc,
		      unsigned n, size_t len, struct region **out)
{
	struct region *r;
	int ret;

	if (n == 0 || pc[n - 1].t_off + pc[n - 1].len != len)
		return -EINVAL;
	r = region_alloc(n);
	if (!r)
		return -ENOMEM;
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		ret = -errno;
		fprintf(stderr, "pinfs-bench: region %s: %s\n", path,
			strerror(errno));
		goto err;
	}
	ret = pmem2_vm_reservation_new(&r->rsv, NULL, len);
	if (ret) {
		ret = pmem_err("pmem2_vm_reservation_new", ret);
		goto err;
	}
	for (unsigned i = 0; i < n; i++) {
		ret = map_one(r, (size_t)pc[i].region_off, (size_t)pc[i].len,
			      (size_t)pc[i].t_off, &r->maps[i]);
		if (ret)
			goto err;
		r->nmaps++;
	}
	r->addr = pmem2_vm_reservation_get_address(r->rsv);
	r->len = len;
	set_fns(r);
	*out = r;
	return 0;
err:
	region_unmap(&r);
	return ret;
}

int region_punch(const char *path, const struct target_piece *pc, unsigned n)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (unsigned i = 0; i < n && !ret; i++)
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)pc[i].region_off, (off_t)pc[i].len) < 0)
			ret = -errno;
	close(fd);
	return ret;
}

void region_unmap(struct region **rp)
{
	struct region *r = *rp;

	if (!r)
		return;
	/* pieces first: a reservation with maps in it cannot go */
	for (unsigned i = r->nmaps; i-- > 0;)
		pmem2_map_delete(&r->maps[i]);
	if (r->rsv)
		pmem2_vm_reservation_delete(&r->rsv);
	if (r->fd >= 0)
		close(r->fd);
	free(r->maps);
	free(r);
	*rp = NULL;
}

struct pinned_target region_target(const struct region *r)
{
	struct pinned_target t = {
		.base = r->addr, .len = r->len, .kind = "raw",
		.owner = (void *)r,
	};

	return t;
}

struct region_copy_fn region_copy_fn(const struct region *r,
				     enum region_copy k)
{
	struct region_copy_fn f = {
		.memcpy_fn = r->memcpy_fn,
		.persist_fn = r->persist_fn,
		/* the copy, then an explicit persist of the block */
		.flags = PMEM2_F_MEM_NOFLUSH |
			 (k == REGION_COPY_NT ? PMEM2_F_MEM_NONTEMPORAL : 0),
		.name = k == REGION_COPY_NT ? "nt" : "default",
	};

	return f;
}

int region_force_granularity(const char *g)
{
	const char *v;

	if (strcmp(g, "page") == 0)
		v = "PAGE";
	else if (strcmp(g, "cache-line") == 0)
		v = "CACHE_LINE";
	else if (strcmp(g, "byte") == 0)
		v = "BYTE";
	else
		return -EINVAL;
	return setenv("PMEM2_FORCE_GRANULARITY", v, 1) < 0 ? -errno : 0;
}

const char *region_granularity(const struct region *r)
{
	switch (r->gran) {
	case PMEM2_GRANULARITY_BYTE:
		return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE:
		return "cache line";
	case PMEM2_GRANULARITY_PAGE:
		return "page";
	}
	return "unknown";
}
