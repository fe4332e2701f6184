/* SPDX-License-Identifier: MIT */
/*
 * target.h - the seam between what is measured and where it writes.
 *
 * A pinned_target is a range of memory a holder writes into: either the
 * raw region mapping (the physical limit, from region.c) or a pinned range
 * of a file on a pinfs mount (from pinsrc.c, through libpinfs).  The copy
 * loop and the io_uring fills take a target and never ask which kind it
 * is, so pinned and raw rows run the exact same code.
 */
#ifndef PINFS_BENCH_TARGET_H
#define PINFS_BENCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pinned_target {
	void *base;       /* first byte the holder may write */
	size_t len;       /* bytes from base */
	const char *kind; /* "raw" or "pinned" */
	/* true once the range was revoked (a break arrived); NULL: never */
	bool (*broken)(const struct pinned_target *t);
	void *owner;      /* the module that made the target */
	uint64_t file_off; /* pinned: file offset of base */
};

/* One piece of a target: bytes [t_off, t_off + len) of the target are the
 * bytes [region_off, region_off + len) of the region file under it. */
struct target_piece {
	uint64_t t_off;
	uint64_t region_off;
	uint64_t len;
};

static inline bool target_broken(const struct pinned_target *t)
{
	return t->broken && t->broken(t);
}

#endif /* PINFS_BENCH_TARGET_H */
