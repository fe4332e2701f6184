/* SPDX-License-Identifier: MIT */
/*
 * trace_usdt.h - the USDT probes (provider "pinfs"), one static probe per
 * trace event type so that `bpftrace -l 'usdt:...:pinfs:*'` lists them by
 * name.  Without <sys/sdt.h> (PINFS_HAVE_SDT 0) the probes compile away.
 */
#ifndef PINFS_PIN_TRACE_USDT_H
#define PINFS_PIN_TRACE_USDT_H

#include "trace.h"

#if PINFS_HAVE_SDT
#include <sys/sdt.h>
#define PIN_USDT(name, a, b, c, d, e, f) STAP_PROBE6(pinfs, name, a, b, c, d, e, f)
#else
#define PIN_USDT(name, a, b, c, d, e, f) \
	do { (void)(a); (void)(b); (void)(c); (void)(d); (void)(e); (void)(f); } while (0)
#endif

static inline void pin_usdt_fire(enum pin_trace_type type, uint64_t id,
				 uint64_t ino, uint64_t off, uint64_t len,
				 pid_t pid, int64_t arg)
{
	switch (type) {
	case PIN_TR_LEASE: PIN_USDT(lease, id, ino, off, len, pid, arg); break;
	case PIN_TR_UNLEASE: PIN_USDT(unlease, id, ino, off, len, pid, arg); break;
	case PIN_TR_PIN: PIN_USDT(pin, id, ino, off, len, pid, arg); break;
	case PIN_TR_CONFLICT: PIN_USDT(conflict, id, ino, off, len, pid, arg); break;
	case PIN_TR_DENY: PIN_USDT(deny, id, ino, off, len, pid, arg); break;
	case PIN_TR_BREAK: PIN_USDT(break_sent, id, ino, off, len, pid, arg); break;
	case PIN_TR_ACK: PIN_USDT(ack, id, ino, off, len, pid, arg); break;
	case PIN_TR_EXPIRE: PIN_USDT(expire, id, ino, off, len, pid, arg); break;
	case PIN_TR_SIGBUS: PIN_USDT(sigbus, id, ino, off, len, pid, arg); break;
	case PIN_TR_SIGKILL: PIN_USDT(sigkill, id, ino, off, len, pid, arg); break;
	case PIN_TR_QUARANTINE: PIN_USDT(quarantine, id, ino, off, len, pid, arg); break;
	case PIN_TR_RELEASE: PIN_USDT(release, id, ino, off, len, pid, arg); break;
	case PIN_TR_EXIT: PIN_USDT(holder_exit, id, ino, off, len, pid, arg); break;
	case PIN_TR_RECOVER: PIN_USDT(recover, id, ino, off, len, pid, arg); break;
	case PIN_TR_ATTACH: PIN_USDT(attach, id, ino, off, len, pid, arg); break;
	case PIN_TR_SYNC: PIN_USDT(sync, id, ino, off, len, pid, arg); break;
	case PIN_TR_WAIT: PIN_USDT(wait, id, ino, off, len, pid, arg); break;
	case PIN_TR_WAKE: PIN_USDT(wake, id, ino, off, len, pid, arg); break;
	case PIN_TR_SIGNAL_ERR: PIN_USDT(signal_error, id, ino, off, len, pid, arg); break;
	default: break;
	}
}

#endif /* PINFS_PIN_TRACE_USDT_H */
