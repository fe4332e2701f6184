/* SPDX-License-Identifier: MIT */
/*
 * ops_ioctl_info.c - PINFS_IOC_INFO and PINFS_IOC_EXTENTS.
 */
#include "ops_ioctl.h"
#include "pin.h"
#include "broker.h"

#include "pinfs/ioctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct pinfs_extents) <= 16383,
	       "restricted ioctls carry at most 16383 bytes");

int ioc_info(struct ioctl_call *c)
{
	const struct pinfs_info *in = c->in;
	struct pinfs_info *out = c->out;
	struct store_info si;
	int ret;

	ret = ioctl_check_header(in->abi_version, in->flags, in->reserved, 4);
	if (ret)
		return ret;
	if (in->pad[0] | in->pad[1] | in->pad[2] | in->pad[3])
		return -EINVAL;
	store_get_info(c->fs->st, &si);
	memset(out, 0, sizeof(*out));
	out->abi_version = PINFS_ABI_VERSION;
	out->region_size = si.region_size;
	out->block_size = si.block_size;
	out->free_bytes = si.free_blocks * si.block_size;
	if (c->fs->pt)
		pin_fill_info(c->fs->pt, out);
	/* no limit (0) reads as the whole region */
	if (!out->max_pin_bytes_mount)
		out->max_pin_bytes_mount = si.region_size;
	if (!out->max_pin_bytes_holder)
		out->max_pin_bytes_holder = si.region_size;
	if (c->fs->broker)
		snprintf(out->broker, sizeof(out->broker), "%s",
			 broker_name(c->fs->broker));
	return 0;
}

static uint32_t ext_flags(struct ioctl_call *c, const struct store_extent *e)
{
	uint32_t f = 0;

	if (e->flags & STORE_EXT_UNWRITTEN)
		f |= PINFS_EXT_UNWRITTEN;
	if (e->flags & STORE_EXT_SHARED)
		f |= PINFS_EXT_SHARED;
	if (c->fs->pt &&
	    pin_range_pinned(c->fs->pt, c->ino, e->file_off, e->len))
		f |= PINFS_EXT_PINNED;
	return f;
}

int ioc_extents(struct ioctl_call *c)
{
	const struct pinfs_extents *in = c->in;
	struct pinfs_extents *out = c->out;
	struct store_extent *ext;
	uint64_t len, total = 0;
	int n, i, ret;

	ret = ioctl_check_header(in->abi_version, in->flags, in->reserved, 2);
	if (ret)
		return ret;
	if (in->pad || in->off > INT64_MAX ||
	    (in->len && in->len > INT64_MAX - in->off))
		return -EINVAL;
	if (in->pin_id)
		return c->fs->pt ? ioc_pin_extents(c) : -ENOENT;
	if (c->is_dir)
		return -EISDIR;
	len = in->len ? in->len : (uint64_t)INT64_MAX - in->off;
	ext = calloc(PINFS_EXTENTS_MAX, sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	n = store_extents(c->fs->st, c->ino, in->off, len, in->first, ext,
			  PINFS_EXTENTS_MAX, &total);
	if (n < 0) {
		free(ext);
		return n;
	}
	if (n > (int)PINFS_EXTENTS_MAX)
		n = (int)PINFS_EXTENTS_MAX;
	out->abi_version = PINFS_ABI_VERSION;
	out->total = total;
	out->count = (uint32_t)n;
	for (i = 0; i < n; i++) {
		out->ext[i].file_off = ext[i].file_off;
		out->ext[i].region_off = ext[i].region_off;
		out->ext[i].len = ext[i].len;
		out->ext[i].refcount = ext[i].refcount;
		out->ext[i].flags = ext_flags(c, &ext[i]);
	}
	/* ext[n..] is not written: the reply carries only the COUNT
	 * entries (reply_size in ops_ioctl.c) */
	free(ext);
	return 0;
}
