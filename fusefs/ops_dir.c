/* SPDX-License-Identifier: MIT */
/*
 * ops_dir.c - directory handles: opendir, readdir(plus), releasedir,
 * fsyncdir.  The FUSE offset of an entry is the store's cookie that
 * resumes after it.
 */
#include "ops.h"
#include "ops_perm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The store calls the readdir callback with its locks held, so the
 * callback must not call back into the store: it only formats plain
 * entries, or (readdirplus) collects them; attributes and lookup
 * references are taken after store_readdir() returns.
 */
struct dir_item {
	uint64_t ino, next;
	uint32_t mode;
	char name[STORE_NAME_MAX + 1];
};

struct dir_fill {
	fuse_req_t req;
	struct fs *fs;
	char *buf;
	size_t size, used;
	bool plus;
	double entry_timeout;   /* readdirplus: perm_entry_timeout() */
	struct dir_item *items;
	size_t n, cap;
};

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

static int collect(struct dir_fill *f, const char *name, uint64_t ino,
		   uint32_t mode, uint64_t next)
{
	size_t need = fuse_add_direntry_plus(f->req, NULL, 0, name, NULL, 0);
	struct dir_item *it;

	if (need > f->size - f->used)
		return 1;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;

		it = realloc(f->items, cap * sizeof(*it));
		if (!it)
			return 1;
		f->items = it;
		f->cap = cap;
	}
	it = &f->items[f->n++];
	it->ino = ino;
	it->next = next;
	it->mode = mode;
	snprintf(it->name, sizeof(it->name), "%s", name);
	f->used += need; /* reserved; recomputed when filled */
	return 0;
}

static int fill_one(void *arg, const char *name, uint64_t ino, uint32_t mode,
		    uint64_t next)
{
	struct dir_fill *f = arg;
	size_t room = f->size - f->used, need;
	struct stat st;

	if (f->plus)
		return collect(f, name, ino, mode, next);
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = mode;
	need = fuse_add_direntry(f->req, f->buf + f->used, room, name, &st,
				 (off_t)next);
	if (need > room)
		return 1;
	f->used += need;
	return 0;
}

/* readdirplus, phase two: attributes and a lookup reference per entry
 * (not for "." and "..", whose attributes the kernel ignores). */
static int fill_plus(struct dir_fill *f)
{
	struct fuse_entry_param e;
	struct store_attr a;
	size_t i;
	int ret;

	f->used = 0;
	for (i = 0; i < f->n; i++) {
		struct dir_item *it = &f->items[i];

		memset(&e, 0, sizeof(e));
		if (is_dot(it->name)) {
			e.attr.st_ino = it->ino;
			e.attr.st_mode = it->mode;
		} else {
			ret = store_getattr(f->fs->st, it->ino, &a);
			if (!ret && it->ino != STORE_ROOT_INO)
				ret = store_iget(f->fs->st, it->ino);
			if (ret == -ENOENT)
				continue; /* removed since it was listed */
			if (ret)
				return f->used ? 0 : ret;
			e.ino = it->ino;
			e.generation = a.generation;
			e.attr_timeout = OPS_ATTR_TIMEOUT;
			e.entry_timeout = f->entry_timeout;
			ops_attr_to_stat(&a, &e.attr);
		}
		f->used += fuse_add_direntry_plus(f->req, f->buf + f->used,
						  f->size - f->used, it->name,
						  &e, (off_t)it->next);
	}
	return 0;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, bool plus)
{
	const char *op = plus ? "readdirplus" : "readdir";
	struct dir_fill f = {
		.req = req, .fs = ops_fs(req), .size = size, .plus = plus,
	};
	int ret;

	if (off < 0) {
		ops_reply_err(req, -EINVAL, op);
		return;
	}
	if (plus) {
		struct store_attr d;

		/* the listing needed read permission at opendir; its
		 * entries are cached as a lookup's would be */
		f.entry_timeout = OPS_ENTRY_TIMEOUT;
		if (perm_by_daemon(f.fs)) {
			ret = store_getattr(f.fs->st, ino, &d);
			if (ret) {
				ops_reply_err(req, ret, op);
				return;
			}
			f.entry_timeout = perm_entry_timeout(f.fs, &d);
		}
	}
	f.buf = malloc(size ? size : 1);
	if (!f.buf) {
		ops_reply_err(req, -ENOMEM, op);
		return;
	}
	ret = store_readdir(f.fs->st, ino, (uint64_t)off, fill_one, &f);
	if (ret < 0 && (plus ? f.n : f.used))
		ret = 0; /* send what was listed; the error comes next time */
	if (ret >= 0 && plus)
		ret = fill_plus(&f);
	if (ret < 0)
		ops_reply_err(req, ret, op);
	else
		fuse_reply_buf(req, f.buf, f.used);
	free(f.items);
	free(f.buf);
}

void ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct store_attr a;
	int ret = store_getattr(ops_fs(req)->st, ino, &a);

	if (!ret && !S_ISDIR(a.mode))
		ret = -ENOTDIR;
	if (!ret)
		ret = perm_open(req, &a, fi->flags);
	if (ret) {
		ops_reply_err(req, ret, "opendir");
		return;
	}
	fi->fh = atomic_fetch_add(&ops_fs(req)->next_fh, 1);
	fuse_reply_open(req, fi);
}

void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, false);
}

void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, true);
}

void ops_releasedir(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

void ops_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi)
{
	int ret = store_fsync(ops_fs(req)->st, ino, datasync != 0);

	if (ret)
		ops_reply_err(req, ret, "fsyncdir");
	else
		fuse_reply_err(req, 0);
}
