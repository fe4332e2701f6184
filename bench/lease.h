/* SPDX-License-Identifier: MIT */
/*
 * lease.h - the kernel's own lease break, the reference for pinfs revokes.
 *
 * A holder child takes F_SETLEASE (F_RDLCK or F_WRLCK) on a tmpfs file with
 * F_SETSIG, waits for the break signal, releases (F_UNLCK) and re-takes the
 * lease; the parent times truncate(2) of the file, which blocks until the
 * holder released.  Also the rate of F_SETLEASE + F_UNLCK pairs.
 */
#ifndef PINFS_BENCH_LEASE_H
#define PINFS_BENCH_LEASE_H

#include "bench.h"
#include "stats.h"

/* How the truncating process and the holder are placed on CPUs. */
enum lease_placement {
	LEASE_FREE, /* the scheduler decides (often the same CPU) */
	LEASE_XCPU, /* pinned to two different CPUs: a cross-CPU wake-up */
};

/* Append iterations truncate latencies (us) against a holder of lease type
 * (F_RDLCK or F_WRLCK) on a file in dir: 0 or -errno. */
int lease_break_run(const struct bench_opts *o, const char *dir, int type,
		    enum lease_placement where, unsigned iterations,
		    struct samples *lat_us);
/* F_SETLEASE(F_RDLCK) + F_SETLEASE(F_UNLCK) pairs per second for
 * o->duration: 0 or -errno. */
int lease_rate_run(const struct bench_opts *o, const char *dir,
		   double *pairs_per_s);

#endif /* PINFS_BENCH_LEASE_H */
