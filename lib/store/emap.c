/* SPDX-License-Identifier: MIT */
/*
 * emap.c - extent maps.
 *
 * On media an inode's extents sit, unordered, in its inline slots and then
 * in a chain of extent blocks; an empty slot has length 0.  Changing one
 * extent therefore journals one 24-byte slot, never a sorted array.  In
 * DRAM each inode keeps its extents sorted by file block (binary search),
 * each remembering its media slot, plus the free-slot bitmaps of its chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define INLINE_ALL ((1u << PFS_INLINE_EXTENTS) - 1)
#define EXT_MAX_LEN 0x80000000u

static bool inline_symlink(const struct minode *mi)
{
	return S_ISLNK(mi->mode) && mi->size <= PFS_INLINE_BYTES;
}

static int ext_insert_at(struct store *st, struct minode *mi, uint32_t i,
			 const struct mext *e)
{
	if (mi->next == mi->ecap) {
		uint32_t cap = mi->ecap ? mi->ecap * 2 : 8;
		struct mext *p = realloc(mi->ext, cap * sizeof(*p));

		if (!p) {
			st->broken = true;
			return -ENOMEM;
		}
		mi->ext = p;
		mi->ecap = cap;
	}
	memmove(&mi->ext[i + 1], &mi->ext[i], (mi->next - i) * sizeof(*e));
	mi->ext[i] = *e;
	mi->next++;
	return 0;
}

static void ext_delete_at(struct minode *mi, uint32_t i)
{
	memmove(&mi->ext[i], &mi->ext[i + 1],
		(mi->next - i - 1) * sizeof(mi->ext[0]));
	mi->next--;
}

static int ext_cmp(const void *a, const void *b)
{
	const struct mext *x = a, *y = b;

	return x->fblk < y->fblk ? -1 : x->fblk > y->fblk;
}

static int load_slot(struct store *st, struct minode *mi,
		     const struct pfs_dext *d, uint64_t loc, const char **why)
{
	struct mext e = {
		.fblk = ld64(d->fblk), .rblk = ld64(d->rblk),
		.len = ld32(d->len), .flags = ld32(d->flags), .loc = loc,
	};

	if (!e.len)
		return 0;
	if ((e.flags & ~PFS_EXT_KNOWN_FLAGS) ||
	    !alloc_in_data(&st->al, e.rblk, e.len) ||
	    e.fblk > MAX_FILE_BLOCKS || e.len > MAX_FILE_BLOCKS - e.fblk) {
		*why = "extent out of range";
		return -EUCLEAN;
	}
	mi->nblocks += e.len;
	return ext_insert_at(st, mi, mi->next, &e);
}

int emap_load(struct store *st, struct minode *mi, const char **why)
{
	const struct pfs_dinode *d =
		(const void *)(st->base + inode_itab_off(st, mi->ino));
	uint64_t b = ld64(d->ext_head), hops = 0;
	int err;

	mi->ext = NULL;
	mi->next = mi->ecap = 0;
	mi->chain = NULL;
	mi->nchain = 0;
	mi->nblocks = 0;
	mi->inl_used = 0;
	if (inline_symlink(mi)) {
		if (b) {
			*why = "inline symlink has an extent chain";
			return -EUCLEAN;
		}
		return 0;
	}
	for (uint32_t i = 0; i < PFS_INLINE_EXTENTS; i++) {
		const struct pfs_dext *x = (const void *)(mi->inl + i * 24);

		if (!ld32(x->len))
			continue;
		mi->inl_used |= 1u << i;
		err = load_slot(st, mi, x, i, why);
		if (err)
			return err;
	}
	while (b) {
		const struct pfs_extb *eb = (const void *)(st->base + b * BLK);
		struct echain *c;

		if (!alloc_in_data(&st->al, b, 1) || ++hops > st->al.n ||
		    ld64(eb->magic) != PFS_EXTB_MAGIC ||
		    ld64(eb->owner) != mi->ino) {
			*why = "extent block is corrupt (magic, owner or loop)";
			return -EUCLEAN;
		}
		c = realloc(mi->chain, (mi->nchain + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		mi->chain = c;
		c = &mi->chain[mi->nchain++];
		memset(c, 0, sizeof(*c));
		c->rblk = b;
		for (uint32_t i = 0; i < PFS_EXTB_SLOTS; i++) {
			if (!ld32(eb->slot[i].len))
				continue;
			c->used[i / 64] |= 1ull << (i % 64);
			c->nused++;
			err = load_slot(st, mi, &eb->slot[i], b << 8 | i, why);
			if (err)
				return err;
		}
		b = ld64(eb->next);
	}
	if (mi->next > 1)
		qsort(mi->ext, mi->next, sizeof(*mi->ext), ext_cmp);
	for (uint32_t i = 1; i < mi->next; i++) {
		if (mi->ext[i - 1].fblk + mi->ext[i - 1].len > mi->ext[i].fblk) {
			*why = "extents of one file overlap";
			return -EUCLEAN;
		}
	}
	return 0;
}

void emap_free(struct minode *mi)
{
	free(mi->ext);
	free(mi->chain);
	mi->ext = NULL;
	mi->chain = NULL;
	mi->next = mi->ecap = mi->nchain = 0;
}

uint32_t emap_find(const struct minode *mi, uint64_t fblk)
{
	uint32_t lo = 0, hi = mi->next;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (mi->ext[mid].fblk + mi->ext[mid].len <= fblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t emap_written_block(const struct minode *mi, uint64_t fblk)
{
	uint32_t i = emap_find(mi, fblk);

	if (i == mi->next || mi->ext[i].fblk > fblk ||
	    (mi->ext[i].flags & PFS_EXT_UNWRITTEN))
		return 0;
	return mi->ext[i].rblk + (fblk - mi->ext[i].fblk);
}

uint64_t emap_chain_need(const struct minode *mi, uint64_t nnew)
{
	uint64_t free_slots = 0;

	for (uint32_t i = 0; i < PFS_INLINE_EXTENTS; i++)
		free_slots += !(mi->inl_used & (1u << i));
	if (inline_symlink(mi))
		free_slots = 0;
	for (uint32_t c = 0; c < mi->nchain; c++)
		free_slots += PFS_EXTB_SLOTS - mi->chain[c].nused;
	if (nnew <= free_slots)
		return 0;
	return (nnew - free_slots + PFS_EXTB_SLOTS - 1) / PFS_EXTB_SLOTS;
}

/* ---- media slots ---- */

