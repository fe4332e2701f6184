/* SPDX-License-Identifier: MIT */
/*
 * uring.h - a DMA-engine stand-in: io_uring fills of a target through
 * fixed buffers (the bench's only home of liburing).
 *
 * The target is registered as io_uring fixed buffers - a real kernel
 * long-term pin of its pages - and filled with IORING_OP_READ_FIXED from a
 * source file, keeping queue_depth reads in flight, for a duration.
 */
#ifndef PINFS_BENCH_URING_H
#define PINFS_BENCH_URING_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

struct uring_params {
	int src_fd;
	size_t src_len;       /* bytes of the source to cycle through */
	size_t block;         /* bytes per read */
	unsigned queue_depth;
	double duration;      /* seconds */
	bool pin_cpu;
};

struct uring_result {
	uint64_t bytes;
	uint64_t ns;
	uint64_t cpu_ns;      /* CPU time of the process (the submitter and
			       * io_uring's io-wq workers) over the fills */
	uint64_t register_ns; /* time to register (pin) the buffers */
};

/* 0 or -errno (registration refused: the kernel's error, e.g. -EFAULT on
 * mappings it cannot pin long-term). */
int uring_fill_run(const struct pinned_target *t, const struct uring_params *p,
		   struct uring_result *res);

#endif /* PINFS_BENCH_URING_H */
