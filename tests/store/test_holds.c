/* SPDX-License-Identifier: MIT */
/*
 * test_holds.c - the hold table's index by pin id: releasing one pin
 * drops exactly its holds (however many pins share a hash bucket), freed
 * slots are reused, a full table says -ENOSPC, and the index is rebuilt
 * at open.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

#define ROOT STORE_ROOT_INO
#define NPIN 300u

struct tally {
	uint64_t per_pin[NPIN + 1];
	uint64_t records;
};

static int tally_fn(void *arg, uint64_t pin, uint64_t off, uint64_t len)
{
	struct tally *t = arg;

	(void)off;
	ck_assert_uint_le(pin, NPIN);
	t->per_pin[pin] += len / 4096;
	t->records++;
	return 0;
}

static void tally(struct tally *t)
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(store_for_each_hold(F.st, tally_fn, t), 0);
}

/* A data block (none of the tests needs it to belong to a file). */
static uint64_t data_block(void)
{
	struct store_info i;

	store_get_info(F.st, &i);
	return i.data_start + 8 * 4096;
}

START_TEST(test_release_exact)
{
	uint64_t blk = data_block(), want[NPIN + 1] = { 0 };
	struct tally t;
	struct store_info info;

	/* pin p holds (p % 3) + 1 records of one block each */
	for (uint32_t p = 1; p <= NPIN; p++) {
		for (uint32_t k = 0; k <= p % 3; k++) {
			ck_assert_int_eq(store_hold(F.st, p, blk + (p % 64) * 4096,
						    4096), 0);
			want[p]++;
		}
	}
	tally(&t);
	for (uint32_t p = 1; p <= NPIN; p++)
		ck_assert_uint_eq(t.per_pin[p], want[p]);
	/* release every odd pin, and a pin that holds nothing */
	for (uint32_t p = 1; p <= NPIN; p += 2) {
		ck_assert_int_eq(store_release_holds(F.st, p), 0);
		want[p] = 0;
	}
	ck_assert_int_eq(store_release_holds(F.st, 99999), 0);
	tally(&t);
	for (uint32_t p = 1; p <= NPIN; p++)
		ck_assert_uint_eq(t.per_pin[p], want[p]);
	/* the index survives a reopen */
	fx_reopen(&F, 0);
	tally(&t);
	for (uint32_t p = 1; p <= NPIN; p++)
		ck_assert_uint_eq(t.per_pin[p], want[p]);
	for (uint32_t p = 2; p <= NPIN; p += 2)
		ck_assert_int_eq(store_release_holds(F.st, p), 0);
	tally(&t);
	ck_assert_uint_eq(t.records, 0);
	store_get_info(F.st, &info);
	ck_assert_uint_eq(info.held_blocks, 0);
	ck_assert(!store_block_held(F.st, blk));
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_table_full)
{
	uint64_t blk = data_block(), n = 0, freed;
	struct tally t;
	int err;

	while ((err = store_hold(F.st, 1 + n % 7, blk, 4096)) == 0)
		n++;
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_ge(n, 1024);
	/* one pin's slots come back and are reused */
	ck_assert_int_eq(store_release_holds(F.st, 3), 0);
	freed = n / 7 + (n % 7 >= 3);   /* pin 3 took every k = 2 mod 7 */
	for (uint64_t k = 0; k < freed; k++)
		ck_assert_int_eq(store_hold(F.st, 100, blk, 4096), 0);
	ck_assert_int_eq(store_hold(F.st, 100, blk, 4096), -ENOSPC);
	tally(&t);
	ck_assert_uint_eq(t.records, n);
	for (uint64_t p = 1; p <= 7; p++)
		ck_assert_int_eq(store_release_holds(F.st, p), 0);
	ck_assert_int_eq(store_release_holds(F.st, 100), 0);
	tally(&t);
	ck_assert_uint_eq(t.records, 0);
}
END_TEST

/* Every hold slot on one block: the per-block count must not wrap (it was
 * 16 bits against up to 65536 slots at mkfs and 2^20 accepted at open). */
START_TEST(test_one_block_every_slot)
{
	struct store_info i0, i1;
	uint64_t blk, n = 0;
	int err;

	store_close(&F.st);
	fx_mkfs_open(&F, 1024ull << 20, 1024);
	blk = data_block();
	store_get_info(F.st, &i0);
	while ((err = store_hold(F.st, 1 + n % 7, blk, 4096)) == 0)
		n++;
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_ge(n, 65536);
	store_get_info(F.st, &i1);
	ck_assert_uint_eq(i1.held_blocks, 1);
	ck_assert_uint_eq(i1.free_blocks, i0.free_blocks - 1);
	/* the count survives a reopen (rebuilt from the table) ... */
	fx_reopen(&F, 0);
	store_get_info(F.st, &i1);
	ck_assert_uint_eq(i1.held_blocks, 1);
	ck_assert_uint_eq(i1.free_blocks, i0.free_blocks - 1);
	/* ... and the block is free only after the last release */
	for (uint64_t p = 1; p <= 6; p++)
		ck_assert_int_eq(store_release_holds(F.st, p), 0);
	store_get_info(F.st, &i1);
	ck_assert_uint_eq(i1.held_blocks, 1);
	ck_assert_int_eq(store_release_holds(F.st, 7), 0);
	store_get_info(F.st, &i1);
	ck_assert_uint_eq(i1.held_blocks, 0);
	ck_assert_uint_eq(i1.free_blocks, i0.free_blocks);
}
END_TEST

static Suite *holds_suite(void)
{
	Suite *s = suite_create("holds");
	TCase *tc = tcase_create("index");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_add_test(tc, test_release_exact);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_one_block_every_slot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(holds_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
