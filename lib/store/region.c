/* SPDX-License-Identifier: MIT */
/*
 * region.c - the real region: libpmem2 map, persist, memcpy, memset.
 * See region.h.  READONLY region files bypass pmem2 and map privately; a
 * READONLY devdax device is mapped by pmem2, shared and read-only.
 */
#include "region.h"

#include <errno.h>
#include <libpmem2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

struct region {
	struct region_file rf;
	uint8_t *base;
	uint64_t size;
	bool readonly;
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map;
	struct pmem2_map *ro_map;  /* READONLY devdax (see region_open) */
	pmem2_persist_fn persist;
	pmem2_memcpy_fn memcpy_fn;
	pmem2_memset_fn memset_fn;
	const char *gran;
	bool by_fd;   /* data writes pwrite() the descriptor (see region.h) */
	bool ram_only; /* tmpfs/ramfs file: no medium behind the page cache */
};

static _Atomic uint64_t persist_calls;

static const char *gran_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE:
		return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE:
		return "cache-line";
	default:
		return "page";
	}
}

static int region_map_pmem2(struct region *r, const char **why)
{
	size_t sz;

	if (pmem2_config_new(&r->cfg)) {
		*why = "pmem2_config_new failed";
		return -ENOMEM;
	}
	if (pmem2_source_from_fd(&r->src, r->rf.fd)) {
		*why = "pmem2 cannot use this region (pmem2_source_from_fd)";
		return -EINVAL;
	}
	if (pmem2_source_size(r->src, &sz)) {
		*why = "pmem2 cannot size this region";
		return -EINVAL;
	}
	if (pmem2_config_set_required_store_granularity(
		    r->cfg, PMEM2_GRANULARITY_PAGE)) {
		*why = "pmem2 refused the store granularity";
		return -EINVAL;
	}
	if (pmem2_map_new(&r->map, r->cfg, r->src)) {
		*why = "pmem2 cannot map the region";
		return -EINVAL;
	}
	r->base = pmem2_map_get_address(r->map);
	r->size = pmem2_map_get_size(r->map);
	r->persist = pmem2_get_persist_fn(r->map);
	r->memcpy_fn = pmem2_get_memcpy_fn(r->map);
	r->memset_fn = pmem2_get_memset_fn(r->map);
	r->gran = gran_name(pmem2_map_get_store_granularity(r->map));
	/* page granularity means a page cache under the mapping: write it
	 * with pwrite (no fault per fresh page); devdax and DAX mappings
	 * (cache-line or byte granularity) are written through the map */
	r->by_fd = !r->rf.is_chr && pmem2_map_get_store_granularity(r->map) ==
					    PMEM2_GRANULARITY_PAGE;
	r->ram_only = region_fd_ram_only(r->rf.fd);
	return 0;
}

/*
 * A READONLY devdax device: the descriptor is O_RDONLY, so PROT_READ;
 * pmem2 maps devdax MAP_SHARED (region_ro_map_mode says the same).  The
 * map is kept in ro_map, not map: nothing is persisted through it.  On
 * success it owns the whole mapping (no failure can follow it).
 */
