/* SPDX-License-Identifier: MIT */
/*
 * region.h - the persistent-memory region: open, map, persist.
 *
 * The only module that knows libpmem2.  A region is a regular file
 * (created at the requested size when missing) or a devdax character
 * device, mapped whole.  Everything the store makes durable goes through
 * region_persist / region_memcpy_persist / region_memset_persist.
 *
 * Data blocks are written with region_write_persist.  On a regular file
 * mapped with page granularity (tmpfs, a file system without DAX), a
 * write of REGION_PWRITE_MIN bytes or more is a pwrite() to the region
 * descriptor, which shares the page cache with every mapping of the
 * region (the daemon's and holders'), so it is coherent with them.  A
 * store through the mapping costs a page fault for every page this
 * process has no page-table entry for yet (a new tmpfs page, or one a
 * pwrite created), which on this VM costs more than the copy; pwrite
 * needs none, but costs a system call and, on pages that are mapped, 4
 * times the copy.  So large (streaming) writes go by the descriptor and
 * small ones, which tend to come back to the same pages, through the
 * mapping (docs/perf-fs-write.md has the figures).  On devdax and on
 * cache-line or byte granularity everything is copied through the
 * mapping (libpmem2 memcpy) and flushed.
 *
 * Two variants share this header, chosen by meson:
 *  - region.c: the real thing (pmem2 map, persist, memcpy, memset);
 *  - region_fi.c: crash injection.  The store works on a private copy;
 *    only the persist calls copy their ranges into the file mapping, and
 *    when PINFS_CRASH_AT=N (or region_crash_at()) names the Nth persist
 *    call, that call _exit(PINFS_CRASH_EXIT) before copying: a power cut,
 *    where whatever was not persisted is lost.
 *
 * A READONLY region file is mapped privately (copy-on-write): the store
 * may replay its journal in memory, and nothing reaches the file.  A
 * READONLY devdax device cannot be mapped privately: it is mapped shared
 * and read-only (see region_map_readonly).
 */
#ifndef PINFS_REGION_H
#define PINFS_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PINFS_CRASH_EXIT 86

enum region_open_flags {
	REGION_CREATE = 1u << 0,   /* create a missing file at CREATE_SIZE;
				      resize an existing file if nonzero */
	REGION_READONLY = 1u << 1, /* private mapping, nothing written */
};

struct region;

/*
 * Open and map PATH.  -ENOENT for a missing file without REGION_CREATE,
 * -EINVAL for a path that is neither a regular file nor a character
 * device, -EUCLEAN for an empty one; *why gets a static one-line reason.
 */
int region_open(const char *path, uint32_t flags, uint64_t create_size,
		struct region **out, const char **why);
void region_close(struct region **r);

void *region_base(struct region *r);
uint64_t region_size(const struct region *r);
int region_fd(const struct region *r);
bool region_is_devdax(const struct region *r);
bool region_is_readonly(const struct region *r);
/* "page", "cache-line" or "byte": what a persist call makes durable. */
const char *region_granularity(const struct region *r);

/* Make [ptr, ptr+len) durable. */
void region_persist(struct region *r, const void *ptr, size_t len);
/* Copy / fill then persist, as one persist call (FLAGS: 0 or
 * REGION_NONTEMPORAL). */
#define REGION_NONTEMPORAL 1u
void region_memcpy_persist(struct region *r, void *dst, const void *src,
			   size_t len, unsigned flags);
void region_memset_persist(struct region *r, void *dst, int c, size_t len);
/* Write the NIOV pieces of IOV one after the other at DST (inside the
 * mapping), then persist them, as one persist call: 0, or -errno (-EINVAL
 * for a bad NIOV; -ENOSPC when the file system under a sparse region is
 * full, with the range partly written).  Thread-safe for disjoint
 * ranges. */
#define REGION_PWRITE_MIN (64u << 10)
struct iovec;
int region_write_persist(struct region *r, void *dst,
			 const struct iovec *iov, int niov);
/* True when region_write_persist uses the descriptor (page granularity
 * on a regular file). */
bool region_writes_by_fd(const struct region *r);

/* Persist calls made by this process so far (both variants count). */
uint64_t region_persist_count(void);
/* Crash-injection variant only: crash at the Nth persist call from now
 * (0 disarms); the real variant returns -ENOTSUP. */
int region_crash_at(uint64_t n);

/* ---- shared helpers of the two variants (region_common.c) ---- */
struct region_file {
	int fd;
	uint64_t size;
	bool is_chr;
};
int region_file_open(const char *path, uint32_t flags, uint64_t create_size,
		     struct region_file *rf, const char **why);
/*
 * The mapping of a READONLY region: a regular file is mapped MAP_PRIVATE
 * and writable (copy-on-write: a journal replay stays in memory); a
 * devdax character device refuses private mappings, so it is mapped
 * MAP_SHARED and PROT_READ (the descriptor is O_RDONLY): nothing can
 * reach the device, and a store into that mapping faults (SIGSEGV).  So
 * jrnl_open refuses a committed transaction to replay on such a region
 * (-EROFS, with the reason) and writes nothing there (docs/devdax.md, D1).
 */
void region_ro_map_mode(bool is_chr, int *prot, int *flags);
/* FD is a file on tmpfs or ramfs: no medium behind its page cache. */
bool region_fd_ram_only(int fd);
/* The region is such a file: persist is a memory fence, not an msync
 * (region.c, region_persist); the crash-injection variant says false. */
bool region_ram_only(const struct region *r);
void *region_map_readonly(int fd, uint64_t size, bool is_chr);
/* region_map_readonly of a regular file (MAP_PRIVATE). */
void *region_map_private(int fd, uint64_t size);
/* pwritev all of IOV (at most REGION_IOV_MAX pieces) at OFF, resuming
 * after short writes: 0 or -errno. */
#define REGION_IOV_MAX 8
int region_pwritev_all(int fd, uint64_t off, const struct iovec *iov,
		       int niov);
/* Total bytes of IOV. */
size_t region_iov_len(const struct iovec *iov, int niov);

#endif /* PINFS_REGION_H */
