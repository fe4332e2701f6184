/* SPDX-License-Identifier: MIT */
/*
 * test_edges.c - invariant 1 at the partial blocks of a gated change, and
 * the running free/held counters behind statfs and the info call.
 *
 * A pin holds its blocks from the moment it is taken.  When the gate lets
 * a truncate, punch, zero range or copy_range through over such a pin,
 * the partial block at either end must be copied to a fresh block before
 * it changes, so that the (revoked) holder's later stores through the old
 * block never show through the file.  Blocks nobody holds keep the
 * in-place path.
 */
#include <check.h>
#include <errno.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

#define ROOT STORE_ROOT_INO
#define KiB 1024ull
#define NBLK 6u              /* blocks of the test file */
#define PIN 77u

static uint8_t pat(uint64_t pos, uint8_t seed)
{
	return (uint8_t)((pos * 131 + pos / 4093 + seed) | 1);
}

/* Region offset of file block FB (0 when unmapped). */
static uint64_t roff(struct store *st, uint64_t ino, uint64_t fb)
{
	struct store_extent e;
	int n = store_extents(st, ino, fb * 4096, 4096, 0, &e, 1, NULL);

	ck_assert_int_ge(n, 0);
	if (!n)
		return 0;
	return e.region_off + (fb * 4096 - e.file_off);
}

/* A file of NBLK blocks of pattern 3; if HOLD, a pin holds every block. */
static uint64_t mkfile(const char *name, bool hold, uint64_t r[NBLK])
{
	uint64_t f = fx_create(F.st, ROOT, name, S_IFREG | 0644);

	fx_write_pattern(F.st, f, 0, NBLK * 4096, 3);
	for (uint64_t b = 0; b < NBLK; b++) {
		r[b] = roff(F.st, f, b);
		ck_assert_uint_ne(r[b], 0);
		if (hold)
			ck_assert_int_eq(store_hold(F.st, PIN, r[b], 4096), 0);
	}
	return f;
}

/* The revoked holder scribbles over every old block. */
static void scribble(const uint64_t r[NBLK])
{
	uint8_t *base = store_region_base(F.st);

	for (uint64_t b = 0; b < NBLK; b++)
		memset(base + r[b], 0xEE, 4096);
}

/* File bytes [0, len): pattern 3 except zeros in [z0, z1). */
static void expect(uint64_t f, uint64_t len, uint64_t z0, uint64_t z1)
{
	uint8_t *buf = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(store_read(F.st, f, buf, len, 0), (ssize_t)len);
	for (uint64_t i = 0; i < len; i++) {
		uint8_t want = i >= z0 && i < z1 ? 0 : pat(i, 3);

		ck_assert_msg(buf[i] == want, "byte %llu: %u, want %u",
			      (unsigned long long)i, buf[i], want);
	}
	free(buf);
}

