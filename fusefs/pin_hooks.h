/* SPDX-License-Identifier: MIT */
/*
 * pin_hooks.h - how the daemon and the pin layer (lib/pin) meet.
 *
 * No FUSE types here: the pin layer never sees a FUSE request.  The daemon
 * keeps a request whose store call the gate refused with -EAGAIN (it does
 * not park a worker thread); the pin layer tells it when to retry.
 *
 * Contract of wait(): called on the thread that just got -EAGAIN from a
 * store call on inode INO, right after that call returned (so anything the
 * gate recorded about the refused range on this thread is still current).
 * Returns 0 and arranges for wake(arg, status) to be called exactly once,
 * from any thread, without locks the daemon could need: status 0 = retry
 * the store call now; -errno = fail the operation with that errno (e.g.
 * -ETXTBSY, -EINTR after cancel()).  *token names the wait for cancel().
 * A negative return fails the operation at once (wake is not called).
 *
 * cancel(token): the caller was interrupted.  Ensures wake is called
 * (with -EINTR) soon if it has not been already; a no-op after wake.
 * Must not block and must not call wake() on the calling thread.
 *
 * All callbacks may be NULL except wait and cancel.
 */
#ifndef PINFS_FUSEFS_PIN_HOOKS_H
#define PINFS_FUSEFS_PIN_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*fs_wake_fn)(void *arg, int status);

struct fs_pin_hooks {
	void *ctx;
	int (*wait)(void *ctx, uint64_t ino, fs_wake_fn wake, void *arg,
		    uint64_t *token);
	void (*cancel)(void *ctx, uint64_t token);
	/* PINFS_IOC_INFO: bytes pinned on this mount now; broker name. */
	uint64_t (*pinned_bytes)(void *ctx);
	const char *(*broker_name)(void *ctx);
	/* PINFS_IOC_EXTENTS: does a pin cover part of the range? */
	bool (*range_pinned)(void *ctx, uint64_t ino, uint64_t off,
			     uint64_t len);
	/* Open file FH of INO was closed (leases held on it end). */
	void (*release)(void *ctx, uint64_t ino, uint64_t fh);
};

struct fs;

/* Install the pin layer's hooks (before the session loop starts). */
void fs_set_pin_hooks(struct fs *fs, const struct fs_pin_hooks *hooks);

/*
 * Drop the kernel's cached pages of [off, off+len) of INO (len 0 = to the
 * end) so that read() and mmaps of the file on the mount refetch them.
 * Asynchronous (a worker thread calls the kernel); callable from any
 * thread, including FUSE handlers and the pin layer.
 */
void fs_invalidate(struct fs *fs, uint64_t ino, uint64_t off, uint64_t len);

#endif /* PINFS_FUSEFS_PIN_HOOKS_H */
