/* SPDX-License-Identifier: MIT */
/*
 * broker_client.h - libpinfs' side of the descriptor broker (internal).
 */
#ifndef PINFS_BROKER_CLIENT_H
#define PINFS_BROKER_CLIENT_H

#include <stdint.h>

/*
 * Ask the broker named @name ("@abstract" or a filesystem path) for the
 * region descriptor of pin @pin_id.  On success stores a close-on-exec
 * descriptor in *fd_out and returns 0; else returns -errno: the broker's
 * refusal (-EPERM, -ENOENT, -EPROTO, -EIO, -ETIMEDOUT), -EINVAL for a bad
 * name or pin id 0, -ECONNREFUSED / -ENOENT if nobody listens, -EPROTO for
 * a reply that breaks the protocol.  Waits at most @timeout_ms for each of
 * the send and the reply.
 */
int cl_broker_fetch(const char *name, uint64_t pin_id, int timeout_ms,
		    int *fd_out);

#endif /* PINFS_BROKER_CLIENT_H */
