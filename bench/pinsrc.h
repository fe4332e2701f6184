/* SPDX-License-Identifier: MIT */
/*
 * pinsrc.h - pinned targets from a pinfs mount, through libpinfs.
 *
 * The seam of the pinned mode: open a file on the mount, take a breakable
 * lease, pin a range for writing and get it as a pinned_target (ONE
 * contiguous mapping, as libpinfs returns it), learn of breaks, unpin.
 * Built from pinsrc_libpinfs.c when libpinfs is part of the build, else
 * from pinsrc_none.c, whose calls answer -ENOTSUP.
 */
#ifndef PINFS_BENCH_PINSRC_H
#define PINFS_BENCH_PINSRC_H

#include <stdint.h>

#include "target.h"

struct pinsrc;

/* NULL when libpinfs is built in, else why the pinned rows cannot run. */
const char *pinsrc_missing(void);
/* Open path on a pinfs mount for writing; breaks arrive as signo (0: no
 * signal handler; poll pinsrc_break_fd instead): 0 or -errno. */
int pinsrc_open(const char *path, int signo, struct pinsrc **out);
void pinsrc_close(struct pinsrc **sp);
/* A breakable lease on [off, off + len) (len 0: whole file). */
int pinsrc_lease(struct pinsrc *s, uint64_t off, uint64_t len);
/* A write pin on [off, off + len), mapped: 0 and *t, or -errno. */
int pinsrc_pin(struct pinsrc *s, uint64_t off, uint64_t len,
	       struct pinned_target *t);
/* The region pieces under pinned target t, in target order, covering it
 * whole (PINFS_IOC_EXTENTS by pin id): their number (at most max) or
 * -errno (-E2BIG: more than max pieces). */
int pinsrc_pieces(struct pinsrc *s, const struct pinned_target *t,
		  struct target_piece *out, unsigned max);
/* Unpin (acknowledges a pending break) and unmap: 0 or -errno. */
int pinsrc_unpin(struct pinned_target *t);
/* Readable when a break for the file arrived. */
int pinsrc_break_fd(const struct pinsrc *s);

#endif /* PINFS_BENCH_PINSRC_H */
