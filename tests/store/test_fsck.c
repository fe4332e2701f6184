/* SPDX-License-Identifier: MIT */
/*
 * test_fsck.c - fsck finds damage done behind the store's back, repairs
 * it, and a second pass is clean; open refuses bad regions without writing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "fixture.h"
#include "ondisk.h"

#define ROOT STORE_ROOT_INO

/* Map the region file and poke it directly. */
static uint8_t *map_region(size_t *len)
{
	struct stat stb;
	int fd = open(F.region, O_RDWR);
	void *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &stb), 0);
	p = mmap(NULL, (size_t)stb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	*len = (size_t)stb.st_size;
	return p;
}

static const struct pfs_dsb *sbp(const uint8_t *m)
{
	return (const void *)m;
}

static void sb_fix_crc(uint8_t *blk)
{
	*(pfs_le32 *)(blk + PFS_SB_CRC_OFF) = st32(crc32c(0, blk, PFS_SB_CRC_OFF));
}

static uint64_t setup_file(struct store_extent *e)
{
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);

	fx_create(F.st, ROOT, "d", S_IFDIR | 0755);
	fx_write_pattern(F.st, f, 0, 3 * 4096, 1);
	ck_assert_int_eq(store_extents(F.st, f, 0, 3 * 4096, 0, e, 1, NULL), 1);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
	return f;
}

static void repair_cycle(int expect_min)
{
	int n = fx_fsck(&F, 0);

	ck_assert_int_ge(n, expect_min);
	ck_assert_int_ge(fx_fsck(&F, STORE_FSCK_REPAIR), n);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}

START_TEST(test_refcount)
{
	struct store_extent e;
	size_t len;
	uint8_t *m;
	const struct pfs_dsb *sb;

	setup_file(&e);
	m = map_region(&len);
	sb = sbp(m);
	*(pfs_le32 *)(m + ld64(sb->rc_off) +
		      (e.region_off - ld64(sb->data_off)) / 4096 * 4) = st32(5);
	/* and a leaked block far away */
	*(pfs_le32 *)(m + ld64(sb->rc_off) + 4000 * 4) = st32(1);
	munmap(m, len);
	repair_cycle(2);
}
END_TEST

START_TEST(test_nlink)
{
	struct store_extent e;
	uint64_t f = setup_file(&e);
	size_t len;
	uint8_t *m = map_region(&len);

	*(pfs_le32 *)(m + ld64(sbp(m)->itab_off) + f * 256 + 12) = st32(7);
	*(pfs_le32 *)(m + ld64(sbp(m)->itab_off) + ROOT * 256 + 12) = st32(9);
	munmap(m, len);
	repair_cycle(2);
	fx_reopen(&F, 0);
	{
		struct store_attr a;

		ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
		ck_assert_uint_eq(a.nlink, 1);
		ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
		ck_assert_uint_eq(a.nlink, 3);
	}
}
END_TEST

START_TEST(test_extent)
{
	struct store_extent e;
	uint64_t f = setup_file(&e);
	size_t len;
	uint8_t *m = map_region(&len);
	struct pfs_dext *x = (void *)(m + ld64(sbp(m)->itab_off) + f * 256 + 128);

	/* the file's extent now claims blocks nobody allocated */
	ck_assert_uint_eq(ld64(x->rblk) * 4096, e.region_off);
	x->rblk = st64(ld64(x->rblk) + 2000);
	munmap(m, len);
	repair_cycle(2);
}
END_TEST

START_TEST(test_bad_extent_range)
{
	struct store_extent e;
	uint64_t f = setup_file(&e);
	size_t len;
	uint8_t *m = map_region(&len);
	struct pfs_dext *x = (void *)(m + ld64(sbp(m)->itab_off) + f * 256 + 128);
	struct store_attr a;

	x->rblk = st64(1);   /* inside the superblock area */
	munmap(m, len);
	ck_assert_int_ge(fx_fsck(&F, 0), 1);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), -EUCLEAN);
	/* repair clears the inode, drops its entry, frees its blocks */
	repair_cycle(2);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), -ENOENT);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "f", &a), -ENOENT);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "d", &a), 0);
}
END_TEST

