/* SPDX-License-Identifier: MIT */
/* test_data.c - file data, fallocate, seek, copy, extents, xattrs, holds,
 * the pin registry, the gate and ENOSPC. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

#define ROOT STORE_ROOT_INO
#define KiB 1024ull
#define MiB (1024ull * 1024)

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

START_TEST(test_write_read_sparse)
{
	struct store_attr a;
	uint8_t buf[8192];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);

	fx_write_pattern(F.st, f, 100, 5000, 1);
	fx_write_pattern(F.st, f, 1 * MiB + 7, 3, 2);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 1 * MiB + 10);
	ck_assert_uint_eq(a.blocks, 3 * 8);
	fx_check_pattern(F.st, f, 100, 5000, 1);
	ck_assert_int_eq(store_read(F.st, f, buf, 100, 0), 100);
	ck_assert(all_zero(buf, 100));
	ck_assert_int_eq(store_read(F.st, f, buf, 8192, 512 * KiB), 8192);
	ck_assert(all_zero(buf, 8192));
	ck_assert_int_eq(store_read(F.st, f, buf, 8192, 1 * MiB + 8), 2);
	ck_assert_int_eq(store_read(F.st, f, buf, 10, 2 * MiB), 0);
	ck_assert_int_eq(store_read(F.st, ROOT, buf, 10, 0), -EISDIR);
	ck_assert_int_eq(store_write(F.st, ROOT, buf, 10, 0), -EISDIR);
	ck_assert_int_eq(store_write(F.st, f, buf, 10, ~0ull - 4), -EFBIG);
	/* overwrite in place, then append sequentially: extents merge */
	fx_write_pattern(F.st, f, 0, 4096, 5);
	for (int i = 0; i < 64; i++)
		fx_write_pattern(F.st, f, 2 * MiB + i * 4096ull, 4096, 6);
	fx_check_pattern(F.st, f, 2 * MiB, 64 * 4096, 6);
	ck_assert_int_le(store_extents(F.st, f, 2 * MiB, 64 * 4096, 0, NULL,
				       0, NULL), 0);
	{
		struct store_extent e[8];
		uint64_t total;
		int n = store_extents(F.st, f, 2 * MiB, 64 * 4096, 0, e, 8,
				      &total);

		ck_assert_int_ge(n, 1);
		ck_assert_uint_le(total, 2);
		ck_assert_uint_eq(e[0].refcount, 1);
	}
	fx_reopen(&F, 0);
	fx_check_pattern(F.st, f, 2 * MiB, 64 * 4096, 6);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_large_aligned)
{
	struct store_extent e[4];
	uint64_t f = fx_create(F.st, ROOT, "big", S_IFREG | 0644);
	int n;

	fx_write_pattern(F.st, f, 0, 4 * MiB, 7);
	n = store_extents(F.st, f, 0, 4 * MiB, 0, e, 4, NULL);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(e[0].region_off % (2 * MiB), 0);
	fx_check_pattern(F.st, f, 0, 4 * MiB, 7);
	/* appending 64 KiB at a time past 2 MiB starts an aligned run too */
	f = fx_create(F.st, ROOT, "small", S_IFREG | 0644);
	fx_write_pattern(F.st, f, 0, 4 * KiB, 1);   /* unaligns the cursor */
	f = fx_create(F.st, ROOT, "appender", S_IFREG | 0644);
	for (int i = 0; i < 64; i++)
		fx_write_pattern(F.st, f, i * 64 * KiB, 64 * KiB, 8);
	n = store_extents(F.st, f, 2 * MiB, 2 * MiB, 0, e, 4, NULL);
	ck_assert_int_eq(n, 1);   /* one run covers [2 MiB, 4 MiB) ... */
	ck_assert_uint_le(e[0].file_off, 2 * MiB);
	ck_assert_uint_ge(e[0].file_off + e[0].len, 4 * MiB);
	/* ... and file offset 2 MiB sits on a 2 MiB boundary of the region */
	ck_assert_uint_eq((e[0].region_off + 2 * MiB - e[0].file_off) %
				  (2 * MiB), 0);
	fx_check_pattern(F.st, f, 0, 4 * MiB, 8);
}
END_TEST

