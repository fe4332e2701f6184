/* SPDX-License-Identifier: MIT */
/*
 * test_revoke.c - the revoke engine with real holder processes: break and
 * unpin, ignored breaks (SIGBUS), caught SIGBUS (SIGKILL), exit mid-break
 * (pidfd), interrupted waits, two holders at once, orphans.
 */
#include "pin_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/wait.h>

#define MS 1000000ull

START_TEST(test_break_then_unpin)
{
	struct holder h[1];
	struct waitres w;
	struct report r;
	uint64_t id, handle, t0;
	int res;
	static const uint32_t seq[] = { PIN_TR_PIN, PIN_TR_CONFLICT,
					PIN_TR_BREAK, PIN_TR_ACK,
					PIN_TR_RELEASE, 0 };

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 1000, 0);
	waitres_init(&w);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 8 * 4096, 8 * 4096, PINFS_PIN_WRITE,
				&id), 0);
	ck_assert_uint_gt(fake_held_blocks(st), 0);
	t0 = now_ns();
	ck_assert_int_eq(fake_truncate(st, INO, 4096), -EAGAIN);
	ck_assert_uint_eq(fake_size(st, INO), FILE_SIZE); /* unchanged */
	ck_assert_int_eq(pin_wait(pt, INO, 4096, FILE_SIZE, STORE_CHANGE_TRUNCATE,
				  on_done, &w, &handle), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	ck_assert_uint_eq(r.value & 0xffffffffu, id);
	ck_assert_uint_lt(r.t_ns - t0, 1000 * MS);
	ck_assert_uint_eq(pin_file_poll(pt, FH), POLLPRI);
	/* Not done before the unpin. */
	ck_assert_int_eq(waitres_get(&w, 50, &res), -ETIMEDOUT);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(waitres_get(&w, 2000, &res), 0);
	ck_assert_int_eq(res, 0);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert(trace_has(id, seq));
	teardown_all(h, 1);
}
END_TEST

/* Who called a waiter back, and from which thread. */
struct here_res {
	bool called;
	int result;
	pthread_t thread;
};

static void on_done_here(void *arg, int result)
{
	struct here_res *d = arg;

	d->thread = pthread_self();
	d->result = result;
	__atomic_store_n(&d->called, true, __ATOMIC_RELEASE);
}

/* No hop through the engine on an acknowledged break (docs/perf-revoke.md):
 * the unpin that frees the range calls the waiter back on its own thread,
 * before it returns. */
