/* SPDX-License-Identifier: MIT */
/*
 * broker.h - the daemon side of the descriptor broker.
 *
 * FUSE cannot pass a descriptor through an ioctl, so a pin holder gets the
 * region descriptor from the broker instead: the broker listens on an
 * abstract Unix socket ("@pinfs-<daemon pid>-<random>"), checks the peer's
 * kernel-given credentials (SO_PEERCRED: thread-group pid and uid) against
 * the holder of the pin it asks for, and sends a freshly opened region
 * descriptor by SCM_RIGHTS: O_RDONLY for a read pin, O_RDWR for a write pin.
 * The protocol is in lib/client/broker_wire.h.
 *
 * Trust model: whoever receives the descriptor can reach the whole region
 * (as an RDMA-capable process reaches what it registers); the broker only
 * hands it to processes that own a live pin, which the pin layer admitted
 * (pin_uid=/pin_gid= and the pinned-bytes limits).  A read-only descriptor
 * guards against mistakes, not against root or the region file's owner,
 * who can reopen /proc/<pid>/fd/N read-write.
 *
 * The broker runs one thread.  Connections are served one at a time, each
 * bounded by BROKER_REQ_TIMEOUT_MS; a malformed, short, late or refused
 * request gets a one-byte error reply and the connection is closed.  A
 * trace stream (broker_set_trace) gets a thread of its own.
 */
#ifndef PINFS_BROKER_H
#define PINFS_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct broker;

/*
 * Who holds pin @pin_id: the thread-group pid, the uid, and whether it is a
 * write pin.  Returns 0, or -ENOENT for an unknown (or ended) pin; any
 * other negative value refuses the request with that errno.  Called from
 * the broker thread; must be thread-safe with respect to the pin layer.
 */
typedef int (*broker_lookup_fn)(void *arg, uint64_t pin_id, pid_t *pid,
				uid_t *uid, bool *write);

/*
 * Start the broker for the region file @region_path (reopened per grant).
 * On success *out is the running broker and 0 is returned; else -errno
 * (-EINVAL for a NULL/empty argument) and *out is untouched.
 */
int broker_start(const char *region_path, broker_lookup_fn lookup, void *arg,
		 struct broker **out);

/* The socket name to report in pinfs_info.broker: "@pinfs-...". */
const char *broker_name(const struct broker *b);

/* Requests answered so far: granted and refused (for status and tests). */
void broker_counts(const struct broker *b, uint64_t *granted,
		   uint64_t *refused);

struct pin_trace;

/*
 * Serve the trace ring @tr (lib/pin/trace.h; the daemon passes
 * pin_table_trace()) to `pinfs trace` over the same socket: root and the
 * daemon's uid only, at most BROKER_TRACE_MAX streams, one thread each.
 * @tr must outlive the broker: call broker_stop() before deleting it.
 */
void broker_set_trace(struct broker *b, struct pin_trace *tr);

/*
 * Stop the thread (it finishes or abandons the connection in hand at
 * once), close the socket, free the broker and NULL *bp.  NULL-safe.
 */
void broker_stop(struct broker **bp);

#endif /* PINFS_BROKER_H */
