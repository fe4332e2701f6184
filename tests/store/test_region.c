/* SPDX-License-Identifier: MIT */
/* test_region.c - the region layer (real libpmem2 variant). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fixture.h"
#include "region.h"

START_TEST(test_create_map_persist)
{
	char path[160];
	struct region *r;
	const char *why = NULL;
	uint64_t c0;
	uint8_t *base;
	size_t len;
	uint8_t *file;

	fx_path(path, sizeof(path), "r1");
	ck_assert_int_eq(region_open(path, 0, 0, &r, &why), -ENOENT);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(region_open(path, REGION_CREATE, 0, &r, &why), -EINVAL);
	ck_assert_int_eq(region_open(path, REGION_CREATE, 4u << 20, &r, &why), 0);
	ck_assert_uint_eq(region_size(r), 4u << 20);
	ck_assert_str_eq(region_granularity(r), "page");
	ck_assert(!region_is_devdax(r));
	ck_assert_int_ge(region_fd(r), 0);
	base = region_base(r);
	c0 = region_persist_count();
	region_memcpy_persist(r, base + 4096, "hello", 5, 0);
	region_memset_persist(r, base + 8192, 0x7e, 100);
	memcpy(base + 100, "xy", 2);
	region_persist(r, base + 100, 2);
	region_memcpy_persist(r, base + 200, "nt", 2, REGION_NONTEMPORAL);
	ck_assert_uint_eq(region_persist_count(), c0 + 4);
	ck_assert_int_eq(region_crash_at(1), -ENOTSUP);
	region_close(&r);
	ck_assert_ptr_null(r);
	file = fx_slurp(path, &len);
	ck_assert_uint_eq(len, 4u << 20);
	ck_assert_int_eq(memcmp(file + 4096, "hello", 5), 0);
	ck_assert_int_eq(file[8192 + 99], 0x7e);
	ck_assert_int_eq(memcmp(file + 100, "xy", 2), 0);
	free(file);
}
END_TEST

START_TEST(test_readonly_private)
{
	char path[160];
	struct region *r;
	const char *why;
	uint8_t *file;
	size_t len;

	fx_path(path, sizeof(path), "r2");
	ck_assert_int_eq(region_open(path, REGION_CREATE, 1u << 20, &r, &why), 0);
	region_memset_persist(r, region_base(r), 0x11, 4096);
	region_close(&r);
	ck_assert_int_eq(region_open(path, REGION_READONLY, 0, &r, &why), 0);
	ck_assert(region_is_readonly(r));
	memset(region_base(r), 0x22, 4096);
	region_persist(r, region_base(r), 4096);
	region_close(&r);
	file = fx_slurp(path, &len);
	ck_assert_int_eq(file[0], 0x11);
	ck_assert_int_eq(file[4095], 0x11);
	free(file);
}
END_TEST

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Data writes: fresh pages of a page-granular file region are written
 * with pwrite (no page fault here), coherent with the mapping (pages not
 * yet there and pages already mapped), one persist call per write, pieces
 * laid end to end; bad vectors refused. */
