/* SPDX-License-Identifier: MIT */
/*
 * ops_ioctl.h - the ioctl dispatcher's command table.
 *
 * ops_ioctl() accepts only restricted ioctls and checks, before any
 * handler runs, that the command is known and that the kernel passed
 * exactly _IOC_SIZE(cmd) bytes in (for _IOC_WRITE) and out (for
 * _IOC_READ).  A known (magic, number) with another size or direction
 * is EINVAL; an unknown command is ENOTTY.  Handlers validate their
 * struct (abi_version, flags, reserved, ranges: EINVAL).
 *
 * Adding a command: write `static int ioc_x(struct ioctl_call *c)` (in
 * its own ops_ioctl_<topic>.c), declare it below, add a row to the table
 * in ops_ioctl.c.
 */
#ifndef PINFS_FUSEFS_OPS_IOCTL_H
#define PINFS_FUSEFS_OPS_IOCTL_H

#include "ops.h"

struct ioctl_call {
	fuse_req_t req;
	struct fs *fs;
	uint64_t ino;
	uint64_t fh;          /* the open file's id (fi->fh) */
	bool is_dir;
	bool compat;          /* 32-bit caller (same structs) */
	const void *in;       /* _IOC_SIZE bytes for _IOC_WRITE, else NULL */
	void *out;            /* _IOC_SIZE bytes for _IOC_READ (a copy of in
				 for _IOWR), else NULL */
	size_t size;          /* _IOC_SIZE(cmd) */
};

/*
 * A handler returns 0 (the dispatcher replies with c->out), a -errno (the
 * dispatcher replies with it), or IOCTL_TAKEN: the handler replied itself
 * or kept the request to answer later (pending_park).
 */
#define IOCTL_TAKEN 1

enum ioctl_cmd_flags {
	IOCTL_DIR_OK = 1u << 0, /* may be issued on a directory */
};

struct ioctl_cmd {
	unsigned int cmd;
	const char *name;
	uint32_t flags;       /* enum ioctl_cmd_flags */
	int (*run)(struct ioctl_call *c);
};

/* -EINVAL unless VERSION is ours, FLAGS 0 and the N reserved words 0. */
int ioctl_check_header(uint32_t version, uint32_t flags,
		       const uint64_t *reserved, unsigned n);

/* ops_ioctl_info.c */
int ioc_info(struct ioctl_call *c);
int ioc_extents(struct ioctl_call *c);

/* ops_ioctl_pin.c */
int ioc_setlease(struct ioctl_call *c);
int ioc_getlease(struct ioctl_call *c);
int ioc_pin(struct ioctl_call *c);
int ioc_attach(struct ioctl_call *c);
int ioc_unpin(struct ioctl_call *c);
int ioc_breaks(struct ioctl_call *c);
int ioc_sync(struct ioctl_call *c);
int ioc_pins(struct ioctl_call *c);
/* PINFS_IOC_EXTENTS with a pin id (ioc_extents hands over) */
int ioc_pin_extents(struct ioctl_call *c);

#endif /* PINFS_FUSEFS_OPS_IOCTL_H */