START_TEST(test_dirent_free_inode)
{
	struct store_extent e, de;
	uint64_t f = setup_file(&e);
	size_t len;
	uint8_t *m;

	(void)f;
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_extents(F.st, ROOT, 0, 4096, 0, &de, 1, NULL), 1);
	store_close(&F.st);
	m = map_region(&len);
	/* slot 0 of the root holds "f": point it at an unused inode */
	*(pfs_le64 *)(m + de.region_off) = st64(500);
	munmap(m, len);
	repair_cycle(2);
}
END_TEST

START_TEST(test_superblocks)
{
	struct store_extent e;
	size_t len;
	uint8_t *m;
	const char *why = NULL;

	setup_file(&e);
	m = map_region(&len);
	m[4096 + 50] ^= 1;  /* backup */
	munmap(m, len);
	repair_cycle(1);
	m = map_region(&len);
	m[60] ^= 1;         /* primary */
	munmap(m, len);
	ck_assert_int_eq(store_open(F.region, 0, &F.st, &why), -EUCLEAN);
	ck_assert_ptr_nonnull(strstr(why, "checksum"));
	repair_cycle(1);
	fx_reopen(&F, 0);
	fx_check_pattern(F.st, 2, 0, 3 * 4096, 1);
}
END_TEST

START_TEST(test_preg_slot)
{
	size_t len;
	uint8_t *m;
	struct store_extent e;

	setup_file(&e);
	m = map_region(&len);
	*(pfs_le32 *)(m + ld64(sbp(m)->preg_off) + 3 * 136) = st32(9);
	munmap(m, len);
	repair_cycle(1);
}
END_TEST

/* ---- open refuses bad regions and writes nothing ---- */

static void expect_refused(const char *needle)
{
	uint8_t *before, *after;
	size_t l1, l2;
	const char *why = NULL;
	struct store *st = NULL;

	store_close(&F.st);
	before = fx_slurp(F.region, &l1);
	ck_assert_int_eq(store_open(F.region, 0, &st, &why), -EUCLEAN);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why,
		      needle);
	ck_assert_int_ne(fx_fsck(&F, 0), 0);  /* refused, or a problem */
	after = fx_slurp(F.region, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(before, after, l1), 0);
	free(before);
	free(after);
}

START_TEST(test_refuse_bad_magic)
{
	size_t len;
	uint8_t *m;

	store_close(&F.st);
	m = map_region(&len);
	m[0] ^= 0xff;
	m[4096] ^= 0xff;
	munmap(m, len);
	expect_refused("magic");
}
END_TEST

START_TEST(test_refuse_crc)
{
	size_t len;
	uint8_t *m;

	store_close(&F.st);
	m = map_region(&len);
	m[100] ^= 0x10;
	munmap(m, len);
	expect_refused("checksum");
}
END_TEST

START_TEST(test_refuse_incompat)
{
	size_t len;
	uint8_t *m;

	store_close(&F.st);
	m = map_region(&len);
	((struct pfs_dsb *)m)->incompat = st64(1ull << 40);
	sb_fix_crc(m);
	munmap(m, len);
	expect_refused("incompatible feature");
}
END_TEST

START_TEST(test_refuse_version_reserved)
{
	size_t len;
	uint8_t *m;

	store_close(&F.st);
	m = map_region(&len);
	m[3000] = 1;
	sb_fix_crc(m);
	munmap(m, len);
	expect_refused("reserved");
	m = map_region(&len);
	m[3000] = 0;
	((struct pfs_dsb *)m)->version = st32(2);
	sb_fix_crc(m);
	munmap(m, len);
	expect_refused("version");
}
END_TEST

