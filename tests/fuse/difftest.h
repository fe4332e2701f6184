/* SPDX-License-Identifier: MIT */
/*
 * difftest.h - the randomized differential tester's operations.
 *
 * An operation is generated from (seed, index) alone, never from results,
 * so the same seed replays the same sequence against any pair of
 * directories.  dt_apply() runs one operation under one root and records
 * what the system calls returned; the driver (difftest.c) runs it under the
 * filesystem under test and under the reference and compares.
 */
#ifndef PINFS_TESTS_FUSE_DIFFTEST_H
#define PINFS_TESTS_FUSE_DIFFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum dt_kind {
	DT_WRITE,
	DT_READ,
	DT_TRUNCATE,
	DT_PUNCH,
	DT_ZERO,
	DT_MMAP_WRITE,
	DT_RENAME,
	DT_RENAME_NOREPLACE,
	DT_RENAME_EXCHANGE,
	DT_LINK,
	DT_UNLINK,
	DT_FSYNC,
	DT_COPY,
	DT_FALLOC,
	DT_REMOUNT,
	DT_XATTR_SET,
	DT_XATTR_GET,
	DT_XATTR_REMOVE,
	DT_CHMOD,
	DT_NKINDS
};

struct dt_op {
	enum dt_kind kind;
	int a, b;       /* name indexes into the pool */
	off_t off, off2;
	size_t len;
	bool keep;      /* FALLOC_FL_KEEP_SIZE for DT_ZERO / DT_FALLOC */
	uint64_t dseed; /* data pattern of a write */
	int xname;      /* user.x0 .. user.x3 */
	int xflags;     /* 0, XATTR_CREATE or XATTR_REPLACE */
	mode_t mode;    /* DT_CHMOD */
};

struct dt_result {
	long ret;             /* the call's return value (or -1) */
	int err;              /* errno when ret < 0 */
	const char *step;     /* which call produced ret/err */
	unsigned char *data;  /* bytes read (DT_READ) */
	size_t dlen;
};

struct dt_config {
	uint64_t seed;
	int files;            /* names per directory; the pool is 2 * files */
	off_t max_size;       /* offsets and sizes stay below this */
	bool remount;         /* generate DT_REMOUNT */
	bool rename2;         /* generate RENAME_NOREPLACE / EXCHANGE */
	bool zero_emulate;    /* reference lacks ZERO_RANGE: emulate it there */
	bool zero_emulate_test; /* ... and under test too (reference backends
				 * validating the tester: never for pinfs) */
};

/* Operation INDEX of the sequence of CFG->seed. */
void dt_generate(const struct dt_config *cfg, uint64_t index,
		 struct dt_op *op);

/* Pool name I relative to a root ("d/f3", "d/s/f1"). */
const char *dt_name(const struct dt_config *cfg, int i, char *buf,
		    size_t size);

/* Run OP under ROOT; REF selects the reference's ZERO_RANGE emulation.
 * RES->data is malloc'd (caller frees).  DT_REMOUNT is not handled here. */
void dt_apply(const struct dt_config *cfg, const struct dt_op *op,
	      const char *root, bool ref, struct dt_result *res);

/* One line describing OP, for reports and the replay log. */
void dt_format(const struct dt_config *cfg, const struct dt_op *op,
	       char *buf, size_t size);

/* Deterministic bytes of a write. */
void dt_fill(unsigned char *buf, size_t len, uint64_t seed);

#endif /* PINFS_TESTS_FUSE_DIFFTEST_H */
