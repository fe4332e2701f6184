/* SPDX-License-Identifier: MIT */
/*
 * test_regress.c - named regression cases of defects the real-mount
 * revocation suites (tests/revoke) found in the pin layer:
 *
 *  - Q1: a holder without a lease never got POLLPRI (nor a poll wake-up)
 *    for a break of a pin taken through its open file: only files with
 *    a lease had a record, so poll and the engine found nothing.
 *  - Q1b: closing a leaseless file left its pins naming the fh value, so
 *    a later open reusing the value passed for theirs.
 *  - P7: a plugin's BREAK for a pin without a lease sent no signal at
 *    all; it now means REVOKE, as the built-in `break` does.
 *  - P7b: a plugin answer outside the enum fails the change (DENY).
 *  - B4: pin_holder_of() answers the broker in O(log pins).
 */
#include "pin_fixture.h"
#include "pin_impl.h" /* pt->pins.visited, for the O(log n) check */

/* The poll_notify callback writes each fh into a pipe. */
static int notify_pipe[2] = { -1, -1 };

static void on_notify(void *arg, uint64_t fh)
{
	(void)arg;
	if (write(notify_pipe[1], &fh, sizeof(fh)) != sizeof(fh))
		abort();
}

static void mk_table_notify(const char *policy)
{
	struct pin_options o;
	const char *why = NULL;
	int rc;

	if (!st) {
		st = fake_store_new();
		ck_assert_ptr_nonnull(st);
		ck_assert_int_eq(fake_create(st, INO, FILE_SIZE, true), 0);
	}
	if (notify_pipe[0] < 0)
		ck_assert_int_eq(pipe(notify_pipe), 0);
	pin_options_init(&o);
	o.policy = policy;
	o.lease_break_ms = 5000;
	o.kill_grace_ms = 0;
	o.poll_notify = on_notify;
	rc = pin_table_new(st, &o, &pt, &why);
	ck_assert_msg(rc == 0, "pin_table_new: %d %s", rc, why ? why : "");
}

/* Wait up to TIMEOUT_MS for a poll notification of FH (others skipped). */
static int wait_notify(uint64_t fh, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull, got;
	struct pollfd pfd = { .fd = notify_pipe[0], .events = POLLIN };

	while (now_ns() < end) {
		if (poll(&pfd, 1, 10) != 1)
			continue;
		if (read(notify_pipe[0], &got, sizeof(got)) != sizeof(got))
			return -EIO;
		if (got == fh)
			return 0;
	}
	return -ETIMEDOUT;
}

static uint32_t break_state(const struct holder *h, uint64_t id)
{
	struct pin_caller c = as(h);
	struct pinfs_breaks *b = calloc(1, sizeof(*b));
	uint32_t i, st_ = 0;

	b->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_breaks(pt, &c, b), 0);
	for (i = 0; i < b->count; i++)
		if (b->rec[i].pin_id == id)
			st_ = b->rec[i].state;
	free(b);
	return st_;
}

/* Q1: under every policy that lets the change go on over a leaseless
 * pin, its open file gets POLLPRI and a poll wake-up. */
START_TEST(q1_leaseless_pin_pollpri)
{
	static const struct {
		const char *policy;
		uint32_t state;
	} c[] = {
		{ "quarantine", PINFS_STATE_QUARANTINED },
		{ "break", PINFS_STATE_REVOKED },
		{ "remap", PINFS_STATE_REVOKED },
	};
	struct holder h[1];
	uint64_t id, id2;
	size_t i;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (i) { /* a fresh store: the punched block back */
			fake_store_free(st);
			st = NULL;
		}
		mk_table_notify(c[i].policy);
		ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
		/* a second open file of the same holder, without a break */
		ck_assert_int_eq(do_pin(&h[0], FH + 1, 8192, 4096, 0, &id2), 0);
		ck_assert_uint_eq(pin_file_poll(pt, FH), 0);
		ck_assert_int_eq(fake_punch(st, INO, 0, 4096), 0);
		ck_assert_msg(wait_notify(FH, 2000) == 0,
			      "%s: no poll wake-up for a leaseless pin's file",
			      c[i].policy);
		ck_assert_msg(pin_file_poll(pt, FH) == POLLPRI,
			      "%s: no POLLPRI on a leaseless pin's file",
			      c[i].policy);
		ck_assert_uint_eq(break_state(&h[0], id), c[i].state);
		ck_assert_uint_eq(pin_file_poll(pt, FH + 1), 0);
		ck_assert_uint_eq(pin_file_poll(pt, FH + 2), 0);
		ck_assert_uint_eq(pin_file_poll(pt, 0), 0);
		ck_assert_int_eq(do_unpin(&h[0], id), 0);
		ck_assert_uint_eq(pin_file_poll(pt, FH), 0);
		ck_assert_int_eq(do_unpin(&h[0], id2), 0);
		pin_table_delete(&pt);
	}
	teardown_all(h, 1);
}
END_TEST

/* Q1b: a closed leaseless file's pins no longer answer for its fh
 * value; ATTACH through another open file makes them pollable there. */
