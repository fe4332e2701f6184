/* SPDX-License-Identifier: MIT */
/*
 * ops_layout.c - calls that change which blocks back a file range:
 * fallocate (preallocate, punch hole, zero range) and copy_file_range.
 * They pass the store's gate, so they may wait on pins (ops_pending.h);
 * after they change a range, cached pages of it are invalidated.
 */
#include "ops.h"
#include "ops_pending.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>

static int do_fallocate(fuse_req_t req, uint64_t ino, int mode, uint64_t off,
			uint64_t len)
{
	struct fs *fs = ops_fs(req);
	int ret = store_fallocate(fs->st, ino, mode, off, len);

	if (ret)
		return ret;
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		fs_invalidate(fs, ino, off, len);
	fuse_reply_err(req, 0);
	return 0;
}

static int fallocate_retry(struct pending_op *op)
{
	return do_fallocate(op->req, op->ino, op->u.falloc.mode, op->off,
			    op->len);
}

void ops_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		   off_t length, struct fuse_file_info *fi)
{
	struct pending_op *op;
	int ret;

	if (offset < 0 || length <= 0)
		ret = -EINVAL;
	else if ((uint64_t)offset > INT64_MAX - (uint64_t)length)
		ret = -EFBIG;
	else
		ret = do_fallocate(req, ino, mode, (uint64_t)offset,
				   (uint64_t)length);
	if (ret == -EAGAIN) {
		op = pending_new(req, ino, "fallocate", fallocate_retry,
				 (mode & FALLOC_FL_PUNCH_HOLE) ?
					 STORE_CHANGE_PUNCH : STORE_CHANGE_ZERO,
				 (uint64_t)offset, (uint64_t)length);
		if (op) {
			op->u.falloc.mode = mode;
			pending_park(op);
			return;
		}
		ret = -ENOMEM;
	}
	if (ret)
		ops_reply_err(req, ret, "fallocate");
}

static int do_copy(fuse_req_t req, uint64_t ino_in, uint64_t off_in,
		   uint64_t ino_out, uint64_t off_out, size_t len)
{
	struct fs *fs = ops_fs(req);
	ssize_t n = store_copy_range(fs->st, ino_in, off_in, ino_out, off_out,
				     len);

	if (n < 0)
		return (int)n;
	if (n > 0)
		fs_invalidate(fs, ino_out, off_out, (uint64_t)n);
	fuse_reply_write(req, (size_t)n);
	return 0;
}

static int copy_retry(struct pending_op *op)
{
	return do_copy(op->req, op->u.copy.ino_in, op->u.copy.off_in, op->ino,
		       op->off, op->len);
}

void ops_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			 off_t off_out, struct fuse_file_info *fi_out,
			 size_t len, int flags)
{
	struct pending_op *op;
	int ret;

	if (flags || off_in < 0 || off_out < 0)
		ret = -EINVAL;
	else
		ret = do_copy(req, ino_in, (uint64_t)off_in, ino_out,
			      (uint64_t)off_out, len);
	if (ret == -EAGAIN) {
		op = pending_new(req, ino_out, "copy_file_range", copy_retry,
				 STORE_CHANGE_CLONE_DEST, (uint64_t)off_out,
				 len);
		if (op) {
			op->u.copy.ino_in = ino_in;
			op->u.copy.off_in = (uint64_t)off_in;
			pending_park(op);
			return;
		}
		ret = -ENOMEM;
	}
	if (ret)
		ops_reply_err(req, ret, "copy_file_range");
}
