/* SPDX-License-Identifier: MIT */
/*
 * ops_entry.c - names and attributes: lookup, forget, getattr, readlink,
 * statfs, access.
 */
#include "ops.h"
#include "ops_perm.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Search permission on PARENT first (EACCES even for a missing name,
 * as Linux answers); the entry timeout follows PARENT's mode. */
void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = ops_fs(req);
	struct store_attr a, d;
	int ret;

	ret = perm_dir(req, parent, X_OK, &d);
	if (!ret && strlen(name) > STORE_NAME_MAX)
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = store_lookup(fs->st, parent, name, &a);
	if (ret) {
		ops_reply_err(req, ret, "lookup");
		return;
	}
	ops_reply_entry(req, &a, perm_entry_timeout(fs, &d), "lookup");
}

static void forget_one(struct fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
	if (ino != STORE_ROOT_INO && nlookup)
		store_iput(fs->st, ino, nlookup);
}

void ops_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(ops_fs(req), ino, nlookup);
	fuse_reply_none(req);
}

void ops_forget_multi(fuse_req_t req, size_t count,
		      struct fuse_forget_data *forgets)
{
	struct fs *fs = ops_fs(req);
	size_t i;

	for (i = 0; i < count; i++)
		forget_one(fs, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

void ops_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct store_attr a;
	struct stat st;
	int ret;

	ret = store_getattr(ops_fs(req)->st, ino, &a);
	if (ret) {
		ops_reply_err(req, ret, "getattr");
		return;
	}
	ops_attr_to_stat(&a, &st);
	fuse_reply_attr(req, &st, OPS_ATTR_TIMEOUT);
}

void ops_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[STORE_SYMLINK_MAX + 1];
	ssize_t n;

	n = store_readlink(ops_fs(req)->st, ino, buf, STORE_SYMLINK_MAX);
	if (n < 0) {
		ops_reply_err(req, (int)n, "readlink");
		return;
	}
	buf[n > STORE_SYMLINK_MAX ? STORE_SYMLINK_MAX : n] = '\0';
	fuse_reply_readlink(req, buf);
}

void ops_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	int ret;

	ret = store_statfs(ops_fs(req)->st, &sv);
	if (ret) {
		ops_reply_err(req, ret, "statfs");
		return;
	}
	fuse_reply_statfs(req, &sv);
}

/*
 * access(2), faccessat(2) and chdir(2): the kernel asks with the
 * caller's real ids (permissions=daemon; with default_permissions it
 * checks by itself and rarely asks).  Answer by the mode bits.
 */
void ops_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct store_attr a;
	int ret;

	ret = store_getattr(ops_fs(req)->st, ino, &a);
	if (ret)
		ops_reply_err(req, ret, "access");
	else
		fuse_reply_err(req, mask == F_OK ? 0
					   : -perm_check(req, &a, mask));
}