START_TEST(test_unpin_wakes_waiter_inline)
{
	struct holder h[1];
	struct here_res d = { 0 };
	struct report r;
	uint64_t id, handle;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 1000, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 8 * 4096, 8 * 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), -EAGAIN);
	ck_assert_int_eq(pin_wait(pt, INO, 4096, FILE_SIZE, STORE_CHANGE_TRUNCATE,
				  on_done_here, &d, &handle), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	usleep(50 * 1000); /* the engine's rounds for the kicks are over */
	ck_assert(!__atomic_load_n(&d.called, __ATOMIC_ACQUIRE));
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert(__atomic_load_n(&d.called, __ATOMIC_ACQUIRE));
	ck_assert_int_eq(d.result, 0);
	ck_assert(pthread_equal(d.thread, pthread_self()));
	ck_assert_int_eq(fake_truncate(st, INO, 4096), 0);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_ignored_break_gets_sigbus)
{
	struct holder h[1];
	struct waitres w;
	struct report r;
	uint64_t id, handle, t0, t1;
	int res;
	static const uint32_t seq[] = { PIN_TR_BREAK, PIN_TR_EXPIRE,
					PIN_TR_SIGBUS, PIN_TR_WAKE,
					PIN_TR_EXIT, PIN_TR_RELEASE, 0 };

	ck_assert_int_eq(holder_spawn(&h[0], H_IGNORE, SIGUSR1), 0);
	mk_table("break", 100, 0, 0); /* no SIGKILL */
	waitres_init(&w);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	t0 = now_ns();
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EAGAIN);
	ck_assert_int_eq(pin_wait(pt, INO, 0, FILE_SIZE, STORE_CHANGE_TRUNCATE,
				  on_done, &w, &handle), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	/* The deadline: SIGBUS, the pin is revoked and the wait ends. */
	ck_assert_int_eq(waitres_get(&w, 3000, &res), 0);
	t1 = now_ns();
	ck_assert_int_eq(res, 0);
	ck_assert_uint_ge(t1 - t0, 90 * MS);
	ck_assert_uint_lt(t1 - t0, 2000 * MS);
	ck_assert_int_eq(holder_reap(&h[0], 3000), 0);
	ck_assert(WIFSIGNALED(h[0].status));
	ck_assert_int_eq(WTERMSIG(h[0].status), SIGBUS);
	/* Its exit is seen through the pidfd: the pin ends. */
	ck_assert_int_eq(wait_pins(0, 2000), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert(trace_has(0, seq));
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_caught_sigbus_gets_sigkill)
{
	struct holder h[1];
	struct report r;
	uint64_t id, t0, t1;
	uint32_t held;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table("break", 50, 150, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 16 * 4096, PINFS_PIN_WRITE, &id),
			 0);
	t0 = now_ns();
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), -EAGAIN);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGBUS);
	ck_assert_uint_eq(r.value & 0xffffffffu, id);
	ck_assert_uint_ge(r.t_ns - t0, 45 * MS);
	/* Revoked: the punch proceeds, the blocks stay held. */
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), 0);
	held = fake_held_blocks(st);
	ck_assert_uint_eq(held, 16);
	ck_assert_int_eq(holder_reap(&h[0], 3000), 0);
	t1 = now_ns();
	ck_assert(WIFSIGNALED(h[0].status));
	ck_assert_int_eq(WTERMSIG(h[0].status), SIGKILL);
	ck_assert_uint_ge(t1 - t0, 190 * MS);
	ck_assert_uint_lt(t1 - t0, 3000 * MS);
	ck_assert_int_eq(wait_pins(0, 2000), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_exit_mid_break)
{
	struct holder h[1];
	struct waitres w;
	uint64_t id, handle, t0;
	int res;

	ck_assert_int_eq(holder_spawn(&h[0], H_EXIT, SIGUSR2), 0);
	mk_table("break", 5000, 0, 0);
	waitres_init(&w);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR2), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	t0 = now_ns();
	ck_assert_int_eq(pin_wait_last(pt, on_done, &w, &handle), -EINVAL);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EAGAIN);
	/* The range the gate refused on this thread. */
	ck_assert_int_eq(pin_wait_last(pt, on_done, &w, &handle), 0);
	ck_assert_int_eq(pin_wait_last(pt, on_done, &w, &handle), -EINVAL);
	ck_assert_int_eq(waitres_get(&w, 3000, &res), 0);
	ck_assert_int_eq(res, 0);
	ck_assert_uint_lt(now_ns() - t0, 2000 * MS); /* long before 5 s */
	ck_assert_int_eq(holder_reap(&h[0], 2000), 0);
	ck_assert(WIFEXITED(h[0].status));
	ck_assert_int_eq(wait_pins(0, 2000), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_cancel_changes_nothing)
{
	struct holder h[1];
	struct waitres w;
	uint64_t id, handle;
	int res;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	waitres_init(&w);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EAGAIN);
	ck_assert_int_eq(pin_wait(pt, INO, 0, FILE_SIZE, STORE_CHANGE_TRUNCATE,
				  on_done, &w, &handle), 0);
	/* A new pin over a range an operation waits for: EAGAIN. */
	ck_assert_int_eq(do_pin(&h[0], FH, 4096, 4096, 0, NULL), -EAGAIN);
	ck_assert_int_eq(pin_wait_cancel(pt, handle), 0);
	ck_assert_int_eq(pin_wait_cancel(pt, handle), -ENOENT);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(waitres_get(&w, 200, &res), -ETIMEDOUT);
	ck_assert_uint_eq(fake_size(st, INO), FILE_SIZE);
	/* The range is free again for pins. */
	ck_assert_int_eq(do_pin(&h[0], FH, 4096, 4096, 0, &id), 0);
	ck_assert_int_eq(pin_wait_cancel(pt, 12345), -ENOENT);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_two_holders_in_parallel)
{
	struct holder h[2];
	struct waitres w;
	struct report r0, r1;
	uint64_t id0, id1, handle;
	int res;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&h[1], H_ACK, SIGUSR2), 0);
	mk_table("break", 5000, 0, 0);
	waitres_init(&w);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_lease(&h[1], FH + 1, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR2), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 8 * 4096, 0, &id0), 0);
	ck_assert_int_eq(do_pin(&h[1], FH + 1, 4 * 4096, 8 * 4096, 0, &id1), 0);
	ck_assert_uint_ne(id0, id1);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), -EAGAIN);
	ck_assert_int_eq(pin_wait(pt, INO, 4096, FILE_SIZE, STORE_CHANGE_TRUNCATE,
				  on_done, &w, &handle), 0);
	/* Both are told before either answers. */
	ck_assert_int_eq(holder_report(&h[0], &r0, 2000), 0);
	ck_assert_int_eq(holder_report(&h[1], &r1, 2000), 0);
	ck_assert_int_eq(r0.signo, SIGUSR1);
	ck_assert_int_eq(r1.signo, SIGUSR2);
	ck_assert_uint_eq(r1.value & 0xffffffffu, id1);
	ck_assert_int_eq(do_unpin(&h[0], id0), 0);
	ck_assert_int_eq(waitres_get(&w, 100, &res), -ETIMEDOUT);
	/* One holder cannot unpin the other's pin. */
	ck_assert_int_eq(do_unpin(&h[0], id1), -EPERM);
	ck_assert_int_eq(do_unpin(&h[1], id1), 0);
	ck_assert_int_eq(waitres_get(&w, 2000, &res), 0);
	ck_assert_int_eq(res, 0);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), 0);
	teardown_all(h, 2);
}
END_TEST