START_TEST(test_truncate)
{
	struct store_attr a, in = { 0 };
	uint8_t buf[4096];
	struct statvfs s0, s1;
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);

	ck_assert_int_eq(store_statfs(F.st, &s0), 0);
	fx_write_pattern(F.st, f, 0, 100000, 3);
	in.size = 5000;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	ck_assert_uint_eq(a.size, 5000);
	ck_assert_uint_eq(a.blocks, 16);
	/* extending again shows zeros past the old EOF, not stale bytes */
	in.size = 12000;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	fx_check_pattern(F.st, f, 0, 5000, 3);
	ck_assert_int_eq(store_read(F.st, f, buf, 4096, 5000), 4096);
	ck_assert(all_zero(buf, 4096));
	in.size = 0;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	ck_assert_uint_eq(a.blocks, 0);
	ck_assert_int_eq(store_statfs(F.st, &s1), 0);
	ck_assert_uint_eq(s0.f_bfree, s1.f_bfree);
	/* write past EOF after a partial block leaves zeros in the gap */
	fx_write_pattern(F.st, f, 0, 10, 4);
	in.size = 5;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	fx_write_pattern(F.st, f, 100, 10, 4);
	ck_assert_int_eq(store_read(F.st, f, buf, 95, 5), 95);
	ck_assert(all_zero(buf, 95));
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* Freeing a range longer than one transaction's block budget from one
 * big extent: every block comes back (emap_remove once skipped the rest
 * of an extent it had cut, leaking all but one budget of a 512 MiB
 * fallocate + truncate; stress-ng's sync-file stressor found it). */
START_TEST(test_free_many_budgets)
{
	struct statvfs s0, s1;
	struct store_attr a, in = { 0 };
	uint64_t f;

	store_close(&F.st);
	fx_mkfs_open(&F, 640 * MiB, 1024);
	f = fx_create(F.st, ROOT, "big", S_IFREG | 0644);
	ck_assert_int_eq(store_statfs(F.st, &s0), 0);
	/* truncate: 5.5 budgets in one contiguous extent */
	ck_assert_int_eq(store_fallocate(F.st, f, 0, 0, 352 * MiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.blocks, 352 * MiB / 512);
	in.size = 0;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	ck_assert_uint_eq(a.blocks, 0);
	ck_assert_int_eq(store_statfs(F.st, &s1), 0);
	ck_assert_uint_eq(s1.f_bfree, s0.f_bfree);
	/* punch from the middle of one extent, then zero-range over it */
	ck_assert_int_eq(store_fallocate(F.st, f, 0, 0, 400 * MiB), 0);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
				 FALLOC_FL_KEEP_SIZE, 4096, 300 * MiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.blocks, (400 * MiB - 300 * MiB) / 512);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE, 0,
				 400 * MiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.blocks, 400 * MiB / 512);
	/* unlink: the whole file goes back */
	ck_assert_int_eq(store_unlink(F.st, ROOT, "big"), 0);
	ck_assert_int_eq(store_statfs(F.st, &s1), 0);
	ck_assert_uint_ge(s1.f_bfree, s0.f_bfree);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_fallocate_seek)
{
	struct store_attr a;
	uint8_t buf[4096];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644), off;

	ck_assert_int_eq(store_fallocate(F.st, f, 0, 0, 1 * MiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 1 * MiB);
	ck_assert_uint_eq(a.blocks, 1 * MiB / 512);
	ck_assert_int_eq(store_read(F.st, f, buf, 4096, 8192), 4096);
	ck_assert(all_zero(buf, 4096));
	/* preallocated = hole for SEEK_DATA (like ext4) */
	ck_assert_int_eq(store_seek(F.st, f, 0, SEEK_DATA, &off), -ENXIO);
	fx_write_pattern(F.st, f, 300 * KiB + 5, 100, 8);
	ck_assert_int_eq(store_seek(F.st, f, 0, SEEK_DATA, &off), 0);
	ck_assert_uint_eq(off, 300 * KiB);
	ck_assert_int_eq(store_seek(F.st, f, 300 * KiB + 9, SEEK_HOLE, &off), 0);
	ck_assert_uint_eq(off, 304 * KiB);
	ck_assert_int_eq(store_seek(F.st, f, 0, SEEK_HOLE, &off), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(store_seek(F.st, f, 2 * MiB, SEEK_HOLE, &off), -ENXIO);
	ck_assert_int_eq(store_read(F.st, f, buf, 4096, 300 * KiB), 4096);
	ck_assert(all_zero(buf, 5));
	ck_assert(all_zero(buf + 105, 4096 - 105));
	fx_check_pattern(F.st, f, 300 * KiB + 5, 100, 8);
	/* KEEP_SIZE beyond EOF */
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_KEEP_SIZE, 1 * MiB,
					 1 * MiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 1 * MiB);
	ck_assert_uint_eq(a.blocks, 2 * MiB / 512);
	/* bad modes */
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE, 0, 10),
			 -EOPNOTSUPP);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_COLLAPSE_RANGE, 0,
					 4096), -EOPNOTSUPP);
	ck_assert_int_eq(store_fallocate(F.st, f, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(store_fallocate(F.st, ROOT, 0, 0, 10), -EISDIR);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_punch_zero)
{
	struct store_attr a;
	uint8_t buf[64 * 1024];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644), off;

	fx_write_pattern(F.st, f, 0, 64 * KiB, 2);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 1000, 20000), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 64 * KiB);
	ck_assert_uint_eq(a.blocks, (16 - 4) * 8);
	fx_check_pattern(F.st, f, 0, 1000, 2);
	ck_assert_int_eq(store_read(F.st, f, buf, 20000, 1000), 20000);
	ck_assert(all_zero(buf, 20000));
	fx_check_pattern(F.st, f, 21000, 64 * KiB - 21000, 2);
	ck_assert_int_eq(store_seek(F.st, f, 0, SEEK_HOLE, &off), 0);
	ck_assert_uint_eq(off, 4096);
	/* zero range: reads zeros, blocks stay allocated */
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE,
					 30000, 20000), 0);
	ck_assert_int_eq(store_read(F.st, f, buf, 20000, 30000), 20000);
	ck_assert(all_zero(buf, 20000));
	fx_check_pattern(F.st, f, 21000, 9000, 2);
	fx_check_pattern(F.st, f, 50000, 64 * KiB - 50000, 2);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.blocks, (16 - 4) * 8);
	/* zero range past EOF extends unless KEEP_SIZE */
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE,
					 60 * KiB, 10 * KiB), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 70 * KiB);
	fx_reopen(&F, 0);
	fx_check_pattern(F.st, f, 0, 1000, 2);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static int gate_calls;
