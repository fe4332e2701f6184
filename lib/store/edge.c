/* SPDX-License-Identifier: MIT */
/*
 * edge.c - the partial blocks at the ends of a gated change.
 *
 * Truncate's new last block, the edges of a punch or zero range and of a
 * copy onto a file change only part of a block.  If a pin holds that block
 * (its holder may go on writing it even after the revoke), the change must
 * not be made in place: the block is copied to a fresh block, written and
 * persisted before the open transaction (which maps the copy in its place)
 * commits, and the old block stays with the hold.  Unheld blocks keep the
 * in-place path.  Invariant 1 of DESIGN.md.
 */
#include "store_int.h"

/* Region block mapped (written or not) at file block FB, or 0. */
static uint64_t mapped_block(const struct minode *mi, uint64_t fb)
{
	uint32_t i = emap_find(mi, fb);

	if (i < mi->next && mi->ext[i].fblk <= fb)
		return mi->ext[i].rblk + fb - mi->ext[i].fblk;
	return 0;
}

static bool held_at(const struct store *st, const struct minode *mi,
		    uint64_t fb)
{
	uint64_t rb = mapped_block(mi, fb);

	return rb && st->al.held[rb - st->al.blk0];
}

/* The partial blocks at the ends of [off, end) (end == off: the block
 * containing OFF alone, as truncate's tail), each at most once. */
static uint32_t edge_blocks(uint64_t off, uint64_t end, uint64_t fbs[2])
{
	uint32_t n = 0;

	if (off % BLK)
		fbs[n++] = off / BLK;
	if (end % BLK && end > off && (!n || end / BLK != fbs[0]))
		fbs[n++] = end / BLK;
	return n;
}

/* Blocks that unsharing the held edge blocks of [off, end) may take. */
uint64_t data_edge_need(const struct store *st, const struct minode *mi,
			  uint64_t off, uint64_t end)
{
	uint64_t fbs[2], n = 0;
	uint32_t k = edge_blocks(off, end, fbs);

	for (uint32_t j = 0; j < k; j++)
		n += held_at(st, mi, fbs[j]);
	return n ? n + emap_chain_need(mi, 2 * n + 2) : 0;
}

/* Give file block FB a fresh copy of its block if a pin holds that block
 * (its holder may go on writing it): the copy is persisted before the
 * open transaction, which maps it in place of the old block (left to the
 * hold), commits.  Callers checked data_edge_need() against the free count. */
static int unshare_held(struct store *st, struct minode *mi, uint64_t fb)
{
	uint32_t i = emap_find(mi, fb);
	uint64_t ob, nb, got, left;
	uint32_t flags;
	int err;

	if (!held_at(st, mi, fb))
		return 0;
	flags = mi->ext[i].flags;
	ob = mi->ext[i].rblk + fb - mi->ext[i].fblk;
	err = alloc_take(st, 0, 1, ALLOC_ANY, &nb, &got);
	if (err)
		return err;
	if (!(flags & PFS_EXT_UNWRITTEN))
		region_memcpy_persist(st->rg, st->base + nb * BLK,
				      st->base + ob * BLK, BLK, 0);
	err = emap_remove(st, mi, fb, fb + 1, 1, &left);
	if (!err)
		err = emap_insert(st, mi, fb, nb, 1, flags);
	return err;
}

/* Unshare the held edge blocks of [off, end) (see edge_blocks). */
int data_unshare_edges(struct store *st, struct minode *mi, uint64_t off,
			 uint64_t end)
{
	uint64_t fbs[2];
	uint32_t k = edge_blocks(off, end, fbs);
	int err = 0;

	for (uint32_t j = 0; j < k && !err; j++)
		err = unshare_held(st, mi, fbs[j]);
	return err;
}
