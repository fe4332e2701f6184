/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - block allocator over the refcount table.
 *
 * The refcount table (one le32 per data block) is the persistent truth:
 * 0 = free.  In DRAM: its mirror, a hold count per block (blocks held by
 * pins are never handed out), a "freed in the open transaction" mark
 * (such blocks become allocatable only once the transaction committed, so
 * a crash can never leave a block both still mapped on media and already
 * rewritten by its next owner), and free counts per 2 MiB group, which
 * make the search skip full groups and find whole free groups for
 * large files, whose blocks are placed so that file block f sits f mod
 * 512 blocks into a region group (a file's 2 MiB-aligned ranges then map
 * to whole 2 MiB groups: huge mappings, 2 MiB devdax pins).  The free
 * and held block counts are kept as running counters (updated here,
 * under the store's write lock), so statfs and the info call are O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static bool blk_free(const struct alloc *al, uint64_t i)
{
	return al->rc[i] == 0 && al->held[i] == 0 && !al->pend[i];
}

int alloc_init(struct store *st, const char **why)
{
	struct alloc *al = &st->al;

	memset(al, 0, sizeof(*al));
	al->blk0 = st->sb.data_blk0;
	al->n = st->sb.data_blocks;
	al->ngroups = (al->n + GROUP_BLOCKS - 1) / GROUP_BLOCKS;
	al->rc = malloc(al->n * sizeof(*al->rc));
	al->held = calloc(al->n, sizeof(*al->held));
	al->pend = calloc(al->n, 1);
	al->gfree = calloc(al->ngroups, sizeof(*al->gfree));
	if (!al->rc || !al->held || !al->pend || !al->gfree) {
		*why = "out of memory for the allocator";
		return -ENOMEM;
	}
	memcpy(al->rc, st->base + st->sb.rc_off, al->n * sizeof(*al->rc));
	for (uint64_t i = 0; i < al->n; i++) {
		if (blk_free(al, i)) {
			al->nfree++;
			al->gfree[i / GROUP_BLOCKS]++;
		}
	}
	return 0;
}

void alloc_fini(struct alloc *al)
{
	free(al->rc);
	free(al->held);
	free(al->pend);
	free(al->gfree);
	free(al->plist);
	memset(al, 0, sizeof(*al));
}

bool alloc_in_data(const struct alloc *al, uint64_t rblk, uint64_t n)
{
	return rblk >= al->blk0 && n <= al->n && rblk - al->blk0 <= al->n - n;
}

uint32_t alloc_rc(const struct alloc *al, uint64_t rblk)
{
	return ld32(al->rc[rblk - al->blk0]);
}

uint64_t alloc_nfree(const struct alloc *al)
{
	return al->nfree;
}

uint64_t alloc_nheld(const struct alloc *al)
{
	return al->nheld;
}

static void rc_log(struct store *st, uint64_t i, uint64_t n)
{
	tx_put(st, st->sb.rc_off + i * sizeof(pfs_le32), &st->al.rc[i],
	       (uint32_t)(n * sizeof(pfs_le32)));
}

/* First free block at or after I within group bounds, or UINT64_MAX. */
static uint64_t scan_from(const struct alloc *al, uint64_t i)
{
	uint64_t g = i / GROUP_BLOCKS;

	for (uint64_t k = 0; k <= al->ngroups; k++, g++) {
		uint64_t end;

		if (g >= al->ngroups) {
			g = 0;
			i = 0;
		}
		if (!al->gfree[g]) {
			i = (g + 1) * GROUP_BLOCKS;
			continue;
		}
		if (i < g * GROUP_BLOCKS)
			i = g * GROUP_BLOCKS;
		end = (g + 1) * GROUP_BLOCKS;
		if (end > al->n)
			end = al->n;
		for (; i < end; i++)
			if (blk_free(al, i))
				return i;
		i = end;
	}
	return UINT64_MAX;
}

static uint64_t find_full_group(const struct alloc *al)
{
	uint64_t g0 = al->cursor / GROUP_BLOCKS;

	for (uint64_t k = 0; k < al->ngroups; k++) {
		uint64_t g = (g0 + k) % al->ngroups;

		if (al->gfree[g] == GROUP_BLOCKS)
			return g * GROUP_BLOCKS;
	}
	return UINT64_MAX;
}

int alloc_take(struct store *st, uint64_t goal, uint64_t want,
	       uint32_t phase, uint64_t *start, uint64_t *got)
{
	struct alloc *al = &st->al;
	uint64_t i = UINT64_MAX, n = 0, g = goal - al->blk0;
	bool goal_free = goal >= al->blk0 && g < al->n && blk_free(al, g);

	if (!al->nfree || !want)
		return -ENOSPC;
	if (phase < GROUP_BLOCKS) {
		/* a large file: contiguous when that keeps it on the grid,
		 * else PHASE blocks into a free group (the blocks before
		 * stay free for small allocations) */
		if (goal_free && g % GROUP_BLOCKS == phase)
			i = g;
		else if ((i = find_full_group(al)) != UINT64_MAX)
			i += phase;
	}
	if (i == UINT64_MAX && goal_free)
		i = g;
	if (i == UINT64_MAX)
		i = scan_from(al, al->cursor < al->n ? al->cursor : 0);
	if (i == UINT64_MAX)
		return -ENOSPC;
	while (n < want && i + n < al->n && blk_free(al, i + n)) {
		al->rc[i + n] = st32(1);
		al->gfree[(i + n) / GROUP_BLOCKS]--;
		n++;
	}
	al->nfree -= n;
	al->cursor = i + n;
	rc_log(st, i, n);
	*start = al->blk0 + i;
	*got = n;
	return 0;
}

static void pend_add(struct alloc *al, uint64_t i)
{
	if (al->npend == al->pcap) {
		size_t cap = al->pcap ? al->pcap * 2 : 256;
		uint64_t *p = realloc(al->plist, cap * sizeof(*p));

		if (!p) {
			/* keep the block unallocatable until the next open */
			return;
		}
		al->plist = p;
		al->pcap = cap;
	}
	al->pend[i] = 1;
	al->plist[al->npend++] = i;
}

void alloc_ref_dec(struct store *st, uint64_t rblk, uint64_t n)
{
	struct alloc *al = &st->al;
	uint64_t i0 = rblk - al->blk0;

	for (uint64_t i = i0; i < i0 + n; i++) {
		uint32_t v = ld32(al->rc[i]);

		if (!v)
			continue;
		al->rc[i] = st32(v - 1);
		if (v == 1)
			pend_add(al, i);
	}
	rc_log(st, i0, n);
}

void alloc_set_rc(struct store *st, uint64_t rblk, uint32_t v)
{
	struct alloc *al = &st->al;
	uint64_t i = rblk - al->blk0;
	bool was = blk_free(al, i);

	al->rc[i] = st32(v);
	if (was && !blk_free(al, i)) {
		al->nfree--;
		al->gfree[i / GROUP_BLOCKS]--;
	} else if (!was && v == 0) {
		pend_add(al, i);
	}
	rc_log(st, i, 1);
}

void alloc_tx_done(struct alloc *al)
{
	for (size_t k = 0; k < al->npend; k++) {
		uint64_t i = al->plist[k];

		al->pend[i] = 0;
		if (blk_free(al, i)) {
			al->nfree++;
			al->gfree[i / GROUP_BLOCKS]++;
		}
	}
	al->npend = 0;
}

void alloc_hold_inc(struct alloc *al, uint64_t rblk, uint64_t n)
{
	for (uint64_t i = rblk - al->blk0; n--; i++) {
		if (blk_free(al, i)) {
			al->nfree--;
			al->gfree[i / GROUP_BLOCKS]--;
		}
		al->nheld += !al->held[i];
		al->held[i]++;
	}
}

void alloc_hold_dec(struct alloc *al, uint64_t rblk, uint64_t n)
{
	for (uint64_t i = rblk - al->blk0; n--; i++) {
		if (!al->held[i])
			continue;
		al->held[i]--;
		al->nheld -= !al->held[i];
		if (blk_free(al, i)) {
			al->nfree++;
			al->gfree[i / GROUP_BLOCKS]++;
		}
	}
}
