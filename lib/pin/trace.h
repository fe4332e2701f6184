/* SPDX-License-Identifier: MIT */
/*
 * trace.h - trace events of the pin layer.
 *
 * Every step of a pin's life (lease, pin, conflict, break sent, ack,
 * expiry, SIGBUS, SIGKILL, quarantine, release, ...) is emitted twice: as
 * a USDT probe `pinfs:<name>` (when <sys/sdt.h> was found at build time;
 * arguments: pin_id, ino, off, len, pid, arg) and into an in-memory ring
 * of PIN_TRACE_RING events that readers stream with a cursor (the daemon
 * serves it to `pinfs trace`).  A reader that falls behind by more than
 * the ring loses the oldest events and is told how many.
 *
 * Thread-safe; emitting never blocks for long (one short mutex).
 */
#ifndef PINFS_PIN_TRACE_H
#define PINFS_PIN_TRACE_H

#include <stdint.h>
#include <sys/types.h>

enum pin_trace_type {
	PIN_TR_LEASE = 1,  /* lease taken/changed; arg = type */
	PIN_TR_UNLEASE,    /* lease released */
	PIN_TR_PIN,        /* pin taken; arg = flags */
	PIN_TR_CONFLICT,   /* the gate met the pin; arg = why */
	PIN_TR_DENY,       /* the gate refused; arg = -errno */
	PIN_TR_BREAK,      /* break sent; arg = signal */
	PIN_TR_ACK,        /* holder unpinned (while breaking or not) */
	PIN_TR_EXPIRE,     /* break deadline passed */
	PIN_TR_SIGBUS,     /* SIGBUS sent */
	PIN_TR_SIGKILL,    /* SIGKILL sent */
	PIN_TR_QUARANTINE, /* pin's blocks left the file, held */
	PIN_TR_RELEASE,    /* pin ended, holds released */
	PIN_TR_EXIT,       /* holder exited (pidfd) */
	PIN_TR_RECOVER,    /* registry pin kept at mount; arg = 1 kept */
	PIN_TR_ATTACH,     /* holder re-attached */
	PIN_TR_SYNC,       /* holder synced a range */
	PIN_TR_WAIT,       /* an operation waits for pins */
	PIN_TR_WAKE,       /* a waiting operation may retry; arg = result */
	PIN_TR_SIGNAL_ERR, /* a signal could not be sent; arg = -errno */
	PIN_TR_TYPE_MAX,
};

struct pin_trace_event {
	uint64_t seq;   /* 0, 1, 2, ... per ring */
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	uint32_t type;  /* enum pin_trace_type */
	int32_t pid;    /* holder (0 if none) */
	uint64_t pin_id, ino, off, len;
	int64_t arg;
};

#define PIN_TRACE_RING 8192u /* events kept */

struct pin_trace;

int pin_trace_new(struct pin_trace **out);
void pin_trace_delete(struct pin_trace **tr);
void pin_trace_emit(struct pin_trace *tr, enum pin_trace_type type,
		    uint64_t pin_id, uint64_t ino, uint64_t off, uint64_t len,
		    pid_t pid, int64_t arg);
/*
 * Copy up to MAX events with seq >= *CURSOR into OUT, oldest first, and
 * advance *CURSOR past them.  *LOST (if non-NULL) gets how many events
 * were overwritten before this reader saw them.  Returns the count
 * (0: nothing new).  Start a new reader with *cursor = 0 for all that is
 * kept, or pin_trace_head() for new events only.
 */
uint32_t pin_trace_read(struct pin_trace *tr, uint64_t *cursor,
			struct pin_trace_event *out, uint32_t max,
			uint64_t *lost);
uint64_t pin_trace_head(struct pin_trace *tr);
/* Wait until an event with seq >= CURSOR exists or TIMEOUT_MS passed.
 * Returns 0 when one exists, -ETIMEDOUT otherwise. */
int pin_trace_wait(struct pin_trace *tr, uint64_t cursor, int timeout_ms);
/* "pin", "break", "sigbus", ...; "?" for an unknown type. */
const char *pin_trace_name(uint32_t type);

#endif /* PINFS_PIN_TRACE_H */
