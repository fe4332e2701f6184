/* SPDX-License-Identifier: MIT */
/*
 * ops_ioctl.c - the ioctl dispatcher and its command table.
 */
#include "ops_ioctl.h"
#include "log.h"

#include "pinfs/ioctl.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const struct ioctl_cmd commands[] = {
	{ PINFS_IOC_INFO, "info", IOCTL_DIR_OK, ioc_info },
	{ PINFS_IOC_EXTENTS, "extents", IOCTL_DIR_OK, ioc_extents },
	{ PINFS_IOC_SETLEASE, "setlease", 0, ioc_setlease },
	{ PINFS_IOC_GETLEASE, "getlease", 0, ioc_getlease },
	{ PINFS_IOC_PIN, "pin", 0, ioc_pin },
	{ PINFS_IOC_ATTACH, "attach", 0, ioc_attach },
	{ PINFS_IOC_UNPIN, "unpin", IOCTL_DIR_OK, ioc_unpin },
	{ PINFS_IOC_BREAKS, "breaks", IOCTL_DIR_OK, ioc_breaks },
	{ PINFS_IOC_SYNC, "sync", IOCTL_DIR_OK, ioc_sync },
	{ PINFS_IOC_PINS, "pins", IOCTL_DIR_OK, ioc_pins },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

int ioctl_check_header(uint32_t version, uint32_t flags,
		       const uint64_t *reserved, unsigned n)
{
	unsigned i;

	if (version != PINFS_ABI_VERSION || flags)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (reserved[i])
			return -EINVAL;
	return 0;
}

/* The command, or NULL with *err = -ENOTTY (unknown) / -EINVAL (a known
 * command number with another size or direction). */
static const struct ioctl_cmd *find_cmd(unsigned int cmd, int *err)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (commands[i].cmd == cmd)
			return &commands[i];
	*err = -ENOTTY;
	for (i = 0; i < N_COMMANDS; i++)
		if (_IOC_TYPE(commands[i].cmd) == _IOC_TYPE(cmd) &&
		    _IOC_NR(commands[i].cmd) == _IOC_NR(cmd))
			*err = -EINVAL;
	return NULL;
}

static int check_sizes(unsigned int cmd, size_t in_bufsz, size_t out_bufsz)
{
	size_t size = _IOC_SIZE(cmd);
	size_t want_in = (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0;
	size_t want_out = (_IOC_DIR(cmd) & _IOC_READ) ? size : 0;

	return in_bufsz == want_in && out_bufsz == want_out ? 0 : -EINVAL;
}

/*
 * Bytes of a successful reply: the replies that end in an array (pins'
 * and files' extents) stop after the COUNT entries filled in; the kernel
 * copies only what the reply carries, so the rest of the caller's buffer
 * is left as it was (docs/abi.md).  A pin of one extent answers 96 bytes,
 * not the 16 KiB of the whole struct.
 */
static size_t reply_size(unsigned int cmd, const void *out, size_t full)
{
	size_t n;

	switch (cmd) {
	case PINFS_IOC_PIN:
	case PINFS_IOC_ATTACH: {
		const struct pinfs_pin *p = out;

		n = p->count < PINFS_EXTENTS_MAX ? p->count : PINFS_EXTENTS_MAX;
		return offsetof(struct pinfs_pin, ext) + n * sizeof(p->ext[0]);
	}
	case PINFS_IOC_EXTENTS: {
		const struct pinfs_extents *x = out;

		n = x->count < PINFS_EXTENTS_MAX ? x->count : PINFS_EXTENTS_MAX;
		return offsetof(struct pinfs_extents, ext) +
		       n * sizeof(x->ext[0]);
	}
	default:
		return full;
	}
}

/* Bytes of an _IOWR struct that are input: all of it, but the header of
 * the structs that end in an output extent array. */
static size_t in_input_bytes(unsigned int cmd, size_t in_bufsz)
{
	size_t hdr;

	switch (cmd) {
	case PINFS_IOC_PIN:
	case PINFS_IOC_ATTACH:
		hdr = offsetof(struct pinfs_pin, ext);
		break;
	case PINFS_IOC_EXTENTS:
		hdr = offsetof(struct pinfs_extents, ext);
		break;
	default:
		return in_bufsz;
	}
	return hdr < in_bufsz ? hdr : in_bufsz;
}

/* count = 0 in a header copied by in_input_bytes(). */
static void reply_count_reset(unsigned int cmd, void *out)
{
	if (cmd == PINFS_IOC_EXTENTS)
		((struct pinfs_extents *)out)->count = 0;
	else
		((struct pinfs_pin *)out)->count = 0;
}

void ops_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	       struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	       size_t in_bufsz, size_t out_bufsz)
{
	struct ioctl_call c = {
		.req = req, .fs = ops_fs(req), .ino = ino,
		.fh = fi ? fi->fh : 0,
		.is_dir = (flags & FUSE_IOCTL_DIR) != 0,
		.compat = (flags & FUSE_IOCTL_COMPAT) != 0,
		.size = _IOC_SIZE(cmd),
	};
	const struct ioctl_cmd *ic;
	int ret = 0;

	if (flags & FUSE_IOCTL_UNRESTRICTED) {
		ops_reply_err(req, -EINVAL, "ioctl");
		return;
	}
	ic = find_cmd(cmd, &ret);
	if (ic)
		ret = check_sizes(cmd, in_bufsz, out_bufsz);
	if (!ret && c.is_dir && !(ic->flags & IOCTL_DIR_OK))
		ret = -EISDIR;
	if (!ret && in_bufsz && !in_buf)
		ret = -EINVAL;
	if (!ret && out_bufsz) {
		/* an _IOWR buffer is input first; of the structs that end in
		 * an extent array only the header is (the array is output):
		 * copy the header, leave the 16 KiB array unwritten.  The
		 * reply carries only ext[0..count) (reply_size), which the
		 * handlers fill in; count (an output) starts at 0, so a
		 * handler that filled nothing sends no array bytes */
		size_t in = in_input_bytes(cmd, in_bufsz);

		c.out = in_bufsz == out_bufsz ? malloc(out_bufsz)
					      : calloc(1, out_bufsz);
		if (!c.out)
			ret = -ENOMEM;
		else if (in)
			memcpy(c.out, in_buf, in);
		if (c.out && in < in_bufsz)
			reply_count_reset(cmd, c.out);
	}
	if (!ret) {
		c.in = in_bufsz ? in_buf : NULL;
		ret = ic->run(&c);
	}
	if (ret == 0)
		fuse_reply_ioctl(req, 0, c.out,
				 out_bufsz ? reply_size(cmd, c.out, out_bufsz)
					   : 0);
	else if (ret != IOCTL_TAKEN)
		ops_reply_err(req, ret, "ioctl");
	free(c.out);
}
