/* SPDX-License-Identifier: MIT */
/*
 * ops_ns.c - the namespace: mknod, mkdir, symlink, link, unlink, rmdir,
 * rename.  New inodes belong to the caller (the store applies setgid
 * directories); the caller's umask applies (FUSE_CAP_DONT_MASK).
 * permissions=daemon: every change needs write and search permission on
 * the directories it changes (perm_dir), sticky directories protect
 * their entries (perm_sticky), and a directory moved to another parent
 * needs write permission on itself (its ".." changes), as Linux's
 * may_create, may_delete and vfs_rename check.
 */
#include "ops.h"
#include "ops_perm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_name(const char *name)
{
	return strlen(name) > STORE_NAME_MAX ? -ENAMETOOLONG : 0;
}

/* mknod and mkdir share this, as passthrough_ll's make_new does. */
static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		      uint32_t mode, dev_t rdev, const char *op)
{
	struct store_cred cred = ops_cred(req);
	struct store_attr a;
	int ret;

	struct store_attr d;

	ret = perm_dir(req, parent, W_OK | X_OK, &d);
	if (!ret)
		ret = check_name(name);
	if (!ret)
		ret = store_mknod(ops_fs(req)->st, parent, name,
				  ops_umask(req, mode), rdev, &cred, &a);
	if (ret) {
		ops_reply_err(req, ret, op);
		return;
	}
	ops_reply_entry(req, &a, perm_entry_timeout(ops_fs(req), &d), op);
}

void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		make_node(req, parent, name, mode, rdev, "mknod");
		break;
	case 0:
		make_node(req, parent, name, mode | S_IFREG, 0, "mknod");
		break;
	default:
		ops_reply_err(req, -EINVAL, "mknod");
	}
}

void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode)
{
	make_node(req, parent, name, S_IFDIR | (mode & 07777), 0, "mkdir");
}

void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name)
{
	struct store_cred cred = ops_cred(req);
	struct store_attr a, d;
	int ret;

	ret = perm_dir(req, parent, W_OK | X_OK, &d);
	if (!ret)
		ret = check_name(name);
	if (!ret && strlen(link) > STORE_SYMLINK_MAX)
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = store_symlink(ops_fs(req)->st, parent, name, link, &cred,
				    &a);
	if (ret) {
		ops_reply_err(req, ret, "symlink");
		return;
	}
	ops_reply_entry(req, &a, perm_entry_timeout(ops_fs(req), &d),
			"symlink");
}

/* The source must pass fs.protected_hardlinks (perm_link_source). */
static int link_source_ok(fuse_req_t req, fuse_ino_t ino)
{
	struct store_attr s;
	int ret;

	if (!perm_by_daemon(ops_fs(req)))
		return 0;
	ret = store_getattr(ops_fs(req)->st, ino, &s);
	return ret ? ret : perm_link_source(req, &s);
}

void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname)
{
	struct store_attr a, d;
	int ret;

	ret = perm_dir(req, newparent, W_OK | X_OK, &d);
	if (!ret)
		ret = link_source_ok(req, ino);
	if (!ret)
		ret = check_name(newname);
	if (!ret)
		ret = store_link(ops_fs(req)->st, ino, newparent, newname, &a);
	if (ret) {
		ops_reply_err(req, ret, "link");
		return;
	}
	ops_reply_entry(req, &a, perm_entry_timeout(ops_fs(req), &d), "link");
}

/* Write and search on PARENT, then the sticky rule for NAME. */
static int may_delete(fuse_req_t req, fuse_ino_t parent, const char *name,
		      struct store_attr *d)
{
	int ret = perm_dir(req, parent, W_OK | X_OK, d);

	return ret ? ret : perm_sticky(req, parent, d, name);
}

void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct store_attr d;
	int ret = may_delete(req, parent, name, &d);

	if (!ret)
		ret = store_unlink(ops_fs(req)->st, parent, name);
	if (ret)
		ops_reply_err(req, ret, "unlink");
	else
		fuse_reply_err(req, 0);
}

void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct store_attr d;
	int ret = may_delete(req, parent, name, &d);

	if (!ret)
		ret = store_rmdir(ops_fs(req)->st, parent, name);
	if (ret)
		ops_reply_err(req, ret, "rmdir");
	else
		fuse_reply_err(req, 0);
}

/*
 * A directory NAME in PARENT that moves to another directory must be
 * writable by the caller (its ".." entry changes).  A missing NAME is
 * the store's answer to give.
 */
static int may_move_dir(fuse_req_t req, fuse_ino_t parent, const char *name,
			fuse_ino_t newparent)
{
	struct store_attr a;

	if (parent == newparent ||
	    store_lookup(ops_fs(req)->st, parent, name, &a) ||
	    !S_ISDIR(a.mode))
		return 0;
	return perm_check(req, &a, W_OK);
}

/* Linux's vfs_rename order: may_delete on the source, may_create or
 * may_delete on the target, then write on moved directories. */
static int may_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      uint32_t sflags, struct store_attr *nd)
{
	struct store_attr od, t;
	bool target;
	int ret;

	if (!perm_by_daemon(ops_fs(req)))
		return 0;
	ret = may_delete(req, parent, name, &od);
	if (ret)
		return ret;
	ret = perm_dir(req, newparent, W_OK | X_OK, nd);
	if (ret)
		return ret;
	target = !store_lookup(ops_fs(req)->st, newparent, newname, &t);
	if (target)
		ret = perm_sticky(req, newparent, nd, newname);
	if (!ret)
		ret = may_move_dir(req, parent, name, newparent);
	if (!ret && target && (sflags & STORE_RENAME_EXCHANGE))
		ret = may_move_dir(req, newparent, newname, parent);
	return ret;
}

/* A name now in a directory that not everybody may search must not keep
 * the entry timeout it had in its old one (ops_dentry.c). */
static void expire_moved(struct fs *fs, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname,
			 uint32_t sflags, const struct store_attr *nd)
{
	struct store_attr od;

	if (!perm_by_daemon(fs))
		return;
	if (perm_entry_timeout(fs, nd) == 0)
		fs_expire_entry(fs, newparent, newname);
	if ((sflags & STORE_RENAME_EXCHANGE) &&
	    !store_getattr(fs->st, parent, &od) &&
	    perm_entry_timeout(fs, &od) == 0)
		fs_expire_entry(fs, parent, name);
}

void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct fs *fs = ops_fs(req);
	struct store_attr nd;
	uint32_t sflags = 0;
	int ret;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		ops_reply_err(req, -EINVAL, "rename");
		return;
	}
	if (flags & RENAME_NOREPLACE)
		sflags |= STORE_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		sflags |= STORE_RENAME_EXCHANGE;
	ret = may_rename(req, parent, name, newparent, newname, sflags, &nd);
	if (!ret)
		ret = check_name(newname);
	if (!ret)
		ret = store_rename(fs->st, parent, name, newparent, newname,
				   sflags);
	if (ret) {
		ops_reply_err(req, ret, "rename");
		return;
	}
	/* queued now; the worker's notification waits for the directory
	 * lock, which the kernel drops after this reply and the d_move */
	expire_moved(fs, parent, name, newparent, newname, sflags, &nd);
	fuse_reply_err(req, 0);
}