static uint64_t gate_off, gate_len;
static enum store_change gate_why;

static int gate_busy(void *arg, uint64_t ino, uint64_t off, uint64_t len,
		     enum store_change why)
{
	(void)ino;
	gate_calls++;
	gate_off = off;
	gate_len = len;
	gate_why = why;
	return *(int *)arg;
}

START_TEST(test_gate)
{
	struct store_attr a, in = { .size = 100 };
	int verdict = -EAGAIN;
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);
	uint64_t g = fx_create(F.st, ROOT, "g", S_IFREG | 0644);

	fx_write_pattern(F.st, f, 0, 50000, 4);
	store_set_gate(F.st, gate_busy, &verdict);
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a),
			 -EAGAIN);
	ck_assert_int_eq(gate_why, STORE_CHANGE_TRUNCATE);
	ck_assert_uint_eq(gate_off, 100);
	ck_assert_uint_eq(gate_len, 50000 - 100);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 0, 8192), -EAGAIN);
	ck_assert_int_eq(gate_why, STORE_CHANGE_PUNCH);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE, 0,
					 8192), -EAGAIN);
	ck_assert_int_eq(gate_why, STORE_CHANGE_ZERO);
	ck_assert_int_eq(store_copy_range(F.st, f, 0, g, 0, 4096), -EAGAIN);
	ck_assert_int_eq(gate_why, STORE_CHANGE_CLONE_DEST);
	/* nothing changed */
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, 50000);
	fx_check_pattern(F.st, f, 0, 50000, 4);
	ck_assert_int_eq(store_getattr(F.st, g, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	/* growing needs no gate */
	gate_calls = 0;
	in.size = 60000;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, &a), 0);
	ck_assert_int_eq(gate_calls, 0);
	verdict = 0;
	ck_assert_int_eq(store_copy_range(F.st, f, 0, g, 10, 50000), 50000);
	ck_assert_int_eq(store_getattr(F.st, g, &a), 0);
	ck_assert_uint_eq(a.size, 50010);
	{
		uint8_t x[50000], y[50000];

		ck_assert_int_eq(store_read(F.st, f, x, 50000, 0), 50000);
		ck_assert_int_eq(store_read(F.st, g, y, 50000, 10), 50000);
		ck_assert_int_eq(memcmp(x, y, 50000), 0);
	}
	ck_assert_int_eq(store_copy_range(F.st, f, 100, f, 200, 1000), -EINVAL);
	ck_assert_int_eq(store_copy_range(F.st, f, 1 * MiB, g, 0, 10), 0);
}
END_TEST