static int region_map_pmem2_ro(struct region *r, const char **why)
{
	size_t sz;

	if (pmem2_config_new(&r->cfg)) {
		*why = "pmem2_config_new failed";
		return -ENOMEM;
	}
	if (pmem2_source_from_fd(&r->src, r->rf.fd) ||
	    pmem2_source_size(r->src, &sz)) {
		*why = "pmem2 cannot size this region";
		return -EINVAL;
	}
	r->rf.size = sz;
	if (pmem2_config_set_required_store_granularity(
		    r->cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_config_set_protection(r->cfg, PMEM2_PROT_READ)) {
		*why = "pmem2 refused the read-only configuration";
		return -EINVAL;
	}
	if (pmem2_map_new(&r->ro_map, r->cfg, r->src)) {
		/* pmem2 would not: map it ourselves, the granularity unknown */
		r->ro_map = NULL;
		r->size = sz;
		r->base = region_map_readonly(r->rf.fd, sz, true);
		r->gran = "page";
		if (!r->base) {
			*why = "cannot map region";
			return -EINVAL;
		}
		return 0;
	}
	r->base = pmem2_map_get_address(r->ro_map);
	r->size = pmem2_map_get_size(r->ro_map);
	r->gran = gran_name(pmem2_map_get_store_granularity(r->ro_map));
	return 0;
}

int region_open(const char *path, uint32_t flags, uint64_t create_size,
		struct region **out, const char **why)
{
	const char *dummy;
	struct region *r;
	int err;

	if (!why)
		why = &dummy;
	r = calloc(1, sizeof(*r));
	if (!r) {
		*why = "out of memory";
		return -ENOMEM;
	}
	err = region_file_open(path, flags, create_size, &r->rf, why);
	if (err)
		goto err_free;
	r->readonly = flags & REGION_READONLY;
	if (r->readonly && r->rf.is_chr) {
		/* devdax refuses private mappings: pmem2 maps it shared and
		 * read-only (the same mapping as region_map_readonly, and the
		 * granularity a read-write open would have) */
		err = region_map_pmem2_ro(r, why);
		if (err)
			goto err_unmap;
	} else if (r->readonly) {
		r->size = r->rf.size;
		r->base = region_map_private(r->rf.fd, r->size);
		r->gran = "page";
		if (!r->base) {
			err = -errno;
			*why = "cannot map region";
			goto err_close;
		}
	} else {
		err = region_map_pmem2(r, why);
		if (err)
			goto err_unmap;
	}
	*out = r;
	return 0;

err_unmap:
	if (r->map)
		pmem2_map_delete(&r->map);
	if (r->src)
		pmem2_source_delete(&r->src);
	if (r->cfg)
		pmem2_config_delete(&r->cfg);
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
	if (r->map)
		pmem2_map_delete(&r->map);
	else if (r->ro_map)
		pmem2_map_delete(&r->ro_map);
	else if (r->base)
		munmap(r->base, r->size);
	if (r->src)
		pmem2_source_delete(&r->src);
	if (r->cfg)
		pmem2_config_delete(&r->cfg);
	close(r->rf.fd);
	free(r);
	*rp = NULL;
}

void *region_base(struct region *r) { return r->base; }
uint64_t region_size(const struct region *r) { return r->size; }
int region_fd(const struct region *r) { return r->rf.fd; }
bool region_is_devdax(const struct region *r) { return r->rf.is_chr; }
bool region_is_readonly(const struct region *r) { return r->readonly; }
const char *region_granularity(const struct region *r) { return r->gran; }

bool region_ram_only(const struct region *r) { return r->ram_only; }

/* On a RAM-only region a store is as durable as it will ever be once it
 * is in the shared mapping (the page cache is the medium: a killed
 * daemon loses nothing, a power cut loses everything whatever msync
 * did), so persist orders the stores and calls nothing. */
void region_persist(struct region *r, const void *ptr, size_t len)
{
	atomic_fetch_add(&persist_calls, 1);
	if (r->ram_only) {
		atomic_thread_fence(memory_order_seq_cst);
		return;
	}
	if (r->map && len)
		r->persist(ptr, len);
}

void region_memcpy_persist(struct region *r, void *dst, const void *src,
			   size_t len, unsigned flags)
{
	atomic_fetch_add(&persist_calls, 1);
	if (!r->map) {
		memcpy(dst, src, len);
		return;
	}
	r->memcpy_fn(dst, src, len,
		     ((flags & REGION_NONTEMPORAL) ? PMEM2_F_MEM_NONTEMPORAL : 0) |
			     (r->ram_only ? PMEM2_F_MEM_NOFLUSH : 0));
}

void region_memset_persist(struct region *r, void *dst, int c, size_t len)
{
	atomic_fetch_add(&persist_calls, 1);
	if (!r->map) {
		memset(dst, c, len);
		return;
	}
	r->memset_fn(dst, c, len, r->ram_only ? PMEM2_F_MEM_NOFLUSH : 0);
}

bool region_writes_by_fd(const struct region *r) { return r->by_fd; }

int region_write_persist(struct region *r, void *dst,
			 const struct iovec *iov, int niov)
{
	size_t len;
	uint8_t *p = dst;
	int err;

	if (niov < 0 || niov > REGION_IOV_MAX)
		return -EINVAL;
	len = region_iov_len(iov, niov);
	atomic_fetch_add(&persist_calls, 1);
	if (r->by_fd && len >= REGION_PWRITE_MIN) {
		/* same page cache as the mapping: persist (msync) covers it */
		err = region_pwritev_all(r->rf.fd, (uint64_t)(p - r->base), iov,
					 niov);
		if (err)
			return err;
		if (!r->ram_only)
			r->persist(dst, len);
		return 0;
	}
	/* through the mapping: one piece is libpmem2's copy-and-persist;
	 * several are plain copies, then one persist (libpmem2's NOFLUSH copy
	 * measured slower here than either) */
	if (r->map && niov == 1 && !r->ram_only) {
		r->memcpy_fn(dst, iov[0].iov_base, len, 0);
		return 0;
	}
	for (int i = 0; i < niov; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	if (r->map && len && !r->ram_only)
		r->persist(dst, len);
	return 0;
}

uint64_t region_persist_count(void)
{
	return atomic_load(&persist_calls);
}

int region_crash_at(uint64_t n)
{
	(void)n;
	return -ENOTSUP;
}
