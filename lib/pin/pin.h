/* SPDX-License-Identifier: MIT */
/*
 * pin.h - leases, long-term pins and their revocation, as the daemon
 * calls them.
 *
 * The pin table knows inodes, byte ranges and extents (through the store),
 * never FUSE.  The daemon:
 *   1. creates the table once the store is open (opened with
 *      STORE_OPEN_NO_RECLAIM): pin_table_new() registers the gate with
 *      store_set_gate() and starts the revoke engine thread;
 *   2. calls pin_recover() once, before serving requests;
 *   3. decodes each pinfs ioctl and calls the matching pin_ioc_*() with
 *      the caller (thread id and uid/gid from the FUSE request, plus
 *      PIN_CALLER_MAY_WRITE when the daemon checked write access to the
 *      file), the inode and its FUSE file handle `fh` (an opaque cookie);
 *   4. calls pin_file_release() from its release handler;
 *   5. when a store call returns -EAGAIN (the gate wants pins revoked),
 *      keeps the FUSE request, calls pin_wait() and returns; done_cb then
 *      runs on the engine thread, or on the thread whose unpin (or other
 *      pin end) freed the range: 0 -> retry the store call (it passes
 *      the gate again), -errno -> reply that error.  On a FUSE interrupt,
 *      pin_wait_cancel(): 0 -> reply EINTR (nothing changed);
 *   6. answers poll requests on a file with pin_file_poll() and, when
 *      the poll_notify callback fires for a file handle, calls
 *      fuse_lowlevel_notify_poll() on the newest poll handle of that fh.
 *
 * Every function returns 0 (or a count) or -errno, and is thread-safe.
 * None may be called from inside a store gate except pin_gate itself.
 */
#ifndef PINFS_PIN_H
#define PINFS_PIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pinfs/ioctl.h>

#include "store.h"
#include "trace.h"

struct pin_table;

/* Called on the engine thread (no pin lock held) when file handle FH has
 * a new break event: the daemon wakes its pollers (POLLPRI). */
typedef void (*pin_poll_notify_fn)(void *arg, uint64_t fh);

/* Called without pin locks when a write pin ended (unpin, holder exit):
 * the holder may have written [off, off+len) of INO through its mapping,
 * so the daemon drops the kernel's cached pages of that range (from a
 * thread that handles no request on INO: notify_inval_inode is
 * synchronous). */
typedef void (*pin_write_end_fn)(void *arg, uint64_t ino, uint64_t off,
				 uint64_t len);

enum pin_option_flags {
	PIN_OPT_DENY_EBUSY = 1u << 0, /* deny with EBUSY, not ETXTBSY */
};

struct pin_options {
	/* "break" (default when NULL), "deny", "require-lease",
	 * "implicit-lease", "quarantine", "remap", or
	 * "/path/plugin.so[:args]". */
	const char *policy;
	uint64_t lease_break_ms; /* break -> SIGBUS; default 45000 */
	uint64_t kill_grace_ms;  /* SIGBUS -> SIGKILL; 0 = never kill */
	uint64_t max_pin_bytes_holder; /* 0 = no limit; else EDQUOT past it */
	uint64_t max_pin_bytes_mount;  /* 0 = no limit; else ENOSPC past it */
	uint32_t flags;                /* enum pin_option_flags */
	pin_poll_notify_fn poll_notify; /* may be NULL */
	void *poll_arg;
	pin_write_end_fn write_end;     /* may be NULL */
	void *write_end_arg;
};

/* Defaults: policy break, 45000 ms, kill_grace 10000 ms, no limits. */
void pin_options_init(struct pin_options *o);

/*
 * Create the pin table over ST, register pin_gate with store_set_gate and
 * start the revoke engine.  -EINVAL for an unknown policy name, a plugin
 * that fails to load (reason in *why) or lease_break_ms == 0.
 */
int pin_table_new(struct store *st, const struct pin_options *o,
		  struct pin_table **out, const char **why);
/*
 * Stop the engine and free the table.  Live pins stay in the persistent
 * registry with their blocks held (a daemon restart does not end what
 * holders reach: invariant 5).  Pending waiters get done_cb(-ESHUTDOWN).
 */
void pin_table_delete(struct pin_table **pt);

/*
 * At mount, once: for each registry record, keep its pin (blocks held,
 * holder watched through a pidfd, conflicts at the gate like a pin
 * without lease) when the holder (pid AND start time) lives, else release
 * its holds and clear the slot; release holds no record owns; then
 * store_reclaim_orphans().  Returns the number of pins kept.
 */
int pin_recover(struct pin_table *pt);

/* The store gate (registered by pin_table_new); exported for tests. */
int pin_gate(void *pt, uint64_t ino, uint64_t off, uint64_t len,
	     enum store_change why);

/* ---- ioctls ---------------------------------------------------------- */

enum pin_caller_flags {
	PIN_CALLER_MAY_WRITE = 1u << 0, /* daemon checked write access */
};

struct pin_caller {
	pid_t tid;      /* fuse_req_ctx()->pid: a thread id */
	uint32_t uid, gid;
	uint32_t flags; /* enum pin_caller_flags */
};

int pin_ioc_setlease(struct pin_table *pt, const struct pin_caller *c,
		     uint64_t ino, uint64_t fh, const struct pinfs_lease *in);
