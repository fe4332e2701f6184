/* SPDX-License-Identifier: MIT */
/*
 * journal.h - the redo journal that makes each metadata change atomic.
 *
 * A transaction collects (region offset, new bytes) records in DRAM; the
 * homes are NOT touched until commit, so a crash before the commit point
 * leaves the old metadata intact whatever the CPU cache wrote back.
 * Commit, in this order:
 *   1. copy the records into the journal area, persist;
 *   2. write the header (seq, nrec, len, crc of the records), persist:
 *      the commit point;
 *   3. copy every record to its home, then persist the homes, each
 *      covering range once (sorted; homes in the same or adjacent pages
 *      merged on a page-granular region, touching cache lines otherwise;
 *      the homes need no order among themselves, the replay rewrites
 *      them all);
 *   4. mark the header empty (seq + 1), persist.
 * Recovery (jrnl_open) replays a committed header whose CRCs match, then
 * empties it.  One transaction at a time: the store serializes them.
 */
#ifndef PINFS_JOURNAL_H
#define PINFS_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"

struct jrnl;

/* Write an empty journal header at OFF (mkfs). */
void jrnl_format(struct region *rg, uint64_t off, uint64_t len);
/*
 * Verify the journal at [OFF, OFF+LEN) and replay a committed transaction
 * (records must land in [HOME_LO, region size)).  -EUCLEAN with *why for a
 * corrupt journal, in which case nothing was written.  *replayed (may be
 * NULL) tells whether a transaction was replayed.
 */
int jrnl_open(struct region *rg, uint64_t off, uint64_t len, uint64_t home_lo,
	      struct jrnl **out, bool *replayed, const char **why);
void jrnl_close(struct jrnl **j);

void jrnl_begin(struct jrnl *j);
/* Queue a record; -ENOSPC if it does not fit (the transaction is then
 * poisoned and its commit fails). */
int jrnl_put(struct jrnl *j, uint64_t off, const void *src, uint32_t len);
/* Bytes of records that still fit in the open transaction. */
uint64_t jrnl_room(const struct jrnl *j);
uint64_t jrnl_capacity(const struct jrnl *j);
/* Commit (see above); an empty transaction commits without any write. */
int jrnl_commit(struct jrnl *j);
/* Drop the queued records; only for callers that changed no DRAM state. */
void jrnl_abort(struct jrnl *j);
bool jrnl_active(const struct jrnl *j);
/* Committed transactions so far (tests, bench). */
uint64_t jrnl_seq(const struct jrnl *j);
/* fsck: true when the header is valid and empty. */
bool jrnl_is_clean(struct region *rg, uint64_t off, const char **why);

#endif
