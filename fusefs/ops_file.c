/* SPDX-License-Identifier: MIT */
/*
 * ops_file.c - open files: create, open, read, write, flush, release,
 * fsync, lseek.
 *
 * Files open cached (not direct_io: a direct_io file cannot be mapped
 * MAP_SHARED on libfuse 3.14), with keep_cache unless a pin holder may
 * have written behind the kernel (cache_valid); write-only opens, which
 * cannot be mapped or read, are direct_io where the kernel keeps that
 * coherent (direct_write=on, Linux 6.6+); layout changes the kernel does
 * not see itself are invalidated through fs_invalidate().  Each open gets a handle id
 * (fi->fh) that the pin layer uses to tie leases to an open file.
 */
#include "ops.h"
#include "ops_io.h"
#include "ops_pending.h"
#include "ops_perm.h"
#include "pin.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * May the open of INO keep the pages the kernel cached?  Only pin holders
 * change file data behind the kernel, through their mappings; the end of
 * a write pin invalidates what it covered (write_end_inval, inline for an
 * UNPIN, queued when a holder dies), and so do layout changes.  So the
 * cache is good unless a pin is live on the file or an invalidation is
 * still on its way.
 */
static bool cache_valid(struct fs *fs, uint64_t ino)
{
	if (fs->pt && pin_range_pinned(fs->pt, ino, 0, UINT64_MAX))
		return false;
	return fs_invalidations_done(fs);
}

static void set_open_flags(struct fs *fs, uint64_t ino,
			   struct fuse_file_info *fi)
{
	fi->fh = atomic_fetch_add(&fs->next_fh, 1);
	/* write-only: nothing to cache for this open; its writes go
	 * straight from the writer's pages to the region (one copy fewer,
	 * no page-cache pages to fill) */
	fi->direct_io = (fi->flags & O_ACCMODE) == O_WRONLY &&
			atomic_load(&fs->direct_write) &&
			ops_io_direct_write_coherent();
	fi->keep_cache = !fi->direct_io && cache_valid(fs, ino);
	/* FOPEN_NOFLUSH: close(2) sends no FLUSH round trip.  Nothing is
	 * buffered (writes are write-through, no writeback cache) and no
	 * state hangs on the flush: leases end at RELEASE. */
	fi->noflush = 1;
}

void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = ops_fs(req);
	struct store_cred cred = ops_cred(req);
	struct fuse_entry_param e;
	struct store_attr a, d;
	int ret;

	/* the new file itself is opened without a check (as Linux does) */
	ret = perm_dir(req, parent, W_OK | X_OK, &d);
	if (!ret && strlen(name) > STORE_NAME_MAX)
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = store_mknod(fs->st, parent, name,
				  S_IFREG | ops_umask(req, mode & 07777), 0,
				  &cred, &a);
	if (!ret)
		ret = store_iget(fs->st, a.ino);
	if (ret) {
		ops_reply_err(req, ret, "create");
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = a.ino;
	e.generation = a.generation;
	e.attr_timeout = OPS_ATTR_TIMEOUT;
	e.entry_timeout = perm_entry_timeout(fs, &d);
	ops_attr_to_stat(&a, &e.attr);
	set_open_flags(fs, a.ino, fi);
	if (fuse_reply_create(req, &e, fi))
		store_iput(fs->st, a.ino, 1);
}

void ops_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = ops_fs(req);
	struct store_attr a;
	int ret;

	ret = store_getattr(fs->st, ino, &a);
	if (!ret && S_ISDIR(a.mode))
		ret = -EISDIR;
	if (!ret)
		ret = perm_open(req, &a, fi->flags);
	if (ret) {
		ops_reply_err(req, ret, "open");
		return;
	}
	set_open_flags(fs, ino, fi);
	log_msg(LOG_DEBUG, "open: inode %llu fh %llu flags 0%o",
		(unsigned long long)ino, (unsigned long long)fi->fh, fi->flags);
	fuse_reply_open(req, fi);
}

