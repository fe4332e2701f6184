/* SPDX-License-Identifier: MIT */
/*
 * ops_perm.h - access checks by the daemon (permissions=daemon, the
 * default on a mount without allow_other: no default_permissions).
 *
 * Without default_permissions the kernel checks only what the VFS does
 * itself (sticky directories from cached attributes, CAP_MKNOD,
 * trusted.* xattrs, "some x bit" for exec of a regular file) and asks
 * FUSE_ACCESS for access(2) and chdir.  Everything else is checked here,
 * from the request's uid/gid, as Linux checks a local filesystem:
 * search on a parent for lookup, write+search for changes of a
 * directory, the access mode for open, ownership for setattr.  See
 * docs/daemon.md, "Who checks permissions".
 *
 * The kernel also walks cached dentries without asking: an entry gets a
 * nonzero entry timeout only when every user may search its parent
 * (perm_entry_timeout), and a directory that loses an x bit has its
 * cached entries expired (ops_dentry.c).
 *
 * With permissions=kernel every function here answers 0 at once (and
 * reads nothing), so that mode costs nothing.
 */
#ifndef PINFS_FUSEFS_OPS_PERM_H
#define PINFS_FUSEFS_OPS_PERM_H

#include "ops.h"

/* True when the daemon checks (permissions=daemon). */
static inline bool perm_by_daemon(const struct fs *fs)
{
	return fs->perm_daemon;
}

/*
 * 0 when the caller may access A for MASK (R_OK|W_OK|X_OK) by the mode
 * bits, else -EACCES.  Root may read and write anything, search any
 * directory, and execute a file with at least one x bit.  The caller's
 * supplementary groups are read only when the answer depends on them.
 * Checks even with permissions=kernel (for the few callers that need it).
 */
int perm_check(fuse_req_t req, const struct store_attr *a, int mask);

/*
 * The attributes of directory DIR into *OUT and, with permissions=daemon,
 * perm_check(MASK) on them: 0, -EACCES, -ENOTDIR or the store's error.
 * With permissions=kernel: 0 without reading anything (*OUT untouched).
 */
int perm_dir(fuse_req_t req, uint64_t dir, int mask, struct store_attr *out);

/*
 * NAME in directory DIR (attributes D, from perm_dir) may be removed or
 * renamed away by the caller: the sticky-bit rule (root, the owner of
 * the directory or of NAME), -EPERM otherwise.  0 with
 * permissions=kernel, or when DIR is not sticky; the store's error
 * (-ENOENT) when NAME is gone.
 */
int perm_sticky(fuse_req_t req, uint64_t dir, const struct store_attr *d,
		const char *name);

/* Open of A with open(2) FLAGS: the access mode, O_TRUNC needs write,
 * an exec open needs search/execute.  0 with permissions=kernel. */
int perm_open(fuse_req_t req, const struct store_attr *a, int flags);

/* A hard link to A by the caller under fs.protected_hardlinks=1: the
 * owner, root, or a regular file without set-id bits that the caller
 * may read and write; -EPERM otherwise.  0 with permissions=kernel. */
int perm_link_source(fuse_req_t req, const struct store_attr *a);

/*
 * Entry timeout for a name in directory PARENT: OPS_ENTRY_TIMEOUT with
 * permissions=kernel (the kernel checks each walk), or when every user
 * may search PARENT (mode & 0111 == 0111); else 0, so every walk through
 * the name comes back as a LOOKUP that perm_dir checks.
 */
double perm_entry_timeout(const struct fs *fs, const struct store_attr *parent);

/* True when the change from directory mode OLD to NEW removes an x bit
 * that made cached entries in it safe (perm_entry_timeout). */
bool perm_dir_lost_search(uint32_t old_mode, uint32_t new_mode);

#endif /* PINFS_FUSEFS_OPS_PERM_H */