START_TEST(test_xattr)
{
	char big[4000], buf[4096];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);

	ck_assert_int_eq(store_setxattr(F.st, f, "user.a", "1", 1, 0), 0);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.b", "22", 2, 0), 0);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.a", "x", 1,
					STORE_XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.c", "x", 1,
					STORE_XATTR_REPLACE), -ENODATA);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.a", "333", 3,
					STORE_XATTR_REPLACE), 0);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.a", NULL, 0), 3);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.a", buf, 2), -ERANGE);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.a", buf, 10), 3);
	ck_assert_int_eq(memcmp(buf, "333", 3), 0);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.zz", buf, 10), -ENODATA);
	ck_assert_int_eq(store_listxattr(F.st, f, NULL, 0), 14);
	ck_assert_int_eq(store_listxattr(F.st, f, buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "user.b");
	ck_assert_int_eq(store_listxattr(F.st, f, buf, 3), -ERANGE);
	memset(big, 'v', sizeof(big));
	ck_assert_int_eq(store_setxattr(F.st, f, "user.big", big, sizeof(big),
					0), -E2BIG);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.big", big, 3968, 0), 0);
	ck_assert_int_eq(store_setxattr(F.st, f, "user.big2", big, 100, 0),
			 -ENOSPC);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.big", buf, 4096), 3968);
	ck_assert_int_eq(store_removexattr(F.st, f, "user.big"), 0);
	ck_assert_int_eq(store_setxattr(F.st, f, "", big, 1, 0), -EINVAL);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_getxattr(F.st, f, "user.b", buf, 10), 2);
	ck_assert_int_eq(store_removexattr(F.st, f, "user.b"), 0);
	ck_assert_int_eq(store_removexattr(F.st, f, "user.b"), -ENODATA);
	ck_assert_int_eq(store_removexattr(F.st, f, "user.a"), 0);
	ck_assert_int_eq(store_listxattr(F.st, f, buf, sizeof(buf)), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static bool overlaps(const struct store_extent *e, int n, uint64_t off,
		     uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (e[i].region_off < off + len && off < e[i].region_off + e[i].len)
			return true;
	return false;
}

/* zero range and copy_file_range are layout changes: the file gets fresh
 * blocks, so a revoked pin's quarantined blocks never stay in it */
START_TEST(test_layout_changes_replace_blocks)
{
	struct store_extent old, e[16];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);
	uint64_t g = fx_create(F.st, ROOT, "g", S_IFREG | 0644);
	int n;

	fx_write_pattern(F.st, f, 0, 64 * KiB, 1);
	fx_write_pattern(F.st, g, 0, 64 * KiB, 2);
	ck_assert_int_eq(store_extents(F.st, f, 0, 64 * KiB, 0, &old, 1, NULL),
			 1);
	ck_assert_int_eq(store_hold(F.st, 9, old.region_off, old.len), 0);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE |
					 FALLOC_FL_KEEP_SIZE, 0, 64 * KiB), 0);
	n = store_extents(F.st, f, 0, 64 * KiB, 0, e, 16, NULL);
	ck_assert_int_ge(n, 1);
	ck_assert(!overlaps(e, n, old.region_off, old.len));
	ck_assert(e[0].flags & STORE_EXT_UNWRITTEN);
	fx_write_pattern(F.st, f, 0, 64 * KiB, 3);
	fx_check_pattern(F.st, f, 0, 64 * KiB, 3);
	n = store_extents(F.st, f, 0, 64 * KiB, 0, e, 16, NULL);
	ck_assert(!overlaps(e, n, old.region_off, old.len));
	/* copy onto the range */
	ck_assert_int_eq(store_extents(F.st, f, 0, 64 * KiB, 0, &old, 1, NULL),
			 1);
	ck_assert_int_eq(store_hold(F.st, 10, old.region_off, old.len), 0);
	ck_assert_int_eq(store_copy_range(F.st, g, 0, f, 0, 64 * KiB),
			 (ssize_t)(64 * KiB));
	n = store_extents(F.st, f, 0, 64 * KiB, 0, e, 16, NULL);
	ck_assert(!overlaps(e, n, old.region_off, old.len));
	fx_check_pattern(F.st, f, 0, 64 * KiB, 2);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static int count_holds(void *arg, uint64_t pin, uint64_t off, uint64_t len)
{
	(void)off;
	(void)len;
	if (pin == 77)
		(*(int *)arg)++;
	return 0;
}

