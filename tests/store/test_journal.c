/* SPDX-License-Identifier: MIT */
/*
 * test_journal.c - the redo journal, driven through the crash-injection
 * region: a child commits a transaction and is cut off at each persist
 * point; the parent checks all-or-nothing after recovery.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crc32c.h"
#include "fixture.h"
#include "journal.h"
#include "region.h"

#define JOFF 8192u
#define JLEN (1u << 20)
#define HOME_LO (JOFF + JLEN)
#define RSIZE (4u << 20)

static char path[160];

static void make_region(void)
{
	struct region *r;
	const char *why;

	fx_path(path, sizeof(path), "jr");
	unlink(path);
	ck_assert_int_eq(region_open(path, REGION_CREATE, RSIZE, &r, &why), 0);
	jrnl_format(r, JOFF, JLEN);
	region_close(&r);
}

static void open_jr(struct region **r, struct jrnl **j, int expect)
{
	const char *why = "";

	ck_assert_int_eq(region_open(path, 0, 0, r, &why), 0);
	ck_assert_int_eq(jrnl_open(*r, JOFF, JLEN, HOME_LO, j, NULL, &why),
			 expect);
}

/* The transaction under test: three records in two areas. */
static void run_tx(struct jrnl *j)
{
	jrnl_begin(j);
	ck_assert_int_eq(jrnl_put(j, HOME_LO, "AAAA", 4), 0);
	ck_assert_int_eq(jrnl_put(j, HOME_LO + 100000, "BBBBBBBBB", 9), 0);
	ck_assert_int_eq(jrnl_put(j, RSIZE - 3, "CCC", 3), 0);
	ck_assert_int_eq(jrnl_commit(j), 0);
}

START_TEST(test_crc32c)
{
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}
END_TEST

START_TEST(test_commit_applies)
{
	struct region *r;
	struct jrnl *j;
	uint8_t *b;
	uint64_t c0, seq;

	make_region();
	open_jr(&r, &j, 0);
	seq = jrnl_seq(j);
	c0 = region_persist_count();
	run_tx(j);
	/* records, header, 3 homes, empty header */
	ck_assert_uint_eq(region_persist_count() - c0, 6);
	ck_assert_uint_eq(jrnl_seq(j), seq + 1);
	b = region_base(r);
	ck_assert_int_eq(memcmp(b + HOME_LO, "AAAA", 4), 0);
	ck_assert_int_eq(memcmp(b + RSIZE - 3, "CCC", 3), 0);
	/* empty transactions write nothing */
	c0 = region_persist_count();
	jrnl_begin(j);
	ck_assert_int_eq(jrnl_commit(j), 0);
	ck_assert_uint_eq(region_persist_count(), c0);
	jrnl_close(&j);
	region_close(&r);
}
END_TEST

START_TEST(test_crash_points)
{
	for (int n = 1; n <= 7; n++) {
		struct region *r;
		struct jrnl *j;
		pid_t pid;
		int status;
		bool replayed;
		const char *why;
		uint8_t *b;
		bool done;

		make_region();
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			open_jr(&r, &j, 0);
			region_crash_at((uint64_t)n);
			run_tx(j);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), n <= 6 ? PINFS_CRASH_EXIT : 0);
		ck_assert_int_eq(region_open(path, 0, 0, &r, &why), 0);
		ck_assert_int_eq(jrnl_open(r, JOFF, JLEN, HOME_LO, &j, &replayed,
					   &why), 0);
		b = region_base(r);
		/* crash before the header persisted: nothing; after: all */
		done = n >= 3;
		ck_assert_int_eq(replayed, n >= 3 && n <= 6);
		ck_assert_int_eq(memcmp(b + HOME_LO, "AAAA", 4) == 0, done);
		ck_assert_int_eq(memcmp(b + HOME_LO + 100000, "BBBBBBBBB", 9) == 0,
				 done);
		ck_assert_int_eq(memcmp(b + RSIZE - 3, "CCC", 3) == 0, done);
		ck_assert(jrnl_is_clean(r, JOFF, &why));
		jrnl_close(&j);
		region_close(&r);
	}
}
END_TEST

START_TEST(test_corrupt_committed)
{
	struct region *r;
	struct jrnl *j;
	pid_t pid;
	int status;
	uint8_t *before, *after;
	size_t l1, l2;

	make_region();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		open_jr(&r, &j, 0);
		region_crash_at(3);   /* committed, nothing applied */
		run_tx(j);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), PINFS_CRASH_EXIT);
	/* flip one byte of a record: replay must refuse and write nothing */
	ck_assert_int_eq(region_open(path, 0, 0, &r, NULL), 0);
	((uint8_t *)region_base(r))[JOFF + 4096 + 17] ^= 0x40;
	region_persist(r, (uint8_t *)region_base(r) + JOFF + 4096 + 17, 1);
	region_close(&r);
	before = fx_slurp(path, &l1);
	open_jr(&r, &j, -EUCLEAN);
	region_close(&r);
	after = fx_slurp(path, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(before, after, l1), 0);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_overflow_and_range)
{
	struct region *r;
	struct jrnl *j;
	static uint8_t big[256 * 1024];

	make_region();
	open_jr(&r, &j, 0);
	jrnl_begin(j);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(jrnl_put(j, HOME_LO, big, sizeof(big)), 0);
	ck_assert_int_eq(jrnl_put(j, HOME_LO, big, sizeof(big)), -ENOSPC);
	ck_assert_int_eq(jrnl_commit(j), -EIO);
	jrnl_close(&j);
	region_close(&r);
	/* bad magic */
	ck_assert_int_eq(region_open(path, 0, 0, &r, NULL), 0);
	memset((uint8_t *)region_base(r) + JOFF, 0, 8);
	region_persist(r, (uint8_t *)region_base(r) + JOFF, 8);
	region_close(&r);
	open_jr(&r, &j, -EUCLEAN);
	region_close(&r);
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crc32c);
	tcase_add_test(tc, test_commit_applies);
	tcase_add_test(tc, test_crash_points);
	tcase_add_test(tc, test_corrupt_committed);
	tcase_add_test(tc, test_overflow_and_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
