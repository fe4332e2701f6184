/* SPDX-License-Identifier: MIT */
/*
 * trace.c - trace ring and USDT probes; see trace.h.
 */
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pinfs_config.h"
#include "trace_usdt.h"

struct pin_trace {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t head; /* seq of the next event */
	struct pin_trace_event ring[PIN_TRACE_RING];
};

static const char *const names[PIN_TR_TYPE_MAX] = {
	[PIN_TR_LEASE] = "lease",	  [PIN_TR_UNLEASE] = "unlease",
	[PIN_TR_PIN] = "pin",		  [PIN_TR_CONFLICT] = "conflict",
	[PIN_TR_DENY] = "deny",		  [PIN_TR_BREAK] = "break",
	[PIN_TR_ACK] = "ack",		  [PIN_TR_EXPIRE] = "expire",
	[PIN_TR_SIGBUS] = "sigbus",	  [PIN_TR_SIGKILL] = "sigkill",
	[PIN_TR_QUARANTINE] = "quarantine", [PIN_TR_RELEASE] = "release",
	[PIN_TR_EXIT] = "exit",		  [PIN_TR_RECOVER] = "recover",
	[PIN_TR_ATTACH] = "attach",	  [PIN_TR_SYNC] = "sync",
	[PIN_TR_WAIT] = "wait",		  [PIN_TR_WAKE] = "wake",
	[PIN_TR_SIGNAL_ERR] = "signal_error",
};

const char *pin_trace_name(uint32_t type)
{
	if (type == 0 || type >= PIN_TR_TYPE_MAX)
		return "?";
	return names[type];
}

int pin_trace_new(struct pin_trace **out)
{
	struct pin_trace *tr = calloc(1, sizeof(*tr));
	pthread_condattr_t ca;

	if (!tr)
		return -ENOMEM;
	pthread_mutex_init(&tr->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tr->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = tr;
	return 0;
}

void pin_trace_delete(struct pin_trace **trp)
{
	struct pin_trace *tr = *trp;

	if (!tr)
		return;
	pthread_cond_destroy(&tr->cond);
	pthread_mutex_destroy(&tr->lock);
	free(tr);
	*trp = NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pin_trace_emit(struct pin_trace *tr, enum pin_trace_type type,
		    uint64_t pin_id, uint64_t ino, uint64_t off, uint64_t len,
		    pid_t pid, int64_t arg)
{
	struct pin_trace_event *e;

	pin_usdt_fire(type, pin_id, ino, off, len, pid, arg);
	if (!tr)
		return;
	pthread_mutex_lock(&tr->lock);
	e = &tr->ring[tr->head % PIN_TRACE_RING];
	e->seq = tr->head++;
	e->ts_ns = now_ns();
	e->type = type;
	e->pid = pid;
	e->pin_id = pin_id;
	e->ino = ino;
	e->off = off;
	e->len = len;
	e->arg = arg;
	pthread_cond_broadcast(&tr->cond);
	pthread_mutex_unlock(&tr->lock);
}

uint32_t pin_trace_read(struct pin_trace *tr, uint64_t *cursor,
			struct pin_trace_event *out, uint32_t max,
			uint64_t *lost)
{
	uint64_t from = *cursor, oldest;
	uint32_t n = 0;

	pthread_mutex_lock(&tr->lock);
	oldest = tr->head > PIN_TRACE_RING ? tr->head - PIN_TRACE_RING : 0;
	if (lost)
		*lost = from < oldest ? oldest - from : 0;
	if (from < oldest)
		from = oldest;
	if (from > tr->head)
		from = tr->head;
	while (n < max && from < tr->head)
		out[n++] = tr->ring[from++ % PIN_TRACE_RING];
	pthread_mutex_unlock(&tr->lock);
	*cursor = from;
	return n;
}

uint64_t pin_trace_head(struct pin_trace *tr)
{
	uint64_t h;

	pthread_mutex_lock(&tr->lock);
	h = tr->head;
	pthread_mutex_unlock(&tr->lock);
	return h;
}

int pin_trace_wait(struct pin_trace *tr, uint64_t cursor, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&tr->lock);
	while (tr->head <= cursor && rc == 0)
		rc = pthread_cond_timedwait(&tr->cond, &tr->lock, &ts);
	pthread_mutex_unlock(&tr->lock);
	return tr->head > cursor ? 0 : -ETIMEDOUT;
}
