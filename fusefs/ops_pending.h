/* SPDX-License-Identifier: MIT */
/*
 * ops_pending.h - FUSE requests that wait for the pin layer.
 *
 * When a store call returns -EAGAIN (the gate wants pins revoked first),
 * the handler does not wait: it fills a struct pending_op (the request,
 * the inode, the range and kind of the layout change, a retry function
 * and the call's arguments), hands it to pending_park() and returns,
 * freeing its worker thread.  pin_wait()'s callback (on the revoke
 * engine's thread) queues the op to the daemon's retry thread, which runs
 * op->retry(): the same store call again; when the callback runs inside
 * an UNPIN handler (the holder acknowledged), that handler's thread runs
 * op->retry() itself before it answers the UNPIN.  retry() replies itself and
 * returns 0, or returns -EAGAIN to wait again, or another -errno for
 * pending to reply with.  An interrupted caller gets EINTR and the file
 * is left unchanged (pin_wait_cancel).
 */
#ifndef PINFS_FUSEFS_OPS_PENDING_H
#define PINFS_FUSEFS_OPS_PENDING_H

#include "ops.h"

struct pending_op;
typedef int (*pending_retry_fn)(struct pending_op *op);

struct pending_op {
	/* filled by the handler */
	fuse_req_t req;
	struct fs *fs;
	uint64_t ino;
	uint64_t off, len;         /* the range the gate refused */
	enum store_change why;
	const char *name;          /* for the log */
	pending_retry_fn retry;
	void *data;                /* malloc'd; freed with the op */
	union {
		struct {
			struct store_attr in;
			uint32_t valid;
		} setattr;
		struct {
			int mode;
		} falloc;
		struct {
			uint64_t ino_in, off_in;
		} copy;
	} u;
	/* private to ops_pending.c */
	pthread_mutex_t lock;
	atomic_int refs;
	uint64_t handle;
	unsigned gen;              /* which wait_again() call */
	bool waiting, have_handle, interrupted;
	int status;
	struct pending_op *next;
};

/* Allocate an op for REQ (zeroed, with its lock ready); NULL on ENOMEM. */
struct pending_op *pending_new(fuse_req_t req, uint64_t ino,
			       const char *name, pending_retry_fn retry,
			       enum store_change why, uint64_t off,
			       uint64_t len);

/*
 * Take ownership of OP and wait for the pin layer.  Without one (the
 * store never returns -EAGAIN then) the request fails with EIO.  OP is
 * freed after its final reply.
 */
void pending_park(struct pending_op *op);

/*
 * Between these two calls on one thread (a handler that holds no kernel
 * lock: the UNPIN ioctl), the ops the pin layer wakes on this thread are
 * kept; pending_inline_end() retries and answers them right here, instead
 * of handing them to the retry thread.
 */
void pending_inline_begin(void);
/* ...and the page-cache invalidations asked for meanwhile (the end of a
 * write pin) are sent from this thread, after those answers. */
void pending_inline_end(struct fs *fs);

/* ops_inval.c: between begin and stop, fs_invalidate() on this thread
 * keeps the range; flush sends the kept ranges from this thread
 * (synchronous: only where no kernel lock is held, the UNPIN handler). */
void inval_inline_begin(void);
void inval_inline_stop(void);
void inval_inline_flush(struct fs *fs);

int pending_start(struct fs *fs);
/* No new waits from now on (before pin_table_delete wakes the waiters). */
void pending_quiesce(struct fs *fs);
/* Answer what is queued (bounded wait), stop the retry thread. */
void pending_stop(struct fs *fs);

#endif /* PINFS_FUSEFS_OPS_PENDING_H */