START_TEST(test_refuse_truncated)
{
	store_close(&F.st);
	ck_assert_int_eq(truncate(F.region, 20 << 20), 0);
	expect_refused("truncated");
}
END_TEST

START_TEST(test_refuse_small_and_foreign)
{
	int fd;
	uint8_t buf[4096];

	store_close(&F.st);
	ck_assert_int_eq(truncate(F.region, 8 << 20), 0);
	expect_refused("minimum");
	fd = open(F.region, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < (32 << 20) / 4096; i++) {
		for (int k = 0; k < 4096; k++)
			buf[k] = (uint8_t)(k * 7 + i);
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), 4096);
	}
	close(fd);
	expect_refused("not a pinfs region");
}
END_TEST

START_TEST(test_refuse_chardev)
{
	struct store *st = NULL;
	const char *why = NULL;

	ck_assert_int_lt(store_open("/dev/null", 0, &st, &why), 0);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_lt(store_fsck("/dev/null", 0, NULL, NULL), 0);
	ck_assert_int_lt(store_open("/nonexistent/region", 0, &st, &why), 0);
}
END_TEST

static void progress(uint64_t done, uint64_t total, void *arg)
{
	uint64_t *last = arg;

	ck_assert_uint_le(done, total);
	ck_assert_uint_ge(done, last[0]);
	last[0] = done;
	last[1] = total;
}

START_TEST(test_mkfs_rules)
{
	uint64_t last[2] = { 0, 0 };
	struct store_mkfs_opts po = { .flags = STORE_MKFS_FORCE,
				      .progress = progress, .progress_arg = last };

	struct store_mkfs_opts o = { .size = 32 << 20 };
	char other[160];

	store_close(&F.st);
	ck_assert_int_eq(store_mkfs(F.region, &o), -EEXIST);
	o.flags = STORE_MKFS_FORCE;
	ck_assert_int_eq(store_mkfs(F.region, &o), 0);
	fx_path(other, sizeof(other), "other");
	o.size = 8 << 20;
	ck_assert_int_eq(store_mkfs(other, &o), -EINVAL);
	o.size = (32 << 20) + 100;
	ck_assert_int_eq(store_mkfs(other, &o), -EINVAL);
	o.size = 0;
	ck_assert_int_eq(store_mkfs(other, &o), -EINVAL);
	ck_assert_int_eq(access(other, F_OK), -1);
	o.size = (32 << 20) + 4096;   /* rounded down to 2 MiB */
	ck_assert_int_eq(store_mkfs(other, &o), 0);
	{
		size_t len;
		void *p = fx_slurp(other, &len);

		ck_assert_uint_eq(len, 32 << 20);
		free(p);
	}
	unlink(other);
	ck_assert_int_eq(store_mkfs(F.region, &po), 0);
	ck_assert_uint_gt(last[1], 0);
	ck_assert_uint_eq(last[0], last[1]);
	fx_reopen(&F, 0);
}
END_TEST

static Suite *fsck_suite(void)
{
	Suite *s = suite_create("fsck");
	TCase *tc = tcase_create("repair");
	TCase *bad = tcase_create("bad-input");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_nlink);
	tcase_add_test(tc, test_extent);
	tcase_add_test(tc, test_bad_extent_range);
	tcase_add_test(tc, test_dirent_free_inode);
	tcase_add_test(tc, test_superblocks);
	tcase_add_test(tc, test_preg_slot);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(bad, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(bad, fx_setup64, fx_teardown);
	tcase_set_timeout(bad, 60);
	tcase_add_test(bad, test_refuse_bad_magic);
	tcase_add_test(bad, test_refuse_crc);
	tcase_add_test(bad, test_refuse_incompat);
	tcase_add_test(bad, test_refuse_version_reserved);
	tcase_add_test(bad, test_refuse_truncated);
	tcase_add_test(bad, test_refuse_small_and_foreign);
	tcase_add_test(bad, test_refuse_chardev);
	tcase_add_test(bad, test_mkfs_rules);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fsck_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