START_TEST(test_exit_releases_and_orphan)
{
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4 * 4096, 0, &id), 0);
	ck_assert_uint_eq(fake_refs(st, INO), 1);
	/* Unlink: the inode lives on while pinned. */
	ck_assert_int_eq(fake_unlink(st, INO), 0);
	ck_assert(fake_exists(st, INO));
	kill(h[0].pid, SIGKILL);
	ck_assert_int_eq(holder_reap(&h[0], 2000), 0);
	ck_assert_int_eq(wait_pins(0, 2000), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert(!fake_exists(st, INO)); /* last reference: freed */
	teardown_all(h, 1);
}
END_TEST


START_TEST(test_idle_holder_exit)
{
	struct holder h[1];
	uint64_t id;
	static const uint32_t seq[] = { PIN_TR_PIN, PIN_TR_ACK, PIN_TR_RELEASE,
					PIN_TR_EXIT, 0 };
	int i;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	/* Idle now: its exit is still seen, and it goes. */
	kill(h[0].pid, SIGKILL);
	ck_assert_int_eq(holder_reap(&h[0], 2000), 0);
	for (i = 0; i < 2000 && !trace_has(0, seq); i++)
		usleep(1000);
	ck_assert(trace_has(0, seq));
	teardown_all(h, 1);
}
END_TEST

/* Pinners on three threads against a puncher that waits for breaks. */
struct stress {
	const struct holder *h;
	uint64_t fh;
	int done, again;
};

static void *pinner(void *arg)
{
	struct stress *s = arg;
	unsigned seed = (unsigned)s->fh;
	uint64_t id;
	int i, rc;

	for (i = 0; i < 300; i++) {
		uint64_t off = (uint64_t)(rand_r(&seed) % 60) * 4096;
		uint64_t len = (uint64_t)(1 + rand_r(&seed) % 4) * 4096;

		rc = do_pin(s->h, s->fh, off, len,
			    i % 2 ? PINFS_PIN_WRITE : 0, &id);
		if (rc == -EAGAIN) {
			s->again++;
			usleep(200);
			continue;
		}
		if (rc)
			return (void *)(intptr_t)rc;
		usleep((useconds_t)(rand_r(&seed) % 300));
		rc = do_unpin(s->h, id);
		if (rc)
			return (void *)(intptr_t)rc;
		s->done++;
	}
	return NULL;
}