START_TEST(q1b_release_forgets_leaseless_fh)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table_notify("quarantine");
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	pin_file_release(pt, FH);
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), 0);
	ck_assert_int_eq(wait_pins(1, 100), 0);
	usleep(50 * 1000); /* give the engine its round */
	ck_assert_uint_eq(break_state(&h[0], id), PINFS_STATE_QUARANTINED);
	/* a new open that got the same fh value sees nothing */
	ck_assert_uint_eq(pin_file_poll(pt, FH), 0);
	c = as(&h[0]);
	p->abi_version = PINFS_ABI_VERSION;
	p->pin_id = id;
	ck_assert_int_eq(pin_ioc_attach(pt, &c, INO, FH + 3, p), 0);
	ck_assert_uint_eq(p->state, PINFS_STATE_QUARANTINED);
	ck_assert(!(p->flags & PINFS_PIN_LEASED));
	ck_assert_uint_eq(pin_file_poll(pt, FH + 3), POLLPRI);
	ck_assert_uint_eq(pin_file_poll(pt, FH), 0);
	pin_file_release(pt, FH + 3);
	ck_assert_uint_eq(pin_file_poll(pt, FH + 3), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	free(p);
	teardown_all(h, 1);
}
END_TEST

static const char *plugin_spec(char *buf, size_t n, const char *args)
{
	const char *path = getenv("PINFS_TEST_PLUGIN");

	ck_assert_ptr_nonnull(path);
	snprintf(buf, n, "%s:%s", path, args);
	return buf;
}

/* P7: a plugin's BREAK over a leaseless pin is REVOKE (SIGBUS at once,
 * the change proceeds), as the built-in break does; over a leased pin
 * it is a break (the lease's signal, the change waits). */
START_TEST(p7_plugin_break_leaseless_is_revoke)
{
	struct holder h[1];
	struct report r;
	char spec[4096];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table(plugin_spec(spec, sizeof(spec), "break"), 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGBUS);
	ck_assert_uint_eq(r.value & 0xffffffffu, id);
	ck_assert_uint_eq(break_state(&h[0], id), PINFS_STATE_REVOKED);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	/* Leased: a real break. */
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 8192, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_punch(st, INO, 8192, 4096), -EAGAIN);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	ck_assert_uint_eq(break_state(&h[0], id), PINFS_STATE_BREAKING);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	teardown_all(h, 1);
}
END_TEST

/* P7b: an answer that is no action fails the change, revokes nothing. */
START_TEST(p7b_plugin_bogus_answer_denies)
{
	struct holder h[1];
	struct report r;
	char spec[4096];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table(plugin_spec(spec, sizeof(spec), "bogus"), 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -ETXTBSY);
	ck_assert_uint_eq(fake_size(st, INO), FILE_SIZE);
	ck_assert_int_eq(holder_report(&h[0], &r, 100), -ETIMEDOUT);
	ck_assert_uint_eq(break_state(&h[0], id), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	teardown_all(h, 1);
}
END_TEST

/* B4: the broker's lookup, by id, logarithmic in the pins held. */
START_TEST(b4_holder_of)
{
	enum { NPINS = 500 }; /* FAKE_SLOTS is 512 */
	struct holder h[2];
	uint64_t *ids = calloc(NPINS, sizeof(*ids)), wid;
	pid_t pid = 0;
	uid_t uid = 1;
	bool wr = true;
	unsigned i;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&h[1], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	for (i = 0; i < NPINS; i++)
		ck_assert_int_eq(do_pin(&h[0], FH, (i % 64) * 4096ull, 4096, 0,
					&ids[i]), 0);
	ck_assert_int_eq(do_pin(&h[1], FH + 1, 0, 4096, PINFS_PIN_WRITE, &wid),
			 0);
	ck_assert_int_eq(pin_holder_of(pt, ids[NPINS / 2], &pid, &uid, &wr),
			 0);
	ck_assert_int_eq(pid, h[0].pid);
	ck_assert_uint_eq(uid, 0); /* as(): uid 0 */
	ck_assert(!wr);
	/* at most a few times log2(n) nodes looked at */
	ck_assert_uint_le(pt->pins.visited, 4 * 9);
	ck_assert_int_eq(pin_holder_of(pt, wid, &pid, NULL, &wr), 0);
	ck_assert_int_eq(pid, h[1].pid);
	ck_assert(wr);
	ck_assert_int_eq(pin_holder_of(pt, 0, &pid, &uid, &wr), -ENOENT);
	ck_assert_int_eq(pin_holder_of(pt, wid + 1000, NULL, NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(do_unpin(&h[1], wid), 0);
	ck_assert_int_eq(pin_holder_of(pt, wid, NULL, NULL, NULL), -ENOENT);
	for (i = 0; i < NPINS; i++)
		ck_assert_int_eq(do_unpin(&h[0], ids[i]), 0);
	free(ids);
	teardown_all(h, 2);
}
END_TEST

static Suite *regress_suite(void)
{
	Suite *s = suite_create("regress");
	TCase *tc = tcase_create("revoke-suite-findings");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, q1_leaseless_pin_pollpri);
	tcase_add_test(tc, q1b_release_forgets_leaseless_fh);
	tcase_add_test(tc, p7_plugin_break_leaseless_is_revoke);
	tcase_add_test(tc, p7b_plugin_bogus_answer_denies);
	tcase_add_test(tc, b4_holder_of);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(regress_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
