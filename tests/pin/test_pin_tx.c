/* SPDX-License-Identifier: MIT */
/*
 * test_pin_tx.c - store_pin_hold / store_pin_release, the pin's one
 * transaction: bad inputs change nothing, and a power cut at every persist
 * point of either call leaves the record and all of its holds, or none
 * (crash-injection store: region_crash_at).
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "region.h"
#include "store.h"

#define PIN_ID 4242u
#define SLOT 7u
#define NRANGE 3u

static char dir[64], img[96];
static struct store *st;
static struct store_hold_range rng[NRANGE];
static uint8_t rec[STORE_PREG_RECORD_SIZE];

static void dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/pinfs-pintx-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(img, sizeof(img), "%s/region", dir);
}

static void dir_teardown(void)
{
	unlink(img);
	rmdir(dir);
}

static void open_store(void)
{
	const char *why = NULL;
	int rc = store_open(img, 0, &st, &why);

	ck_assert_msg(rc == 0, "store_open %d %s", rc, why ? why : "");
}

/* A file of 12 KiB: three hold ranges, one per block, in the data area. */
static void setup(void)
{
	struct store_mkfs_opts o = { .size = 32ull << 20,
				     .flags = STORE_MKFS_FORCE };
	struct store_cred cred = { 0, 0 };
	struct store_extent e[8];
	struct store_attr a;
	uint64_t total;
	char buf[3 * 4096];
	unsigned i;
	int n;

	unlink(img);
	ck_assert_int_eq(store_mkfs(img, &o), 0);
	open_store();
	ck_assert_int_eq(store_mknod(st, STORE_ROOT_INO, "f", S_IFREG | 0644,
				     0, &cred, &a), 0);
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(store_write(st, a.ino, buf, sizeof(buf), 0),
			 (ssize_t)sizeof(buf));
	n = store_extents(st, a.ino, 0, sizeof(buf), 0, e, 8, &total);
	ck_assert_int_ge(n, 1);
	for (i = 0; i < NRANGE; i++) {
		rng[i].region_off = e[0].region_off + i * 4096ull;
		rng[i].len = 4096;
	}
	memset(rec, 0xa5, sizeof(rec));
}

static void teardown(void)
{
	if (st)
		store_close(&st);
}

struct count {
	uint64_t id;
	unsigned n;
};

static int count_hold(void *arg, uint64_t id, uint64_t off, uint64_t len)
{
	struct count *c = arg;

	(void)off;
	(void)len;
	if (id == c->id)
		c->n++;
	return 0;
}

static unsigned holds_of(uint64_t pin_id)
{
	struct count c = { pin_id, 0 };

	ck_assert_int_eq(store_for_each_hold(st, count_hold, &c), 0);
	return c.n;
}

static bool has_record(void)
{
	uint8_t r[STORE_PREG_RECORD_SIZE];
	int rc = store_preg_get(st, SLOT, r);

	ck_assert_msg(rc == 0 || rc == -ENOENT, "preg_get %d", rc);
	if (rc == 0)
		ck_assert_int_eq(memcmp(r, rec, sizeof(r)), 0);
	return rc == 0;
}

START_TEST(test_bad_inputs)
{
	struct store_hold_range bad[2] = { rng[0], rng[1] };
	uint32_t slots = store_preg_slots(st);

	ck_assert_int_eq(store_pin_hold(st, slots, rec, PIN_ID, rng, NRANGE),
			 -EINVAL);
	ck_assert_int_eq(store_pin_hold(st, UINT32_MAX, rec, PIN_ID, rng,
					NRANGE), -EINVAL);
	ck_assert_int_eq(store_pin_hold(st, SLOT, NULL, PIN_ID, rng, NRANGE),
			 -EINVAL);
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, 0, rng, NRANGE),
			 -EINVAL);
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, NULL, 1),
			 -EINVAL);
	bad[1].region_off += 1; /* unaligned */
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, bad, 2),
			 -EINVAL);
	bad[1] = rng[1];
	bad[1].len = 0;
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, bad, 2),
			 -EINVAL);
	bad[1].len = 100; /* not whole blocks */
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, bad, 2),
			 -EINVAL);
	bad[1].region_off = 0; /* the superblock, not data */
	bad[1].len = 4096;
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, bad, 2),
			 -EINVAL);
	bad[1].region_off = 1ull << 40; /* past the region */
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, bad, 2),
			 -EINVAL);
	/* nothing of a refused call is left */
	ck_assert(!has_record());
	ck_assert_uint_eq(holds_of(PIN_ID), 0);
	ck_assert(!store_block_held(st, rng[0].region_off));
	ck_assert_int_eq(store_pin_release(st, slots, PIN_ID), -EINVAL);
}
END_TEST

