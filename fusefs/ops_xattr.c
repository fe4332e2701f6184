/* SPDX-License-Identifier: MIT */
/*
 * ops_xattr.c - extended attributes.  The store keeps any name; the
 * daemon lets through user.* (read permission to get, write permission
 * to set or remove: checked here with permissions=daemon, by the kernel
 * with permissions=kernel) and trusted.* (root only, like ext4 and tmpfs:
 * hidden from others' listings; the VFS also refuses trusted.* to callers
 * without CAP_SYS_ADMIN before asking us).  trusted.pinfs.* is ours.
 * Other namespaces (security.*, system.posix_acl_*) are not supported:
 * security.capability would have to be cleared on writes and chown.
 * trusted.pinfs.policy names the file's revoke policy: the pin layer
 * checks it (EINVAL for a policy the mount does not know) before it is
 * stored.
 */
#include "ops.h"
#include "ops_perm.h"
#include "pin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#define USER_PREFIX "user."
#define TRUSTED_PREFIX "trusted."
#define PINFS_PREFIX "trusted.pinfs."

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool caller_is_root(fuse_req_t req)
{
	return fuse_req_ctx(req)->uid == 0;
}

/* 0 when NAME may be used by the caller, else the errno to answer (an
 * empty name after a namespace is EINVAL, as on tmpfs and ext4). */
static int check_name(fuse_req_t req, const char *name)
{
	if (strlen(name) > STORE_XATTR_NAME_MAX)
		return -ERANGE;
	if (has_prefix(name, USER_PREFIX))
		return name[strlen(USER_PREFIX)] ? 0 : -EINVAL;
	if (has_prefix(name, TRUSTED_PREFIX)) {
		if (!name[strlen(TRUSTED_PREFIX)])
			return -EINVAL;
		return caller_is_root(req) ? 0 : -EPERM;
	}
	return -EOPNOTSUPP;
}

/* permissions=daemon: user.* needs MASK on INO (Linux's
 * xattr_permission; the VFS checks the file type and sticky rules). */
static int check_access(fuse_req_t req, fuse_ino_t ino, const char *name,
			int mask)
{
	struct fs *fs = ops_fs(req);
	struct store_attr a;
	int ret;

	if (!perm_by_daemon(fs) || !has_prefix(name, USER_PREFIX))
		return 0;
	ret = store_getattr(fs->st, ino, &a);
	return ret ? ret : perm_check(req, &a, mask);
}

/* Tell the pin layer of a new per-file policy (VALUE, not NUL-ended). */
static int set_policy(struct fs *fs, uint64_t ino, const char *value,
		      size_t size)
{
	char name[256];

	if (!fs->pt)
		return -EROFS;
	if (size == 0 || size >= sizeof(name) || memchr(value, '\0', size))
		return -EINVAL;
	memcpy(name, value, size);
	name[size] = '\0';
	return pin_file_policy_set(fs->pt, ino, name);
}

void ops_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags)
{
	uint32_t sflags = 0;
	int ret = check_name(req, name);

	if (!ret && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		ret = -EINVAL;
	if (!ret)
		ret = check_access(req, ino, name, W_OK);
	if (!ret && size > STORE_XATTR_SIZE_MAX)
		ret = -E2BIG;
	if (flags & XATTR_CREATE)
		sflags |= STORE_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		sflags |= STORE_XATTR_REPLACE;
	if (!ret && !strcmp(name, PIN_POLICY_XATTR))
		ret = set_policy(ops_fs(req), ino, value, size);
	if (!ret)
		ret = store_setxattr(ops_fs(req)->st, ino, name, value, size,
				     sflags);
	if (ret)
		ops_reply_err(req, ret, "setxattr");
	else
		fuse_reply_err(req, 0);
}

void ops_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size)
{
	char buf[STORE_XATTR_SIZE_MAX];
	ssize_t n;
	int ret = check_name(req, name);

	if (ret == -EPERM)
		ret = -ENODATA; /* hidden from non-root */
	if (!ret)
		ret = check_access(req, ino, name, R_OK);
	if (ret) {
		ops_reply_err(req, ret, "getxattr");
		return;
	}
	n = store_getxattr(ops_fs(req)->st, ino, name,
			   size ? buf : NULL, size ? sizeof(buf) : 0);
	if (n < 0)
		ops_reply_err(req, (int)n, "getxattr");
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else if ((size_t)n > size)
		ops_reply_err(req, -ERANGE, "getxattr");
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* Remove the names the caller may not see from LIST; returns new length. */
static size_t filter_list(fuse_req_t req, char *list, size_t len)
{
	bool root = caller_is_root(req);
	size_t in = 0, out = 0, l;

	while (in < len) {
		l = strnlen(list + in, len - in) + 1;
		if (root || !has_prefix(list + in, TRUSTED_PREFIX)) {
			memmove(list + out, list + in, l);
			out += l;
		}
		in += l;
	}
	return out;
}

void ops_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct store *st = ops_fs(req)->st;
	char *list;
	ssize_t n;
	size_t len;

	n = store_listxattr(st, ino, NULL, 0);
	if (n < 0) {
		ops_reply_err(req, (int)n, "listxattr");
		return;
	}
	list = malloc((size_t)n + 1);
	if (!list) {
		ops_reply_err(req, -ENOMEM, "listxattr");
		return;
	}
	n = n ? store_listxattr(st, ino, list, (size_t)n) : 0;
	if (n < 0) {
		/* -ERANGE: it grew meanwhile; let the caller try again */
		ops_reply_err(req, (int)n, "listxattr");
		free(list);
		return;
	}
	len = filter_list(req, list, (size_t)n);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		ops_reply_err(req, -ERANGE, "listxattr");
	else
		fuse_reply_buf(req, list, len);
	free(list);
}

void ops_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs *fs = ops_fs(req);
	int ret = check_name(req, name);

	if (!ret)
		ret = check_access(req, ino, name, W_OK);
	if (!ret)
		ret = store_removexattr(fs->st, ino, name);
	if (!ret && fs->pt && !strcmp(name, PIN_POLICY_XATTR))
		pin_file_policy_set(fs->pt, ino, NULL);
	if (ret)
		ops_reply_err(req, ret, "removexattr");
	else
		fuse_reply_err(req, 0);
}
