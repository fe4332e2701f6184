/* SPDX-License-Identifier: MIT */
/*
 * ops_setattr.c - chmod, chown, truncate, utimes.
 *
 * With permissions=kernel the kernel checks most of this already; we
 * check the ownership rules again because the store trusts its caller.
 * With permissions=daemon the kernel forces every setattr through
 * (ATTR_FORCE) and this is the only check.  Linux's rules: chmod and
 * explicit times only by the owner or root, chown only by root (or the
 * owner to itself), chgrp by the owner to a group it is in; "now" times
 * also by a writer; truncate by path needs write permission.  A non-root
 * chmod of a file whose group the caller is not in clears S_ISGID.
 * Without HANDLE_KILLPRIV_V2 the kernel clears set-id bits of a file by a
 * chmod in the writer's name, so clearing only those bits is then
 * allowed to anyone.  A directory that loses an x bit has its cached
 * names expired (ops_dentry.c).  A shrinking truncate may wait on pins
 * (see ops_pending.h).
 */
#include "ops.h"
#include "ops_io.h"
#include "ops_pending.h"
#include "ops_perm.h"

#include <errno.h>

struct setattr_req {
	struct store_attr cur, in;
	uint32_t valid;
};

static bool only_clears_setid(uint32_t oldm, uint32_t newm)
{
	uint32_t removed = (oldm & 07777) & ~(newm & 07777);

	return (newm & 07777) == ((oldm & 07777) & ~removed) &&
	       !(removed & ~(uint32_t)(S_ISUID | S_ISGID));
}

/* May a non-owner clear set-id bits by chmod (see the top)? */
static bool setid_clear_by_anyone(fuse_req_t req)
{
	return !perm_by_daemon(ops_fs(req)) || !ops_io_killpriv_v2();
}

/* utimensat(NULL) or both UTIME_NOW: Linux's ATTR_TOUCH. */
static bool times_touch(int to_set)
{
	int all = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		  FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW;

	return (to_set & all) == all;
}

/* Who may set times (owner or root; a writer for "now"), by mode. */
static int check_times(fuse_req_t req, int to_set, const struct setattr_req *r,
		       bool privileged)
{
	bool explicit_time =
		((to_set & FUSE_SET_ATTR_ATIME) &&
		 !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
		((to_set & FUSE_SET_ATTR_MTIME) &&
		 !(to_set & FUSE_SET_ATTR_MTIME_NOW));

	if (privileged)
		return 0;
	if (!perm_by_daemon(ops_fs(req)))
		/* "now" needs write access, which the kernel checked */
		return explicit_time ? -EPERM : 0;
	if (!times_touch(to_set))
		return -EPERM;
	return perm_check(req, &r->cur, W_OK);
}

/* Decide what to change and check who may; -EPERM when not allowed. */
static int build_setattr(fuse_req_t req, const struct stat *attr, int to_set,
			 const struct fuse_file_info *fi, struct setattr_req *r)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	bool root = ctx->uid == 0, owner = ctx->uid == r->cur.uid;
	gid_t gid = r->cur.gid;
	int ret;

	r->in = r->cur;
	r->valid = 0;
	if (to_set & FUSE_SET_ATTR_UID) {
		if (!root && !(owner && attr->st_uid == r->cur.uid))
			return -EPERM;
		r->in.uid = attr->st_uid;
		r->valid |= STORE_SET_UID;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		if (!root && !(owner && (attr->st_gid == r->cur.gid ||
					 ops_in_group(req, attr->st_gid))))
			return -EPERM;
		gid = attr->st_gid;
		r->in.gid = gid;
		r->valid |= STORE_SET_GID;
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		uint32_t mode = attr->st_mode & 07777;

		if (!root && !owner &&
		    !(setid_clear_by_anyone(req) &&
		      only_clears_setid(r->cur.mode, mode)))
			return -EPERM;
		if (!root && (mode & S_ISGID) && !ops_in_group(req, gid))
			mode &= ~(uint32_t)S_ISGID;
		r->in.mode = (r->cur.mode & S_IFMT) | mode;
		r->valid |= STORE_SET_MODE;
	}
	/* FATTR_KILL_SUIDGID (HANDLE_KILLPRIV_V2, see ops_io.c): a chown,
	 * or a truncate by a caller without CAP_FSETID; anyone may ask */
	if (ops_io_kill_suidgid() && !S_ISDIR(r->cur.mode)) {
		uint32_t mode = r->in.mode & ~(uint32_t)S_ISUID;

		if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
			mode &= ~(uint32_t)S_ISGID;
		if (mode != r->in.mode) {
			r->in.mode = mode;
			r->valid |= STORE_SET_MODE;
		}
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (S_ISDIR(r->cur.mode))
			return -EISDIR;
		if (!S_ISREG(r->cur.mode))
			return -EINVAL;
		if (attr->st_size < 0)
			return -EINVAL;
		/* ftruncate: the kernel checked that FI is open for writing */
		if (!fi && perm_by_daemon(ops_fs(req))) {
			ret = perm_check(req, &r->cur, W_OK);
			if (ret)
				return ret;
		}
		r->in.size = (uint64_t)attr->st_size;
		r->valid |= STORE_SET_SIZE;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		ret = check_times(req, to_set, r, root || owner);
		if (ret)
			return ret;
	}
	if (to_set & FUSE_SET_ATTR_ATIME) {
		r->in.atime = attr->st_atim;
		r->valid |= (to_set & FUSE_SET_ATTR_ATIME_NOW) ?
				    STORE_SET_ATIME_NOW : STORE_SET_ATIME;
	}
	if (to_set & FUSE_SET_ATTR_MTIME) {
		r->in.mtime = attr->st_mtim;
		r->valid |= (to_set & FUSE_SET_ATTR_MTIME_NOW) ?
				    STORE_SET_MTIME_NOW : STORE_SET_MTIME;
	}
	if (to_set & FUSE_SET_ATTR_CTIME) {
		r->in.ctime = attr->st_ctim;
		r->valid |= STORE_SET_CTIME;
	}
	return 0;
}