START_TEST(test_full_table_changes_nothing)
{
	struct store_hold_range *many;
	uint32_t n = 70000, i; /* more than any hold table mkfs makes */

	many = calloc(n, sizeof(*many));
	ck_assert_ptr_nonnull(many);
	for (i = 0; i < n; i++)
		many[i] = rng[i % NRANGE];
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, many, n),
			 -ENOSPC);
	free(many);
	ck_assert(!has_record());
	ck_assert_uint_eq(holds_of(PIN_ID), 0);
}
END_TEST

START_TEST(test_hold_release)
{
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, rng, NRANGE),
			 0);
	ck_assert(has_record());
	ck_assert_uint_eq(holds_of(PIN_ID), NRANGE);
	ck_assert(store_block_held(st, rng[2].region_off));
	/* a record with no holds, and holds with no record */
	ck_assert_int_eq(store_pin_hold(st, SLOT + 1, rec, PIN_ID + 1, NULL,
					0), 0);
	ck_assert_int_eq(store_pin_release(st, SLOT + 1, PIN_ID + 1), 0);
	ck_assert_int_eq(store_pin_release(st, UINT32_MAX, PIN_ID), 0);
	ck_assert(has_record()); /* no slot named: the record stays */
	ck_assert_uint_eq(holds_of(PIN_ID), 0);
	ck_assert(!store_block_held(st, rng[2].region_off));
	ck_assert_int_eq(store_pin_release(st, SLOT, PIN_ID), 0);
	ck_assert(!has_record());
	/* across a reopen */
	ck_assert_int_eq(store_pin_hold(st, SLOT, rec, PIN_ID, rng, NRANGE),
			 0);
	store_close(&st);
	open_store();
	ck_assert(has_record());
	ck_assert_uint_eq(holds_of(PIN_ID), NRANGE);
	ck_assert(store_block_held(st, rng[0].region_off));
}
END_TEST

/*
 * Run OP in a child that crashes at its Nth persist, for every N until OP
 * completes without reaching N; after each crash the reopened store must
 * show the record with all NRANGE holds, or neither.
 */
enum op { OP_HOLD, OP_RELEASE };

static int run_op(enum op op)
{
	return op == OP_HOLD ?
		       store_pin_hold(st, SLOT, rec, PIN_ID, rng, NRANGE) :
		       store_pin_release(st, SLOT, PIN_ID);
}

static void crash_every_point(enum op op)
{
	unsigned both = 0, none = 0;
	uint64_t n;

	for (n = 1; n < 64; n++) {
		int status;
		pid_t pid;
		bool rec_there;
		unsigned h;

		teardown();
		setup();
		if (op == OP_RELEASE)
			ck_assert_int_eq(run_op(OP_HOLD), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			region_crash_at(n);
			_exit(run_op(op) == 0 ? 0 : 1);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		store_close(&st);
		open_store(); /* replays a committed transaction */
		rec_there = has_record();
		h = holds_of(PIN_ID);
		ck_assert_msg((rec_there && h == NRANGE) || (!rec_there && !h),
			      "crash at persist %llu: record %d, %u holds",
			      (unsigned long long)n, rec_there, h);
		if (rec_there)
			both++;
		else
			none++;
		if (WEXITSTATUS(status) != PINFS_CRASH_EXIT)
			break; /* OP finished before the Nth persist */
	}
	ck_assert_uint_lt(n, 64);
	/* both outcomes were seen: the cut landed before and after */
	ck_assert_uint_gt(both, 0);
	ck_assert_uint_gt(none, 0);
}

START_TEST(test_crash_hold)
{
	crash_every_point(OP_HOLD);
}
END_TEST

START_TEST(test_crash_release)
{
	crash_every_point(OP_RELEASE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pin-tx");
	TCase *tc = tcase_create("one transaction");

	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_full_table_changes_nothing);
	tcase_add_test(tc, test_hold_release);
	tcase_add_test(tc, test_crash_hold);
	tcase_add_test(tc, test_crash_release);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