START_TEST(test_write_persist)
{
	char path[160], big[REGION_PWRITE_MIN];
	struct iovec iov[REGION_IOV_MAX + 1];
	struct region *r;
	const char *why;
	uint8_t *base, *file;
	uint64_t c0;
	size_t len;

	fx_path(path, sizeof(path), "r3");
	ck_assert_int_eq(region_open(path, REGION_CREATE, 1u << 20, &r, &why), 0);
	ck_assert(region_writes_by_fd(r));
	base = region_base(r);
	base[8192] = 1;   /* this page is mapped already; the next ones not */
	memset(big, 'b', sizeof(big));
	iov[0] = (struct iovec){ "head", 4 };
	iov[1] = (struct iovec){ big, sizeof(big) };
	iov[2] = (struct iovec){ "", 0 };
	iov[3] = (struct iovec){ "tail", 4 };
	c0 = region_persist_count();
	ck_assert_int_eq(region_write_persist(r, base + 8190, iov, 4), 0);
	ck_assert_uint_eq(region_persist_count(), c0 + 1);
	/* the mapping sees what the descriptor wrote */
	ck_assert_int_eq(memcmp(base + 8190, "head", 4), 0);
	ck_assert_int_eq(base[8194], 'b');
	ck_assert_int_eq(base[8194 + sizeof(big) - 1], 'b');
	ck_assert_int_eq(base[8194 + 4096], 'b');
	ck_assert_int_eq(memcmp(base + 8194 + sizeof(big), "tail", 4), 0);
	/* 4 x 64 KiB of pages that do not exist yet: written without faults */
	{
		long f0 = minflt();

		iov[0] = (struct iovec){ big, sizeof(big) };
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(region_write_persist(r, base + (512 + 64 * i) *
							      1024, iov, 1), 0);
		ck_assert_int_lt(minflt() - f0, 4);
		ck_assert_int_eq(base[512 * 1024 + 4095], 'b');
		ck_assert_int_eq(base[768 * 1024 - 1], 'b');
	}
	/* a small write (through the mapping): the descriptor sees it */
	iov[0] = (struct iovec){ "over", 4 };
	ck_assert_int_eq(region_write_persist(r, base + 8190, iov, 1), 0);
	ck_assert_int_eq(memcmp(base + 8190, "over", 4), 0);
	/* bad vectors: nothing written */
	for (int i = 0; i <= REGION_IOV_MAX; i++)
		iov[i] = (struct iovec){ "z", 1 };
	ck_assert_int_eq(region_write_persist(r, base, iov, REGION_IOV_MAX + 1),
			 -EINVAL);
	ck_assert_int_eq(region_write_persist(r, base, iov, -1), -EINVAL);
	ck_assert_int_eq(base[0], 0);
	ck_assert_int_eq(region_write_persist(r, base, iov, 0), 0);
	region_close(&r);
	file = fx_slurp(path, &len);
	ck_assert_int_eq(memcmp(file + 8190, "over", 4), 0);
	ck_assert_int_eq(memcmp(file + 8194 + sizeof(big), "tail", 4), 0);
	ck_assert_int_eq(file[0], 0);
	free(file);
	/* a read-only (private) region copies into its private map */
	ck_assert_int_eq(region_open(path, REGION_READONLY, 0, &r, &why), 0);
	ck_assert(!region_writes_by_fd(r));
	iov[0] = (struct iovec){ "ro", 2 };
	ck_assert_int_eq(region_write_persist(r, region_base(r), iov, 1), 0);
	ck_assert_int_eq(memcmp(region_base(r), "ro", 2), 0);
	region_close(&r);
	file = fx_slurp(path, &len);
	ck_assert_int_eq(file[0], 0);
	free(file);
}
END_TEST

/* A region on tmpfs is RAM only (persist is a fence, no msync); one on a
 * disk file system is not, and its data still reach the file through
 * the shared mapping. */
START_TEST(test_ram_only)
{
	char path[160], dir[] = "/var/tmp/pinfs-region-XXXXXX";
	struct region *r;
	const char *why = NULL;
	struct iovec iov;
	uint8_t buf[8192], back[8192];
	int fd;

	fx_path(path, sizeof(path), "ram");
	ck_assert_int_eq(region_open(path, REGION_CREATE, 1u << 20, &r, &why), 0);
	ck_assert(region_ram_only(r));
	memset(buf, 0x6b, sizeof(buf));
	iov = (struct iovec){ buf, sizeof(buf) };
	ck_assert_int_eq(region_write_persist(r, (uint8_t *)region_base(r) +
						 4096, &iov, 1), 0);
	region_persist(r, region_base(r), 4096);
	region_close(&r);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 4096), (ssize_t)sizeof(back));
	close(fd);
	ck_assert_mem_eq(back, buf, sizeof(buf));

	/* /var/tmp: a disk file system here (skip the check where it is not) */
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/r", dir);
	ck_assert_int_eq(region_open(path, REGION_CREATE, 1u << 20, &r, &why), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert(region_ram_only(r) == region_fd_ram_only(fd));
	close(fd);
	region_close(&r);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_bad_paths)
{
	char path[160];
	struct region *r;
	const char *why;
	int fd;

	ck_assert_int_eq(region_open(fx_dir, 0, 0, &r, &why), -EISDIR);
	ck_assert_int_eq(region_open("", 0, 0, &r, &why), -EINVAL);
	/* a character device that is not devdax: libpmem2 refuses it */
	why = NULL;
	ck_assert_int_lt(region_open("/dev/null", 0, 0, &r, &why), 0);
	ck_assert_ptr_nonnull(why);
	fx_path(path, sizeof(path), "empty");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(region_open(path, 0, 0, &r, &why), -EUCLEAN);
	ck_assert_ptr_nonnull(strstr(why, "empty"));
}
END_TEST

static Suite *region_suite(void)
{
	Suite *s = suite_create("region");
	TCase *tc = tcase_create("region");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_map_persist);
	tcase_add_test(tc, test_readonly_private);
	tcase_add_test(tc, test_write_persist);
	tcase_add_test(tc, test_bad_paths);
	tcase_add_test(tc, test_ram_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(region_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
