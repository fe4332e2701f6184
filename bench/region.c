/* SPDX-License-Identifier: MIT */
/* region.c - map a region file or devdax with libpmem2. */
#include "region.h"

#include <errno.h>
#include <fcntl.h>
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
	struct pmem2_map *map;
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

int region_map(const char *path, size_t len, bool fresh, struct region **out)
{
	struct pmem2_source *src = NULL;
	struct pmem2_config *cfg = NULL;
	bool devdax = region_is_devdax(path);
	struct region *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = open(path, O_RDWR | O_CLOEXEC | (devdax ? 0 : O_CREAT), 0600);
	if (r->fd < 0) {
		ret = -errno;
		fprintf(stderr, "pinfs-bench: region %s: %s\n", path,
			strerror(errno));
		goto err_free;
	}
	if (!devdax && ((fresh && ftruncate(r->fd, 0) < 0) ||
			ftruncate(r->fd, (off_t)len) < 0)) {
		ret = -errno;
		fprintf(stderr, "pinfs-bench: region %s: size %zu: %s\n", path,
			len, strerror(errno));
		goto err_close;
	}
	ret = pmem2_config_new(&cfg);
	if (ret)
		goto err_pmem_cfg;
	/* files on tmpfs/ext4 only offer PAGE; devdax offers CACHE_LINE */
	ret = pmem2_config_set_required_store_granularity(cfg,
						PMEM2_GRANULARITY_PAGE);
	if (!ret)
		ret = pmem2_config_set_length(cfg, len);
	if (ret)
		goto err_pmem_cfg;
	ret = pmem2_source_from_fd(&src, r->fd);
	if (ret)
		goto err_pmem_src;
	ret = pmem2_map_new(&r->map, cfg, src);
	if (ret)
		goto err_pmem_map;
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	r->addr = pmem2_map_get_address(r->map);
	r->len = pmem2_map_get_size(r->map);
	r->memcpy_fn = pmem2_get_memcpy_fn(r->map);
	r->gran = pmem2_map_get_store_granularity(r->map);
	/* CPU flushes (CACHE_LINE, BYTE) work on any address; msync does not */
	r->persist_fn = r->gran == PMEM2_GRANULARITY_PAGE ?
			persist_pages : pmem2_get_persist_fn(r->map);
	*out = r;
	return 0;

err_pmem_map:
	ret = pmem_err("pmem2_map_new", ret);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	goto err_close;
err_pmem_src:
	ret = pmem_err("pmem2_source_from_fd", ret);
	pmem2_config_delete(&cfg);
	goto err_close;
err_pmem_cfg:
	ret = pmem_err("pmem2_config", ret);
	pmem2_config_delete(&cfg);
err_close:
	close(r->fd);
err_free:
	free(r);
	return ret;
}

void region_unmap(struct region **rp)
{
	struct region *r = *rp;

	if (!r)
		return;
	pmem2_map_delete(&r->map);
	close(r->fd);
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
