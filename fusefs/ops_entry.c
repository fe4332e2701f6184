/* SPDX-License-Identifier: MIT */
/*
 * ops_entry.c - names and attributes: lookup, forget, getattr, readlink,
 * statfs, access.
 */
#include "ops.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct store_attr a;
	int ret;

	if (strlen(name) > STORE_NAME_MAX) {
		ops_reply_err(req, -ENAMETOOLONG, "lookup");
		return;
	}
	ret = store_lookup(ops_fs(req)->st, parent, name, &a);
	if (ret) {
		ops_reply_err(req, ret, "lookup");
		return;
	}
	ops_reply_entry(req, &a, "lookup");
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

bool ops_may(fuse_req_t req, const struct store_attr *a, int mask)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	uint32_t bits;

	if (ctx->uid == 0) /* root may execute what someone may execute */
		return !(mask & X_OK) || S_ISDIR(a->mode) || (a->mode & 0111);
	if (ctx->uid == a->uid)
		bits = (a->mode >> 6) & 7;
	else if (ops_in_group(req, a->gid))
		bits = (a->mode >> 3) & 7;
	else
		bits = a->mode & 7;
	return !((uint32_t)mask & 7 & ~bits);
}

/*
 * access(2).  With default_permissions the kernel checks by itself and
 * rarely asks; when it does, answer by the mode bits as the kernel would.
 */
void ops_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct store_attr a;
	int ret;

	ret = store_getattr(ops_fs(req)->st, ino, &a);
	if (ret)
		ops_reply_err(req, ret, "access");
	else
		fuse_reply_err(req, mask == F_OK || ops_may(req, &a, mask) ?
					    0 : EACCES);
}