START_TEST(test_holds)
{
	struct store_extent e;
	struct store_attr in = { .size = 0 };
	struct store_info i0, i1;
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);
	int n = 0;

	fx_write_pattern(F.st, f, 0, 64 * KiB, 1);
	ck_assert_int_eq(store_extents(F.st, f, 0, 64 * KiB, 0, &e, 1, NULL), 1);
	ck_assert_int_eq(store_hold(F.st, 77, e.region_off, e.len), 0);
	ck_assert_int_eq(store_hold(F.st, 78, e.region_off, 4096), 0);
	ck_assert(store_block_held(F.st, e.region_off));
	ck_assert_int_eq(store_hold(F.st, 77, e.region_off + 1, 4096), -EINVAL);
	ck_assert_int_eq(store_hold(F.st, 77, 0, 4096), -EINVAL);
	store_get_info(F.st, &i0);
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL), 0);
	store_get_info(F.st, &i1);
	ck_assert_uint_eq(i1.free_blocks, i0.free_blocks);  /* quarantined */
	fx_reopen(&F, 0);
	ck_assert(store_block_held(F.st, e.region_off));
	ck_assert_int_eq(store_for_each_hold(F.st, count_holds, &n), 0);
	ck_assert_int_eq(n, 1);
	/* a new file never gets held blocks */
	f = fx_create(F.st, ROOT, "g", S_IFREG | 0644);
	fx_write_pattern(F.st, f, 0, 256 * KiB, 2);
	{
		struct store_extent ex[16];
		int k = store_extents(F.st, f, 0, 256 * KiB, 0, ex, 16, NULL);

		for (int j = 0; j < k; j++)
			ck_assert(ex[j].region_off + ex[j].len <= e.region_off ||
				  ex[j].region_off >= e.region_off + e.len);
	}
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_release_holds(F.st, 77), 0);
	ck_assert(store_block_held(F.st, e.region_off));
	ck_assert_int_eq(store_release_holds(F.st, 78), 0);
	ck_assert(!store_block_held(F.st, e.region_off));
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_preg)
{
	uint8_t rec[STORE_PREG_RECORD_SIZE], out[STORE_PREG_RECORD_SIZE];
	uint32_t n = store_preg_slots(F.st);

	ck_assert_uint_ge(n, 1024);
	memset(rec, 0xab, sizeof(rec));
	ck_assert_int_eq(store_preg_get(F.st, 5, out), -ENOENT);
	ck_assert_int_eq(store_preg_put(F.st, 5, rec), 0);
	ck_assert_int_eq(store_preg_put(F.st, n, rec), -EINVAL);
	ck_assert_int_eq(store_preg_get(F.st, n, out), -EINVAL);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_preg_get(F.st, 5, out), 0);
	ck_assert_int_eq(memcmp(rec, out, sizeof(rec)), 0);
	ck_assert_int_eq(store_preg_put(F.st, 5, NULL), 0);
	ck_assert_int_eq(store_preg_get(F.st, 5, out), -ENOENT);
}
END_TEST

