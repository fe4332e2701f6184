/* SPDX-License-Identifier: MIT */
/*
 * pinfs/ioctl.h - the ioctl ABI between pinfs holders/tools and the daemon.
 *
 * FUSE forwards only "restricted" ioctls: the kernel copies _IOC_SIZE(cmd)
 * bytes in and out (at most 16383) and follows no pointer.  So every
 * struct here is fixed-size, made of fixed-width fields only (the same
 * size for 32- and 64-bit callers), padded explicitly to 8 bytes, and
 * carries no pointer.  Every struct begins with abi_version, which the
 * caller sets to PINFS_ABI_VERSION; the daemon answers EINVAL for an unknown version, unknown flag bits, nonzero reserved
 * fields, or out-of-range offsets.  Long lists come back in pages with a
 * continuation cursor ("first") and a total.
 */
#ifndef PINFS_IOCTL_H
#define PINFS_IOCTL_H

#include <linux/ioctl.h>
#include <stdint.h>

#define PINFS_ABI_VERSION 1u
#define PINFS_IOC_MAGIC 0xB7

/* ---- info -------------------------------------------------------------- */

#define PINFS_BROKER_NAME_MAX 108u /* sizeof(sun_path) */

struct pinfs_info {
	uint32_t abi_version;   /* in: PINFS_ABI_VERSION; out: daemon's */
	uint32_t flags;         /* in: 0 */
	uint64_t region_size;   /* bytes */
	uint64_t block_size;    /* bytes */
	uint64_t free_bytes;
	uint64_t max_pin_bytes_holder; /* per-holder limit on pinned bytes */
	uint64_t max_pin_bytes_mount;  /* per-mount limit */
	uint64_t pinned_bytes;         /* pinned on this mount now */
	uint64_t reserved[4];          /* in: 0 */
	/* broker socket: "@name" for the abstract namespace, else a path */
	char broker[PINFS_BROKER_NAME_MAX];
	uint8_t pad[4];
};
#define PINFS_IOC_INFO _IOWR(PINFS_IOC_MAGIC, 0x00, struct pinfs_info)

/* ---- extents (like filefrag -v) ----------------------------------------- */

enum pinfs_extent_flags {
	PINFS_EXT_UNWRITTEN = 1u << 0, /* preallocated, reads as zeros */
	PINFS_EXT_SHARED = 1u << 1,    /* refcount > 1 (reflinked) */
	PINFS_EXT_PINNED = 1u << 2,    /* a pin covers (part of) it */
};

struct pinfs_extent {
	uint64_t file_off;   /* bytes */
	uint64_t region_off; /* bytes from the start of the region */
	uint64_t len;        /* bytes */
	uint32_t flags;      /* enum pinfs_extent_flags */
	uint32_t refcount;
};

#define PINFS_EXTENTS_MAX 500u

struct pinfs_extents {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: 0 */
	uint64_t off;         /* in: byte range asked for */
	uint64_t len;         /* in: 0 = to EOF */
	uint64_t first;       /* in: index of the first extent to return */
	uint64_t pin_id;      /* in: 0 = the file's extents; else a pin's */
	uint64_t total;       /* out: extents overlapping the range in all */
	uint32_t count;       /* out: extents in ext[] */
	uint32_t pad;
	uint64_t reserved[2]; /* in: 0 */
	struct pinfs_extent ext[PINFS_EXTENTS_MAX];
};
#define PINFS_IOC_EXTENTS _IOWR(PINFS_IOC_MAGIC, 0x01, struct pinfs_extents)

/*
 * Leases, pins, breaks, sync and the pin listing (numbers 0x02..0x1f) are
 * added by the pin layer; see docs/abi.md.
 */

#endif /* PINFS_IOCTL_H */
