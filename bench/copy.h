/* SPDX-License-Identifier: MIT */
/*
 * copy.h - the CPU-store loop, the same for raw and pinned targets.
 *
 * threads threads each own a disjoint, equal slice of the target and copy
 * block-sized chunks from a private source buffer into successive offsets
 * of their slice: libpmem2 memcpy, then persist, per block.  A warm run
 * first writes its whole slice once untimed, then copies for the given
 * duration, wrapping around.  A cold run times exactly one pass over a
 * slice nobody has touched (first-touch page faults included).  The loop
 * stops early when the target reports a break (revocation runs).
 */
#ifndef PINFS_BENCH_COPY_H
#define PINFS_BENCH_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"
#include "target.h"

enum copy_phase {
	COPY_WARM,   /* one untimed pass, then duration seconds */
	COPY_COLD,   /* one timed pass over untouched memory */
	COPY_STREAM, /* duration seconds from the first store, no pre-pass */
};

struct copy_params {
	struct region_copy_fn fn;
	size_t block;         /* bytes per copy */
	unsigned threads;
	double duration;      /* seconds (warm) */
	enum copy_phase phase;
	bool pin_cpu;
	unsigned first_cpu;   /* thread i runs on first_cpu + i */
	/* the source of thread i (block bytes, filled, page aligned), so
	 * that the two sides of a pair copy from the same memory; NULL: each
	 * run allocates its own */
	char *const *src;
};

struct copy_result {
	uint64_t bytes;
	uint64_t ns;          /* wall time, first start to last end */
	uint64_t cpu_ns;      /* CPU time the threads ran while timed, summed:
			       * time other tasks took from them is not in it */
	bool broken;          /* stopped by a break */
};

/* Sources for copy_params.src: threads buffers of block bytes, each
 * filled with its own byte: 0 or -ENOMEM.  copy_sources_free() frees. */
int copy_sources_new(unsigned threads, size_t block, char ***out);
void copy_sources_free(char ***srcp, unsigned threads);

/* Run the loop: 0 or -errno (-EINVAL when a slice is smaller than a
 * block). */
int copy_run(const struct pinned_target *t, const struct copy_params *p,
	     struct copy_result *res);

static inline double copy_gbps(const struct copy_result *r)
{
	return r->ns ? (double)r->bytes / (double)r->ns : 0.0;
}

#endif /* PINFS_BENCH_COPY_H */
