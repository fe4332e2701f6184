/* SPDX-License-Identifier: MIT */
/*
 * inode.c - the inode table: decode/verify, the in-memory inode cache,
 * allocation, freeing (reaping), references and orphans.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

uint64_t inode_itab_off(const struct store *st, uint64_t ino)
{
	return st->sb.itab_off + ino * PFS_INODE_SIZE;
}

static const struct pfs_dinode *dinode(const struct store *st, uint64_t ino)
{
	return (const void *)(st->base + inode_itab_off(st, ino));
}

static bool mode_valid(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFIFO:
	case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		return !(mode & ~(uint32_t)(S_IFMT | 07777));
	default:
		return false;
	}
}

static void ts_get(struct timespec *ts, pfs_le64 sec, pfs_le32 nsec)
{
	ts->tv_sec = (time_t)ld64(sec);
	ts->tv_nsec = ld32(nsec);
}

int inode_decode(struct store *st, uint64_t ino, struct minode *mi,
		 const char **why)
{
	const struct pfs_dinode *d = dinode(st, ino);
	uint64_t xb, head;

	memset(mi, 0, sizeof(*mi));
	mi->ino = ino;
	mi->mode = ld32(d->mode);
	mi->gen = ld64(d->generation);
	if (!mi->mode)
		return -ENOENT;
	mi->uid = ld32(d->uid);
	mi->gid = ld32(d->gid);
	mi->nlink = ld32(d->nlink);
	mi->size = ld64(d->size);
	ts_get(&mi->atime, d->atime_sec, d->atime_nsec);
	ts_get(&mi->mtime, d->mtime_sec, d->mtime_nsec);
	ts_get(&mi->ctime, d->ctime_sec, d->ctime_nsec);
	ts_get(&mi->btime, d->btime_sec, d->btime_nsec);
	mi->rdev = ld64(d->rdev);
	mi->parent = ld64(d->parent);
	mi->iflags = ld32(d->flags);
	memcpy(mi->inl, d->inl, sizeof(mi->inl));
	xb = ld64(d->xattr_blk);
	head = ld64(d->ext_head);
	mi->xattr_blk = xb;
	if (!mode_valid(mi->mode)) {
		*why = "inode has an invalid mode";
		return -EUCLEAN;
	}
	if (mi->iflags || d->pad0 || d->reserved) {
		*why = "inode has unknown flags or nonzero reserved fields";
		return -EUCLEAN;
	}
	if (mi->atime.tv_nsec >= 1000000000 || mi->mtime.tv_nsec >= 1000000000 ||
	    mi->ctime.tv_nsec >= 1000000000 || mi->btime.tv_nsec >= 1000000000) {
		*why = "inode has an invalid timestamp";
		return -EUCLEAN;
	}
	if ((xb && !alloc_in_data(&st->al, xb, 1)) ||
	    (head && !alloc_in_data(&st->al, head, 1))) {
		*why = "inode points outside the data area";
		return -EUCLEAN;
	}
	if (mi->size > MAX_FILE_BLOCKS * BLK ||
	    (S_ISLNK(mi->mode) && (mi->size > STORE_SYMLINK_MAX || !mi->size)) ||
	    (S_ISDIR(mi->mode) && (mi->size % BLK || !mi->parent ||
				   mi->parent >= st->sb.inode_count))) {
		*why = "inode has an invalid size or parent";
		return -EUCLEAN;
	}
	return 0;
}

int inode_get(struct store *st, uint64_t ino, struct minode **out)
{
	const char *why = "";
	struct minode *mi;
	int err = 0;

	if (ino == 0 || ino >= st->sb.inode_count)
		return -ENOENT;
	pthread_mutex_lock(&st->icache_lock);
	mi = st->icache[ino];
	if (mi)
		goto out;
	if (!st->ibits[ino]) {
		err = -ENOENT;
		goto out;
	}
	mi = malloc(sizeof(*mi));
	if (!mi) {
		err = -ENOMEM;
		goto out;
	}
	err = inode_decode(st, ino, mi, &why);
	if (!err)
		err = emap_load(st, mi, &why);
	if (!err && S_ISDIR(mi->mode))
		err = dir_load(st, mi, &why);
	if (err) {
		emap_free(mi);
		dir_free(mi);
		free(mi);
		mi = NULL;
		if (err == -ENOENT)
			err = -EUCLEAN;
		st->why = why;
		goto out;
	}
	pthread_rwlock_init(&mi->rw, NULL);
	st->icache[ino] = mi;
out:
	pthread_mutex_unlock(&st->icache_lock);
	*out = mi;
	return err;
}

static void ts_put(pfs_le64 *sec, pfs_le32 *nsec, const struct timespec *ts)
{
	*sec = st64((uint64_t)ts->tv_sec);
	*nsec = st32((uint32_t)ts->tv_nsec);
}

void inode_log(struct store *st, struct minode *mi)
{
	struct pfs_dinode d;

	memset(&d, 0, sizeof(d));
	d.mode = st32(mi->mode);
	d.uid = st32(mi->uid);
	d.gid = st32(mi->gid);
	d.nlink = st32(mi->nlink);
	d.size = st64(mi->size);
	d.generation = st64(mi->gen);
	ts_put(&d.atime_sec, &d.atime_nsec, &mi->atime);
	ts_put(&d.mtime_sec, &d.mtime_nsec, &mi->mtime);
	ts_put(&d.ctime_sec, &d.ctime_nsec, &mi->ctime);
	ts_put(&d.btime_sec, &d.btime_nsec, &mi->btime);
	d.rdev = st64(mi->rdev);
	d.parent = st64(mi->parent);
	d.xattr_blk = st64(mi->xattr_blk);
	d.ext_head = st64(mi->nchain ? mi->chain[0].rblk : 0);
	memcpy(d.inl, mi->inl, sizeof(d.inl));
	tx_put(st, inode_itab_off(st, mi->ino), &d, sizeof(d));
}

int inode_alloc(struct store *st, uint32_t mode, uint32_t uid, uint32_t gid,
		struct minode **out)
{
	uint64_t n = st->sb.inode_count, ino = 0;
	struct minode *mi;
	struct timespec now;

	if (!st->ifree)
		return -ENOSPC;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = (st->icursor + k) % n;

		if (i && !st->ibits[i]) {
			ino = i;
			break;
		}
	}
	if (!ino)
		return -ENOSPC;
	mi = calloc(1, sizeof(*mi));
	if (!mi)
		return -ENOMEM;
	if (S_ISDIR(mode)) {
		mi->dir = calloc(1, sizeof(*mi->dir));
		if (!mi->dir) {
			free(mi);
			return -ENOMEM;
		}
	}
	st_now(&now);
	mi->ino = ino;
	mi->mode = mode;
	mi->uid = uid;
	mi->gid = gid;
	mi->gen = ld64(dinode(st, ino)->generation) + 1;
	mi->atime = mi->mtime = mi->ctime = mi->btime = now;
	pthread_rwlock_init(&mi->rw, NULL);
	st->ibits[ino] = 1;
	st->ifree--;
	st->icursor = ino + 1;
	st->icache[ino] = mi;
	*out = mi;
	return 0;
}

void inode_to_attr(struct minode *mi, struct store_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = mi->ino;
	a->generation = mi->gen;
	a->mode = mi->mode;
	a->uid = mi->uid;
	a->gid = mi->gid;
	a->nlink = mi->nlink;
	a->size = mi->size;
	a->blocks = (mi->nblocks + (mi->xattr_blk ? 1 : 0)) * (BLK / 512);
	a->rdev = mi->rdev;
	a->atime = mi->atime;
	a->btime = mi->btime;
	/* an overwrite under the shared lock may be updating these */
	pthread_rwlock_rdlock(&mi->rw);
	a->mtime = mi->mtime;
	a->ctime = mi->ctime;
	pthread_rwlock_unlock(&mi->rw);
}

