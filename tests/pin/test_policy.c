/* SPDX-License-Identifier: MIT */
/*
 * test_policy.c - what each policy decides at the gate and at pin time:
 * break (leaseless pins get SIGBUS at once), deny (ETXTBSY / EBUSY),
 * unbreakable leases, require-lease, implicit-lease, quarantine (held
 * blocks are never reallocated), the per-file xattr, plugins.
 */
#include "pin_fixture.h"

START_TEST(test_no_overlap_passes)
{
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("deny", 5000, 0, 0);
	ck_assert_int_eq(pin_gate(pt, INO, 0, 4096, STORE_CHANGE_PUNCH), 0);
	ck_assert(!pin_range_pinned(pt, INO, 0, 4096));
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert(pin_range_pinned(pt, INO, 0, 4096));
	ck_assert(pin_range_pinned(pt, INO, 4095, UINT64_MAX));
	ck_assert(!pin_range_pinned(pt, INO, 4096, 4096));
	ck_assert(!pin_range_pinned(pt, INO + 1, 0, 4096));
	/* Other ranges, other inodes, zero length: nothing to decide. */
	ck_assert_int_eq(pin_gate(pt, INO, 4096, 4096, STORE_CHANGE_PUNCH), 0);
	ck_assert_int_eq(pin_gate(pt, INO + 1, 0, 4096, STORE_CHANGE_PUNCH), 0);
	ck_assert_int_eq(pin_gate(pt, INO, 0, 0, STORE_CHANGE_PUNCH), 0);
	ck_assert_int_eq(pin_gate(pt, INO, 0, 1, STORE_CHANGE_PUNCH), -ETXTBSY);
	ck_assert_int_eq(pin_gate(pt, INO, 4095, UINT64_MAX, STORE_CHANGE_ZERO),
			 -ETXTBSY);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_deny)
{
	struct holder h[1];
	struct report r;
	uint64_t id;
	static const uint32_t seq[] = { PIN_TR_CONFLICT, PIN_TR_DENY, 0 };

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table("deny", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -ETXTBSY);
	ck_assert_uint_eq(fake_size(st, INO), FILE_SIZE);
	ck_assert(trace_has(0, seq));
	/* Nothing is notified. */
	ck_assert_int_eq(holder_report(&h[0], &r, 100), -ETIMEDOUT);
	pin_table_delete(&pt);
	mk_table("deny", 5000, 0, PIN_OPT_DENY_EBUSY);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EBUSY);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_unbreakable_lease)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_lease l = { .abi_version = PINFS_ABI_VERSION };

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_UNBREAKABLE, 8192,
				  8192, 0), 0);
	c = as(&h[0]);
	ck_assert_int_eq(pin_ioc_getlease(pt, &c, INO, FH, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_UNBREAKABLE);
	ck_assert_uint_eq(l.off, 8192);
	ck_assert_uint_eq(l.signo, SIGIO);
	ck_assert_int_eq(fake_truncate(st, INO, 12288), -ETXTBSY);
	ck_assert_int_eq(fake_punch(st, INO, 0, 8192), 0); /* outside */
	ck_assert_int_eq(fake_truncate(st, INO, 16384), 0);
	/* Released: the change goes through. */
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_NONE, 0, 0, 0), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 12288), 0);
	/* Closing the file ends its lease too. */
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_UNBREAKABLE, 0, 0, 0),
			 0);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), -ETXTBSY);
	pin_file_release(pt, FH);
	ck_assert_int_eq(fake_truncate(st, INO, 4096), 0);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_leaseless_sigbus_at_once)
{
	struct holder h[1];
	struct report r;
	uint64_t id;
	uint32_t b;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 8 * 4096, PINFS_PIN_WRITE, &id),
			 0);
	b = fake_map(st, INO, 0);
	ck_assert_uint_ne(b, 0);
	/* No lease: the change proceeds at once, the holder gets SIGBUS. */
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGBUS);
	ck_assert_uint_eq(r.value & 0xffffffffu, id);
	/* Its blocks left the file but stay held. */
	ck_assert_uint_eq(fake_map(st, INO, 0), 0);
	ck_assert(store_block_held(st, (uint64_t)(b - 1) * 4096));
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert(!store_block_held(st, (uint64_t)(b - 1) * 4096));
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_require_lease)
{
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("require-lease", 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), -EPERM);
	ck_assert_uint_eq(count_pins(), 0);
	/* A lease that does not cover the range is not enough. */
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 8192, 4096,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), -EPERM);
	ck_assert_int_eq(do_pin(&h[0], FH, 8192, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EAGAIN); /* as break */
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_implicit_lease)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_lease l = { .abi_version = PINFS_ABI_VERSION };
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	struct report r;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGIO), 0);
	mk_table("implicit-lease", 5000, 0, 0);
	c = as(&h[0]);
	p->abi_version = PINFS_ABI_VERSION;
	p->len = 4096;
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, FH, p), 0);
	ck_assert(p->flags & PINFS_PIN_IMPLICIT);
	ck_assert(p->flags & PINFS_PIN_LEASED);
	ck_assert_uint_eq(p->state, PINFS_STATE_ACTIVE);
	ck_assert_int_eq(pin_ioc_getlease(pt, &c, INO, FH, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_BREAKABLE);
	ck_assert_uint_eq(l.flags, PINFS_LEASE_IMPLICIT);
	/* Broken like a leased pin: SIGIO, and the change waits. */
	ck_assert_int_eq(fake_truncate(st, INO, 0), -EAGAIN);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGIO);
	/* A lease the file has is widened, not weakened. */
	ck_assert_int_eq(do_lease(&h[0], FH + 1, PINFS_LEASE_UNBREAKABLE, 0,
				  4096, SIGUSR1), 0);
	memset(p, 0, sizeof(*p));
	p->abi_version = PINFS_ABI_VERSION;
	p->off = 0; /* a break is in progress there */
	p->len = 4096;
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, FH + 1, p), -EAGAIN);
	p->off = 32768;
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, FH + 1, p), 0);
	memset(&l, 0, sizeof(l));
	l.abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_getlease(pt, &c, INO, FH + 1, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_UNBREAKABLE);
	ck_assert_uint_eq(l.len, 0);
	ck_assert_uint_eq(l.signo, SIGUSR1);
	free(p);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_quarantine)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_breaks *b = calloc(1, sizeof(*b));
	struct report r;
	uint64_t id, i;
	uint32_t held, blk[8];

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("quarantine", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 8 * 4096, PINFS_PIN_WRITE, &id),
			 0);
	for (i = 0; i < 8; i++)
		blk[i] = fake_map(st, INO, i) - 1;
	/* Truncate, then extend: it proceeds at once. */
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	ck_assert_int_eq(fake_truncate(st, INO, FILE_SIZE), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	c = as(&h[0]);
	b->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_breaks(pt, &c, b), 0);
	ck_assert_uint_eq(b->count, 1);
	ck_assert_uint_eq(b->rec[0].pin_id, id);
	ck_assert_uint_eq(b->rec[0].state, PINFS_STATE_QUARANTINED);
	ck_assert_uint_eq(b->rec[0].reason, PINFS_REASON_TRUNCATE);
	ck_assert_uint_eq(b->rec[0].len, 8 * 4096);
	/* Fill the region: no other file ever gets a held block. */
	held = fake_held_blocks(st);
	ck_assert_uint_eq(held, 8);
	ck_assert_int_eq(fake_create(st, 5, 0, false), 0);
	for (i = 0; i < 1024; i++) {
		char z[4096] = { 0 };

		if (store_write(st, 5, z, sizeof(z), i * 4096) < 0)
			break;
	}
	for (i = 0; i < 1024; i++) {
		uint32_t m = fake_map(st, 5, i), k;

		for (k = 0; m && k < 8; k++)
			ck_assert_uint_ne(m - 1, blk[k]);
	}
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	free(b);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_file_policy_xattr)
{
	struct holder h[1];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(fake_set_policy_xattr(st, INO, "deny"), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), -ETXTBSY);
	ck_assert_int_eq(pin_file_policy_set(pt, INO, "nonesuch"), -EINVAL);
	ck_assert_int_eq(pin_file_policy_set(pt, INO, "BREAK"), -EINVAL);
	ck_assert_int_eq(pin_file_policy_set(pt, INO, "quarantine"), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_plugin)
{
	const char *path = getenv("PINFS_TEST_PLUGIN");
	struct pin_options o;
	struct holder h[1];
	const char *why;
	char spec[4096];
	uint64_t id;

	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table(path, 5000, 0, 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 8192, 0, &id), 0);
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), -ETXTBSY);
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0); /* IGNORE */
	ck_assert_uint_eq(fake_held_blocks(st), 2);     /* still held */
	/* Per file, by its name. */
	ck_assert_int_eq(pin_file_policy_set(pt, INO, "nopunch"), 0);
	pin_table_delete(&pt);
	/* Bad plugins and names fail the mount with a reason. */
	pin_options_init(&o);
	o.policy = "/nonexistent/plugin.so";
	ck_assert_int_eq(pin_table_new(st, &o, &pt, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	snprintf(spec, sizeof(spec), "%s:fail", path);
	o.policy = spec;
	ck_assert_int_eq(pin_table_new(st, &o, &pt, &why), -EINVAL);
	o.policy = "no-such-policy";
	ck_assert_int_eq(pin_table_new(st, &o, &pt, &why), -EINVAL);
	o.policy = NULL;
	o.lease_break_ms = 0;
	ck_assert_int_eq(pin_table_new(st, &o, &pt, &why), -EINVAL);
	ck_assert_ptr_null(pt);
	teardown_all(h, 1);
}
END_TEST


START_TEST(test_close_ends_lease)
{
	struct holder h[1];
	struct report r;
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_CATCH_BUS, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, &id), 0);
	pin_file_release(pt, FH);
	ck_assert_uint_eq(pin_file_poll(pt, FH), 0);
	/* A new open with the same fh and a lease is not the pin's. */
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	/* The pin lost its lease: SIGBUS at once, the change proceeds. */
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGBUS);
	teardown_all(h, 1);
}
END_TEST


