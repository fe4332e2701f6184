/* SPDX-License-Identifier: MIT */
/*
 * pin_fixture.h - shared helpers of the pin layer's unit suites: a pin
 * table over the fake store, ioctl wrappers, waiter callbacks, trace
 * checks.  Everything here is static inline so each suite is one file.
 */
#ifndef PINFS_TESTS_PIN_FIXTURE_H
#define PINFS_TESTS_PIN_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_store.h"
#include "holder.h"
#include "pin.h"

#define INO 2u
#define FH 0x1000u
#define FILE_SIZE (64u * 4096u)

static struct store *st;
static struct pin_table *pt;

static inline void mk_table(const char *policy, uint64_t lbt_ms,
			    uint64_t grace_ms, uint32_t flags)
{
	struct pin_options o;
	const char *why = NULL;
	int rc;

	if (!st) {
		st = fake_store_new();
		ck_assert_ptr_nonnull(st);
		ck_assert_int_eq(fake_create(st, INO, FILE_SIZE, true), 0);
	}
	pin_options_init(&o);
	o.policy = policy;
	o.lease_break_ms = lbt_ms;
	o.kill_grace_ms = grace_ms;
	o.flags = flags;
	rc = pin_table_new(st, &o, &pt, &why);
	ck_assert_msg(rc == 0, "pin_table_new: %d %s", rc, why ? why : "");
}

static inline struct pin_caller as(const struct holder *h)
{
	struct pin_caller c = { .tid = h->pid, .flags = PIN_CALLER_MAY_WRITE };

	return c;
}

static inline int do_lease(const struct holder *h, uint64_t fh, uint32_t type,
			   uint64_t off, uint64_t len, int signo)
{
	struct pin_caller c = as(h);
	struct pinfs_lease l = {
		.abi_version = PINFS_ABI_VERSION, .type = type, .off = off,
		.len = len, .signo = (uint32_t)signo,
	};

	return pin_ioc_setlease(pt, &c, INO, fh, &l);
}

static inline int do_pin(const struct holder *h, uint64_t fh, uint64_t off,
			 uint64_t len, uint32_t flags, uint64_t *id)
{
	struct pin_caller c = as(h);
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	int rc;

	p->abi_version = PINFS_ABI_VERSION;
	p->off = off;
	p->len = len;
	p->flags = flags;
	rc = pin_ioc_pin(pt, &c, INO, fh, p);
	if (!rc && id)
		*id = p->pin_id;
	free(p);
	return rc;
}

static inline int do_unpin(const struct holder *h, uint64_t id)
{
	struct pin_caller c = as(h);
	struct pinfs_unpin u = { .abi_version = PINFS_ABI_VERSION,
				 .pin_id = id };

	return pin_ioc_unpin(pt, &c, &u);
}

static inline uint64_t count_pins(void)
{
	struct pin_caller c = { .tid = getpid() };
	struct pinfs_pins *l = calloc(1, sizeof(*l));
	uint64_t n;

	l->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_pins(pt, &c, l), 0);
	n = l->count;
	free(l);
	return n;
}

/* Wait up to TIMEOUT_MS for count_pins() == N. */
static inline int wait_pins(uint64_t n, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (now_ns() < end) {
		if (count_pins() == n)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* A waiter's callback writes its result into a pipe. */
struct waitres {
	int p[2];
};

static inline void waitres_init(struct waitres *w)
{
	ck_assert_int_eq(pipe(w->p), 0);
}

static inline void on_done(void *arg, int result)
{
	struct waitres *w = arg;

	if (write(w->p[1], &result, sizeof(result)) < 0)
		abort();
}

/* The waiter's result, or -ETIMEDOUT (and 1 = "not called"). */
static inline int waitres_get(struct waitres *w, int timeout_ms, int *result)
{
	struct pollfd pfd = { .fd = w->p[0], .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(w->p[0], result, sizeof(*result)) == sizeof(*result)
		       ? 0
		       : -EIO;
}

/* Does the trace hold the event types of SEQ (0-terminated), in order,
 * for pin ID (0: any)? */
static inline int trace_has(uint64_t id, const uint32_t *seq)
{
	struct pin_trace_event ev[512];
	uint64_t cur = 0;
	uint32_t n, i;

	for (;;) {
		n = pin_trace_read(pin_table_trace(pt), &cur, ev, 512, NULL);
		if (!n)
			break;
		for (i = 0; i < n && *seq; i++)
			if (ev[i].type == *seq && (!id || ev[i].pin_id == id))
				seq++;
	}
	return *seq == 0;
}

static inline void teardown_all(struct holder *hs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		holder_kill(&hs[i]);
	pin_table_delete(&pt);
	ck_assert_ptr_null(pt);
	fake_store_free(st);
	st = NULL;
}

#endif