START_TEST(test_stress_pin_punch)
{
	struct holder h[1];
	struct stress s[3];
	pthread_t th[3];
	struct waitres w;
	uint64_t handle;
	void *ret;
	int i, rc, res, waits = 0;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 20, 0, 0);
	waitres_init(&w);
	for (i = 0; i < 3; i++) {
		s[i] = (struct stress){ .h = &h[0], .fh = FH + (uint64_t)i };
		if (i < 2) /* two leased files, one not */
			ck_assert_int_eq(do_lease(&h[0], s[i].fh,
						  PINFS_LEASE_BREAKABLE, 0, 0,
						  SIGUSR1), 0);
		ck_assert_int_eq(pthread_create(&th[i], NULL, pinner, &s[i]),
				 0);
	}
	for (i = 0; i < 150; i++) {
		uint64_t off = (uint64_t)(i * 7 % 60) * 4096;

		rc = fake_punch(st, INO, off, 4096);
		if (rc == -EAGAIN) {
			ck_assert_int_eq(pin_wait_last(pt, on_done, &w, &handle),
					 0);
			ck_assert_int_eq(waitres_get(&w, 3000, &res), 0);
			ck_assert_int_eq(res, 0);
			waits++;
		} else {
			ck_assert_int_eq(rc, 0);
		}
		usleep(300);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], &ret);
		ck_assert_ptr_null(ret);
		ck_assert_int_gt(s[i].done, 0);
	}
	if (getenv("PIN_STRESS_VERBOSE"))
		fprintf(stderr, "waits %d, done %d %d %d, again %d %d %d\n",
			waits, s[0].done, s[1].done, s[2].done, s[0].again,
			s[1].again, s[2].again);
	ck_assert_int_eq(wait_pins(0, 2000), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	teardown_all(h, 1);
}
END_TEST


static int write_ends;
static uint64_t write_end_off, write_end_len;

static void on_write_end(void *arg, uint64_t ino, uint64_t off, uint64_t len)
{
	write_ends++;
	write_end_off = off;
	write_end_len = len;
}

START_TEST(test_write_end_callback)
{
	struct pin_options o;
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	st = fake_store_new();
	ck_assert_int_eq(fake_create(st, INO, FILE_SIZE, true), 0);
	pin_options_init(&o);
	o.write_end = on_write_end;
	ck_assert_int_eq(pin_table_new(st, &o, &pt, NULL), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(write_ends, 0); /* a read pin wrote nothing */
	ck_assert_int_eq(do_pin(&h[0], FH, 8192, 8192, PINFS_PIN_WRITE, &id), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(write_ends, 1);
	ck_assert_uint_eq(write_end_off, 8192);
	ck_assert_uint_eq(write_end_len, 8192);
	/* A write pin refused (past EOF) never reached its holder. */
	ck_assert_int_eq(do_pin(&h[0], FH, 0, FILE_SIZE * 2, PINFS_PIN_WRITE,
				NULL), -ENXIO);
	ck_assert_int_eq(write_ends, 1);
	teardown_all(h, 1);
}
END_TEST

static Suite *revoke_suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_break_then_unpin);
	tcase_add_test(tc, test_unpin_wakes_waiter_inline);
	tcase_add_test(tc, test_ignored_break_gets_sigbus);
	tcase_add_test(tc, test_caught_sigbus_gets_sigkill);
	tcase_add_test(tc, test_exit_mid_break);
	tcase_add_test(tc, test_cancel_changes_nothing);
	tcase_add_test(tc, test_two_holders_in_parallel);
	tcase_add_test(tc, test_exit_releases_and_orphan);
	tcase_add_test(tc, test_idle_holder_exit);
	tcase_add_test(tc, test_write_end_callback);
	tcase_add_test(tc, test_stress_pin_punch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(revoke_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
