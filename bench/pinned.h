/* SPDX-License-Identifier: MIT */
/*
 * pinned.h - internals of `pinfs-bench pinned` shared by pinned.c (CPU
 * stores and io_uring fills, in one process) and pinned_procs.c (several
 * holder processes, and the revocation-cost run).
 */
#ifndef PINFS_BENCH_PINNED_H
#define PINFS_BENCH_PINNED_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "mounts.h"
#include "region.h"
#include "target.h"

struct pinned_ctx {
	const struct bench_opts *o;
	char raw_path[MOUNT_PATH];  /* the raw region file (or devdax) */
	struct region *raw;         /* o->size bytes, warm */
	/* the raw side of the CPU and io_uring rows: the region pages under
	 * the warm pin, mapped by libpmem2 in the same order; NULL: raw */
	struct region *same;
	struct bench_mount mnt;     /* pinfs */
	bool pinfs_up;
	char why[200];              /* why the pinned rows do not run */
	unsigned files;             /* files made on the mount so far */
};

/* Create a file of len bytes on the mount, allocated and written once
 * (fill) or only preallocated: its path in buf; 0 or -errno. */
int pinned_make_file(struct pinned_ctx *c, uint64_t len, bool fill,
		     char *buf, size_t blen);
/* Several holders on disjoint ranges; the revocation-cost run. */
void pinned_holders(struct pinned_ctx *c);
void pinned_revocation(struct pinned_ctx *c);

#endif /* PINFS_BENCH_PINNED_H */