/* Every extent of INO from file offset FROM on lies on the 2 MiB grid:
 * its region offset and its file offset agree modulo 2 MiB. */
static void check_grid(uint64_t ino, uint64_t from, const char *what)
{
	struct store_extent e[64];
	uint64_t total = 0;
	int n = store_extents(F.st, ino, 0, UINT64_MAX / 2, 0, e, 64, &total);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq((uint64_t)n, total);
	for (int i = 0; i < n; i++) {
		if (e[i].file_off + e[i].len <= from)
			continue;
		ck_assert_msg(e[i].region_off % (2 * MiB) ==
			      e[i].file_off % (2 * MiB),
			      "%s: extent %d at file %llu, region %llu, %llu bytes",
			      what, i, (unsigned long long)e[i].file_off,
			      (unsigned long long)e[i].region_off,
			      (unsigned long long)e[i].len);
	}
}

/* Large files on the 2 MiB grid, whatever the cursor; small files still
 * pack; a region without a free 2 MiB group still fills up to ENOSPC. */
START_TEST(test_large_files_on_grid)
{
	uint8_t *buf = malloc(1 * MiB);
	struct store_extent e[64];
	uint64_t f, lo = UINT64_MAX, hi = 0, n1 = 0;
	char name[32];
	ssize_t r;

	memset(buf, 0x3c, 1 * MiB);
	store_close(&F.st);
	fx_mkfs_open(&F, 256 * MiB, 4096);
	/* put the cursor off the grid */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		f = fx_create(F.st, ROOT, name, S_IFREG | 0644);
		ck_assert_int_eq(store_write(F.st, f, buf, 12 * KiB, 0), 12 * KiB);
	}
	/* written 1 MiB at a time: on the grid from its first byte */
	f = fx_create(F.st, ROOT, "mib", S_IFREG | 0644);
	for (uint64_t off = 0; off < 9 * MiB; off += MiB)
		ck_assert_int_eq(store_write(F.st, f, buf, MiB, off), (ssize_t)MiB);
	check_grid(f, 0, "1 MiB writes");
	/* 128 KiB at a time: small at first, on the grid past 2 MiB */
	f = fx_create(F.st, ROOT, "k128", S_IFREG | 0644);
	for (uint64_t off = 0; off < 7 * MiB; off += 128 * KiB)
		ck_assert_int_eq(store_write(F.st, f, buf, 128 * KiB, off),
				 (ssize_t)(128 * KiB));
	check_grid(f, 2 * MiB, "128 KiB writes");
	/* preallocated, and a write that starts mid-group */
	f = fx_create(F.st, ROOT, "falloc", S_IFREG | 0644);
	ck_assert_int_eq(store_fallocate(F.st, f, 0, 0, 8 * MiB), 0);
	check_grid(f, 0, "fallocate");
	f = fx_create(F.st, ROOT, "mid", S_IFREG | 0644);
	ck_assert_int_eq(store_write(F.st, f, buf, MiB, 3 * MiB), (ssize_t)MiB);
	check_grid(f, 0, "1 MiB at 3 MiB");
	/* small files pack: twenty 8 KiB files within one 2 MiB span */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "small%d", i);
		f = fx_create(F.st, ROOT, name, S_IFREG | 0644);
		ck_assert_int_eq(store_write(F.st, f, buf, 8 * KiB, 0), 8 * KiB);
		ck_assert_int_eq(store_extents(F.st, f, 0, 8 * KiB, 0, e, 64,
					       NULL), 1);
		lo = e[0].region_off < lo ? e[0].region_off : lo;
		hi = e[0].region_off + e[0].len > hi ? e[0].region_off + e[0].len : hi;
	}
	ck_assert_msg(hi - lo <= 2 * MiB, "small files spread over %llu bytes",
		      (unsigned long long)(hi - lo));
	/* no free group left: fill with 1 MiB files, free every other one;
	 * large writes then fall back to the holes, up to ENOSPC */
	for (;; n1++) {
		snprintf(name, sizeof(name), "fill%llu", (unsigned long long)n1);
		f = fx_create(F.st, ROOT, name, S_IFREG | 0644);
		r = store_write(F.st, f, buf, MiB, 0);
		if (r != (ssize_t)MiB)
			break;
	}
	ck_assert_int_eq(r, -ENOSPC);
	for (uint64_t i = 0; i < n1; i += 2) {
		snprintf(name, sizeof(name), "fill%llu", (unsigned long long)i);
		ck_assert_int_eq(store_unlink(F.st, ROOT, name), 0);
	}
	f = fx_create(F.st, ROOT, "late", S_IFREG | 0644);
	for (uint64_t off = 0; off < 8 * MiB; off += MiB)
		ck_assert_int_eq(store_write(F.st, f, buf, MiB, off), (ssize_t)MiB);
	{
		uint8_t *got = malloc(MiB);

		ck_assert_int_eq(store_read(F.st, f, got, MiB, 5 * MiB),
				 (ssize_t)MiB);
		ck_assert(!memcmp(got, buf, MiB));
		free(got);
	}
	for (uint64_t off = 8 * MiB;; off += MiB) {
		r = store_write(F.st, f, buf, MiB, off);
		if (r != (ssize_t)MiB)
			break;
	}
	ck_assert_int_eq(r, -ENOSPC);
	free(buf);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_enospc)
{
	struct statvfs sv, sv2;
	struct store_attr a;
	uint64_t f, g, i = 0;
	char name[32];
	uint8_t *buf = calloc(1, 1 * MiB);
	ssize_t r;
	int err;

	store_close(&F.st);
	fx_mkfs_open(&F, 16 * MiB, 1024);
	f = fx_create(F.st, ROOT, "fill", S_IFREG | 0644);
	memset(buf, 0x5a, 1 * MiB);
	for (;;) {
		r = store_write(F.st, f, buf, 1 * MiB, i * MiB);
		if (r < 0)
			break;
		i++;
	}
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, i * MiB);
	/* fill the rest block by block */
	while (store_write(F.st, f, buf, 4096, a.size) == 4096)
		a.size += 4096;
	ck_assert_int_eq(store_statfs(F.st, &sv), 0);
	ck_assert_int_eq(store_fallocate(F.st, f, 0, a.size, 1 * MiB), -ENOSPC);
	ck_assert_int_eq(store_statfs(F.st, &sv2), 0);
	ck_assert_uint_eq(sv.f_bfree, sv2.f_bfree);
	/* overwrites still work; then inodes run out */
	ck_assert_int_eq(store_write(F.st, f, buf, 4096, 0), 4096);
	for (int k = 0;; k++) {
		snprintf(name, sizeof(name), "n%d", k);
		err = store_mknod(F.st, ROOT, name, S_IFREG | 0644, 0,
				  &fx_cred, &a);
		if (err)
			break;
	}
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "fill"), 0);
	g = fx_create(F.st, ROOT, "after", S_IFREG | 0644);
	fx_write_pattern(F.st, g, 0, 1 * MiB, 3);
	free(buf);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* ---- threads: writers, a namespace churner and readers at once ---- */

