/* SPDX-License-Identifier: MIT */
/*
 * dir.c - directories.
 *
 * A directory's data (through the ordinary extent map) is an array of
 * fixed 272-byte entry slots, 15 per block; ino 0 marks a free slot.  In
 * DRAM each directory gets a hash table name -> entry and a slot table,
 * built when the directory is first used, so lookup, insert and remove are
 * O(1) whatever the size; an insert or remove journals one slot header
 * (plus the name).  readdir cookies are slot + 3 (0, 1, 2 mean start,
 * after ".", after ".."), so they survive unrelated changes.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

uint8_t mode_to_dt(uint32_t mode)
{
	return (uint8_t)IFTODT(mode);
}

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= (uint8_t)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

static int ht_grow(struct dindex *dx)
{
	uint32_t nsize = dx->hmask ? (dx->hmask + 1) * 2 : 64;
	struct dent **ht = calloc(nsize, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	for (uint32_t i = 0; dx->ht && i <= dx->hmask; i++) {
		struct dent *d = dx->ht[i], *n;

		for (; d; d = n) {
			uint64_t h = name_hash(d->name, d->namelen);

			n = d->hnext;
			d->hnext = ht[h & (nsize - 1)];
			ht[h & (nsize - 1)] = d;
		}
	}
	free(dx->ht);
	dx->ht = ht;
	dx->hmask = nsize - 1;
	return 0;
}

static int slots_grow(struct dindex *dx, uint32_t add)
{
	struct dent **s = realloc(dx->slots, (dx->nslots + add) * sizeof(*s));
	uint32_t *f;

	if (!s)
		return -ENOMEM;
	dx->slots = s;
	memset(&s[dx->nslots], 0, add * sizeof(*s));
	/* the free stack may come to hold every slot */
	if (dx->nslots + add > dx->freecap) {
		f = realloc(dx->free, (dx->nslots + add) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		dx->free = f;
		dx->freecap = dx->nslots + add;
	}
	/* push highest first so that the lowest free slot pops first */
	for (uint32_t k = add; k-- > 0;)
		dx->free[dx->nfree++] = dx->nslots + k;
	dx->nslots += add;
	return 0;
}

static int dent_insert(struct dindex *dx, const char *name, size_t len,
		       uint64_t ino, uint8_t type, uint32_t slot,
		       struct dent **out)
{
	struct dent *d;
	uint64_t h;
	int err;

	if (dx->count + 1 > dx->hmask) {
		err = ht_grow(dx);
		if (err)
			return err;
	}
	d = malloc(sizeof(*d) + len + 1);
	if (!d)
		return -ENOMEM;
	d->ino = ino;
	d->slot = slot;
	d->type = type;
	d->namelen = (uint8_t)len;
	memcpy(d->name, name, len);
	d->name[len] = 0;
	h = name_hash(name, len) & dx->hmask;
	d->hnext = dx->ht[h];
	dx->ht[h] = d;
	dx->slots[slot] = d;
	dx->count++;
	if (out)
		*out = d;
	return 0;
}

