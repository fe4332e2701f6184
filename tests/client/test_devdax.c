/* SPDX-License-Identifier: MIT */
/*
 * test_devdax.c - the devdax decisions, on a host without devdax: the
 * mapping alignment read from a fake sysfs tree (good and bad values),
 * "a character device is devdax", which pieces of a pin may map, the
 * aligned span reservation, the CPU cache flush pinfs_sync uses there,
 * and the store's read-only mapping mode (region_common.c: MAP_SHARED
 * and PROT_READ for a character device, MAP_PRIVATE otherwise).  The
 * real device is exercised by tests/vm/devdax-test.sh.  Suite 'unit'.
 */
#include "../../lib/client/client.h"
#include "../../lib/store/region.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256], dir[256], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = dir + strlen(root) + 1; (slash = strchr(slash, '/'));
	     slash++) {
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/pinfs-devdax-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(align_from_sysfs)
{
	uint64_t a = 0;

	put("dev/char/251:0/align", "2097152\n");
	ck_assert_int_eq(cl_devdax_align_at(root, 251, 0, &a), 0);
	ck_assert_uint_eq(a, 2u << 20);
	put("dev/char/251:2/align", "4096\n");
	ck_assert_int_eq(cl_devdax_align_at(root, 251, 2, &a), 0);
	ck_assert_uint_eq(a, 4096);
	put("dev/char/251:3/align", "1073741824");
	ck_assert_int_eq(cl_devdax_align_at(root, 251, 3, &a), 0);
	ck_assert_uint_eq(a, 1u << 30);
	/* older kernels: only the dax region's */
	put("dev/char/251:1/device/align", "4096\n");
	ck_assert_int_eq(cl_devdax_align_at(root, 251, 1, &a), 0);
	ck_assert_uint_eq(a, 4096);
}
END_TEST

START_TEST(align_bad_values)
{
	static const char *const bad[] = {
		"", "\n", "abc\n", "2M\n", "0\n", "-4096\n", "3000\n",
		"2048\n", "6291456\n", "2147483648\n", "99999999999999999999\n",
		"4096 junk\n",
	};
	uint64_t a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("dev/char/251:7/align", bad[i]);
		a = 1;
		ck_assert_int_eq(cl_devdax_align_at(root, 251, 7, &a), -ENOENT);
		ck_assert_uint_eq(a, CL_DEVDAX_DEFAULT_ALIGN);
	}
	/* a bad device attribute falls back to a good region one */
	put("dev/char/251:7/device/align", "4096\n");
	ck_assert_int_eq(cl_devdax_align_at(root, 251, 7, &a), 0);
	ck_assert_uint_eq(a, 4096);
	/* nothing at all: the kernel's default */
	ck_assert_int_eq(cl_devdax_align_at(root, 9, 9, &a), -ENOENT);
	ck_assert_uint_eq(a, 2u << 20);
}
END_TEST

START_TEST(region_kind)
{
	char path[128];
	uint64_t a = 1;
	bool dd = true;
	int fd;

	snprintf(path, sizeof(path), "%s/region", root);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cl_region_kind(fd, &dd, &a), 0);
	ck_assert(!dd);
	ck_assert_uint_eq(a, 0);
	close(fd);
	/* any character device counts (the daemon only hands out devdax);
	 * /dev/null has no align attribute: the default */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cl_region_kind(fd, &dd, &a), 0);
	ck_assert(dd);
	ck_assert_uint_eq(a, CL_DEVDAX_DEFAULT_ALIGN);
	close(fd);
	ck_assert_int_eq(cl_region_kind(-1, &dd, &a), -EBADF);
}
END_TEST

