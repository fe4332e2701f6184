/* SPDX-License-Identifier: MIT */
/*
 * hold.c - holds (quarantine) and the pin registry.
 *
 * The hold table records (pin id, region block, count) persistently; the
 * allocator's per-block hold counts are rebuilt from it at open, so held
 * blocks stay out of allocation across crashes.  In DRAM the slots are
 * indexed by pin id (a chained hash: each slot links to the next slot of
 * its bucket) and the free slots kept on a stack, so store_hold is O(1)
 * and store_release_holds walks only the slots of one bucket, about the
 * pin's own holds, not the whole table.  The pin registry is an array of
 * opaque 128-byte records written through the journal; store_pin_hold and
 * store_pin_release write a pin's record and its holds in one transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define HNIL UINT32_MAX

static uint32_t hbucket_of(const struct store *st, uint64_t pin_id)
{
	return (uint32_t)((pin_id * 0x9e3779b97f4a7c15ull) >> 32) & st->hmask;
}

static void hidx_add(struct store *st, uint32_t i)
{
	uint32_t b = hbucket_of(st, ld64(st->holds[i].pin_id));

	st->hnext[i] = st->hbucket[b];
	st->hbucket[b] = i;
}

int holds_load(struct store *st, const char **why)
{
	uint32_t slots = st->sb.hold_slots, nb = 1;
	size_t sz = (size_t)slots * sizeof(struct pfs_dhold);

	while (nb < slots)
		nb <<= 1;
	st->hmask = nb - 1;
	st->holds = malloc(sz);
	st->hbucket = malloc(nb * sizeof(*st->hbucket));
	st->hnext = malloc(slots * sizeof(*st->hnext));
	st->hfree = malloc(slots * sizeof(*st->hfree));
	if (!st->holds || !st->hbucket || !st->hnext || !st->hfree) {
		*why = "out of memory for the hold table";
		return -ENOMEM;
	}
	memset(st->hbucket, 0xff, nb * sizeof(*st->hbucket));
	st->nhfree = 0;
	memcpy(st->holds, st->base + st->sb.hold_off, sz);
	/* from the top, so the lowest free slot ends on top of the stack */
	for (uint32_t i = slots; i-- > 0;) {
		uint64_t b = ld64(st->holds[i].rblk);
		uint64_t n = ld64(st->holds[i].nblocks);

		if (!n) {
			st->hfree[st->nhfree++] = i;
			continue;
		}
		if (!alloc_in_data(&st->al, b, n)) {
			*why = "hold table entry out of range";
			return -EUCLEAN;
		}
		alloc_hold_inc(&st->al, b, n);
		hidx_add(st, i);
		st->holds_used++;
	}
	return 0;
}

void holds_fini(struct store *st)
{
	free(st->holds);
	free(st->hbucket);
	free(st->hnext);
	free(st->hfree);
	st->holds = NULL;
	st->hbucket = st->hnext = st->hfree = NULL;
}

static void hold_log(struct store *st, uint32_t i)
{
	tx_put(st, st->sb.hold_off + i * sizeof(struct pfs_dhold),
	       &st->holds[i], sizeof(struct pfs_dhold));
}

/* Take a free slot for one hold (checked by the caller), log it. */
static void hold_add_locked(struct store *st, uint64_t pin_id, uint64_t b,
			    uint64_t n)
{
	uint32_t i = st->hfree[--st->nhfree];

	st->holds[i].pin_id = st64(pin_id);
	st->holds[i].rblk = st64(b);
	st->holds[i].nblocks = st64(n);
	hold_log(st, i);
	alloc_hold_inc(&st->al, b, n);
	hidx_add(st, i);
	st->holds_used++;
}

static bool hold_range_ok(const struct store *st, uint64_t region_off,
			  uint64_t len)
{
	return len && !(region_off % BLK) && !(len % BLK) &&
	       alloc_in_data(&st->al, region_off / BLK, len / BLK);
}

int store_hold(struct store *st, uint64_t pin_id, uint64_t region_off,
	       uint64_t len)
{
	int err;

	if (!len || region_off % BLK || len % BLK)
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (err)
		goto out;
	if (!hold_range_ok(st, region_off, len)) {
		err = -EINVAL;
		goto out;
	}
	if (!st->nhfree) {
		err = -ENOSPC;
		goto out;
	}
	tx_begin(st);
	hold_add_locked(st, pin_id, region_off / BLK, len / BLK);
	err = tx_commit(st);
out:
	st_unlock(st);
	return err;
}

/* Journal bytes one hold record takes (the journal's record header is at
 * most 32 bytes). */
#define HOLD_TX_BYTES (32u + sizeof(struct pfs_dhold))

/* Drop every hold of PIN_ID inside the open transaction, committing and
 * opening another whenever the journal fills. */
static int holds_drop_locked(struct store *st, uint64_t pin_id)
{
	int err;

	for (uint32_t *pp = &st->hbucket[hbucket_of(st, pin_id)]; *pp != HNIL;) {
		uint32_t i = *pp;
		struct pfs_dhold *h = &st->holds[i];

		if (ld64(h->pin_id) != pin_id) {
			pp = &st->hnext[i];
			continue;
		}
		*pp = st->hnext[i];
		alloc_hold_dec(&st->al, ld64(h->rblk), ld64(h->nblocks));
		memset(h, 0, sizeof(*h));
		hold_log(st, i);
		st->holds_used--;
		st->hfree[st->nhfree++] = i;
		/* each cleared record stands alone: split huge releases */
		if (jrnl_room(st->jr) < 4096) {
			err = tx_commit(st);
			if (err)
				return err;
			tx_begin(st);
		}
	}
	return 0;
}

