/* SPDX-License-Identifier: MIT */
/*
 * xattr.c - extended attributes: one 4 KiB block per inode holding packed
 * (name, value) entries after a 32-byte header.  Every change rewrites the
 * used part of the block through the journal, so it is atomic.
 */
#include <errno.h>
#include <string.h>

#include "store_int.h"

#define XSPACE (BLK - PFS_XATTR_HDR)

static uint32_t ent_size(size_t nlen, size_t vlen)
{
	return (uint32_t)((sizeof(struct pfs_xent) + nlen + vlen + 3) & ~3ul);
}

/* Copy MI's xattr block into BUF (or an empty one) and verify it.  BUF
 * must be 8-byte aligned: it is read through struct pfs_xhdr. */
static int xload(struct store *st, const struct minode *mi, uint8_t *buf)
{
	struct pfs_xhdr *h = (void *)buf;
	uint32_t used, pos = 0;

	memset(buf, 0, BLK);
	if (!mi->xattr_blk) {
		h->magic = st64(PFS_XATTR_MAGIC);
		h->owner = st64(mi->ino);
		return 0;
	}
	memcpy(buf, st->base + mi->xattr_blk * BLK, BLK);
	used = ld32(h->used);
	if (ld64(h->magic) != PFS_XATTR_MAGIC || ld64(h->owner) != mi->ino ||
	    used > XSPACE)
		return -EUCLEAN;
	for (uint32_t i = 0; i < ld32(h->count); i++) {
		const struct pfs_xent *e = (const void *)(buf + PFS_XATTR_HDR + pos);

		if (pos + sizeof(*e) > used || !e->name_len ||
		    pos + ent_size(e->name_len, ld16(e->value_len)) > used)
			return -EUCLEAN;
		pos += ent_size(e->name_len, ld16(e->value_len));
	}
	return pos == used ? 0 : -EUCLEAN;
}

enum xopen_mode { XOPEN_READ, XOPEN_WRITE };

/* With the store locked: INO's inode and a verified copy of its xattr
 * block in BUF; XOPEN_WRITE also checks that the store may be written. */
static int xopen(struct store *st, uint64_t ino, enum xopen_mode mode,
		 struct minode **mi, uint8_t *buf)
{
	int err = mode == XOPEN_WRITE ? st_writable(st) : 0;

	if (!err)
		err = inode_get(st, ino, mi);
	if (!err)
		err = xload(st, *mi, buf);
	return err;
}

/* Offset (from the entries' start) of NAME, or -1. */
static long xfind(const uint8_t *buf, const char *name)
{
	const struct pfs_xhdr *h = (const void *)buf;
	size_t n = strlen(name);
	uint32_t pos = 0;

	for (uint32_t i = 0; i < ld32(h->count); i++) {
		const struct pfs_xent *e = (const void *)(buf + PFS_XATTR_HDR + pos);

		if (e->name_len == n && !memcmp(e + 1, name, n))
			return pos;
		pos += ent_size(e->name_len, ld16(e->value_len));
	}
	return -1;
}

static void xdelete(uint8_t *buf, long at)
{
	struct pfs_xhdr *h = (void *)buf;
	const struct pfs_xent *e = (const void *)(buf + PFS_XATTR_HDR + at);
	uint32_t sz = ent_size(e->name_len, ld16(e->value_len));
	uint32_t used = ld32(h->used);
	uint8_t *p = buf + PFS_XATTR_HDR + at;

	memmove(p, p + sz, used - at - sz);
	h->used = st32(used - sz);
	h->count = st32(ld32(h->count) - 1);
}

static int check_xname(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	return strlen(name) > STORE_XATTR_NAME_MAX ? -ERANGE : 0;
}

static int xcommit(struct store *st, struct minode *mi, uint8_t *buf)
{
	struct pfs_xhdr *h = (void *)buf;
	uint64_t b, got;
	int err;

	tx_begin(st);
	if (!ld32(h->count)) {
		if (mi->xattr_blk)
			alloc_ref_dec(st, mi->xattr_blk, 1);
		mi->xattr_blk = 0;
	} else {
		if (!mi->xattr_blk) {
			err = alloc_take(st, 0, 1, ALLOC_ANY, &b, &got);
			if (err) {
				tx_abort(st);
				return err;
			}
			mi->xattr_blk = b;
		}
		tx_put(st, mi->xattr_blk * BLK, buf,
		       PFS_XATTR_HDR + ld32(h->used));
	}
	st_now(&mi->ctime);
	inode_log(st, mi);
	return tx_commit(st);
}

