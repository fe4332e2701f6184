/* SPDX-License-Identifier: MIT */
/*
 * fake_store.c - see fake_store.h.
 */
#include "fake_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FBLOCKS 1024u /* file blocks per inode at most (4 MiB) */

struct finode {
	bool exists;
	uint32_t nlink, refs;
	uint64_t size;
	uint32_t map[FBLOCKS]; /* region block + 1; 0 = hole */
	char policy[40];
};

struct fhold {
	uint64_t pin_id, off, len;
};

struct store {
	pthread_mutex_t lock; /* non-recursive, like the real one */
	store_gate_fn gate;
	void *gate_arg;
	uint8_t used[FAKE_BLOCKS];
	uint32_t holdcnt[FAKE_BLOCKS];
	struct finode ino[FAKE_INODES];
	struct fhold *holds;
	uint32_t nholds, reclaims;
	uint8_t preg[FAKE_SLOTS][STORE_PREG_RECORD_SIZE];
	bool preg_used[FAKE_SLOTS];
	char *region;
};

struct store *fake_store_new(void)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->region = calloc(FAKE_BLOCKS, STORE_BLOCK_SIZE);
	st->holds = calloc(4096, sizeof(*st->holds));
	pthread_mutex_init(&st->lock, NULL);
	st->used[0] = 1; /* block 0: "metadata" */
	return st;
}

void fake_store_free(struct store *st)
{
	free(st->region);
	free(st->holds);
	free(st);
}

static struct finode *fi(struct store *st, uint64_t ino)
{
	if (ino == 0 || ino >= FAKE_INODES || !st->ino[ino].exists)
		return NULL;
	return &st->ino[ino];
}

static int alloc_block(struct store *st, uint32_t *out)
{
	uint32_t b;

	for (b = 1; b < FAKE_BLOCKS; b++) {
		if (!st->used[b] && !st->holdcnt[b]) {
			st->used[b] = 1;
			memset(st->region + (size_t)b * STORE_BLOCK_SIZE, 0,
			       STORE_BLOCK_SIZE);
			*out = b;
			return 0;
		}
	}
	return -ENOSPC;
}

static void free_blocks_from(struct store *st, struct finode *f, uint64_t a,
			     uint64_t b)
{
	for (; a < b && a < FBLOCKS; a++) {
		if (f->map[a]) {
			st->used[f->map[a] - 1] = 0;
			f->map[a] = 0;
		}
	}
}