int store_release_holds(struct store *st, uint64_t pin_id)
{
	int err;

	st_wrlock(st);
	err = st_writable(st);
	if (err)
		goto out;
	tx_begin(st);
	err = holds_drop_locked(st, pin_id);
	if (!err)
		err = tx_commit(st);
out:
	st_unlock(st);
	return err;
}

bool store_block_held(struct store *st, uint64_t region_off)
{
	uint64_t b = region_off / BLK;
	bool held;

	st_rdlock(st);
	held = alloc_in_data(&st->al, b, 1) && st->al.held[b - st->al.blk0];
	st_unlock(st);
	return held;
}

int store_for_each_hold(struct store *st,
			int (*fn)(void *arg, uint64_t pin_id,
				  uint64_t region_off, uint64_t len),
			void *arg)
{
	struct pfs_dhold *snap;
	size_t sz = (size_t)st->sb.hold_slots * sizeof(*snap);
	int ret = 0;

	/* snapshot, then call FN without the lock: FN may use the store */
	snap = malloc(sz);
	if (!snap)
		return -ENOMEM;
	st_rdlock(st);
	memcpy(snap, st->holds, sz);
	st_unlock(st);
	for (uint32_t i = 0; i < st->sb.hold_slots && !ret; i++) {
		if (snap[i].nblocks)
			ret = fn(arg, ld64(snap[i].pin_id), ld64(snap[i].rblk) * BLK,
				 ld64(snap[i].nblocks) * BLK);
	}
	free(snap);
	return ret;
}

/* ---- pin registry ---- */

uint32_t store_preg_slots(struct store *st)
{
	return st->sb.preg_slots;
}

/* Log registry slot SLOT: REC, or empty for NULL. */
static void preg_log(struct store *st, uint32_t slot, const void *rec)
{
	struct pfs_dpreg p;

	memset(&p, 0, sizeof(p));
	if (rec) {
		p.state = st32(1);
		memcpy(p.rec, rec, sizeof(p.rec));
	}
	tx_put(st, st->sb.preg_off + (uint64_t)slot * sizeof(p), &p,
	       sizeof(p));
}

int store_preg_put(struct store *st, uint32_t slot, const void *rec)
{
	int err;

	if (slot >= st->sb.preg_slots)
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (!err) {
		tx_begin(st);
		preg_log(st, slot, rec);
		err = tx_commit(st);
	}
	st_unlock(st);
	return err;
}

/*
 * A pin: its record and holds in one transaction (journal order: the
 * records, persist; the commit header, persist; the homes), so no crash
 * leaves holds without their record or the reverse.  Only a pin with more
 * holds than the journal fits spills the rest into following
 * transactions, after the record: a crash between them leaves a record
 * with part of its holds, which recovery treats as the pin (revived) or
 * releases with it.
 */
int store_pin_hold(struct store *st, uint32_t slot, const void *rec,
		   uint64_t pin_id, const struct store_hold_range *r,
		   uint32_t n)
{
	uint32_t i;
	int err;

	if (slot >= st->sb.preg_slots || !rec || !pin_id || (n && !r))
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		if (!hold_range_ok(st, r[i].region_off, r[i].len)) {
			err = -EINVAL;
			goto out;
		}
	}
	if (n > st->nhfree) {
		err = -ENOSPC;
		goto out;
	}
	tx_begin(st);
	preg_log(st, slot, rec);
	for (i = 0; i < n; i++) {
		if (jrnl_room(st->jr) < HOLD_TX_BYTES) {
			err = tx_commit(st);
			if (err)
				goto out;
			tx_begin(st);
		}
		hold_add_locked(st, pin_id, r[i].region_off / BLK,
				r[i].len / BLK);
	}
	err = tx_commit(st);
out:
	st_unlock(st);
	return err;
}

/* The end of a pin: record and holds in one transaction (a huge release
 * spills holds into following ones; the record goes first, so a crash
 * leaves holds without a record, released at the next mount). */
int store_pin_release(struct store *st, uint32_t slot, uint64_t pin_id)
{
	int err;

	if (slot != UINT32_MAX && slot >= st->sb.preg_slots)
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (err)
		goto out;
	tx_begin(st);
	if (slot != UINT32_MAX)
		preg_log(st, slot, NULL);
	err = holds_drop_locked(st, pin_id);
	if (!err)
		err = tx_commit(st);
out:
	st_unlock(st);
	return err;
}

int store_preg_get(struct store *st, uint32_t slot, void *rec)
{
	const struct pfs_dpreg *p;
	int err = 0;

	if (slot >= st->sb.preg_slots)
		return -EINVAL;
	st_rdlock(st);
	p = (const void *)(st->base + st->sb.preg_off +
			   (uint64_t)slot * sizeof(*p));
	if (ld32(p->state) == 0)
		err = -ENOENT;
	else if (ld32(p->state) != 1)
		err = -EUCLEAN;
	else
		memcpy(rec, p->rec, sizeof(p->rec));
	st_unlock(st);
	return err;
}