START_TEST(test_truncate_edge_held)
{
	uint64_t r[NBLK], f = mkfile("t", true, r);
	struct store_attr in = { .size = 2 * 4096 + 1000 };

	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL), 0);
	ck_assert_uint_eq(roff(F.st, f, 0), r[0]);
	ck_assert_uint_eq(roff(F.st, f, 1), r[1]);
	ck_assert_uint_ne(roff(F.st, f, 2), r[2]);   /* the tail block */
	ck_assert(store_block_held(F.st, r[2]));
	ck_assert(!store_block_held(F.st, roff(F.st, f, 2)));
	scribble(r + 0);
	/* only block 2 is the file's own now: grow again, the tail reads 0 */
	in.size = NBLK * 4096;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL), 0);
	{
		uint8_t buf[4096];

		ck_assert_int_eq(store_read(F.st, f, buf, 4096, 2 * 4096), 4096);
		for (int i = 0; i < 1000; i++)
			ck_assert_uint_eq(buf[i], pat(2 * 4096 + i, 3));
		for (int i = 1000; i < 4096; i++)
			ck_assert_uint_eq(buf[i], 0);
	}
	ck_assert_int_eq(store_release_holds(F.st, PIN), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_punch_edges_held)
{
	uint64_t r[NBLK], f = mkfile("p", true, r);
	uint64_t z0 = 4096 + 100, z1 = 4 * 4096 + 300;

	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, z0, z1 - z0), 0);
	ck_assert_uint_eq(roff(F.st, f, 0), r[0]);
	ck_assert_uint_ne(roff(F.st, f, 1), r[1]);
	ck_assert_uint_eq(roff(F.st, f, 2), 0);
	ck_assert_uint_eq(roff(F.st, f, 3), 0);
	ck_assert_uint_ne(roff(F.st, f, 4), r[4]);
	ck_assert_uint_eq(roff(F.st, f, 5), r[5]);
	expect(f, NBLK * 4096, z0, z1);
	scribble(r);
	/* blocks 0 and 5 are still shared (the holder's own, untouched by
	 * the change): only look at what the change produced */
	{
		uint8_t *buf = malloc(4 * 4096);

		ck_assert_int_eq(store_read(F.st, f, buf, 4 * 4096, 4096),
				 4 * 4096);
		for (uint64_t i = 4096; i < 5 * 4096; i++)
			ck_assert_uint_eq(buf[i - 4096],
					  i >= z0 && i < z1 ? 0 : pat(i, 3));
		free(buf);
	}
	ck_assert_int_eq(store_release_holds(F.st, PIN), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_zero_edges_held)
{
	uint64_t r[NBLK], f = mkfile("z", true, r);
	uint64_t z0 = 2 * 4096 + 7, z1 = 3 * 4096 + 5;   /* blocks 2 and 3 */
	uint8_t *buf = malloc(2 * 4096);

	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE, z0,
					 z1 - z0), 0);
	ck_assert_uint_eq(roff(F.st, f, 1), r[1]);
	ck_assert_uint_ne(roff(F.st, f, 2), r[2]);
	ck_assert_uint_ne(roff(F.st, f, 3), r[3]);
	ck_assert_uint_eq(roff(F.st, f, 4), r[4]);
	expect(f, NBLK * 4096, z0, z1);
	scribble(r);
	ck_assert_int_eq(store_read(F.st, f, buf, 2 * 4096, 2 * 4096), 2 * 4096);
	for (uint64_t i = 2 * 4096; i < 4 * 4096; i++)
		ck_assert_uint_eq(buf[i - 2 * 4096],
				  i >= z0 && i < z1 ? 0 : pat(i, 3));
	/* within one block */
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE |
					 FALLOC_FL_KEEP_SIZE, 5 * 4096 + 10, 20),
			 0);
	ck_assert_uint_ne(roff(F.st, f, 5), r[5]);
	free(buf);
	ck_assert_int_eq(store_release_holds(F.st, PIN), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_copy_edges_held)
{
	uint64_t r[NBLK], f = mkfile("c", true, r);
	uint64_t src = fx_create(F.st, ROOT, "src", S_IFREG | 0644);
	uint64_t o0 = 4096 + 1000, n = 3 * 4096;          /* blocks 1..4 */
	uint8_t *buf = malloc(NBLK * 4096);

	fx_write_pattern(F.st, src, 0, 4 * 4096, 9);
	ck_assert_int_eq(store_copy_range(F.st, src, 0, f, o0, n), (ssize_t)n);
	for (uint64_t b = 1; b <= 4; b++)
		ck_assert_uint_ne(roff(F.st, f, b), r[b]);
	ck_assert_uint_eq(roff(F.st, f, 0), r[0]);
	ck_assert_uint_eq(roff(F.st, f, 5), r[5]);
	scribble(r);
	ck_assert_int_eq(store_read(F.st, f, buf, NBLK * 4096, 0),
			 NBLK * 4096);
	for (uint64_t i = 4096; i < 5 * 4096; i++) {
		uint8_t want = i >= o0 && i < o0 + n ? pat(i - o0, 9) : pat(i, 3);

		ck_assert_msg(buf[i] == want, "byte %llu", (unsigned long long)i);
	}
	free(buf);
	ck_assert_int_eq(store_release_holds(F.st, PIN), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* Nobody holds the blocks: edges change in place (no new block). */
START_TEST(test_edges_unheld_in_place)
{
	uint64_t r[NBLK], f = mkfile("u", false, r);
	uint64_t src = fx_create(F.st, ROOT, "src", S_IFREG | 0644);
	struct store_attr in = { .size = 5 * 4096 + 9 };

	fx_write_pattern(F.st, src, 0, 4096, 9);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 100, 200), 0);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_ZERO_RANGE,
					 4096 + 100, 200), 0);
	ck_assert_int_eq(store_copy_range(F.st, src, 0, f, 2 * 4096 + 5, 100),
			 100);
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL), 0);
	for (uint64_t b = 0; b < NBLK; b++)
		ck_assert_uint_eq(roff(F.st, f, b), r[b]);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* A held edge needs a free block: without one, -ENOSPC and no change. */
