/* SPDX-License-Identifier: MIT */
/*
 * owrite.c - overwrites under the store's shared lock.
 *
 * A write that stays inside the file size and lands only on blocks the
 * file maps, has written, shares with no other extent (refcount 1) and
 * no pin holds changes no metadata but mtime and ctime.  It runs under
 * the store's shared lock plus the inode's rwlock taken exclusive, so
 * writes to different files, reads of other files and lookups go on in
 * parallel, and the copy and its persist happen outside any store-wide
 * exclusive section.
 *
 * Why it is safe: the extent maps, refcounts and hold counts change only
 * under the exclusive store lock (allocation, free, truncate, punch,
 * copy_range, holds), so the blocks checked here stay this file's, with
 * the same refcount and hold count, until the shared lock is dropped.
 * Reads of the same file's data and timestamps take the inode's rwlock
 * shared, so a read sees a write whole or not at all, as before.
 * Writes that allocate, convert unwritten extents, extend the file, or
 * touch a shared or held block keep the exclusive path (data.c).
 *
 * Persistence order: the data (written and persisted in place, as every
 * overwrite always was: not atomic, durable when the call returns), then
 * mtime/ctime stored in the home inode and persisted (no journal: the
 * journal is idle while the shared lock is held, and a timestamp alone
 * has no invariant to keep).  docs/format.md, "Timestamps of
 * overwrites", says what a crash may leave.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "store_int.h"

int data_put(struct store *st, void *dst, const void *src, size_t len)
{
	struct iovec iov = { (void *)src, len };

	return region_write_persist(st->rg, dst, &iov, 1);
}

void data_touch_direct(struct store *st, struct minode *mi)
{
	struct pfs_dinode d;
	uint8_t *home = st->base + inode_itab_off(st, mi->ino);
	size_t a = offsetof(struct pfs_dinode, mtime_sec);
	size_t b = offsetof(struct pfs_dinode, ctime_nsec) + 4;

	/* mtime_sec .. ctime_nsec are contiguous: build them in a copy of
	 * the home inode, store only that range, one persist */
	memcpy(&d, home, sizeof(d));
	d.mtime_sec = st64((uint64_t)mi->mtime.tv_sec);
	d.ctime_sec = st64((uint64_t)mi->ctime.tv_sec);
	d.mtime_nsec = st32((uint32_t)mi->mtime.tv_nsec);
	d.ctime_nsec = st32((uint32_t)mi->ctime.tv_nsec);
	memcpy(home + a, (uint8_t *)&d + a, b - a);
	region_persist(st->rg, home + a, b - a);
}

bool data_overwrite_ok(const struct store *st, const struct minode *mi,
		       uint64_t off, size_t size)
{
	uint64_t fb, b1;

	if (!size || off >= mi->size || size > mi->size - off)
		return false;
	fb = off / BLK;
	b1 = (off + size + BLK - 1) / BLK;
	while (fb < b1) {
		uint32_t i = emap_find(mi, fb);
		const struct mext *e;
		uint64_t ee, rb;

		if (i >= mi->next || mi->ext[i].fblk > fb)
			return false;   /* a hole: the write allocates */
		e = &mi->ext[i];
		if (e->flags & PFS_EXT_UNWRITTEN)
			return false;   /* a conversion: metadata changes */
		ee = e->fblk + e->len < b1 ? e->fblk + e->len : b1;
		for (rb = e->rblk + (fb - e->fblk); fb < ee; fb++, rb++) {
			if (alloc_rc(&st->al, rb) != 1 ||
			    st->al.held[rb - st->al.blk0])
				return false;
		}
	}
	return true;
}

ssize_t data_overwrite(struct store *st, struct minode *mi, const void *buf,
		       size_t size, uint64_t off)
{
	const uint8_t *src = buf;
	uint64_t pos = off, end = off + size;
	int err = 0;

	pthread_rwlock_wrlock(&mi->rw);
	while (pos < end) {
		const struct mext *e = &mi->ext[emap_find(mi, pos / BLK)];
		uint64_t eend = (e->fblk + e->len) * BLK;
		uint8_t *dst = st->base + (e->rblk + pos / BLK - e->fblk) * BLK +
			       pos % BLK;

		if (eend > end)
			eend = end;
		err = data_put(st, dst, src + (pos - off), eend - pos);
		if (err)
			break;
		pos = eend;
	}
	if (pos > off) {
		st_now(&mi->mtime);
		mi->ctime = mi->mtime;
		data_touch_direct(st, mi);
	}
	pthread_rwlock_unlock(&mi->rw);
	return pos > off ? (ssize_t)(pos - off) : err;
}