struct thr {
	struct store *st;
	uint64_t ino;
	int id;
	_Atomic bool *stop;
	int errors;
};

static void *writer(void *arg)
{
	struct thr *t = arg;
	uint8_t buf[16384];
	struct store_attr in = { 0 };

	memset(buf, t->id + 1, sizeof(buf));
	for (uint64_t i = 0; !*t->stop; i++) {
		if (store_write(t->st, t->ino, buf, sizeof(buf),
				(i % 64) * sizeof(buf)) != sizeof(buf))
			t->errors++;
		if (i % 50 == 49) {
			in.size = (i % 7) * 1000;
			if (store_setattr(t->st, t->ino, &in, STORE_SET_SIZE,
					  NULL))
				t->errors++;
		}
	}
	return NULL;
}

static void *churner(void *arg)
{
	struct thr *t = arg;
	struct store_attr a;
	char n1[32], n2[32];

	for (int i = 0; !*t->stop; i++) {
		snprintf(n1, sizeof(n1), "c%d", i % 100);
		snprintf(n2, sizeof(n2), "r%d", i % 100);
		store_mknod(t->st, ROOT, n1, S_IFREG | 0644, 0, &fx_cred, &a);
		store_rename(t->st, ROOT, n1, ROOT, n2, 0);
		if (i % 3 == 0)
			store_unlink(t->st, ROOT, n2);
	}
	return NULL;
}