START_TEST(extent_ok)
{
	const uint64_t M2 = 2u << 20;

	ck_assert_int_eq(cl_devdax_extent_ok(0, 4096, 4096, 4096), 0);
	ck_assert_int_eq(cl_devdax_extent_ok(4096, 4096, 8192, 4096), 0);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2, 0, M2), 0);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2, M2, 3 * M2), 0);
	/* the D2 case from the VM: 1 MiB at region offset 16 MiB + 4 KiB */
	ck_assert_int_eq(cl_devdax_extent_ok(M2, (16u << 20) + 4096, 0,
					     1u << 20), -EINVAL);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2 + 4096, 0, M2),
			 -EINVAL);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2, 4096, M2), -EINVAL);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2, 0, M2 + 4096),
			 -EINVAL);
	ck_assert_int_eq(cl_devdax_extent_ok(M2, 8 * M2, 0, 1u << 20),
			 -EINVAL);
}
END_TEST

START_TEST(reserve_aligned)
{
	static const uint64_t aligns[] = { 0, 4096, 65536, 2u << 20 };

	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		for (int k = 0; k < 8; k++) {
			size_t len = (size_t)(k + 1) << 20;
			uint8_t *p = cl_reserve_span(len, aligns[i], PROT_READ);

			ck_assert_ptr_nonnull(p);
			if (aligns[i])
				ck_assert_uint_eq((uintptr_t)p % aligns[i], 0);
			ck_assert_int_eq(p[0] + p[len - 1], 0);
			ck_assert_int_eq(munmap(p, len), 0);
		}
	}
	errno = 0;
	ck_assert_ptr_null(cl_reserve_span(4096, 3 << 20, PROT_READ));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(cl_reserve_span(SIZE_MAX - 4096, 2u << 20,
					   PROT_READ));
}
END_TEST

START_TEST(cache_flush)
{
	const char *m = cl_flush_method();
	uint8_t *buf = malloc(1 << 16);

	ck_assert(!strcmp(m, "clwb") || !strcmp(m, "clflushopt") ||
		  !strcmp(m, "clflush"));
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5a, 1 << 16);
	ck_assert_int_eq(cl_flush_range(buf, 0), 0);
	ck_assert_int_eq(cl_flush_range(buf, 1), 0);
	ck_assert_int_eq(cl_flush_range(buf + 3, 130), 0);
	ck_assert_int_eq(cl_flush_range(buf + 63, 2), 0);
	ck_assert_int_eq(cl_flush_range(buf, 1 << 16), 0);
	for (int i = 0; i < 1 << 16; i++)
		ck_assert_int_eq(buf[i], 0x5a);
	free(buf);
	printf("devdax: cache flush by %s\n", m);
}
END_TEST

START_TEST(store_readonly_mode)
{
	char path[128];
	uint8_t *p;
	int prot, flags, fd;

	region_ro_map_mode(true, &prot, &flags);
	ck_assert_int_eq(prot, PROT_READ);
	ck_assert_int_eq(flags, MAP_SHARED);
	region_ro_map_mode(false, &prot, &flags);
	ck_assert_int_eq(prot, PROT_READ | PROT_WRITE);
	ck_assert_int_eq(flags, MAP_PRIVATE);

	/* a regular file opened O_RDONLY, both ways */
	snprintf(path, sizeof(path), "%s/ro", root);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	ck_assert_int_eq(pwrite(fd, "pinfs", 5, 4096), 5);
	close(fd);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	p = region_map_private(fd, 8192);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p + 4096, "pinfs", 5);
	memcpy(p + 4096, "XXXXX", 5); /* copy-on-write: stays in memory */
	ck_assert_int_eq(munmap(p, 8192), 0);
	p = region_map_readonly(fd, 8192, true);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p + 4096, "pinfs", 5);
	ck_assert_int_eq(munmap(p, 8192), 0);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devdax");
	TCase *tc = tcase_create("decisions");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, align_from_sysfs);
	tcase_add_test(tc, align_bad_values);
	tcase_add_test(tc, region_kind);
	tcase_add_test(tc, extent_ok);
	tcase_add_test(tc, reserve_aligned);
	tcase_add_test(tc, cache_flush);
	tcase_add_test(tc, store_readonly_mode);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