void ops_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	char *buf;
	ssize_t n;

	if (off < 0) {
		ops_reply_err(req, -EINVAL, "read");
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		ops_reply_err(req, -ENOMEM, "read");
		return;
	}
	n = store_read(ops_fs(req)->st, ino, buf, size, (uint64_t)off);
	if (n < 0)
		ops_reply_err(req, (int)n, "read");
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static int write_retry(struct pending_op *op)
{
	ssize_t n = store_write(op->fs->st, op->ino, op->data, op->len,
				op->off);

	if (n < 0)
		return (int)n;
	fuse_reply_write(op->req, (size_t)n);
	return 0;
}

/* A write into a shared extent under a pin waits (copy-on-write). */
static void park_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		       size_t size, off_t off)
{
	struct pending_op *op = pending_new(req, ino, "write", write_retry,
					    STORE_CHANGE_COW, (uint64_t)off,
					    size);

	if (op)
		op->data = malloc(size ? size : 1);
	if (!op || !op->data) {
		free(op);
		ops_reply_err(req, -ENOMEM, "write");
		return;
	}
	memcpy(op->data, buf, size);
	pending_park(op);
}

/*
 * FUSE_HANDLE_KILLPRIV_V2 (ops_io.c): a write by a caller without
 * CAP_FSETID clears S_ISUID, and S_ISGID when group-executable, as the
 * kernel does on a local file system.  The kernel still caches the old
 * mode (exec and permission checks read it), so its attributes are
 * dropped before the write is answered; an attributes-only
 * invalidation takes no page or inode lock, so it is safe here.
 */
static int kill_suidgid(struct fs *fs, fuse_ino_t ino)
{
	struct store_attr a, out;
	uint32_t mode;
	int ret = store_getattr(fs->st, ino, &a);

	if (ret)
		return ret;
	mode = a.mode & ~(uint32_t)S_ISUID;
	if ((a.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		mode &= ~(uint32_t)S_ISGID;
	if (mode == a.mode)
		return 0;
	a.mode = mode;
	ret = store_setattr(fs->st, ino, &a, STORE_SET_MODE, &out);
	if (!ret)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
	return ret;
}

void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	       off_t off, struct fuse_file_info *fi)
{
	ssize_t n;

	if (off < 0) {
		ops_reply_err(req, -EINVAL, "write");
		return;
	}
	if (ops_io_kill_suidgid()) {
		int ret = kill_suidgid(ops_fs(req), ino);

		if (ret) {
			ops_reply_err(req, ret, "write");
			return;
		}
	}
	n = store_write(ops_fs(req)->st, ino, buf, size, (uint64_t)off);
	if (n == -EAGAIN)
		park_write(req, ino, buf, size, off);
	else if (n < 0)
		ops_reply_err(req, (int)n, "write");
	else
		fuse_reply_write(req, (size_t)n);
}

void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

void ops_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = ops_fs(req);

	log_msg(LOG_DEBUG, "release: inode %llu fh %llu",
		(unsigned long long)ino, (unsigned long long)fi->fh);
	poll_release(fs, fi->fh);
	if (fs->pt)
		pin_file_release(fs->pt, fi->fh);
	fuse_reply_err(req, 0);
}

void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
	       struct fuse_file_info *fi)
{
	int ret = store_fsync(ops_fs(req)->st, ino, datasync != 0);

	if (ret)
		ops_reply_err(req, ret, "fsync");
	else
		fuse_reply_err(req, 0);
}

void ops_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	       struct fuse_file_info *fi)
{
	uint64_t out;
	int ret;

	if (off < 0) {
		ops_reply_err(req, -ENXIO, "lseek");
		return;
	}
	if (whence != SEEK_DATA && whence != SEEK_HOLE) {
		ops_reply_err(req, -EINVAL, "lseek");
		return;
	}
	ret = store_seek(ops_fs(req)->st, ino, (uint64_t)off, whence, &out);
	if (ret)
		ops_reply_err(req, ret, "lseek");
	else
		fuse_reply_lseek(req, (off_t)out);
}
