/* SPDX-License-Identifier: MIT */
/*
 * pin_impl.h - the pin table's internals, shared by the files of lib/pin.
 *
 * One mutex (pt->lock) guards everything here.  Lock order: the store's
 * locks, then pt->lock (the gate runs under the store's locks), so no
 * code may call into the store while holding pt->lock.  Work that needs
 * the store (holds, registry, iget/iput) or the daemon (poll notify)
 * happens after the lock is dropped.
 */
#ifndef PINFS_PIN_IMPL_H
#define PINFS_PIN_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <pinfs/policy.h>

#include "itree.h"
#include "pin.h"

#define PIN_BLOCK 4096ull
#define NS_PER_MS 1000000ull

struct pin_list {
	struct pin_list *prev, *next;
};

static inline void pin_list_init(struct pin_list *l)
{
	l->prev = l->next = l;
}

static inline void pin_list_add(struct pin_list *head, struct pin_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void pin_list_del(struct pin_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline bool pin_list_empty(const struct pin_list *l)
{
	return l->next == l;
}

/* Holders kept (with their pidfd) after their last pin or lease ended,
 * so that a process pinning again and again is not looked up in /proc
 * each time.  They go when the process exits or past this many. */
#define PIN_IDLE_HOLDERS 256u

/* A holder process: pid + start time + pidfd. */
struct pin_holder {
	struct itree_node node; /* in pt->holders, point = pid */
	pid_t pid;
	uint64_t start;
	int pidfd;
	uint32_t uid;
	char comm[16];
	uint32_t refs;          /* pins, leases and work items */
	uint64_t pinned_bytes;
	struct pin_list pins;   /* its pins (pin.hlink) */
	bool in_tree, exited;
	bool poll_armed;        /* engine: a POLL_ADD is in flight */
	bool poll_queued;       /* on pt->watch (needs arming) */
	struct pin_holder *next_watch;
};

#define PIN_NBUILTIN 6 /* break deny require-lease implicit-lease
                         quarantine remap */

/* A policy instance: built-in or plugin. */
struct pin_policy {
	const struct pinfs_policy_ops *ops;
	void *state;
	void *dl; /* dlopen handle of a plugin */
};

enum pin_range_kind { PIN_KIND_PIN = 1, PIN_KIND_LEASE };

/* What the per-inode tree holds: a pin or a lease. */
struct pin_range {
	struct itree_node node;
	int kind;
};

struct pin_inode {
	struct itree_node node; /* in pt->inodes, point = ino */
	uint64_t ino;
	struct itree ranges;    /* pin_range: pins and leases */
	uint32_t refs;          /* pins (incl. preparing), leases */
	uint64_t gen;           /* bumped when the gate lets a change by */
	struct pin_policy *policy; /* per-file (xattr) or NULL: mount's */
};

/* An open file (FUSE fh) with a lease. */
struct pin_file {
	struct itree_node node; /* in pt->files, point = fh */
	struct pin_range lease; /* in inode->ranges while type != NONE */
	uint64_t fh, ino;
	struct pin_inode *inode;
	struct pin_holder *holder;
	uint32_t type, signo, lflags;
	uint64_t off, len;      /* len 0 = to the end of the file, ever */
};

enum pin_pending {
	PIN_PEND_BREAK = 1u << 0,   /* send the break signal + poll event */
	PIN_PEND_SIGBUS = 1u << 1,
	PIN_PEND_SIGKILL = 1u << 2,
	PIN_PEND_QUAR = 1u << 3,    /* tell of quarantine (signal + poll) */
};

enum pin_state_internal {
	PIN_ST_PREPARING = 0, /* being created; does not conflict yet */
	/* then the PINFS_STATE_* values */
	PIN_ST_ENDED = 99,
};

struct pin {
	struct pin_range r;      /* in inode->ranges */
	struct itree_node idnode; /* in pt->pins, point = id */
	struct pin_list hlink;   /* in holder->pins */
	struct itree_node fhnode; /* in pt->byfh while fh != 0 */
	uint64_t id, ino, off, len;
	uint32_t flags;          /* PINFS_PIN_* */
	uint32_t state;          /* PIN_ST_PREPARING or PINFS_STATE_* */
	uint32_t slot;           /* registry slot */
	uint32_t pending;        /* enum pin_pending, for the engine */
	int act;                 /* gate: the policy's answer (scratch) */
	struct pin_holder *holder;
	struct pin_inode *inode;
	uint64_t fh;             /* taken through (0: none, recovered);
	                            set only with pin_fh_set_locked() */
	struct pinfs_extent *ext;
	uint32_t next;
	bool on_work, killed, have_iref;
	bool was_live;           /* reached ACTIVE (its holder saw it) */
	uint64_t created_ns, deadline_ns, kill_ns;
	uint32_t brk_reason, brk_signo;
	uint64_t brk_off, brk_len;
	struct pin *next_work;
};

struct pin_waiter {
	struct itree_node node;  /* in pt->waiters, point = handle */
	uint64_t handle, ino, off, len;
	uint32_t why;
	pin_done_fn done;
	void *arg;
};

struct pin_engine;

struct pin_table {
	pthread_mutex_t lock;
	struct store *st;
	struct pin_options opt;
	struct pin_trace *trace;
	struct pin_engine *eng;

	struct itree inodes, files, holders, pins, waiters;
	struct itree byfh;       /* pins by the open file they came through
	                            (leased or not): poll, release */
	uint64_t next_id, next_wait;
	uint64_t pinned_bytes;

	uint8_t *slots;          /* registry slot in use, one byte each */
	uint32_t nslots, slot_hint;

	struct pin_policy builtin[PIN_NBUILTIN];
	struct pin_policy plugin; /* ops NULL when none */
	struct pin_policy *mount_policy;

	struct pin *work;        /* pins with pending actions */
	struct pin_holder *watch; /* holders whose pidfd needs a poll */
	uint32_t nidle;          /* holders kept with no reference */
	struct pin_range **scratch; /* gate's list of conflicting ranges */
	uint32_t nscratch, scratch_cap;
};

/* table.c */
uint64_t pin_now_ns(void);
struct pin_holder *pin_holder_get_locked(struct pin_table *pt, pid_t pid,
					 uint64_t start, int pidfd,
					 uint32_t uid, const char *comm);
void pin_holder_put_locked(struct pin_table *pt, struct pin_holder *h);
/* Take H out of pt->holders (it is exited or superseded). */
void pin_holder_unlink_locked(struct pin_table *pt, struct pin_holder *h);
/* A holder with no reference that is out of the tree is dead: the engine
 * cancels its pidfd poll and frees it. */
static inline bool pin_holder_dead(const struct pin_holder *h)
{
	return h->refs == 0 && !h->in_tree;
}
int pin_holder_resolve(struct pin_table *pt, const struct pin_caller *c,
		       struct pin_holder **out);
struct pin_inode *pin_inode_get_locked(struct pin_table *pt, uint64_t ino,
				       struct pin_policy *pol);
void pin_inode_put_locked(struct pin_table *pt, struct pin_inode *in);
struct pin *pin_find_locked(struct pin_table *pt, uint64_t id);
struct pin_file *pin_file_find_locked(struct pin_table *pt, uint64_t fh);
/* P now belongs to open file FH (0: none), in pt->byfh. */
void pin_fh_set_locked(struct pin_table *pt, struct pin *p, uint64_t fh);
bool pin_is_leased_locked(struct pin_table *pt, const struct pin *p);
bool pin_conflicts(const struct pin *p);
void pin_queue_work_locked(struct pin_table *pt, struct pin *p,
			   uint32_t pending);
void pin_end_locked(struct pin_table *pt, struct pin *p);
void pin_finish(struct pin_table *pt, struct pin *p);
void pin_lease_drop_locked(struct pin_table *pt, struct pin_file *f);
int pin_slot_alloc_locked(struct pin_table *pt, uint32_t *slot);

/* ioc.c */
void pin_fill_reply(struct pin *p, struct pinfs_pin *io);
int pin_load_extents(struct pin_table *pt, struct pin *p);
bool pin_reserved_zero(const uint64_t *r, unsigned n);

/* policy.c */
int pin_policy_setup(struct pin_table *pt, const char *spec,
		     const char **why);
void pin_policy_teardown(struct pin_table *pt);
struct pin_policy *pin_policy_find(struct pin_table *pt, const char *name);
struct pin_policy *pin_policy_of_locked(struct pin_table *pt,
					struct pin_inode *in);
void pin_policy_desc(struct pin_table *pt, const struct pin *p,
		     struct pinfs_policy_pin *out);
/*
 * Called without the lock; returns with pt->lock held and a reference on
 * INO's record (NULL: out of memory, lock held all the same).  A new
 * record gets the policy of INO's xattr, read before the lock is taken.
 */
struct pin_inode *pin_inode_grab(struct pin_table *pt, uint64_t ino);

/* registry.c */
/* P's record (slot p->slot) and the holds of its extents: one store
 * transaction (store_pin_hold).  0 or -errno; on failure nothing. */
int pin_registry_hold(struct pin_table *pt, const struct pin *p);
/* Clear record SLOT (UINT32_MAX: none) and release PIN_ID's holds: one
 * store transaction (store_pin_release). */
int pin_registry_release(struct pin_table *pt, uint32_t slot,
			 uint64_t pin_id);
/* At creation: mark the registry's used slots, next_id past every id. */
int pin_registry_scan(struct pin_table *pt);

/* revoke.c */
/* Send what the gate queued (break signals, poll events) from the calling
 * thread; no lock held. */
void pin_send_work(struct pin_table *pt);
/* Call back, from the calling thread, the waiters no breaking pin blocks
 * any more; no lock held. */
void pin_wake_waiters(struct pin_table *pt);
int pin_engine_start(struct pin_table *pt);
void pin_engine_stop(struct pin_table *pt);
void pin_engine_kick(struct pin_table *pt);
void pin_deadline_add_locked(struct pin_table *pt, uint64_t when, uint64_t id);
void pin_watch_locked(struct pin_table *pt, struct pin_holder *h);
bool pin_range_breaking_locked(struct pin_table *pt, struct pin_inode *in,
			       uint64_t first, uint64_t last);

#endif /* PINFS_PIN_IMPL_H */
