/* SPDX-License-Identifier: MIT */
/*
 * bench.h - pinfs-bench: shared options and the entry points of the modes.
 *
 * pinfs-bench is one program with three modes (fs, revoke, pinned).  Each
 * mode measures a pinfs figure next to its reference (passthrough_ll and
 * tmpfs, the kernel's own lease break, the raw region mapping) in the same
 * run, and hands its rows to the report module, which prints a table for
 * people, JSON or CSV for scripts, and gnuplot plots.
 */
#ifndef PINFS_BENCH_H
#define PINFS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_LIST_MAX 16

/* A list of numbers given on the command line ("4K,64K,2M" or "1,2"). */
struct bench_list {
	unsigned n;
	uint64_t v[BENCH_LIST_MAX];
};

enum bench_format {
	BENCH_FMT_TABLE,
	BENCH_FMT_JSON,
	BENCH_FMT_CSV,
	BENCH_FMT_MD, /* Markdown tables, for docs/performance.md */
};

struct bench_opts {
	enum bench_format format;
	bool quick;
	bool no_cpu_pin;       /* do not pin threads to CPUs */
	bool no_mount;         /* skip every row that needs a FUSE mount */
	const char *region;    /* region file or devdax; NULL: a file in /dev/shm */
	const char *pinfs_bin; /* the pinfs program; NULL: search */
	const char *plot_dir;  /* NULL: no plots */
	const char *save_json; /* also write the JSON rows here, or NULL */
	const char *workdir;   /* where temporary mounts go */
	const char *granularity; /* forced libpmem2 granularity, or NULL */
	bool raw_file;         /* pinned: raw side is a separate file, not the
				* pinned range's own region pages */
	bool seq_write_rdwr;   /* fs: sequential writes open O_RDWR, not
				* O_WRONLY as cp, dd and shells do */
	uint64_t size;         /* working-set bytes */
	double duration;       /* seconds per measurement */
	unsigned timeout;      /* watchdog for the whole run, seconds */
	unsigned repeat;       /* runs per measurement (median, min, max) */
	unsigned iterations;   /* latency samples per run (revoke) */
	struct bench_list threads;
	struct bench_list sizes;  /* block sizes (pinned) */
	struct bench_list qdepth; /* io_uring queue depths */
	unsigned holders;         /* processes pinning disjoint ranges */
	unsigned ncpu;
};

/* Entry points of the modes: 0 or -errno (a row that cannot run is not an
 * error: it is reported with its reason). */
int bench_fs(const struct bench_opts *o);
int bench_revoke(const struct bench_opts *o);
int bench_pinned(const struct bench_opts *o);

#endif /* PINFS_BENCH_H */
