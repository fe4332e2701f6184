/* SPDX-License-Identifier: MIT */
/*
 * pinfs/ioctl.h - the ioctl ABI between pinfs holders/tools and the daemon.
 *
 * FUSE forwards only "restricted" ioctls: the kernel copies _IOC_SIZE(cmd)
 * bytes in and out (at most 16383) and follows no pointer.  So every
 * struct here is fixed-size, made of fixed-width fields only (the same
 * size for 32- and 64-bit callers), padded explicitly to 8 bytes, and
 * carries no pointer.  Every struct begins with abi_version, which the
 * caller sets to PINFS_ABI_VERSION.  The daemon answers EINVAL for an
 * unknown version, unknown flag bits, nonzero reserved or pad fields,
 * a field marked "in: 0" that is not zero, or a range that overflows or
 * ends past 2^63 (docs/abi.md lists every check of every ioctl).  Long lists come back in pages with a
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
	uint32_t pad;         /* in: 0 */
	uint64_t reserved[2]; /* in: 0 */
	struct pinfs_extent ext[PINFS_EXTENTS_MAX];
};
#define PINFS_IOC_EXTENTS _IOWR(PINFS_IOC_MAGIC, 0x01, struct pinfs_extents)

/*
 * Leases, pins, breaks, sync, the pin listing and re-attach: numbers
 * 0x02..0x09.  docs/abi.md documents every field and every error.
 */

/* Why a break was sent: the layout change that met the pin. */
enum pinfs_break_reason {
	PINFS_REASON_NONE = 0,
	PINFS_REASON_TRUNCATE = 1, /* same values as the store's changes */
	PINFS_REASON_PUNCH = 2,
	PINFS_REASON_ZERO = 3,
	PINFS_REASON_COW = 4,
	PINFS_REASON_CLONE_DEST = 5,
	PINFS_REASON_MOVE = 6,
};

/* Life of a pin, as listings and break records show it. */
enum pinfs_pin_state {
	PINFS_STATE_ACTIVE = 1,      /* live, no break pending */
	PINFS_STATE_BREAKING = 2,    /* break sent, waiting for unpin */
	PINFS_STATE_REVOKED = 3,     /* deadline passed or no lease: SIGBUS
	                                sent; its blocks stay held */
	PINFS_STATE_QUARANTINED = 4, /* its blocks left the file; held for
	                                the holder until unpin or exit */
};

/* ---- leases (per open file, like F_SETLEASE) ---------------------------- */

enum pinfs_lease_type {
	PINFS_LEASE_NONE = 0,        /* SETLEASE: release */
	PINFS_LEASE_BREAKABLE = 1,   /* layout changes break it (F_LONGTERM) */
	PINFS_LEASE_UNBREAKABLE = 2, /* layout changes fail ETXTBSY */
};

enum pinfs_lease_flags {
	PINFS_LEASE_IMPLICIT = 1u << 0, /* out: taken by the implicit-lease
	                                   policy on the holder's behalf */
};

struct pinfs_lease {
	uint32_t abi_version; /* in */
	uint32_t type;        /* SET in / GET out: enum pinfs_lease_type */
	uint64_t off;         /* byte range; must be block aligned */
	uint64_t len;         /* 0 = from off to the end of the file, ever */
	uint32_t signo;       /* break signal (like F_SETSIG); 0 = SIGIO */
	uint32_t flags;       /* SET in: 0; GET out: enum pinfs_lease_flags */
	uint64_t reserved[4]; /* in: 0 */
	/* GET: every field but abi_version is out and must come in as 0. */
};
#define PINFS_IOC_SETLEASE _IOW(PINFS_IOC_MAGIC, 0x02, struct pinfs_lease)
#define PINFS_IOC_GETLEASE _IOWR(PINFS_IOC_MAGIC, 0x03, struct pinfs_lease)

/* ---- pin / attach -------------------------------------------------------- */

enum pinfs_pin_flags {
	PINFS_PIN_WRITE = 1u << 0,    /* in: write pin (else read pin) */
	PINFS_PIN_LEASED = 1u << 8,   /* out: a lease covers the pin */
	PINFS_PIN_IMPLICIT = 1u << 9, /* out: lease taken by the policy */
	PINFS_PIN_RECOVERED = 1u << 10, /* out: survived a daemon restart */
};
#define PINFS_PIN_IN_FLAGS PINFS_PIN_WRITE

struct pinfs_pin {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: enum pinfs_pin_flags (WRITE); out: all */
	uint64_t off;         /* in (PIN): block aligned; out (ATTACH) */
	uint64_t len;         /* in (PIN): > 0, block multiple; out (ATTACH) */
	uint64_t pin_id;      /* out (PIN); in (ATTACH) */
	uint64_t total;       /* out: extents of the pin in all */
	uint32_t count;       /* out: extents in ext[] (the first page) */
	uint32_t state;       /* out: enum pinfs_pin_state */
	uint64_t reserved[2]; /* in: 0 */
	struct pinfs_extent ext[PINFS_EXTENTS_MAX]; /* out; the rest through
	                        PINFS_IOC_EXTENTS with pin_id, first = count */
};
#define PINFS_IOC_PIN _IOWR(PINFS_IOC_MAGIC, 0x04, struct pinfs_pin)
/* Re-attach to pin_id after a daemon restart: same pid and start time. */
#define PINFS_IOC_ATTACH _IOWR(PINFS_IOC_MAGIC, 0x09, struct pinfs_pin)