static struct dent *dent_lookup(const struct dindex *dx, const char *name,
				size_t len)
{
	struct dent *d;

	if (!dx->ht)
		return NULL;
	d = dx->ht[name_hash(name, len) & dx->hmask];
	for (; d; d = d->hnext)
		if (d->namelen == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

static bool valid_dt(uint8_t t)
{
	return t == DT_REG || t == DT_DIR || t == DT_LNK || t == DT_FIFO ||
	       t == DT_SOCK || t == DT_CHR || t == DT_BLK;
}

int dir_load(struct store *st, struct minode *mi, const char **why)
{
	uint64_t nblk = mi->size / BLK;
	struct dindex *dx;
	int err;

	dx = mi->dir = calloc(1, sizeof(*dx));
	if (!dx)
		return -ENOMEM;
	if (nblk > mi->nblocks || nblk * PFS_DIRENTS_PER_BLOCK > UINT32_MAX) {
		*why = "directory size exceeds its blocks";
		return -EUCLEAN;
	}
	err = ht_grow(dx);
	if (!err && nblk)
		err = slots_grow(dx, (uint32_t)(nblk * PFS_DIRENTS_PER_BLOCK));
	if (err)
		return err;
	dx->nfree = 0;
	for (uint64_t fb = 0; fb < nblk; fb++) {
		uint64_t rb = emap_written_block(mi, fb);
		const uint8_t *blk = st->base + rb * BLK;

		if (!rb) {
			*why = "directory has a hole in its entry blocks";
			return -EUCLEAN;
		}
		for (uint32_t i = 0; i < PFS_DIRENTS_PER_BLOCK; i++) {
			const struct pfs_ddirent *de =
				(const void *)(blk + i * PFS_DIRENT_SIZE);
			uint32_t slot = (uint32_t)(fb * PFS_DIRENTS_PER_BLOCK + i);
			uint64_t ino = ld64(de->ino);
			size_t n = de->namelen;

			if (!ino) {
				continue;
			}
			if (ino >= st->sb.inode_count || !n ||
			    memchr(de->name, '/', n) || memchr(de->name, 0, n) ||
			    (n == 1 && de->name[0] == '.') ||
			    (n == 2 && !memcmp(de->name, "..", 2)) ||
			    !valid_dt(de->type)) {
				*why = "directory entry is corrupt";
				return -EUCLEAN;
			}
			if (dent_lookup(dx, de->name, n)) {
				*why = "directory holds a name twice";
				return -EUCLEAN;
			}
			err = dent_insert(dx, de->name, n, ino, de->type, slot,
					  NULL);
			if (err)
				return err;
		}
	}
	for (uint32_t s = dx->nslots; s-- > 0;)
		if (!dx->slots[s])
			dx->free[dx->nfree++] = s;
	return 0;
}

void dir_free(struct minode *mi)
{
	struct dindex *dx = mi->dir;

	if (!dx)
		return;
	for (uint32_t s = 0; s < dx->nslots; s++)
		free(dx->slots[s]);
	free(dx->slots);
	free(dx->ht);
	free(dx->free);
	free(dx);
	mi->dir = NULL;
}

struct dent *dir_find(const struct minode *mi, const char *name)
{
	return dent_lookup(mi->dir, name, strlen(name));
}

uint64_t dir_blocks_needed(const struct minode *mi)
{
	return mi->dir->nfree ? 0 : 1 + emap_chain_need(mi, 1);
}

bool dir_is_empty(const struct minode *mi)
{
	return mi->dir->count == 0;
}

static uint64_t slot_off(const struct minode *mi, uint32_t slot)
{
	uint64_t rb = emap_written_block(mi, slot / PFS_DIRENTS_PER_BLOCK);

	return rb * BLK + (slot % PFS_DIRENTS_PER_BLOCK) * PFS_DIRENT_SIZE;
}

static void slot_put(struct store *st, struct minode *mi, const struct dent *d,
		     uint32_t slot)
{
	struct pfs_ddirent de;
	uint32_t len = offsetof(struct pfs_ddirent, name);

	memset(&de, 0, sizeof(de));
	if (d) {
		de.ino = st64(d->ino);
		de.namelen = d->namelen;
		de.type = d->type;
		memcpy(de.name, d->name, d->namelen);
		len += d->namelen;
	}
	tx_put(st, slot_off(mi, slot), &de, len);
}

int dir_add(struct store *st, struct minode *mi, const char *name,
	    uint64_t ino, uint8_t type)
{
	struct dindex *dx = mi->dir;
	struct dent *d;
	uint32_t slot;
	int err;

	if (!dx->nfree) {
		uint64_t fb = mi->size / BLK, b, got;
		uint64_t goal = mi->next ? mi->ext[mi->next - 1].rblk + 1 : 0;

		err = slots_grow(dx, PFS_DIRENTS_PER_BLOCK);
		if (err)
			goto err_broken;
		err = alloc_take(st, goal, 1, ALLOC_ANY, &b, &got);
		if (err)
			goto err_broken;
		/* fresh block: zero and persist before the transaction
		 * that maps it commits */
		region_memset_persist(st->rg, st->base + b * BLK, 0, BLK);
		err = emap_insert(st, mi, fb, b, 1, 0);
		if (err)
			goto err_broken;
		mi->size += BLK;
		inode_log(st, mi);
	}
	slot = dx->free[--dx->nfree];
	err = dent_insert(dx, name, strlen(name), ino, type, slot, &d);
	if (err)
		goto err_broken;
	slot_put(st, mi, d, slot);
	return 0;

err_broken:
	st->broken = true;
	return err;
}

static void dent_unhash(struct dindex *dx, struct dent *d)
{
	struct dent **pp = &dx->ht[name_hash(d->name, d->namelen) & dx->hmask];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
}

void dir_remove(struct store *st, struct minode *mi, struct dent *d)
{
	struct dindex *dx = mi->dir;

	slot_put(st, mi, NULL, d->slot);
	dent_unhash(dx, d);
	dx->slots[d->slot] = NULL;
	dx->free[dx->nfree++] = d->slot;
	dx->count--;
	free(d);
}

void dir_retarget(struct store *st, struct minode *mi, struct dent *d,
		  uint64_t ino, uint8_t type)
{
	d->ino = ino;
	d->type = type;
	slot_put(st, mi, d, d->slot);
}

/* Entries are copied out in batches under the lock and handed to the
 * callback without it, so the callback may call back into the store
 * (readdirplus takes store_getattr / store_iget per entry). */
#define RD_BATCH 64

struct rd_ent {
	uint64_t ino, next;
	uint32_t mode;
	char name[STORE_NAME_MAX + 1];
};

static int rd_collect(struct store *st, uint64_t dir, uint64_t cookie,
		      struct rd_ent *out, int *n)
{
	struct minode *mi;
	struct dindex *dx;
	int err;

	*n = 0;
	st_rdlock(st);
	err = inode_get(st, dir, &mi);
	if (!err && !S_ISDIR(mi->mode))
		err = -ENOTDIR;
	if (err)
		goto out;
	dx = mi->dir;
	if (cookie == 0) {
		out[*n] = (struct rd_ent){ .ino = mi->ino, .next = 1,
					   .mode = S_IFDIR, .name = "." };
		(*n)++;
		cookie = 1;
	}
	if (cookie == 1) {
		out[*n] = (struct rd_ent){ .ino = mi->parent, .next = 2,
					   .mode = S_IFDIR, .name = ".." };
		(*n)++;
		cookie = 2;
	}
	for (uint64_t s = cookie - 2; s < dx->nslots && *n < RD_BATCH; s++) {
		struct dent *d = dx->slots[s];

		if (!d)
			continue;
		out[*n].ino = d->ino;
		out[*n].next = s + 3;
		out[*n].mode = DTTOIF(d->type);
		memcpy(out[*n].name, d->name, d->namelen + 1u);
		(*n)++;
	}
out:
	st_unlock(st);
	return err;
}

int store_readdir(struct store *st, uint64_t dir, uint64_t cookie,
		  store_dirent_fn fn, void *arg)
{
	struct rd_ent *batch = malloc(RD_BATCH * sizeof(*batch));
	int err = 0, n;

	if (!batch)
		return -ENOMEM;
	for (;;) {
		err = rd_collect(st, dir, cookie, batch, &n);
		if (err || !n)
			break;
		for (int i = 0; i < n; i++) {
			if (fn(arg, batch[i].name, batch[i].ino, batch[i].mode,
			       batch[i].next))
				goto out;
			cookie = batch[i].next;
		}
	}
out:
	free(batch);
	return err;
}
