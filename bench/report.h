/* SPDX-License-Identifier: MIT */
/*
 * report.h - the rows pinfs-bench measured, and how they are written out.
 *
 * A mode declares a table (its columns: a key such as "pinned_gbps", a unit),
 * adds rows (name, warm/cold phase, block size, threads, queue depth) and
 * fills each column with a summary of repeated runs.  A row that cannot run
 * yet (no daemon, no pin layer) carries a status saying why, and no numbers.
 * At the end main() writes every table as a human table, JSON or CSV; the
 * plot module reads the same tables and the latency distributions.
 */
#ifndef PINFS_BENCH_REPORT_H
#define PINFS_BENCH_REPORT_H

#include <stdarg.h>
#include <stdio.h>

#include "bench.h"
#include "stats.h"

#define REPORT_COLS_MAX 8
#define REPORT_STATUS_LEN 96

enum report_unit {
	UNIT_GBPS,  /* GB/s (1e9 bytes per second) */
	UNIT_MBPS,  /* MB/s (1e6) */
	UNIT_OPS,   /* operations per second */
	UNIT_US,    /* microseconds */
	UNIT_RATIO, /* dimensionless */
	UNIT_COUNT, /* a number of events */
};

struct report_col {
	const char *key; /* JSON key, e.g. "pinned_gbps" */
	enum report_unit unit;
};

struct report_row {
	char name[48];
	char phase[8]; /* "warm", "cold" or "" */
	uint64_t block_size;
	unsigned threads;
	unsigned queue_depth;
	struct summary val[REPORT_COLS_MAX];
	char status[REPORT_STATUS_LEN]; /* "" when measured */
};

struct report_table {
	const char *mode; /* "fs", "revoke", "pinned" */
	char id[24];      /* short name, unique within the mode */
	char title[128];
	unsigned ncols;
	struct report_col col[REPORT_COLS_MAX];
	unsigned nrows;
	unsigned cap;
	struct report_row *rows;
};

/* A latency distribution kept for the plots (samples in microseconds). */
struct report_dist {
	char mode[16];   /* plotted as DIR/<mode>-latency.png */
	char name[64];
	struct samples s;
};

/* Declare a table: NULL on ENOMEM. The table lives until report_free(). */
struct report_table *report_table_new(const char *mode, const char *id,
				      const char *title, unsigned ncols,
				      const struct report_col *cols);
/* Add a row: the new row or NULL on ENOMEM; the pointer is valid until the
 * next report_row_add on the same table. */
struct report_row *report_row_add(struct report_table *t, const char *name,
				  const char *phase, uint64_t block_size,
				  unsigned threads, unsigned queue_depth);
/* Set column key of row r (ignored when the table has no such column). */
void report_set(const struct report_table *t, struct report_row *r,
		const char *key, struct summary s);
void report_status(struct report_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Keep a copy of a latency distribution (us): 0 or -ENOMEM. */
int report_dist_add(const char *mode, const char *name,
		    const struct samples *s);

unsigned report_ntables(void);
const struct report_table *report_table_at(unsigned i);
unsigned report_ndists(void);
struct report_dist *report_dist_at(unsigned i);

/* Every row either carries a figure or says why not: 0, or -EPROTO after
 * naming the rows that have neither on stderr. */
int report_check(void);

/* Write every table in the chosen format to f: 0 or -errno. */
int report_write(FILE *f, enum bench_format fmt, const struct bench_opts *o);
void report_free(void);

/* The progress line on stderr ("\r" rewrites it on a terminal). */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress_done(void);

/* Human form of a byte count ("4K", "2M", "1G"). */
const char *report_bytes(uint64_t n, char *buf, size_t len);

#endif /* PINFS_BENCH_REPORT_H */
