/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - the persistent pin registry across a daemon restart
 * (pin table deleted and created again over the same store): pins of
 * live holders come back quarantined and can be re-attached, pins of
 * dead holders, holds without a record and corrupt records are released,
 * orphans are reclaimed after the pins re-took their references.
 */
#include "pin_fixture.h"

#include <sys/wait.h>

START_TEST(test_round_trip)
{
	struct holder h[2];
	struct pin_caller c;
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	struct pinfs_pins *l = calloc(1, sizeof(*l));
	struct report r;
	uint8_t junk[STORE_PREG_RECORD_SIZE];
	uint64_t ida, idb, idn;
	uint32_t held_a;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&h[1], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(fake_create(st, 3, FILE_SIZE, true), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4 * 4096, PINFS_PIN_WRITE, &ida),
			 0);
	held_a = fake_held_blocks(st);
	ck_assert_uint_eq(held_a, 4);
	c = as(&h[1]);
	p->abi_version = PINFS_ABI_VERSION;
	p->len = 2 * 4096;
	ck_assert_int_eq(pin_ioc_pin(pt, &c, 3, FH + 1, p), 0);
	idb = p->pin_id;
	/* A hold no record owns (a crash between hold and record) and a
	 * corrupt record. */
	ck_assert_int_eq(store_hold(st, 777, 4000 * 4096, 4096), 0);
	memset(junk, 0xa5, sizeof(junk));
	ck_assert_int_eq(store_preg_put(st, 100, junk), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 7);

	/* A's file loses its name; the daemon goes away; B dies. */
	ck_assert_int_eq(fake_unlink(st, INO), 0);
	ck_assert(fake_exists(st, INO)); /* an orphan, pinned */
	pin_table_delete(&pt);
	fake_remount(st);
	ck_assert(fake_exists(st, INO)); /* until reclaimed at mount */
	ck_assert_uint_eq(fake_held_blocks(st), 7); /* nothing released */
	holder_kill(&h[1]);

	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(pin_recover(pt), 1);
	ck_assert_uint_eq(fake_reclaims(st), 1);
	ck_assert(fake_exists(st, INO)); /* A's pin holds it */
	ck_assert_uint_eq(fake_refs(st, INO), 1);
	ck_assert_uint_eq(fake_held_blocks(st), held_a);
	ck_assert_int_eq(store_preg_get(st, 100, junk), -ENOENT);
	memset(l, 0, sizeof(*l));
	l->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_pins(pt, &c, l), 0);
	ck_assert_uint_eq(l->count, 1);
	ck_assert_uint_eq(l->pin[0].pin_id, ida);
	ck_assert_int_eq(l->pin[0].pid, h[0].pid);
	ck_assert(l->pin[0].flags & PINFS_PIN_RECOVERED);

	/* Re-attach: only the same process, on the same inode. */
	memset(p, 0, sizeof(*p));
	p->abi_version = PINFS_ABI_VERSION;
	p->pin_id = ida;
	c.tid = getpid(); /* another live process */
	ck_assert_int_eq(pin_ioc_attach(pt, &c, INO, FH, p), -EPERM);
	c = as(&h[0]);
	ck_assert_int_eq(pin_ioc_attach(pt, &c, 3, FH, p), -EINVAL);
	p->pin_id = idb;
	ck_assert_int_eq(pin_ioc_attach(pt, &c, 3, FH, p), -ENOENT);
	p->pin_id = ida;
	p->reserved[0] = 1;
	ck_assert_int_eq(pin_ioc_attach(pt, &c, INO, FH, p), -EINVAL);
	p->reserved[0] = 0;
	ck_assert_int_eq(pin_ioc_attach(pt, &c, INO, FH, p), 0);
	ck_assert_uint_eq(p->len, 4 * 4096);
	ck_assert_uint_eq(p->total, 1);
	ck_assert_uint_eq(p->ext[0].len, 4 * 4096);
	ck_assert(p->flags & PINFS_PIN_WRITE);
	ck_assert(!(p->flags & PINFS_PIN_RECOVERED));

	/* New ids never reuse old ones. */
	ck_assert_int_eq(do_pin(&h[0], FH, 8 * 4096, 4096, 0, &idn), 0);
	ck_assert_uint_gt(idn, 777);

	/* Without a lease the recovered pin is revoked at once: SIGBUS,
	 * the truncate proceeds, the blocks stay held. */
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGBUS);
	ck_assert_uint_eq(fake_held_blocks(st), held_a + 1);
	ck_assert_int_eq(do_unpin(&h[0], ida), 0);
	ck_assert_int_eq(do_unpin(&h[0], idn), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert(!fake_exists(st, INO)); /* the orphan went with its pin */
	free(p);
	free(l);
	teardown_all(h, 2);
}
END_TEST

START_TEST(test_holder_gone_and_reused_pid)
{
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	pin_table_delete(&pt);
	fake_remount(st);
	holder_kill(&h[0]);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(pin_recover(pt), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert_uint_eq(count_pins(), 0);
	teardown_all(h, 1);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("restart");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_holder_gone_and_reused_pid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