START_TEST(test_edge_enospc)
{
	uint64_t r[NBLK], f = mkfile("e", true, r);
	uint64_t g = fx_create(F.st, ROOT, "fill", S_IFREG | 0644);
	struct store_attr in = { .size = 4096 + 5 }, a;
	uint8_t *blk = calloc(1, 1 << 20);
	uint64_t off = 0;
	ssize_t w;

	memset(blk, 0x5a, 1 << 20);
	while ((w = store_write(F.st, g, blk, 1 << 20, off)) > 0)
		off += (uint64_t)w;
	while ((w = store_write(F.st, g, blk, 4096, off)) > 0)
		off += (uint64_t)w;
	ck_assert_int_eq(w, -ENOSPC);
	/* the last blocks: small files need no extent chain block */
	for (int i = 0; i < 8; i++) {
		char nm[16];
		uint64_t h;

		snprintf(nm, sizeof(nm), "fill%d", i);
		h = fx_create(F.st, ROOT, nm, S_IFREG | 0644);
		if (store_write(F.st, h, blk, 4096, 0) < 0)
			break;
	}
	{
		struct statvfs sv;

		ck_assert_int_eq(store_statfs(F.st, &sv), 0);
		ck_assert_msg(sv.f_bfree == 0, "free %lu", (unsigned long)sv.f_bfree);
	}
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL),
			 -ENOSPC);
	ck_assert_int_eq(store_fallocate(F.st, f, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 100, 200), -ENOSPC);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.size, NBLK * 4096);
	expect(f, NBLK * 4096, 0, 0);
	/* freeing the filler makes room */
	ck_assert_int_eq(store_unlink(F.st, ROOT, "fill"), 0);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "fill0"), 0);
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_SIZE, NULL), 0);
	ck_assert_uint_ne(roff(F.st, f, 1), r[1]);
	free(blk);
	ck_assert_int_eq(store_release_holds(F.st, PIN), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* ---- counters ---- */

static uint64_t scan_held(struct store *st, const struct store_info *i)
{
	uint64_t n = 0;

	for (uint64_t b = 0; b < i->total_blocks; b++)
		n += store_block_held(st, i->data_start + b * 4096);
	return n;
}

static void check_counters(void)
{
	struct store_info a, b;
	struct statvfs sv;

	store_get_info(F.st, &a);
	ck_assert_uint_eq(a.held_blocks, scan_held(F.st, &a));
	ck_assert_int_eq(store_statfs(F.st, &sv), 0);
	ck_assert_uint_eq(sv.f_bfree, a.free_blocks);
	ck_assert_uint_eq(sv.f_ffree, a.free_inodes);
	/* open counts free blocks and inodes by a full scan */
	fx_reopen(&F, 0);
	store_get_info(F.st, &b);
	ck_assert_uint_eq(a.free_blocks, b.free_blocks);
	ck_assert_uint_eq(a.held_blocks, b.held_blocks);
	ck_assert_uint_eq(a.free_inodes, b.free_inodes);
}

START_TEST(test_counters_random)
{
	uint64_t ino[16] = { 0 };
	char name[16];
	uint8_t *buf = malloc(256 * KiB);

	srandom(12345);
	memset(buf, 0x33, 256 * KiB);
	for (int step = 0; step < 400; step++) {
		int k = (int)(random() % 16), op = (int)(random() % 9);
		uint64_t off = (uint64_t)(random() % (512 * KiB));
		uint64_t len = 1 + (uint64_t)(random() % (256 * KiB));

		snprintf(name, sizeof(name), "f%d", k);
		if (!ino[k]) {
			ino[k] = fx_create(F.st, ROOT, name, S_IFREG | 0644);
			continue;
		}
		switch (op) {
		case 0:
		case 1:
			ck_assert_int_ge(store_write(F.st, ino[k], buf, len, off), 0);
			break;
		case 2: {
			struct store_attr in = { .size = off };

			ck_assert_int_eq(store_setattr(F.st, ino[k], &in,
						       STORE_SET_SIZE, NULL), 0);
			break;
		}
		case 3:
			store_fallocate(F.st, ino[k], FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, off, len);
			break;
		case 4:
			store_fallocate(F.st, ino[k], FALLOC_FL_ZERO_RANGE, off, len);
			break;
		case 5:
			store_fallocate(F.st, ino[k], 0, off, len);
			break;
		case 6: {
			struct store_extent e[4];
			int n = store_extents(F.st, ino[k], 0, UINT64_MAX / 2, 0,
					      e, 4, NULL);

			for (int j = 0; j < n; j++)
				store_hold(F.st, 1 + (uint64_t)(random() % 5),
					   e[j].region_off, e[j].len);
			break;
		}
		case 7:
			ck_assert_int_eq(store_release_holds(F.st, 1 + (uint64_t)
							     (random() % 5)), 0);
			break;
		default:
			ck_assert_int_eq(store_unlink(F.st, ROOT, name), 0);
			ino[k] = 0;
			break;
		}
		if (step % 50 == 49)
			check_counters();
	}
	for (uint64_t p = 1; p <= 5; p++)
		ck_assert_int_eq(store_release_holds(F.st, p), 0);
	check_counters();
	free(buf);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static Suite *edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("edges");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_add_test(tc, test_truncate_edge_held);
	tcase_add_test(tc, test_punch_edges_held);
	tcase_add_test(tc, test_zero_edges_held);
	tcase_add_test(tc, test_copy_edges_held);
	tcase_add_test(tc, test_edges_unheld_in_place);
	tcase_add_test(tc, test_edge_enospc);
	tcase_add_test(tc, test_counters_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(edges_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
