/* SPDX-License-Identifier: MIT */
/*
 * ops_perm.c - access checks by the daemon (ops_perm.h).
 */
#include "ops_perm.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* open(2) flag the kernel sets for execve's open (__FMODE_EXEC). */
#define PERM_FMODE_EXEC 040

int perm_check(fuse_req_t req, const struct store_attr *a, int mask)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	uint32_t want = (uint32_t)mask & 7, grp, oth, bits;
	int member;

	if (ctx->uid == 0) { /* root may execute what someone may execute */
		if ((want & X_OK) && !S_ISDIR(a->mode) && !(a->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (ctx->uid == a->uid) {
		bits = (a->mode >> 6) & 7;
	} else {
		grp = (a->mode >> 3) & 7;
		oth = a->mode & 7;
		/* the groups only matter when the two classes disagree;
		 * unreadable groups get what both classes allow */
		member = (grp & want) == (oth & want) ? 0 :
			 ops_group_member(req, a->gid);
		bits = member > 0 ? grp : member == 0 ? oth : grp & oth;
	}
	return (want & ~bits) ? -EACCES : 0;
}

bool ops_may(fuse_req_t req, const struct store_attr *a, int mask)
{
	return perm_check(req, a, mask) == 0;
}

int perm_dir(fuse_req_t req, uint64_t dir, int mask, struct store_attr *out)
{
	struct fs *fs = ops_fs(req);
	int ret;

	if (!perm_by_daemon(fs)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	ret = store_getattr(fs->st, dir, out);
	if (ret)
		return ret;
	if (!S_ISDIR(out->mode))
		return -ENOTDIR;
	return perm_check(req, out, mask);
}

int perm_sticky(fuse_req_t req, uint64_t dir, const struct store_attr *d,
		const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct store_attr v;
	int ret;

	if (!perm_by_daemon(ops_fs(req)) || !(d->mode & S_ISVTX) ||
	    ctx->uid == 0 || ctx->uid == d->uid)
		return 0;
	ret = store_lookup(ops_fs(req)->st, dir, name, &v);
	if (ret)
		return ret;
	return v.uid == ctx->uid ? 0 : -EPERM;
}

int perm_open(fuse_req_t req, const struct store_attr *a, int flags)
{
	int mask;

	if (!perm_by_daemon(ops_fs(req)))
		return 0;
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		mask = R_OK;
		break;
	case O_WRONLY:
		mask = W_OK;
		break;
	default:
		mask = R_OK | W_OK;
	}
	/* execve opens read-only but needs only x (a 0711 program runs) */
	if (flags & PERM_FMODE_EXEC)
		mask = X_OK;
	if (flags & O_TRUNC)
		mask |= W_OK;
	return perm_check(req, a, mask);
}

/* fs.protected_hardlinks, read once (Debian and most distributions: 1). */
static bool protected_hardlinks(void)
{
	static atomic_int cached = -1;
	int v = atomic_load(&cached);
	FILE *f;

	if (v >= 0)
		return v;
	v = 1; /* unreadable: the safe answer */
	f = fopen("/proc/sys/fs/protected_hardlinks", "re");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1;
		fclose(f);
	}
	v = v != 0;
	atomic_store(&cached, v);
	return v;
}

int perm_link_source(fuse_req_t req, const struct store_attr *a)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	bool setid;

	if (!perm_by_daemon(ops_fs(req)) || !protected_hardlinks() ||
	    ctx->uid == 0 || ctx->uid == a->uid)
		return 0;
	setid = (a->mode & S_ISUID) ||
		(a->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
	if (!S_ISREG(a->mode) || setid ||
	    perm_check(req, a, R_OK | W_OK))
		return -EPERM;
	return 0;
}

double perm_entry_timeout(const struct fs *fs, const struct store_attr *parent)
{
	if (!perm_by_daemon(fs) || (parent->mode & 0111) == 0111)
		return OPS_ENTRY_TIMEOUT;
	return 0;
}

bool perm_dir_lost_search(uint32_t old_mode, uint32_t new_mode)
{
	return (old_mode & 0111) == 0111 && (new_mode & 0111) != 0111;
}
