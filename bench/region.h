/* SPDX-License-Identifier: MIT */
/*
 * region.h - the raw region mapping, through libpmem2 (its only home here).
 *
 * Maps a region file (created at the requested size when missing, or a
 * fresh temporary file) or a devdax device the way the daemon does:
 * pmem2 source from the descriptor, shared mapping, PAGE store granularity
 * accepted (files on tmpfs and ext4 report PAGE: no MAP_SYNC).  It hands
 * out libpmem2's memcpy and persist functions, which the copy loop uses on
 * raw and pinned targets alike.
 */
#ifndef PINFS_BENCH_REGION_H
#define PINFS_BENCH_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

struct region;

/* The copy the loop performs: libpmem2's memcpy with one of these flags
 * (plus PMEM2_F_MEM_NOFLUSH), then libpmem2's persist of the block. */
enum region_copy {
	REGION_COPY_NT,      /* PMEM2_F_MEM_NONTEMPORAL */
	REGION_COPY_DEFAULT, /* no flag: libpmem2 picks the instructions */
};

typedef void *(*region_memcpy_fn)(void *dst, const void *src, size_t len,
				  unsigned flags);
typedef void (*region_persist_fn)(const void *addr, size_t len);

struct region_copy_fn {
	region_memcpy_fn memcpy_fn;
	unsigned flags;
	region_persist_fn persist_fn;
	const char *name; /* "nt" or "default" */
};

/*
 * Map len bytes of path (created and sized when it is a missing or
 * regular file; a character device is taken as devdax and mapped whole
 * up to len): 0 or -errno, with a one-line reason on stderr.  When
 * fresh is set, a regular file is truncated to zero first, so every
 * page is touched for the first time by the caller (cold runs).
 */
int region_map(const char *path, size_t len, bool fresh, struct region **out);
/*
 * Map, through libpmem2, the region file at path piece by piece into one
 * contiguous range of len bytes (a libpmem2 VM reservation, one map per
 * piece at its t_off): the same region bytes, in the same order, as the
 * pinned target the pieces describe (pinsrc_pieces).  0 or -errno.
 */
int region_map_pieces(const char *path, const struct target_piece *pc,
		      unsigned n, size_t len, struct region **out);
/* Punch the pieces out of the region file at path (FALLOC_FL_PUNCH_HOLE,
 * size kept): the pages are freed, so the next touch of any mapping of
 * them faults in a fresh zeroed page -- a first touch.  The pieces must
 * be bytes whose content may become zeros.  0 or -errno. */
int region_punch(const char *path, const struct target_piece *pc, unsigned n);
void region_unmap(struct region **rp);

/* The whole mapping as a target ("raw"). */
struct pinned_target region_target(const struct region *r);
/* The copy function of kind k for this mapping. */
struct region_copy_fn region_copy_fn(const struct region *r,
				     enum region_copy k);
/* "page", "cache line" or "byte": what libpmem2 chose. */
const char *region_granularity(const struct region *r);
/* Make libpmem2 use granularity g ("page", "cache-line", "byte") for
 * every later mapping, whatever the medium offers
 * (PMEM2_FORCE_GRANULARITY): 0 or -EINVAL. */
int region_force_granularity(const char *g);

/* True when path names a character device (devdax). */
bool region_is_devdax(const char *path);

#endif /* PINFS_BENCH_REGION_H */
