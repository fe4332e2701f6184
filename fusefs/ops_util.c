/* SPDX-License-Identifier: MIT */
/*
 * ops_util.c - helpers shared by the FUSE handlers: the one errno
 * conversion, attribute conversion, entry replies, caller identity.
 */
#include "ops.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The answers callers expect in normal use: debug-level log only. */
static bool errno_expected(int err)
{
	switch (err) {
	case ENOENT: case EEXIST: case ENOTEMPTY: case ENODATA: case ERANGE:
	case EACCES: case EPERM: case EINTR: case ENOTTY: case EINVAL:
	case EISDIR: case ENOTDIR: case ENAMETOOLONG: case EXDEV: case ENXIO:
	case ETXTBSY: case EBUSY: case EAGAIN: case EOPNOTSUPP: case EFBIG:
	case EROFS: case E2BIG: case EMLINK: case ELOOP: case EDQUOT:
		return true;
	default:
		return false;
	}
}

/* At most 10 warnings a second (a full region must not flood syslog). */
static bool warn_allowed(void)
{
	static atomic_llong window;
	static atomic_int count;
	long long now = (long long)time(NULL);

	if (atomic_exchange(&window, now) != now)
		atomic_store(&count, 0);
	return atomic_fetch_add(&count, 1) < 10;
}

void ops_reply_err(fuse_req_t req, int neg_errno, const char *op)
{
	int err = -neg_errno;

	/* the kernel rejects 512..999 (kernel-internal codes) and anything
	 * out of range: the caller would hang, so send EIO and say why */
	if (err <= 0 || err >= 512) {
		log_msg(LOG_ERR, "%s: unexpected result %d, replying EIO", op,
			neg_errno);
		err = EIO;
	} else if (!errno_expected(err) && warn_allowed()) {
		log_msg(LOG_WARNING, "%s: %s", op, strerror(err));
	} else {
		log_msg(LOG_DEBUG, "%s: %s", op, strerror(err));
	}
	fuse_reply_err(req, err);
}

void ops_attr_to_stat(const struct store_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blksize = STORE_BLOCK_SIZE;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

void ops_reply_entry(fuse_req_t req, const struct store_attr *a,
		     double entry_timeout, const char *op)
{
	struct fs *fs = ops_fs(req);
	struct fuse_entry_param e;
	int ret;

	if (a->ino != STORE_ROOT_INO) {
		ret = store_iget(fs->st, a->ino);
		if (ret) {
			ops_reply_err(req, ret, op);
			return;
		}
	}
	memset(&e, 0, sizeof(e));
	e.ino = a->ino;
	e.generation = a->generation;
	e.attr_timeout = OPS_ATTR_TIMEOUT;
	e.entry_timeout = entry_timeout;
	ops_attr_to_stat(a, &e.attr);
	if (fuse_reply_entry(req, &e) && a->ino != STORE_ROOT_INO)
		store_iput(fs->st, a->ino, 1); /* the kernel never saw it */
}

struct store_cred ops_cred(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct store_cred c = { .uid = ctx->uid, .gid = ctx->gid };

	return c;
}

uint32_t ops_umask(fuse_req_t req, uint32_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return mode & ~(uint32_t)(ctx->umask & 0777);
}

int ops_group_member(fuse_req_t req, gid_t gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t list[64];
	gid_t *big = NULL, *groups = list;
	int n, i, found = 0;

	if (ctx->gid == gid)
		return 1;
	n = fuse_req_getgroups(req, 64, list);
	if (n > 64) {
		big = calloc((size_t)n, sizeof(*big));
		if (!big)
			return -ENOMEM;
		n = fuse_req_getgroups(req, n, big);
		groups = big;
	}
	if (n < 0) {
		free(big);
		return n; /* the caller is gone, or no /proc */
	}
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	free(big);
	return found;
}

bool ops_in_group(fuse_req_t req, gid_t gid)
{
	return ops_group_member(req, gid) == 1;
}
