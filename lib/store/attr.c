/* SPDX-License-Identifier: MIT */
/* attr.c - getattr and setattr (including truncate). */
#include <errno.h>

#include "store_int.h"

int store_getattr(struct store *st, uint64_t ino, struct store_attr *out)
{
	struct minode *mi;
	int err;

	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (!err)
		inode_to_attr(mi, out);
	st_unlock(st);
	return err;
}

#define SET_KNOWN (STORE_SET_MODE | STORE_SET_UID | STORE_SET_GID |       \
		   STORE_SET_SIZE | STORE_SET_ATIME | STORE_SET_MTIME |   \
		   STORE_SET_ATIME_NOW | STORE_SET_MTIME_NOW | STORE_SET_CTIME)

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

int store_setattr(struct store *st, uint64_t ino, const struct store_attr *in,
		  uint32_t valid, struct store_attr *out)
{
	bool shrink = false;
	struct timespec now;
	struct minode *mi;
	int err;

	if (!in || (valid & ~SET_KNOWN))
		return -EINVAL;
	if (((valid & STORE_SET_ATIME) && !ts_valid(&in->atime)) ||
	    ((valid & STORE_SET_MTIME) && !ts_valid(&in->mtime)) ||
	    ((valid & STORE_SET_CTIME) && !ts_valid(&in->ctime)))
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = inode_get(st, ino, &mi);
	if (err)
		goto out;
	if (valid & STORE_SET_SIZE) {
		if (S_ISDIR(mi->mode))
			err = -EISDIR;
		else if (!S_ISREG(mi->mode))
			err = -EINVAL;
		else if (in->size > MAX_FILE_BLOCKS * BLK)
			err = -EFBIG;
		else if (in->size < mi->size)
			err = data_truncate_need(st, mi, in->size);
		if (!err && in->size < mi->size && S_ISREG(mi->mode))
			err = st_gate(st, ino, in->size, mi->size - in->size,
				      STORE_CHANGE_TRUNCATE);
		if (err)
			goto out;
		shrink = in->size < mi->size;
	}
	st_now(&now);
	tx_begin(st);
	if (valid & STORE_SET_MODE)
		mi->mode = (mi->mode & S_IFMT) | (in->mode & 07777);
	if (valid & (STORE_SET_UID | STORE_SET_GID)) {
		if (!S_ISDIR(mi->mode)) {
			mi->mode &= ~(uint32_t)S_ISUID;
			if (mi->mode & S_IXGRP)
				mi->mode &= ~(uint32_t)S_ISGID;
		}
		if (valid & STORE_SET_UID)
			mi->uid = in->uid;
		if (valid & STORE_SET_GID)
			mi->gid = in->gid;
	}
	if ((valid & STORE_SET_SIZE) && in->size != mi->size) {
		err = data_truncate(st, mi, in->size);
		if (err) {
			/* checked by data_truncate_need: a bug */
			st->broken = true;
			tx_abort(st);
			goto out;
		}
		mi->mtime = now;
	}
	if (valid & STORE_SET_ATIME_NOW)
		mi->atime = now;
	else if (valid & STORE_SET_ATIME)
		mi->atime = in->atime;
	if (valid & STORE_SET_MTIME_NOW)
		mi->mtime = now;
	else if (valid & STORE_SET_MTIME)
		mi->mtime = in->mtime;
	mi->ctime = (valid & STORE_SET_CTIME) ? in->ctime : now;
	if (shrink) {
		err = data_truncate_commit(st, mi, in->size);
	} else {
		inode_log(st, mi);
		err = tx_commit(st);
	}
	if (!err && out)
		inode_to_attr(mi, out);
out:
	st_unlock(st);
	return err;
}
