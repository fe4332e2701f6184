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
 */
#ifndef PINFS_BROKER_WIRE_H
#define PINFS_BROKER_WIRE_H

#include <stdint.h>

#define BROKER_MAGIC 0x31424650u /* "PFB1" little-endian */

struct broker_req {
	uint32_t magic; /* BROKER_MAGIC */
	uint32_t flags; /* 0 */
	uint64_t pin_id;
};

#define BROKER_REQ_SIZE 16u
_Static_assert(sizeof(struct broker_req) == BROKER_REQ_SIZE,
	       "broker_req is part of the wire protocol");

/* Longest a well-behaved peer may take to send its request (ms). */
#define BROKER_REQ_TIMEOUT_MS 1000

#endif /* PINFS_BROKER_WIRE_H */