struct pinfs_unpin {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: 0 */
	uint64_t pin_id;      /* in */
	uint64_t reserved[2]; /* in: 0 */
};
#define PINFS_IOC_UNPIN _IOW(PINFS_IOC_MAGIC, 0x05, struct pinfs_unpin)

/* ---- pending breaks of the caller's pins -------------------------------- */

struct pinfs_break_rec {
	uint64_t pin_id;
	uint64_t ino;
	uint64_t off;         /* the wanted part of the pin */
	uint64_t len;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; SIGBUS then (0: none) */
	uint32_t reason;      /* enum pinfs_break_reason */
	uint32_t state;       /* enum pinfs_pin_state */
	uint32_t signo;       /* the signal sent */
	uint32_t pad;
};

#define PINFS_BREAKS_MAX 280u

struct pinfs_breaks {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: 0 */
	uint64_t first;       /* in: index of the first record */
	uint64_t total;       /* out: pending records in all */
	uint32_t count;       /* out: records in rec[] */
	uint32_t pad;         /* in: 0 */
	uint64_t reserved[2]; /* in: 0 */
	struct pinfs_break_rec rec[PINFS_BREAKS_MAX];
};
#define PINFS_IOC_BREAKS _IOWR(PINFS_IOC_MAGIC, 0x06, struct pinfs_breaks)

/* ---- sync: these bytes of a pin were written through the mapping -------- */

struct pinfs_sync {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: 0 */
	uint64_t pin_id;      /* in: a write pin of the caller */
	uint64_t off;         /* in: file range, inside the pin */
	uint64_t len;         /* in: 0 = the whole pin */
	uint64_t reserved[2]; /* in: 0 */
};
#define PINFS_IOC_SYNC _IOW(PINFS_IOC_MAGIC, 0x07, struct pinfs_sync)

/* ---- listing of every pin of the mount (admin tool) --------------------- */

#define PINFS_COMM_LEN 16u

struct pinfs_pin_entry {
	uint64_t pin_id;
	uint64_t ino;
	uint64_t off;
	uint64_t len;
	uint64_t age_ns;      /* since the pin was taken (or recovered) */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
	uint32_t pid;         /* holder's process (thread group) id */
	uint32_t uid;
	uint32_t flags;       /* enum pinfs_pin_flags */
	uint32_t state;       /* enum pinfs_pin_state */
	uint32_t reason;      /* enum pinfs_break_reason of the last break */
	uint32_t pad;
	char comm[PINFS_COMM_LEN]; /* NUL-terminated */
};

#define PINFS_PINS_MAX 160u

struct pinfs_pins {
	uint32_t abi_version; /* in */
	uint32_t flags;       /* in: 0 */
	uint64_t first;       /* in: index of the first entry, in pin-id
	                         order (next page: first + count) */
	uint64_t total;       /* out: pins in all */
	uint32_t count;       /* out: entries in pin[] */
	uint32_t pad;         /* in: 0 */
	uint64_t reserved[2]; /* in: 0 */
	struct pinfs_pin_entry pin[PINFS_PINS_MAX];
};
#define PINFS_IOC_PINS _IOWR(PINFS_IOC_MAGIC, 0x08, struct pinfs_pins)

/* ---- the sizes are the ABI ---------------------------------------------- */

#define PINFS_IOC_SIZE_MAX 16383u

/* C11 spells it _Static_assert, C++11 static_assert: C++ includes this
 * header too (tests/pin/abi_cxx.cc checks that it compiles). */
#ifdef __cplusplus
#define PINFS_STATIC_ASSERT(e, msg) static_assert(e, msg)
#else
#define PINFS_STATIC_ASSERT(e, msg) _Static_assert(e, msg)
#endif
PINFS_STATIC_ASSERT(sizeof(struct pinfs_info) == 200, "pinfs_info");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_extent) == 32, "pinfs_extent");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_extents) == 72 + 32 * PINFS_EXTENTS_MAX,
	       "pinfs_extents");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_lease) == 64, "pinfs_lease");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_pin) == 64 + 32 * PINFS_EXTENTS_MAX,
	       "pinfs_pin");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_unpin) == 32, "pinfs_unpin");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_break_rec) == 56, "pinfs_break_rec");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_breaks) == 48 + 56 * PINFS_BREAKS_MAX,
	       "pinfs_breaks");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_sync) == 48, "pinfs_sync");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_pin_entry) == 88, "pinfs_pin_entry");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_pins) == 48 + 88 * PINFS_PINS_MAX,
	       "pinfs_pins");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_extents) < PINFS_IOC_SIZE_MAX, "size");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_pin) < PINFS_IOC_SIZE_MAX, "size");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_breaks) < PINFS_IOC_SIZE_MAX, "size");
PINFS_STATIC_ASSERT(sizeof(struct pinfs_pins) < PINFS_IOC_SIZE_MAX, "size");

#undef PINFS_STATIC_ASSERT

#endif /* PINFS_IOCTL_H */
