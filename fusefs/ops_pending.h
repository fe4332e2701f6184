/* SPDX-License-Identifier: MIT */
/*
 * ops_pending.h - FUSE requests that wait for the pin layer.
 *
 * When a store call returns -EAGAIN (the gate wants a revoke first), the
 * handler does not wait: it fills a struct pending_op (the request, the
 * inode, a retry function and the call's arguments), hands it to
 * pending_park() and returns, freeing its worker thread.  The pin layer's
 * wake callback queues the op to the daemon's retry thread, which runs
 * op->retry(): the same store call again.  retry() replies itself and
 * returns 0, or returns -EAGAIN to wait again, or another -errno for
 * pending to reply with.  An interrupted caller gets EINTR (via the pin
 * layer's cancel) and the file is left unchanged.
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
			uint64_t off, len;
		} falloc;
		struct {
			uint64_t ino_in, off_in, off_out;
			size_t len;
		} copy;
		struct {
			uint64_t off;
			size_t len;    /* bytes in data */
		} write;
		uint64_t raw[8];   /* for ioctl commands of the pin layer */
	} u;
	/* private to ops_pending.c */
	pthread_mutex_t lock;
	uint64_t token;
	bool waiting, interrupted;
	int status;
	struct pending_op *next;
};

/* Allocate an op for REQ (zeroed, with its lock ready); NULL on ENOMEM. */
struct pending_op *pending_new(fuse_req_t req, uint64_t ino,
			       const char *name, pending_retry_fn retry);

/*
 * Take ownership of OP and wait for the pin layer.  Without a pin layer
 * (the store never returns -EAGAIN then) the request fails with EIO.
 * OP is freed after its final reply.
 */
void pending_park(struct pending_op *op);

int pending_start(struct fs *fs);
/* Stop the retry thread; ops still waiting are answered EINTR. */
void pending_stop(struct fs *fs);

#endif /* PINFS_FUSEFS_OPS_PENDING_H */
