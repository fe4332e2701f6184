/* SPDX-License-Identifier: MIT */
/*
 * broker_wire.h - the descriptor-broker protocol, shared by the daemon
 * (fusefs/broker.c) and libpinfs (lib/client/broker_client.c).
 *
 * One exchange per connection on a SOCK_STREAM Unix socket whose name the
 * daemon reports in pinfs_info.broker ("@name" = abstract namespace):
 *
 *   client -> daemon   struct broker_req, exactly BROKER_REQ_SIZE bytes
 *   daemon -> client   one byte: 0 = granted, with the region descriptor
 *                      attached as SCM_RIGHTS (O_RDONLY for a read pin,
 *                      O_RDWR for a write pin); else a positive errno
 *                      (EPERM: not the pin's holder; ENOENT: no such pin;
 *                      EPROTO: malformed request; ETIMEDOUT; EIO: the
 *                      region could not be opened), and no descriptor.
 *
 * Then the daemon closes the connection.  The holder is identified by the
 * kernel (SO_PEERCRED: pid of the thread group, uid), never by anything the
 * client says.  Fields are in host byte order: both ends run on one host.
 *
 * Trace stream (`pinfs trace`): flags = BROKER_REQ_TRACE and pin_id =
 * BROKER_TRACE_FROM_NOW or BROKER_TRACE_FROM_OLDEST.  Only root and the
 * daemon's own uid may ask (else EPERM); at most BROKER_TRACE_MAX streams
 * at once (else EBUSY); EOPNOTSUPP when the daemon has no trace ring.
 * After the status byte 0 the daemon sends struct broker_trace_rec
 * records, oldest first, until the client closes the connection, stops
 * reading for BROKER_TRACE_SEND_MS, or the daemon stops.
 */
#ifndef PINFS_BROKER_WIRE_H
#define PINFS_BROKER_WIRE_H

#include <stdint.h>

#define BROKER_MAGIC 0x31424650u /* "PFB1" little-endian */

enum broker_req_flags {
	BROKER_REQ_TRACE = 1u << 0, /* stream trace events, not a descriptor */
};

struct broker_req {
	uint32_t magic;  /* BROKER_MAGIC */
	uint32_t flags;  /* enum broker_req_flags */
	uint64_t pin_id; /* the pin; for a trace: BROKER_TRACE_FROM_* */
};

#define BROKER_TRACE_FROM_NOW 0u    /* events after the request */
#define BROKER_TRACE_FROM_OLDEST 1u /* every event still in the ring */
#define BROKER_TRACE_MAX 8
#define BROKER_TRACE_SEND_MS 2000

#define BROKER_TRACE_NAME_LEN 16u

/* One trace event (lib/pin/trace.h), as the stream carries it. */
struct broker_trace_rec {
	uint64_t seq;     /* per daemon, increasing; gaps = lost events */
	uint64_t ts_ns;   /* CLOCK_MONOTONIC */
	uint32_t type;    /* enum pin_trace_type */
	int32_t pid;      /* holder (0 if none) */
	uint64_t pin_id, ino, off, len;
	int64_t arg;      /* per type: see lib/pin/trace.h */
	uint64_t lost;    /* events overwritten before this one was read */
	char name[BROKER_TRACE_NAME_LEN]; /* "pin", "break", ... NUL-ended */
};

#define BROKER_TRACE_REC_SIZE 88u
_Static_assert(sizeof(struct broker_trace_rec) == BROKER_TRACE_REC_SIZE,
	       "broker_trace_rec is part of the wire protocol");

#define BROKER_REQ_SIZE 16u
_Static_assert(sizeof(struct broker_req) == BROKER_REQ_SIZE,
	       "broker_req is part of the wire protocol");

/* Longest a well-behaved peer may take to send its request (ms). */
#define BROKER_REQ_TIMEOUT_MS 1000

#endif /* PINFS_BROKER_WIRE_H */