/* Run the store call; 0 after replying, else -errno (-EAGAIN: wait). */
static int do_setattr(fuse_req_t req, uint64_t ino,
		      const struct store_attr *cur, const struct store_attr *in,
		      uint32_t valid)
{
	struct fs *fs = ops_fs(req);
	struct store_attr out;
	struct stat st;
	int ret;

	ret = store_setattr(fs->st, ino, in, valid, &out);
	if (ret)
		return ret;
	if ((valid & STORE_SET_SIZE) && out.size < cur->size)
		fs_invalidate(fs, ino, out.size, 0);
	/* queued before the reply: the kernel holds INO's lock until then */
	if (perm_by_daemon(fs) && S_ISDIR(out.mode) &&
	    perm_dir_lost_search(cur->mode, out.mode))
		fs_expire_entry(fs, ino, NULL);
	ops_attr_to_stat(&out, &st);
	fuse_reply_attr(req, &st, OPS_ATTR_TIMEOUT);
	return 0;
}

static int setattr_retry(struct pending_op *op)
{
	struct store_attr cur;
	int ret;

	ret = store_getattr(op->fs->st, op->ino, &cur);
	if (ret)
		return ret;
	return do_setattr(op->req, op->ino, &cur, &op->u.setattr.in,
			  op->u.setattr.valid);
}

void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		 int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = ops_fs(req);
	struct setattr_req r;
	struct pending_op *op;
	int ret;

	ret = store_getattr(fs->st, ino, &r.cur);
	if (!ret)
		ret = build_setattr(req, attr, to_set, fi, &r);
	if (!ret)
		ret = do_setattr(req, ino, &r.cur, &r.in, r.valid);
	if (ret == -EAGAIN) {
		uint64_t cut = r.in.size < r.cur.size ? r.in.size : r.cur.size;

		op = pending_new(req, ino, "setattr", setattr_retry,
				 STORE_CHANGE_TRUNCATE, cut,
				 r.cur.size > cut ? r.cur.size - cut : 1);
		if (op) {
			op->u.setattr.in = r.in;
			op->u.setattr.valid = r.valid;
			pending_park(op);
			return;
		}
		ret = -ENOMEM;
	}
	if (ret)
		ops_reply_err(req, ret, "setattr");
}