static int rd_count(void *arg, const char *name, uint64_t ino, uint32_t mode,
		    uint64_t next)
{
	(void)name;
	(void)ino;
	(void)mode;
	(void)next;
	(*(int *)arg)++;
	return 0;
}

static void *reader(void *arg)
{
	struct thr *t = arg;
	uint8_t buf[16384];
	struct store_attr a;
	int n;

	while (!*t->stop) {
		ssize_t r = store_read(t->st, t->ino, buf, sizeof(buf), 0);

		if (r < 0)
			t->errors++;
		for (ssize_t i = 1; i < r; i++)
			if (buf[i] && buf[i] != buf[0])
				t->errors++;  /* bytes from one writer only */
		if (store_getattr(t->st, t->ino, &a))
			t->errors++;
		if (store_iget(t->st, t->ino))
			t->errors++;
		store_iput(t->st, t->ino, 1);
		n = 0;
		if (store_readdir(t->st, ROOT, 0, rd_count, &n) || n < 2)
			t->errors++;
	}
	return NULL;
}

START_TEST(test_threads)
{
	_Atomic bool stop = false;
	struct thr t[5];
	pthread_t th[5];
	void *(*fn[5])(void *) = { writer, writer, churner, reader, reader };

	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "w%d", i % 2);
		t[i] = (struct thr){ .st = F.st, .id = i, .stop = &stop };
		if (i < 2)
			t[i].ino = fx_create(F.st, ROOT, name, S_IFREG | 0644);
		else
			t[i].ino = t[i - 3 < 0 ? 0 : (i - 3) % 2].ino;
	}
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, fn[i], &t[i]), 0);
	usleep(1500 * 1000);
	stop = true;
	for (int i = 0; i < 5; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(t[i].errors, 0);
	}
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static Suite *data_suite(void)
{
	Suite *s = suite_create("store-data");
	TCase *tc = tcase_create("data");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_write_read_sparse);
	tcase_add_test(tc, test_large_aligned);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_free_many_budgets);
	tcase_add_test(tc, test_fallocate_seek);
	tcase_add_test(tc, test_punch_zero);
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_xattr);
	tcase_add_test(tc, test_holds);
	tcase_add_test(tc, test_layout_changes_replace_blocks);
	tcase_add_test(tc, test_preg);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_large_files_on_grid);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(data_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