int store_setxattr(struct store *st, uint64_t ino, const char *name,
		   const void *value, size_t size, uint32_t flags)
{
	static _Thread_local _Alignas(8) uint8_t buf[BLK];
	struct pfs_xhdr *h = (void *)buf;
	struct pfs_xent *e;
	struct minode *mi;
	uint32_t used, sz;
	long at;
	int err;

	err = check_xname(name);
	if (err)
		return err;
	if (flags & ~(STORE_XATTR_CREATE | STORE_XATTR_REPLACE))
		return -EINVAL;
	if (size > STORE_XATTR_SIZE_MAX)
		return -E2BIG;
	if (size && !value)
		return -EINVAL;
	st_wrlock(st);
	err = xopen(st, ino, XOPEN_WRITE, &mi, buf);
	if (err)
		goto out;
	at = xfind(buf, name);
	if (at >= 0 && (flags & STORE_XATTR_CREATE)) {
		err = -EEXIST;
		goto out;
	}
	if (at < 0 && (flags & STORE_XATTR_REPLACE)) {
		err = -ENODATA;
		goto out;
	}
	if (at >= 0)
		xdelete(buf, at);
	used = ld32(h->used);
	sz = ent_size(strlen(name), size);
	if (used + sz > XSPACE || (!mi->xattr_blk && !alloc_nfree(&st->al))) {
		err = -ENOSPC;
		goto out;
	}
	e = (void *)(buf + PFS_XATTR_HDR + used);
	memset(e, 0, sz);
	e->name_len = (uint8_t)strlen(name);
	e->value_len = st16((uint16_t)size);
	memcpy(e + 1, name, e->name_len);
	if (size)
		memcpy((uint8_t *)(e + 1) + e->name_len, value, size);
	h->used = st32(used + sz);
	h->count = st32(ld32(h->count) + 1);
	err = xcommit(st, mi, buf);
out:
	st_unlock(st);
	return err;
}

ssize_t store_getxattr(struct store *st, uint64_t ino, const char *name,
		       void *value, size_t size)
{
	static _Thread_local _Alignas(8) uint8_t buf[BLK];
	const struct pfs_xent *e;
	struct minode *mi;
	ssize_t ret;
	long at;

	ret = check_xname(name);
	if (ret)
		return ret;
	st_rdlock(st);
	ret = xopen(st, ino, XOPEN_READ, &mi, buf);
	if (ret)
		goto out;
	at = xfind(buf, name);
	if (at < 0) {
		ret = -ENODATA;
		goto out;
	}
	e = (const void *)(buf + PFS_XATTR_HDR + at);
	ret = ld16(e->value_len);
	if (size && (size_t)ret > size)
		ret = -ERANGE;
	else if (size)
		memcpy(value, (const uint8_t *)(e + 1) + e->name_len, (size_t)ret);
out:
	st_unlock(st);
	return ret;
}

ssize_t store_listxattr(struct store *st, uint64_t ino, char *list,
			size_t size)
{
	static _Thread_local _Alignas(8) uint8_t buf[BLK];
	const struct pfs_xhdr *h = (const void *)buf;
	struct minode *mi;
	size_t total = 0;
	uint32_t pos = 0;
	ssize_t ret;

	st_rdlock(st);
	ret = xopen(st, ino, XOPEN_READ, &mi, buf);
	if (ret)
		goto out;
	for (uint32_t i = 0; i < ld32(h->count); i++) {
		const struct pfs_xent *e = (const void *)(buf + PFS_XATTR_HDR + pos);

		if (size && total + e->name_len + 1 > size) {
			ret = -ERANGE;
			goto out;
		}
		if (size) {
			memcpy(list + total, e + 1, e->name_len);
			list[total + e->name_len] = 0;
		}
		total += e->name_len + 1u;
		pos += ent_size(e->name_len, ld16(e->value_len));
	}
	ret = (ssize_t)total;
out:
	st_unlock(st);
	return ret;
}

int store_removexattr(struct store *st, uint64_t ino, const char *name)
{
	static _Thread_local _Alignas(8) uint8_t buf[BLK];
	struct minode *mi;
	long at;
	int err;

	err = check_xname(name);
	if (err)
		return err;
	st_wrlock(st);
	err = xopen(st, ino, XOPEN_WRITE, &mi, buf);
	if (err)
		goto out;
	at = xfind(buf, name);
	if (at < 0) {
		err = -ENODATA;
		goto out;
	}
	xdelete(buf, at);
	err = xcommit(st, mi, buf);
out:
	st_unlock(st);
	return err;
}