int pin_ioc_getlease(struct pin_table *pt, const struct pin_caller *c,
		     uint64_t ino, uint64_t fh, struct pinfs_lease *io);
int pin_ioc_pin(struct pin_table *pt, const struct pin_caller *c,
		uint64_t ino, uint64_t fh, struct pinfs_pin *io);
int pin_ioc_attach(struct pin_table *pt, const struct pin_caller *c,
		   uint64_t ino, uint64_t fh, struct pinfs_pin *io);
int pin_ioc_unpin(struct pin_table *pt, const struct pin_caller *c,
		  const struct pinfs_unpin *in);
int pin_ioc_breaks(struct pin_table *pt, const struct pin_caller *c,
		   struct pinfs_breaks *io);
/* On success INO, OFF and LEN name the synced file range: the daemon then
 * invalidates that range of the kernel's page cache (from a thread that
 * is not handling a request on that inode). */
int pin_ioc_sync(struct pin_table *pt, const struct pin_caller *c,
		 const struct pinfs_sync *in, uint64_t *ino, uint64_t *off,
		 uint64_t *len);
int pin_ioc_pins(struct pin_table *pt, const struct pin_caller *c,
		 struct pinfs_pins *io);
/* PINFS_IOC_EXTENTS with pin_id != 0 (the daemon serves pin_id 0). */
int pin_ioc_extents(struct pin_table *pt, const struct pin_caller *c,
		    struct pinfs_extents *io);
/*
 * Who holds pin PIN_ID, for the descriptor broker: its holder's process
 * (thread group) id, uid, and whether it is a write pin.  O(log pins)
 * (the pins-by-id tree).  0, or -ENOENT for an unknown id, a pin still
 * being created or one that has ended.  Any of the out pointers may be
 * NULL.  Thread-safe; never blocks on anything but pt->lock.
 */
int pin_holder_of(struct pin_table *pt, uint64_t pin_id, pid_t *pid,
		  uid_t *uid, bool *write);
/* Does a live pin cover part of [off, off+len) of INO?  For the
 * PINFS_EXT_PINNED flag of the file's extents (EXTENTS with pin_id 0). */
bool pin_range_pinned(struct pin_table *pt, uint64_t ino, uint64_t off,
		      uint64_t len);
/* Limits and pinned bytes for PINFS_IOC_INFO. */
void pin_fill_info(struct pin_table *pt, struct pinfs_info *info);

/* ---- open files ------------------------------------------------------- */

/* The file handle is closed: its lease ends (pins taken through it stay
 * until unpinned or their holder exits, and lose the lease). */
void pin_file_release(struct pin_table *pt, uint64_t fh);
/* POLLPRI when a pin taken (or re-attached) through FH, leased or not,
 * has a break record (BREAKING, REVOKED, QUARANTINED), else 0.
 * O(log pins + pins of FH). */
uint32_t pin_file_poll(struct pin_table *pt, uint64_t fh);
/*
 * The per-file policy xattr (trusted.pinfs.policy) of INO was set to NAME
 * (NULL: removed).  The daemon calls this before storing the xattr and
 * refuses the setxattr with the error returned: -EINVAL for a policy
 * name the mount does not know.
 */
int pin_file_policy_set(struct pin_table *pt, uint64_t ino, const char *name);
#define PIN_POLICY_XATTR "trusted.pinfs.policy"

/* ---- waiting for revocation ----------------------------------------- */

typedef void (*pin_done_fn)(void *arg, int result);
/*
 * Call DONE(ARG, 0) once no pin overlapping [off, off+len) of INO is being
 * broken (the caller then retries the store call), or DONE(ARG,
 * -ESHUTDOWN) when the table goes away.  DONE runs on the engine thread or
 * on the thread that ended the last such pin (inside pin_ioc_unpin, say),
 * never inside pin_wait() and never with a pin-table lock held; it may run
 * before pin_wait() returns.  The breaks the gate queued are sent from the
 * calling thread before pin_wait() returns.  DONE
 * is called exactly once unless pin_wait_cancel() returns 0.  *HANDLE
 * names the wait for pin_wait_cancel.  While a wait is registered, new
 * pins overlapping its range fail with -EAGAIN.
 */
int pin_wait(struct pin_table *pt, uint64_t ino, uint64_t off, uint64_t len,
	     enum store_change why, pin_done_fn done, void *arg,
	     uint64_t *handle);
/*
 * pin_wait() for the range of the last -EAGAIN that the gate returned on
 * the calling thread (the store call that failed ran on it): what the
 * daemon calls right after a store call returned -EAGAIN.  -EINVAL when
 * the gate returned no -EAGAIN on this thread since the last call.
 */
int pin_wait_last(struct pin_table *pt, pin_done_fn done, void *arg,
		  uint64_t *handle);
/* 0: cancelled, DONE will never be called (reply EINTR); -ENOENT: DONE
 * has run or is running (let it reply). */
int pin_wait_cancel(struct pin_table *pt, uint64_t handle);

/* ---- trace ------------------------------------------------------------ */

/* The table's trace ring (see trace.h: pin_trace_read/pin_trace_wait). */
struct pin_trace *pin_table_trace(struct pin_table *pt);

#endif /* PINFS_PIN_H */