static void orphan_drop(struct store *st, uint64_t ino)
{
	for (size_t i = 0; i < st->norphans; i++) {
		if (st->orphans[i] == ino) {
			st->orphans[i] = st->orphans[--st->norphans];
			return;
		}
	}
}

static int orphan_add(struct store *st, uint64_t ino)
{
	if (st->norphans == st->orphcap) {
		size_t cap = st->orphcap ? st->orphcap * 2 : 16;
		uint64_t *p = realloc(st->orphans, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		st->orphans = p;
		st->orphcap = cap;
	}
	st->orphans[st->norphans++] = ino;
	return 0;
}

int inode_reap(struct store *st, struct minode *mi)
{
	uint64_t left;
	int err;

	do {
		tx_begin(st);
		err = emap_remove(st, mi, 0, MAX_FILE_BLOCKS, TX_BLOCK_BUDGET,
				  &left);
		if (!err && !left) {
			struct pfs_dinode d;

			if (mi->xattr_blk)
				alloc_ref_dec(st, mi->xattr_blk, 1);
			emap_free_chain(st, mi);
			memset(&d, 0, sizeof(d));
			d.generation = st64(mi->gen);
			tx_put(st, inode_itab_off(st, mi->ino), &d, sizeof(d));
		}
		if (!err)
			err = tx_commit(st);
		else
			tx_abort(st);
		if (err)
			return err;
	} while (left);
	orphan_drop(st, mi->ino);
	st->ibits[mi->ino] = 0;
	st->ifree++;
	st->icache[mi->ino] = NULL;
	emap_free(mi);
	dir_free(mi);
	pthread_rwlock_destroy(&mi->rw);
	free(mi);
	return 0;
}

int inode_maybe_reap(struct store *st, struct minode *mi)
{
	if (mi->nlink)
		return 0;
	if (!mi->refs)
		return inode_reap(st, mi);
	if (!mi->orphan_listed) {
		mi->orphan_listed = true;
		return orphan_add(st, mi->ino);
	}
	return 0;
}

int inode_scan(struct store *st, const char **why)
{
	uint64_t n = st->sb.inode_count;

	st->ibits = calloc(n, 1);
	if (!st->ibits) {
		*why = "out of memory for the inode bitmap";
		return -ENOMEM;
	}
	st->ibits[0] = 1;
	for (uint64_t ino = 1; ino < n; ino++) {
		const struct pfs_dinode *d = dinode(st, ino);

		if (!d->mode) {
			st->ifree++;
			continue;
		}
		st->ibits[ino] = 1;
		if (!d->nlink && orphan_add(st, ino)) {
			*why = "out of memory for the orphan list";
			return -ENOMEM;
		}
	}
	return 0;
}

void inode_cache_fini(struct store *st)
{
	if (!st->icache)
		return;
	for (uint64_t i = 0; i < st->sb.inode_count; i++) {
		struct minode *mi = st->icache[i];

		if (!mi)
			continue;
		emap_free(mi);
		dir_free(mi);
		pthread_rwlock_destroy(&mi->rw);
		free(mi);
	}
	free(st->icache);
	st->icache = NULL;
}

/*
 * References are counted atomically under the shared lock (lookups and
 * readdirplus take one per entry, so they must not serialize); only the
 * last put of an unlinked inode takes the exclusive lock, to free it.
 */
int store_iget(struct store *st, uint64_t ino)
{
	struct minode *mi;
	int err;

	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (!err)
		__atomic_add_fetch(&mi->refs, 1, __ATOMIC_RELAXED);
	st_unlock(st);
	return err;
}

void store_iput(struct store *st, uint64_t ino, uint64_t n)
{
	struct minode *mi;
	uint64_t old, new;
	bool last = false;

	st_rdlock(st);
	if (!inode_get(st, ino, &mi)) {
		old = __atomic_load_n(&mi->refs, __ATOMIC_RELAXED);
		do {
			new = old - (n < old ? n : old);
		} while (!__atomic_compare_exchange_n(&mi->refs, &old, new, false,
						      __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED));
		last = !new && !mi->nlink;
	}
	st_unlock(st);
	if (!last)
		return;
	st_wrlock(st);
	/* recheck: a get, a link or a reap may have come in between */
	if (!inode_get(st, ino, &mi) && !mi->refs && !mi->nlink &&
	    !st_writable(st))
		inode_reap(st, mi);
	st_unlock(st);
}

int store_reclaim_orphans(struct store *st)
{
	size_t i = 0;
	int err = 0;

	st_wrlock(st);
	if (st->readonly)   /* nothing can be freed; orphans stay listed */
		goto out;
	if ((err = st_writable(st)))
		goto out;
	while (i < st->norphans) {
		struct minode *mi;
		uint64_t ino = st->orphans[i];

		err = inode_get(st, ino, &mi);
		if (err == -ENOENT || (!err && mi->nlink)) {
			if (!err)
				mi->orphan_listed = false;
			st->orphans[i] = st->orphans[--st->norphans];
			err = 0;
			continue;
		}
		if (err)
			goto out;
		mi->orphan_listed = true;
		if (mi->refs) {
			i++;
			continue;
		}
		err = inode_reap(st, mi);
		if (err)
			goto out;
	}
out:
	st_unlock(st);
	return err;
}