static uint64_t slot_off(const struct store *st, const struct minode *mi,
			 uint64_t loc)
{
	if (loc < 256)
		return inode_itab_off(st, mi->ino) +
		       offsetof(struct pfs_dinode, inl) + loc * 24;
	return (loc >> 8) * BLK + offsetof(struct pfs_extb, slot) +
	       (loc & 255) * 24;
}

static void slot_write(struct store *st, struct minode *mi,
		       const struct mext *e, uint64_t loc)
{
	struct pfs_dext d;

	memset(&d, 0, sizeof(d));
	if (e) {
		d.fblk = st64(e->fblk);
		d.rblk = st64(e->rblk);
		d.len = st32(e->len);
		d.flags = st32(e->flags);
	}
	if (loc < 256)
		memcpy(mi->inl + loc * 24, &d, sizeof(d));
	tx_put(st, slot_off(st, mi, loc), &d, sizeof(d));
}

static int slot_alloc(struct store *st, struct minode *mi, uint64_t *loc)
{
	struct pfs_extb *eb;
	struct echain *c;
	uint64_t b, got;
	int err;

	if (!inline_symlink(mi) && mi->inl_used != INLINE_ALL) {
		for (uint32_t i = 0; i < PFS_INLINE_EXTENTS; i++) {
			if (!(mi->inl_used & (1u << i))) {
				mi->inl_used |= 1u << i;
				*loc = i;
				return 0;
			}
		}
	}
	for (uint32_t k = 0; k < mi->nchain; k++) {
		c = &mi->chain[k];
		if (c->nused == PFS_EXTB_SLOTS)
			continue;
		for (uint32_t i = 0; i < PFS_EXTB_SLOTS; i++) {
			if (!(c->used[i / 64] & (1ull << (i % 64)))) {
				c->used[i / 64] |= 1ull << (i % 64);
				c->nused++;
				*loc = c->rblk << 8 | i;
				return 0;
			}
		}
	}
	c = realloc(mi->chain, (mi->nchain + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	mi->chain = c;
	err = alloc_take(st, mi->next ? mi->ext[mi->next - 1].rblk : 0, 1,
			 ALLOC_ANY, &b, &got);
	if (err)
		return err;
	/* A fresh block no media structure references yet: initialize it
	 * directly and persist before the transaction linking it commits. */
	eb = (void *)(st->base + b * BLK);
	memset(eb, 0, sizeof(*eb));
	eb->magic = st64(PFS_EXTB_MAGIC);
	eb->owner = st64(mi->ino);
	eb->next = st64(mi->nchain ? mi->chain[0].rblk : 0);
	region_persist(st->rg, eb, sizeof(*eb));
	memmove(&mi->chain[1], &mi->chain[0], mi->nchain * sizeof(*c));
	mi->nchain++;
	memset(&mi->chain[0], 0, sizeof(*c));
	mi->chain[0].rblk = b;
	mi->chain[0].nused = 1;
	mi->chain[0].used[0] = 1;
	*loc = b << 8;
	inode_log(st, mi);
	return 0;
}

static void chain_unlink(struct store *st, struct minode *mi, uint32_t k)
{
	uint64_t b = mi->chain[k].rblk;
	uint64_t next = k + 1 < mi->nchain ? mi->chain[k + 1].rblk : 0;

	memmove(&mi->chain[k], &mi->chain[k + 1],
		(mi->nchain - k - 1) * sizeof(mi->chain[0]));
	mi->nchain--;
	if (k == 0) {
		inode_log(st, mi);
	} else {
		pfs_le64 v = st64(next);

		tx_put(st, mi->chain[k - 1].rblk * BLK +
			   offsetof(struct pfs_extb, next), &v, sizeof(v));
	}
	alloc_ref_dec(st, b, 1);
}

static void slot_release(struct store *st, struct minode *mi, uint64_t loc)
{
	slot_write(st, mi, NULL, loc);
	if (loc < 256) {
		mi->inl_used &= ~(1u << loc);
		return;
	}
	for (uint32_t k = 0; k < mi->nchain; k++) {
		struct echain *c = &mi->chain[k];
		uint32_t i = loc & 255;

		if (c->rblk != loc >> 8)
			continue;
		c->used[i / 64] &= ~(1ull << (i % 64));
		if (--c->nused == 0)
			chain_unlink(st, mi, k);
		return;
	}
}

void emap_free_chain(struct store *st, struct minode *mi)
{
	for (uint32_t k = 0; k < mi->nchain; k++)
		alloc_ref_dec(st, mi->chain[k].rblk, 1);
	mi->nchain = 0;
}

/* ---- extent operations ---- */

static bool can_merge(const struct mext *a, const struct mext *b)
{
	return a->fblk + a->len == b->fblk && a->rblk + a->len == b->rblk &&
	       a->flags == b->flags && (uint64_t)a->len + b->len < EXT_MAX_LEN;
}

/* Merge ext[i] and ext[i+1] when they continue each other. */
static void try_merge(struct store *st, struct minode *mi, uint32_t i)
{
	struct mext *a, *b;

	if (i + 1 >= mi->next)
		return;
	a = &mi->ext[i];
	b = &mi->ext[i + 1];
	if (!can_merge(a, b))
		return;
	a->len += b->len;
	slot_write(st, mi, a, a->loc);
	slot_release(st, mi, b->loc);
	ext_delete_at(mi, i + 1);
}

static int add_piece(struct store *st, struct minode *mi, uint32_t i,
		     struct mext *e)
{
	int err = slot_alloc(st, mi, &e->loc);

	if (err) {
		st->broken = true;
		return err;
	}
	slot_write(st, mi, e, e->loc);
	return ext_insert_at(st, mi, i, e);
}

int emap_insert(struct store *st, struct minode *mi, uint64_t fblk,
		uint64_t rblk, uint64_t len, uint32_t flags)
{
	struct mext e = { .fblk = fblk, .rblk = rblk, .len = (uint32_t)len,
			  .flags = flags };
	uint32_t i = emap_find(mi, fblk);
	int err;

	if (i > 0 && can_merge(&mi->ext[i - 1], &e)) {
		mi->ext[i - 1].len += e.len;
		slot_write(st, mi, &mi->ext[i - 1], mi->ext[i - 1].loc);
		try_merge(st, mi, i - 1);
	} else if (i < mi->next && can_merge(&e, &mi->ext[i])) {
		struct mext *n = &mi->ext[i];

		n->fblk = fblk;
		n->rblk = rblk;
		n->len += e.len;
		slot_write(st, mi, n, n->loc);
	} else {
		err = add_piece(st, mi, i, &e);
		if (err)
			return err;
	}
	mi->nblocks += len;
	return 0;
}

int emap_remove(struct store *st, struct minode *mi, uint64_t fs,
		uint64_t fe, uint64_t budget, uint64_t *left)
{
	uint64_t freed = 0;
	uint32_t i = emap_find(mi, fe);

	/* ext[i] is the first extent ending after fe; it may start before */
	if (i < mi->next && mi->ext[i].fblk < fe)
		i++;
	*left = 0;
	while (i > 0) {
		struct mext *e = &mi->ext[i - 1];
		uint64_t end = e->fblk + e->len, a, b, cnt, rb;

		if (end <= fs)
			break;
		if (freed >= budget || jrnl_room(st->jr) < 65536) {
			*left = end < fe ? end : fe;
			return 0;
		}
		bool cut;

		a = fs > e->fblk ? fs : e->fblk;
		b = fe < end ? fe : end;
		/* over budget: take only the tail [a, b); the rest of this
		 * extent, [max(fs, fblk), a), is what the caller must remove
		 * next, so LEFT is a, not the end of the extent before it */
		cut = b - a > budget - freed;
		if (cut)
			a = b - (budget - freed);
		cnt = b - a;
		rb = e->rblk + (a - e->fblk);
		if (a == e->fblk && b == end) {
			slot_release(st, mi, e->loc);
			ext_delete_at(mi, i - 1);
		} else if (a == e->fblk) {
			e->fblk = b;
			e->rblk += cnt;
			e->len -= (uint32_t)cnt;
			slot_write(st, mi, e, e->loc);
		} else if (b == end) {
			e->len -= (uint32_t)cnt;
			slot_write(st, mi, e, e->loc);
		} else {
			struct mext tail = {
				.fblk = b, .rblk = e->rblk + (b - e->fblk),
				.len = (uint32_t)(end - b), .flags = e->flags,
			};
			int err;

			e->len = (uint32_t)(a - e->fblk);
			slot_write(st, mi, e, e->loc);
			err = add_piece(st, mi, i, &tail);
			if (err)
				return err;
		}
		alloc_ref_dec(st, rb, cnt);
		mi->nblocks -= cnt;
		freed += cnt;
		if (cut) {
			*left = a;
			return 0;
		}
		i--;
	}
	return 0;
}

int emap_set_flags(struct store *st, struct minode *mi, uint64_t fs,
		   uint64_t fe, uint32_t set, uint32_t clear)
{
	uint32_t i = emap_find(mi, fs);
	int err;

	while (i < mi->next && mi->ext[i].fblk < fe) {
		struct mext *e = &mi->ext[i];
		uint64_t end = e->fblk + e->len;
		uint64_t a = fs > e->fblk ? fs : e->fblk;
		uint64_t b = fe < end ? fe : end;
		uint32_t nf = (e->flags | set) & ~clear;
		struct mext head = *e, tail = *e;

		if (nf == e->flags) {
			i++;
			continue;
		}
		head.len = (uint32_t)(a - e->fblk);
		tail.fblk = b;
		tail.rblk = e->rblk + (b - e->fblk);
		tail.len = (uint32_t)(end - b);
		e->fblk = a;
		e->rblk += a - head.fblk;
		e->len = (uint32_t)(b - a);
		e->flags = nf;
		slot_write(st, mi, e, e->loc);
		if (head.len) {
			err = add_piece(st, mi, i, &head);
			if (err)
				return err;
			i++;
		}
		if (tail.len) {
			err = add_piece(st, mi, i + 1, &tail);
			if (err)
				return err;
		}
		try_merge(st, mi, i);
		if (i > 0) {
			uint32_t before = mi->next;

			try_merge(st, mi, i - 1);
			if (mi->next < before)
				i--;
		}
		i++;
	}
	return 0;
}