START_TEST(test_remap)
{
	struct holder h[1];
	struct report r;
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("remap", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&h[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR1), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, PINFS_PIN_WRITE, &id), 0);
	/* A move goes on at once; the holder is told to re-pin. */
	ck_assert_int_eq(pin_gate(pt, INO, 0, 4096, STORE_CHANGE_COW), 0);
	ck_assert_int_eq(holder_report(&h[0], &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	ck_assert(store_block_held(st, (uint64_t)(fake_map(st, INO, 0) - 1) *
					       4096));
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	/* Removing the data breaks and waits. */
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, PINFS_PIN_WRITE, &id), 0);
	ck_assert_int_eq(fake_punch(st, INO, 0, 4096), -EAGAIN);
	teardown_all(h, 1);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("decisions");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_no_overlap_passes);
	tcase_add_test(tc, test_deny);
	tcase_add_test(tc, test_unbreakable_lease);
	tcase_add_test(tc, test_leaseless_sigbus_at_once);
	tcase_add_test(tc, test_close_ends_lease);
	tcase_add_test(tc, test_require_lease);
	tcase_add_test(tc, test_implicit_lease);
	tcase_add_test(tc, test_quarantine);
	tcase_add_test(tc, test_remap);
	tcase_add_test(tc, test_file_policy_xattr);
	tcase_add_test(tc, test_plugin);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
