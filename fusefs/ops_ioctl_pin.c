/* SPDX-License-Identifier: MIT */
/*
 * ops_ioctl_pin.c - the lease and pin ioctls: decode, check who may,
 * call lib/pin.  The pin layer validates its structs (EINVAL for bad
 * versions, flags, reserved words, ranges).
 *
 * Who may lease or pin (pin_uid=/pin_gid= mount options): root, the
 * mount's owner (the daemon's uid), the pin_uid user and members of the
 * pin_gid group; others get EPERM.  A write pin also needs write
 * permission on the file by its mode bits (PIN_CALLER_MAY_WRITE).
 */
#include "ops_ioctl.h"
#include "ops_pending.h"
#include "pin.h"

#include <errno.h>
#include <unistd.h>

static struct pin_caller caller_of(struct ioctl_call *c)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(c->req);
	struct pin_caller pc = {
		.tid = ctx->pid, .uid = ctx->uid, .gid = ctx->gid,
	};

	return pc;
}

static bool may_pin(struct ioctl_call *c)
{
	const struct mount_opts *o = c->fs->opts;
	uid_t uid = fuse_req_ctx(c->req)->uid;

	if (uid == 0 || uid == getuid())
		return true;
	if (o->have_pin_uid && uid == o->pin_uid)
		return true;
	return o->have_pin_gid && ops_in_group(c->req, o->pin_gid);
}

/* The pin table, or -EROFS on a read-only mount (no pins there). */
static int table(struct ioctl_call *c, struct pin_table **pt)
{
	*pt = c->fs->pt;
	return *pt ? 0 : -EROFS;
}

int ioc_setlease(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);

	if (ret)
		return ret;
	if (!may_pin(c))
		return -EPERM;
	return pin_ioc_setlease(pt, &pc, c->ino, c->fh, c->in);
}

int ioc_getlease(struct ioctl_call *c)
{
	const struct pinfs_lease *in = c->in;
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);
	unsigned i;

	if (ret)
		return ret;
	/* the ABI's "in: 0" words; the rest of the struct is output */
	for (i = 0; i < 4; i++)
		if (in->reserved[i])
			return -EINVAL;
	return pin_ioc_getlease(pt, &pc, c->ino, c->fh, c->out);
}

/* PIN and ATTACH: both may hand out direct access to the file's data. */
static int pin_common(struct ioctl_call *c, bool attach)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	struct store_attr a;
	int ret = table(c, &pt);

	if (ret)
		return ret;
	if (!may_pin(c))
		return -EPERM;
	ret = store_getattr(c->fs->st, c->ino, &a);
	if (ret)
		return ret;
	if (!S_ISREG(a.mode))
		return -EINVAL;
	if (ops_may(c->req, &a, W_OK))
		pc.flags |= PIN_CALLER_MAY_WRITE;
	return attach ? pin_ioc_attach(pt, &pc, c->ino, c->fh, c->out) :
			pin_ioc_pin(pt, &pc, c->ino, c->fh, c->out);
}

int ioc_pin(struct ioctl_call *c)
{
	return pin_common(c, false);
}

int ioc_attach(struct ioctl_call *c)
{
	return pin_common(c, true);
}

/* A request that waited for this pin (a truncate over it, say) is retried
 * and answered from this thread before the UNPIN is: the holder's
 * acknowledgement reaches the waiting caller without a thread hop.  The
 * page cache over a write pin's range is dropped from this thread too,
 * before the UNPIN is answered. */
int ioc_unpin(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);

	if (ret)
		return ret;
	pending_inline_begin();
	ret = pin_ioc_unpin(pt, &pc, c->in);
	pending_inline_end(c->fs);
	return ret;
}

int ioc_breaks(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);

	return ret ? ret : pin_ioc_breaks(pt, &pc, c->out);
}

/* The holder wrote through its mapping: drop stale cached pages before
 * the answer, so that every read() and mapping after the sync returns
 * sees the stores (sent from this handler, as the UNPIN handler does:
 * an ioctl holds no inode or page lock in the kernel; ops_inval.c). */
int ioc_sync(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	uint64_t ino, off, len;
	int ret = table(c, &pt);

	if (ret)
		return ret;
	ret = pin_ioc_sync(pt, &pc, c->in, &ino, &off, &len);
	if (!ret) {
		inval_inline_begin();
		fs_invalidate(c->fs, ino, off, len);
		inval_inline_flush(c->fs);
	}
	return ret;
}

int ioc_pins(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);

	return ret ? ret : pin_ioc_pins(pt, &pc, c->out);
}

int ioc_pin_extents(struct ioctl_call *c)
{
	struct pin_caller pc = caller_of(c);
	struct pin_table *pt;
	int ret = table(c, &pt);

	return ret ? ret : pin_ioc_extents(pt, &pc, c->out);
}
