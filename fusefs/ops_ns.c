/* SPDX-License-Identifier: MIT */
/*
 * ops_ns.c - the namespace: mknod, mkdir, symlink, link, unlink, rmdir,
 * rename.  New inodes belong to the caller (the store applies setgid
 * directories); the caller's umask applies (FUSE_CAP_DONT_MASK).
 */
#include "ops.h"

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

	ret = check_name(name);
	if (!ret)
		ret = store_mknod(ops_fs(req)->st, parent, name,
				  ops_umask(req, mode), rdev, &cred, &a);
	if (ret) {
		ops_reply_err(req, ret, op);
		return;
	}
	ops_reply_entry(req, &a, op);
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
	struct store_attr a;
	int ret;

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
	ops_reply_entry(req, &a, "symlink");
}

void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname)
{
	struct store_attr a;
	int ret;

	ret = check_name(newname);
	if (!ret)
		ret = store_link(ops_fs(req)->st, ino, newparent, newname, &a);
	if (ret) {
		ops_reply_err(req, ret, "link");
		return;
	}
	ops_reply_entry(req, &a, "link");
}

void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int ret = store_unlink(ops_fs(req)->st, parent, name);

	if (ret)
		ops_reply_err(req, ret, "unlink");
	else
		fuse_reply_err(req, 0);
}

void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int ret = store_rmdir(ops_fs(req)->st, parent, name);

	if (ret)
		ops_reply_err(req, ret, "rmdir");
	else
		fuse_reply_err(req, 0);
}

void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
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
	ret = check_name(newname);
	if (!ret)
		ret = store_rename(ops_fs(req)->st, parent, name, newparent,
				   newname, sflags);
	if (ret)
		ops_reply_err(req, ret, "rename");
	else
		fuse_reply_err(req, 0);
}