int fake_create(struct store *st, uint64_t ino, uint64_t size, bool alloc)
{
	struct finode *f;
	uint64_t i, n = (size + STORE_BLOCK_SIZE - 1) / STORE_BLOCK_SIZE;
	uint32_t b;
	int rc = 0;

	if (ino == 0 || ino >= FAKE_INODES || n > FBLOCKS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	f = &st->ino[ino];
	memset(f, 0, sizeof(*f));
	f->exists = true;
	f->nlink = 1;
	f->size = size;
	for (i = 0; alloc && i < n && !rc; i++) {
		rc = alloc_block(st, &b);
		if (!rc)
			f->map[i] = b + 1;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int fake_truncate(struct store *st, uint64_t ino, uint64_t size)
{
	struct finode *f;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f) {
		rc = -ENOENT;
	} else if (size < f->size && st->gate) {
		rc = st->gate(st->gate_arg, ino, size, f->size - size,
			      STORE_CHANGE_TRUNCATE);
	}
	if (!rc && f) {
		if (size < f->size)
			free_blocks_from(st, f, (size + 4095) / 4096, FBLOCKS);
		f->size = size;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int fake_punch(struct store *st, uint64_t ino, uint64_t off, uint64_t len)
{
	struct finode *f;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f)
		rc = -ENOENT;
	else if (st->gate)
		rc = st->gate(st->gate_arg, ino, off, len, STORE_CHANGE_PUNCH);
	if (!rc && f)
		free_blocks_from(st, f, (off + 4095) / 4096, (off + len) / 4096);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static void maybe_free_inode(struct store *st, struct finode *f)
{
	if (f->nlink == 0 && f->refs == 0) {
		free_blocks_from(st, f, 0, FBLOCKS);
		f->exists = false;
	}
}

int fake_unlink(struct store *st, uint64_t ino)
{
	struct finode *f;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (f) {
		f->nlink = 0;
		maybe_free_inode(st, f);
	}
	pthread_mutex_unlock(&st->lock);
	return f ? 0 : -ENOENT;
}

bool fake_exists(struct store *st, uint64_t ino)
{
	bool r;

	pthread_mutex_lock(&st->lock);
	r = fi(st, ino) != NULL;
	pthread_mutex_unlock(&st->lock);
	return r;
}

uint64_t fake_size(struct store *st, uint64_t ino)
{
	struct finode *f;
	uint64_t s;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	s = f ? f->size : 0;
	pthread_mutex_unlock(&st->lock);
	return s;
}

uint32_t fake_refs(struct store *st, uint64_t ino)
{
	uint32_t r;

	pthread_mutex_lock(&st->lock);
	r = ino < FAKE_INODES ? st->ino[ino].refs : 0;
	pthread_mutex_unlock(&st->lock);
	return r;
}

int fake_set_policy_xattr(struct store *st, uint64_t ino, const char *v)
{
	struct finode *f;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (f)
		snprintf(f->policy, sizeof(f->policy), "%s", v ? v : "");
	pthread_mutex_unlock(&st->lock);
	return f ? 0 : -ENOENT;
}

uint32_t fake_held_blocks(struct store *st)
{
	uint32_t b, n = 0;

	pthread_mutex_lock(&st->lock);
	for (b = 0; b < FAKE_BLOCKS; b++)
		n += st->holdcnt[b] != 0;
	pthread_mutex_unlock(&st->lock);
	return n;
}

uint32_t fake_free_blocks(struct store *st)
{
	uint32_t b, n = 0;

	pthread_mutex_lock(&st->lock);
	for (b = 0; b < FAKE_BLOCKS; b++)
		n += !st->used[b] && !st->holdcnt[b];
	pthread_mutex_unlock(&st->lock);
	return n;
}

uint32_t fake_map(struct store *st, uint64_t ino, uint64_t fblk)
{
	uint32_t r = 0;

	pthread_mutex_lock(&st->lock);
	if (ino < FAKE_INODES && fblk < FBLOCKS)
		r = st->ino[ino].map[fblk];
	pthread_mutex_unlock(&st->lock);
	return r;
}

void fake_remount(struct store *st)
{
	uint32_t i;

	pthread_mutex_lock(&st->lock);
	st->gate = NULL;
	for (i = 0; i < FAKE_INODES; i++)
		st->ino[i].refs = 0;
	pthread_mutex_unlock(&st->lock);
}

uint32_t fake_reclaims(struct store *st)
{
	return st->reclaims;
}

/* ---- the store API the pin layer calls ------------------------------------ */

void store_set_gate(struct store *st, store_gate_fn fn, void *arg)
{
	pthread_mutex_lock(&st->lock);
	st->gate = fn;
	st->gate_arg = arg;
	pthread_mutex_unlock(&st->lock);
}

int store_getattr(struct store *st, uint64_t ino, struct store_attr *out)
{
	struct finode *f;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f) {
		rc = -ENOENT;
	} else {
		memset(out, 0, sizeof(*out));
		out->ino = ino;
		out->mode = ino == 1 ? (S_IFDIR | 0755) : (S_IFREG | 0644);
		out->nlink = f->nlink;
		out->size = f->size;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int store_iget(struct store *st, uint64_t ino)
{
	struct finode *f;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (f)
		f->refs++;
	pthread_mutex_unlock(&st->lock);
	return f ? 0 : -ENOENT;
}

void store_iput(struct store *st, uint64_t ino, uint64_t n)
{
	struct finode *f;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (f) {
		f->refs -= (uint32_t)n;
		maybe_free_inode(st, f);
	}
	pthread_mutex_unlock(&st->lock);
}

ssize_t store_read(struct store *st, uint64_t ino, void *buf, size_t size,
		   uint64_t off)
{
	struct finode *f;
	size_t done = 0;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f) {
		pthread_mutex_unlock(&st->lock);
		return -ENOENT;
	}
	while (done < size && off + done < f->size) {
		uint64_t pos = off + done, blk = pos / 4096;
		size_t n = 4096 - pos % 4096;

		if (n > size - done)
			n = size - done;
		if (n > f->size - pos)
			n = (size_t)(f->size - pos);
		if (blk < FBLOCKS && f->map[blk])
			memcpy((char *)buf + done,
			       st->region + (size_t)(f->map[blk] - 1) * 4096 +
				       pos % 4096, n);
		else
			memset((char *)buf + done, 0, n);
		done += n;
	}
	pthread_mutex_unlock(&st->lock);
	return (ssize_t)done;
}

ssize_t store_write(struct store *st, uint64_t ino, const void *buf,
		    size_t size, uint64_t off)
{
	struct finode *f;
	size_t done = 0;
	uint32_t b;
	int rc;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f || (off + size + 4095) / 4096 > FBLOCKS) {
		pthread_mutex_unlock(&st->lock);
		return f ? -EFBIG : -ENOENT;
	}
	while (done < size) {
		uint64_t pos = off + done, blk = pos / 4096;
		size_t n = 4096 - pos % 4096;

		if (n > size - done)
			n = size - done;
		if (!f->map[blk]) {
			rc = alloc_block(st, &b);
			if (rc) {
				pthread_mutex_unlock(&st->lock);
				return rc;
			}
			f->map[blk] = b + 1;
		}
		memcpy(st->region + (size_t)(f->map[blk] - 1) * 4096 + pos % 4096,
		       (const char *)buf + done, n);
		done += n;
	}
	if (off + size > f->size)
		f->size = off + size;
	pthread_mutex_unlock(&st->lock);
	return (ssize_t)size;
}

int store_fsync(struct store *st, uint64_t ino, bool datasync)
{
	return fake_exists(st, ino) ? 0 : -ENOENT;
}

int store_extents(struct store *st, uint64_t ino, uint64_t off, uint64_t len,
		  uint64_t first, struct store_extent *out, uint32_t max,
		  uint64_t *total)
{
	struct finode *f;
	uint64_t b, e, idx = 0;
	uint32_t n = 0;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f) {
		pthread_mutex_unlock(&st->lock);
		return -ENOENT;
	}
	b = 0;
	while (b < FBLOCKS) {
		if (!f->map[b]) {
			b++;
			continue;
		}
		e = b + 1;
		while (e < FBLOCKS && f->map[e] == f->map[e - 1] + 1)
			e++;
		if (e * 4096 > off && b * 4096 < off + len) {
			if (idx >= first && n < max) {
				out[n].file_off = b * 4096;
				out[n].region_off = (uint64_t)(f->map[b] - 1) * 4096;
				out[n].len = (e - b) * 4096;
				out[n].flags = 0;
				out[n].refcount = 1;
				n++;
			}
			idx++;
		}
		b = e;
	}
	if (total)
		*total = idx;
	pthread_mutex_unlock(&st->lock);
	return (int)n;
}

ssize_t store_getxattr(struct store *st, uint64_t ino, const char *name,
		       void *value, size_t size)
{
	struct finode *f;
	ssize_t rc;

	pthread_mutex_lock(&st->lock);
	f = fi(st, ino);
	if (!f)
		rc = -ENOENT;
	else if (strcmp(name, "trusted.pinfs.policy") || !f->policy[0])
		rc = -ENODATA;
	else if (strlen(f->policy) > size)
		rc = -ERANGE;
	else {
		rc = (ssize_t)strlen(f->policy);
		memcpy(value, f->policy, (size_t)rc);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int store_hold(struct store *st, uint64_t pin_id, uint64_t region_off,
	       uint64_t len)
{
	uint64_t b;

	if (region_off % 4096 || len % 4096 || len == 0 ||
	    (region_off + len) / 4096 > FAKE_BLOCKS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (st->nholds == 4096) {
		pthread_mutex_unlock(&st->lock);
		return -ENOSPC;
	}
	st->holds[st->nholds++] = (struct fhold){ pin_id, region_off, len };
	for (b = region_off / 4096; b < (region_off + len) / 4096; b++)
		st->holdcnt[b]++;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

int store_release_holds(struct store *st, uint64_t pin_id)
{
	uint32_t i = 0;
	uint64_t b;

	pthread_mutex_lock(&st->lock);
	while (i < st->nholds) {
		struct fhold *h = &st->holds[i];

		if (h->pin_id != pin_id) {
			i++;
			continue;
		}
		for (b = h->off / 4096; b < (h->off + h->len) / 4096; b++)
			st->holdcnt[b]--;
		*h = st->holds[--st->nholds];
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

bool store_block_held(struct store *st, uint64_t region_off)
{
	bool r;

	pthread_mutex_lock(&st->lock);
	r = region_off / 4096 < FAKE_BLOCKS && st->holdcnt[region_off / 4096];
	pthread_mutex_unlock(&st->lock);
	return r;
}

int store_for_each_hold(struct store *st,
			int (*fn)(void *arg, uint64_t pin_id,
				  uint64_t region_off, uint64_t len),
			void *arg)
{
	struct fhold copy[4096];
	uint32_t i, n;
	int rc;

	pthread_mutex_lock(&st->lock);
	n = st->nholds;
	memcpy(copy, st->holds, n * sizeof(copy[0]));
	pthread_mutex_unlock(&st->lock);
	for (i = 0; i < n; i++) {
		rc = fn(arg, copy[i].pin_id, copy[i].off, copy[i].len);
		if (rc)
			return rc;
	}
	return 0;
}

int store_preg_put(struct store *st, uint32_t slot, const void *rec)
{
	if (slot >= FAKE_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	st->preg_used[slot] = rec != NULL;
	if (rec)
		memcpy(st->preg[slot], rec, STORE_PREG_RECORD_SIZE);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

int store_preg_get(struct store *st, uint32_t slot, void *rec)
{
	int rc = 0;

	if (slot >= FAKE_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (!st->preg_used[slot])
		rc = -ENOENT;
	else
		memcpy(rec, st->preg[slot], STORE_PREG_RECORD_SIZE);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

uint32_t store_preg_slots(struct store *st)
{
	return FAKE_SLOTS;
}

int store_reclaim_orphans(struct store *st)
{
	uint32_t i;

	pthread_mutex_lock(&st->lock);
	st->reclaims++;
	for (i = 1; i < FAKE_INODES; i++)
		if (st->ino[i].exists)
			maybe_free_inode(st, &st->ino[i]);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/* As the store's: everything checked first, then record and holds. */
int store_pin_hold(struct store *st, uint32_t slot, const void *rec,
		   uint64_t pin_id, const struct store_hold_range *r,
		   uint32_t n)
{
	uint32_t i;
	uint64_t b;

	if (slot >= FAKE_SLOTS || !rec || !pin_id || (n && !r))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (r[i].region_off % 4096 || r[i].len % 4096 || !r[i].len ||
		    (r[i].region_off + r[i].len) / 4096 > FAKE_BLOCKS)
			return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (st->nholds + n > 4096) {
		pthread_mutex_unlock(&st->lock);
		return -ENOSPC;
	}
	st->preg_used[slot] = true;
	memcpy(st->preg[slot], rec, STORE_PREG_RECORD_SIZE);
	for (i = 0; i < n; i++) {
		st->holds[st->nholds++] =
			(struct fhold){ pin_id, r[i].region_off, r[i].len };
		for (b = r[i].region_off / 4096;
		     b < (r[i].region_off + r[i].len) / 4096; b++)
			st->holdcnt[b]++;
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

int store_pin_release(struct store *st, uint32_t slot, uint64_t pin_id)
{
	if (slot != UINT32_MAX && slot >= FAKE_SLOTS)
		return -EINVAL;
	if (slot != UINT32_MAX)
		store_preg_put(st, slot, NULL);
	return store_release_holds(st, pin_id);
}
