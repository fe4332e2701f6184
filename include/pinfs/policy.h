/* SPDX-License-Identifier: MIT */
/*
 * pinfs/policy.h - the revocation policy plugin API (version 1).
 *
 * A policy decides, for each pin that a layout change meets, what happens:
 * let it be, refuse the change, break the pin and wait, revoke it at once,
 * or quarantine its blocks.  pinfs ships break, deny, require-lease,
 * implicit-lease, quarantine and remap (docs/policies.md); a plugin adds one
 * without rebuilding pinfs:
 *
 *	cc -shared -fPIC -o mypolicy.so mypolicy.c
 *	pinfs MOUNTPOINT -o policy=/path/mypolicy.so
 *
 * The plugin exports one function, pinfs_policy_v1(), returning its
 * operations table.  The daemon calls it once after dlopen and refuses the
 * plugin if api_version or struct_size do not match what it was built
 * for.  Every callback is called with the pin layer's lock held and, for
 * on_conflict, with the filesystem engine's locks held as well: it must
 * not block, sleep, take locks of its own that other threads may hold
 * long, or call back into pinfs.  Callbacks may be called from several
 * threads, one at a time.
 */
#ifndef PINFS_POLICY_H
#define PINFS_POLICY_H

#include <stdint.h>

#define PINFS_POLICY_API_VERSION 1u
#define PINFS_POLICY_NAME_MAX 31u /* policy names: [a-z0-9_-]{1,31} */

/* What a layout change wants (same values as pinfs_break_reason). */
enum pinfs_policy_change {
	PINFS_CHANGE_TRUNCATE = 1,
	PINFS_CHANGE_PUNCH = 2,
	PINFS_CHANGE_ZERO = 3,
	PINFS_CHANGE_COW = 4,
	PINFS_CHANGE_CLONE_DEST = 5,
	PINFS_CHANGE_MOVE = 6,
};

/* A pin as a policy sees it. */
enum pinfs_policy_pin_flags {
	PINFS_POLICY_PIN_WRITE = 1u << 0,   /* a write pin */
	PINFS_POLICY_PIN_LEASED = 1u << 1,  /* a breakable lease covers it */
	PINFS_POLICY_PIN_RECOVERED = 1u << 2, /* from before a restart */
};

struct pinfs_policy_pin {
	uint64_t pin_id;
	uint64_t ino;
	uint64_t off, len; /* bytes of the file */
	uint32_t flags;    /* enum pinfs_policy_pin_flags */
	uint32_t pid;      /* holder process */
	uint32_t uid;
	uint32_t pad;
};

struct pinfs_policy_change_desc {
	uint64_t ino;
	uint64_t off, len;
	uint32_t why;      /* enum pinfs_policy_change */
	uint32_t pad;
};

/* on_pin's answer. */
enum pinfs_policy_pin_verdict {
	PINFS_PIN_ALLOW = 0,         /* take the pin as asked */
	PINFS_PIN_REFUSE = 1,        /* fail the pin with EPERM */
	PINFS_PIN_IMPLICIT_LEASE = 2, /* take a breakable lease over the
	                                 pin's range for the holder, then pin */
};

/* on_conflict's answer, per pin. */
enum pinfs_policy_action {
	PINFS_ACT_IGNORE = 0,     /* the change may proceed over this pin
	                             (its blocks stay held all the same) */
	PINFS_ACT_DENY = 1,       /* the change fails (ETXTBSY or EBUSY) */
	PINFS_ACT_BREAK = 2,      /* notify, wait up to lease_break_time for
	                             unpin, then SIGBUS (and SIGKILL later);
	                             for a pin without a lease: as REVOKE */
	PINFS_ACT_REVOKE = 3,     /* SIGBUS now, the change proceeds */
	PINFS_ACT_QUARANTINE = 4, /* the change proceeds; the holder is told;
	                             its blocks stay held until unpin/exit */
};

struct pinfs_policy_ops {
	uint32_t api_version; /* PINFS_POLICY_API_VERSION */
	uint32_t struct_size; /* sizeof(struct pinfs_policy_ops) */
	const char *name;     /* [a-z0-9_-]{1,31}, unique in the mount */
	/* Optional.  ARGS is the text after ':' in policy=/path.so:ARGS (or
	 * NULL).  Returns 0 or -errno (the mount then fails). */
	int (*init)(void **state, const char *args);
	/* Optional. */
	void (*fini)(void *state);
	/* Optional (NULL: always PINFS_PIN_ALLOW).  Called when a pin is
	 * taken; returns enum pinfs_policy_pin_verdict. */
	int (*on_pin)(void *state, const struct pinfs_policy_pin *pin);
	/* Required.  Called for each live pin overlapping a layout change;
	 * returns enum pinfs_policy_action (any other value: DENY).  Unbreakable leases are handled
	 * before any policy (always DENY). */
	int (*on_conflict)(void *state,
			   const struct pinfs_policy_change_desc *change,
			   const struct pinfs_policy_pin *pin);
};

/* The one symbol a plugin exports. */
typedef const struct pinfs_policy_ops *(*pinfs_policy_v1_fn)(void);
const struct pinfs_policy_ops *pinfs_policy_v1(void);

#endif /* PINFS_POLICY_H */
