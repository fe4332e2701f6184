/* SPDX-License-Identifier: MIT */
/*
 * namei.c - the namespace: lookup, create (mknod, mkdir, symlink), link,
 * unlink, rmdir, rename, readlink.  Each call checks everything that can
 * fail first, then changes the mirrors in one transaction.
 */
#include <errno.h>
#include <string.h>

#include "store_int.h"

#define LINK_MAX_COUNT 0xFFFFFFF0u

static int check_name(const char *name)
{
	size_t n;

	if (!name || !*name)
		return -ENOENT;
	n = strlen(name);
	if (n > STORE_NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Get DIR as a live directory. */
static int get_dir(struct store *st, uint64_t dir, struct minode **out)
{
	int err = inode_get(st, dir, out);

	if (err)
		return err;
	if (!S_ISDIR((*out)->mode))
		return -ENOTDIR;
	return (*out)->nlink ? 0 : -ENOENT;
}

static void touch_dir(struct minode *d, const struct timespec *now)
{
	d->mtime = d->ctime = *now;
}

int store_lookup(struct store *st, uint64_t dir, const char *name,
		 struct store_attr *out)
{
	struct minode *d, *mi;
	struct dent *de;
	int err;

	st_rdlock(st);
	err = check_name(name);
	if (!err)
		err = get_dir(st, dir, &d);
	if (err)
		goto out;
	if (!strcmp(name, ".")) {
		mi = d;
	} else if (!strcmp(name, "..")) {
		err = inode_get(st, d->parent, &mi);
	} else {
		de = dir_find(d, name);
		if (!de) {
			err = -ENOENT;
			goto out;
		}
		err = inode_get(st, de->ino, &mi);
	}
	if (!err && out)
		inode_to_attr(mi, out);
out:
	st_unlock(st);
	return err;
}

static int create_node(struct store *st, uint64_t dir, const char *name,
		       uint32_t mode, uint64_t rdev, const char *target,
		       const struct store_cred *cred, struct store_attr *out)
{
	size_t tlen = target ? strlen(target) : 0;
	uint64_t need, b = 0, got;
	struct minode *d, *mi;
	struct timespec now;
	uint32_t gid;
	int err;

	if (!cred)
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = check_name(name);
	if (!err)
		err = get_dir(st, dir, &d);
	if (err)
		goto out;
	if (is_dot(name) || dir_find(d, name)) {
		err = -EEXIST;
		goto out;
	}
	if (target && (!tlen || tlen > STORE_SYMLINK_MAX)) {
		err = tlen ? -ENAMETOOLONG : -ENOENT;
		goto out;
	}
	if (S_ISDIR(mode) && d->nlink >= LINK_MAX_COUNT) {
		err = -EMLINK;
		goto out;
	}
	need = dir_blocks_needed(d) + (tlen > PFS_INLINE_BYTES ? 1 : 0);
	if (!st->ifree || need > alloc_nfree(&st->al)) {
		err = -ENOSPC;
		goto out;
	}
	gid = cred->gid;
	if (d->mode & S_ISGID) {
		gid = d->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	tx_begin(st);
	err = inode_alloc(st, mode, cred->uid, gid, &mi);
	if (err) {
		tx_abort(st);
		goto out;
	}
	now = mi->ctime;
	mi->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
	mi->nlink = S_ISDIR(mode) ? 2 : 1;
	mi->parent = S_ISDIR(mode) ? d->ino : 0;
	if (target) {
		mi->size = tlen;
		if (tlen <= PFS_INLINE_BYTES) {
			memcpy(mi->inl, target, tlen);
		} else {
			/* fresh block: written and persisted before the
			 * transaction that maps it commits */
			err = alloc_take(st, 0, 1, ALLOC_ANY, &b, &got);
			if (!err) {
				region_memcpy_persist(st->rg, st->base + b * BLK,
						      target, tlen, 0);
				err = emap_insert(st, mi, 0, b, 1, 0);
			}
		}
	}
	if (!err)
		err = dir_add(st, d, name, mi->ino, mode_to_dt(mode));
	if (err) {
		st->broken = true;
		tx_abort(st);
		goto out;
	}
	if (S_ISDIR(mode))
		d->nlink++;
	touch_dir(d, &now);
	inode_log(st, d);
	inode_log(st, mi);
	err = tx_commit(st);
	if (!err && out)
		inode_to_attr(mi, out);
out:
	st_unlock(st);
	return err;
}

int store_mknod(struct store *st, uint64_t dir, const char *name,
		uint32_t mode, uint64_t rdev, const struct store_cred *cred,
		struct store_attr *out)
{
	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFIFO: case S_IFSOCK:
	case S_IFCHR: case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	return create_node(st, dir, name, (mode & S_IFMT) | (mode & 07777),
			   rdev, NULL, cred, out);
}

int store_symlink(struct store *st, uint64_t dir, const char *name,
		  const char *target, const struct store_cred *cred,
		  struct store_attr *out)
{
	if (!target)
		return -EINVAL;
	return create_node(st, dir, name, S_IFLNK | 0777, 0, target, cred,
			   out);
}

ssize_t store_readlink(struct store *st, uint64_t ino, char *buf, size_t size)
{
	struct minode *mi;
	const uint8_t *src;
	ssize_t ret;
	int err;

	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (!err && !S_ISLNK(mi->mode))
		err = -EINVAL;
	if (err) {
		ret = err;
		goto out;
	}
	if (mi->size <= PFS_INLINE_BYTES) {
		src = mi->inl;
	} else {
		uint64_t rb = emap_written_block(mi, 0);

		if (!rb) {
			ret = -EUCLEAN;
			goto out;
		}
		src = st->base + rb * BLK;
	}
	memcpy(buf, src, mi->size < size ? mi->size : size);
	ret = (ssize_t)mi->size;
out:
	st_unlock(st);
	return ret;
}

int store_link(struct store *st, uint64_t ino, uint64_t newdir,
	       const char *newname, struct store_attr *out)
{
	struct minode *d, *mi;
	struct timespec now;
	int err;

	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = inode_get(st, ino, &mi);
	if (!err)
		err = check_name(newname);
	if (!err)
		err = get_dir(st, newdir, &d);
	if (err)
		goto out;
	if (S_ISDIR(mi->mode)) {
		err = -EPERM;
	} else if (is_dot(newname) || dir_find(d, newname)) {
		err = -EEXIST;
	} else if (!mi->nlink) {
		err = -ENOENT;
	} else if (mi->nlink >= LINK_MAX_COUNT) {
		err = -EMLINK;
	} else if (dir_blocks_needed(d) > alloc_nfree(&st->al)) {
		err = -ENOSPC;
	}
	if (err)
		goto out;
	st_now(&now);
	tx_begin(st);
	err = dir_add(st, d, newname, mi->ino, mode_to_dt(mi->mode));
	if (err) {
		tx_abort(st);
		goto out;
	}
	mi->nlink++;
	mi->ctime = now;
	touch_dir(d, &now);
	inode_log(st, d);
	inode_log(st, mi);
	err = tx_commit(st);
	if (!err && out)
		inode_to_attr(mi, out);
out:
	st_unlock(st);
	return err;
}

static int remove_entry(struct store *st, uint64_t dir, const char *name,
			bool want_dir)
{
	struct minode *d, *mi;
	struct timespec now;
	struct dent *de;
	int err;

	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = check_name(name);
	if (!err)
		err = get_dir(st, dir, &d);
	if (err)
		goto out;
	if (is_dot(name)) {
		err = !want_dir ? -EISDIR : !strcmp(name, ".") ? -EINVAL
							       : -ENOTEMPTY;
		goto out;
	}
	de = dir_find(d, name);
	if (!de) {
		err = -ENOENT;
		goto out;
	}
	err = inode_get(st, de->ino, &mi);
	if (err)
		goto out;
	if (want_dir && !S_ISDIR(mi->mode))
		err = -ENOTDIR;
	else if (!want_dir && S_ISDIR(mi->mode))
		err = -EISDIR;
	else if (want_dir && !dir_is_empty(mi))
		err = -ENOTEMPTY;
	if (err)
		goto out;
	st_now(&now);
	tx_begin(st);
	dir_remove(st, d, de);
	if (want_dir) {
		mi->nlink = 0;
		d->nlink--;
	} else {
		mi->nlink--;
	}
	mi->ctime = now;
	touch_dir(d, &now);
	inode_log(st, d);
	inode_log(st, mi);
	err = tx_commit(st);
	if (!err)
		err = inode_maybe_reap(st, mi);
out:
	st_unlock(st);
	return err;
}

int store_unlink(struct store *st, uint64_t dir, const char *name)
{
	return remove_entry(st, dir, name, false);
}

int store_rmdir(struct store *st, uint64_t dir, const char *name)
{
	return remove_entry(st, dir, name, true);
}

/* Is A equal to D or below it?  (walks ".." from A up to the root) */
static int is_within(struct store *st, uint64_t a, uint64_t d, bool *res)
{
	uint64_t hops = 0;

	*res = false;
	for (;;) {
		struct minode *mi;
		int err;

		if (a == d) {
			*res = true;
			return 0;
		}
		if (a == STORE_ROOT_INO)
			return 0;
		if (++hops > st->sb.inode_count)
			return -EUCLEAN;
		err = inode_get(st, a, &mi);
		if (err)
			return err;
		a = mi->parent;
	}
}

struct rn {
	struct minode *od, *nd, *src, *dst;
	struct dent *sde, *dde;
};

static int rename_check(struct store *st, struct rn *r, const char *oldname,
			const char *newname, uint32_t flags)
{
	bool within;
	int err;

	if (is_dot(oldname) || is_dot(newname))
		return -EINVAL;
	r->sde = dir_find(r->od, oldname);
	if (!r->sde)
		return -ENOENT;
	r->dde = dir_find(r->nd, newname);
	if ((flags & STORE_RENAME_EXCHANGE) && !r->dde)
		return -ENOENT;
	if ((flags & STORE_RENAME_NOREPLACE) && r->dde)
		return -EEXIST;
	err = inode_get(st, r->sde->ino, &r->src);
	if (!err && r->dde)
		err = inode_get(st, r->dde->ino, &r->dst);
	if (err)
		return err;
	if (S_ISDIR(r->src->mode) && r->od != r->nd) {
		err = is_within(st, r->nd->ino, r->src->ino, &within);
		if (err || within)
			return err ? err : -EINVAL;
	}
	if (!r->dst)
		return dir_blocks_needed(r->nd) > alloc_nfree(&st->al) ? -ENOSPC
								       : 0;
	if (r->src == r->dst)
		return 0;
	if (flags & STORE_RENAME_EXCHANGE) {
		if (S_ISDIR(r->dst->mode) && r->od != r->nd) {
			err = is_within(st, r->od->ino, r->dst->ino, &within);
			if (err || within)
				return err ? err : -EINVAL;
		}
		return 0;
	}
	if (S_ISDIR(r->src->mode) && !S_ISDIR(r->dst->mode))
		return -ENOTDIR;
	if (!S_ISDIR(r->src->mode) && S_ISDIR(r->dst->mode))
		return -EISDIR;
	if (S_ISDIR(r->dst->mode) && !dir_is_empty(r->dst))
		return -ENOTEMPTY;
	return 0;
}

static void rename_exchange(struct store *st, struct rn *r)
{
	bool sdir = S_ISDIR(r->src->mode), ddir = S_ISDIR(r->dst->mode);

	dir_retarget(st, r->od, r->sde, r->dst->ino, mode_to_dt(r->dst->mode));
	dir_retarget(st, r->nd, r->dde, r->src->ino, mode_to_dt(r->src->mode));
	if (r->od == r->nd)
		return;
	if (sdir) {
		r->src->parent = r->nd->ino;
		r->od->nlink--;
		r->nd->nlink++;
	}
	if (ddir) {
		r->dst->parent = r->od->ino;
		r->nd->nlink--;
		r->od->nlink++;
	}
}

static int rename_move(struct store *st, struct rn *r, const char *newname)
{
	bool sdir = S_ISDIR(r->src->mode);
	int err;

	if (r->dst) {
		dir_retarget(st, r->nd, r->dde, r->src->ino,
			     mode_to_dt(r->src->mode));
		if (S_ISDIR(r->dst->mode)) {
			r->dst->nlink = 0;
			r->nd->nlink--;
		} else {
			r->dst->nlink--;
		}
	} else {
		err = dir_add(st, r->nd, newname, r->src->ino,
			      mode_to_dt(r->src->mode));
		if (err)
			return err;
	}
	dir_remove(st, r->od, r->sde);
	if (sdir && r->od != r->nd) {
		r->src->parent = r->nd->ino;
		r->od->nlink--;
		r->nd->nlink++;
	}
	return 0;
}

int store_rename(struct store *st, uint64_t olddir, const char *oldname,
		 uint64_t newdir, const char *newname, uint32_t flags)
{
	struct timespec now;
	struct rn r = { 0 };
	int err;

	if (flags & ~(STORE_RENAME_NOREPLACE | STORE_RENAME_EXCHANGE) ||
	    ((flags & STORE_RENAME_NOREPLACE) && (flags & STORE_RENAME_EXCHANGE)))
		return -EINVAL;
	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = check_name(oldname);
	if (!err)
		err = check_name(newname);
	if (!err)
		err = get_dir(st, olddir, &r.od);
	if (!err)
		err = get_dir(st, newdir, &r.nd);
	if (!err)
		err = rename_check(st, &r, oldname, newname, flags);
	if (err || r.src == r.dst)
		goto out;
	st_now(&now);
	tx_begin(st);
	if (flags & STORE_RENAME_EXCHANGE) {
		rename_exchange(st, &r);
	} else {
		err = rename_move(st, &r, newname);
		if (err) {
			tx_abort(st);
			goto out;
		}
	}
	r.src->ctime = now;
	touch_dir(r.od, &now);
	touch_dir(r.nd, &now);
	inode_log(st, r.src);
	inode_log(st, r.od);
	if (r.nd != r.od)
		inode_log(st, r.nd);
	if (r.dst) {
		r.dst->ctime = now;
		inode_log(st, r.dst);
	}
	err = tx_commit(st);
	if (!err && r.dst && !(flags & STORE_RENAME_EXCHANGE))
		err = inode_maybe_reap(st, r.dst);
out:
	st_unlock(st);
	return err;
}
