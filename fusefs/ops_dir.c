/* SPDX-License-Identifier: MIT */
/*
 * ops_dir.c - directory handles: opendir, readdir(plus), releasedir,
 * fsyncdir.  The FUSE offset of an entry is the store's cookie that
 * resumes after it.
 */
#include "ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct dir_fill {
	fuse_req_t req;
	struct fs *fs;
	char *buf;
	size_t size, used;
	bool plus;
	int err;
};

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* readdirplus: fill E for NAME; takes a lookup reference unless "."/".." */
static int plus_entry(struct dir_fill *f, const char *name, uint64_t ino,
		      struct fuse_entry_param *e)
{
	struct store_attr a;
	int ret;

	memset(e, 0, sizeof(*e));
	if (is_dot(name)) {
		/* the kernel ignores the attributes of these */
		e->attr.st_ino = ino;
		return 0;
	}
	ret = store_getattr(f->fs->st, ino, &a);
	if (!ret && ino != STORE_ROOT_INO)
		ret = store_iget(f->fs->st, ino);
	if (ret)
		return ret;
	e->ino = ino;
	e->generation = a.generation;
	e->attr_timeout = OPS_ATTR_TIMEOUT;
	e->entry_timeout = OPS_ENTRY_TIMEOUT;
	ops_attr_to_stat(&a, &e->attr);
	return 0;
}

static int fill_one(void *arg, const char *name, uint64_t ino, uint32_t mode,
		    uint64_t next)
{
	struct dir_fill *f = arg;
	size_t room = f->size - f->used, need;
	struct fuse_entry_param e;
	struct stat st;
	int ret;

	if (!f->plus) {
		memset(&st, 0, sizeof(st));
		st.st_ino = ino;
		st.st_mode = mode;
		need = fuse_add_direntry(f->req, f->buf + f->used, room, name,
					 &st, (off_t)next);
		if (need > room)
			return 1;
		f->used += need;
		return 0;
	}
	need = fuse_add_direntry_plus(f->req, NULL, 0, name, NULL, 0);
	if (need > room)
		return 1;
	ret = plus_entry(f, name, ino, &e);
	if (ret == -ENOENT)
		return 0; /* removed since the store listed it */
	if (ret) {
		f->err = ret;
		return 1;
	}
	f->used += fuse_add_direntry_plus(f->req, f->buf + f->used, room, name,
					  &e, (off_t)next);
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
	f.buf = malloc(size ? size : 1);
	if (!f.buf) {
		ops_reply_err(req, -ENOMEM, op);
		return;
	}
	ret = store_readdir(f.fs->st, ino, (uint64_t)off, fill_one, &f);
	if (ret < 0 && f.used == 0)
		ops_reply_err(req, ret, op);
	else if (f.err && f.used == 0)
		ops_reply_err(req, f.err, op);
	else
		fuse_reply_buf(req, f.buf, f.used);
	free(f.buf);
}

void ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct store_attr a;
	int ret = store_getattr(ops_fs(req)->st, ino, &a);

	if (!ret && !S_ISDIR(a.mode))
		ret = -ENOTDIR;
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
