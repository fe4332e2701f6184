/* SPDX-License-Identifier: MIT */
/*
 * test_corrupt.c - random damage to the metadata of a populated region:
 * open, walking every directory, reading every file, writing, and fsck
 * (with and without --repair) must return errors, never crash, hang or
 * write out of bounds (run it under ASan to see the last).
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

#include "fixture.h"
#include "ondisk.h"

#define ROOT STORE_ROOT_INO

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void populate(struct store *st)
{
	char name[32];
	uint64_t d = fx_create(st, ROOT, "dir", S_IFDIR | 0755);
	struct store_attr a;

	for (int i = 0; i < 40; i++) {
		uint64_t f;

		snprintf(name, sizeof(name), "f%d", i);
		f = fx_create(st, i % 2 ? d : ROOT, name, S_IFREG | 0644);
		fx_write_pattern(st, f, (uint64_t)i * 5000, 3000 + i * 700, 1);
		if (i % 5 == 0)
			ck_assert_int_eq(store_setxattr(st, f, "user.k", "v", 1, 0),
					 0);
	}
	ck_assert_int_eq(store_symlink(st, d, "s", "f1", &fx_cred, &a), 0);
	fx_create(st, d, "sub", S_IFDIR | 0700);
}

struct walk {
	struct store *st;
	int depth;
};

static int walk_fn(void *arg, const char *name, uint64_t ino, uint32_t mode,
		   uint64_t next);

static void walk_dir(struct store *st, uint64_t dir, int depth)
{
	struct walk w = { .st = st, .depth = depth };

	if (depth < 8)
		store_readdir(st, dir, 0, walk_fn, &w);
}

static int walk_fn(void *arg, const char *name, uint64_t ino, uint32_t mode,
		   uint64_t next)
{
	struct walk *w = arg;
	struct store_attr a;
	static char buf[65536];
	uint64_t off;

	(void)next;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	store_lookup(w->st, ROOT, name, &a);
	if (store_getattr(w->st, ino, &a))
		return 0;
	if (S_ISDIR(mode)) {
		walk_dir(w->st, ino, w->depth + 1);
	} else if (S_ISLNK(a.mode)) {
		store_readlink(w->st, ino, buf, sizeof(buf));
	} else {
		store_read(w->st, ino, buf, sizeof(buf), 0);
		store_seek(w->st, ino, 0, SEEK_DATA, &off);
		store_seek(w->st, ino, 0, SEEK_HOLE, &off);
		store_getxattr(w->st, ino, "user.k", buf, sizeof(buf));
		store_listxattr(w->st, ino, buf, sizeof(buf));
		store_write(w->st, ino, "zz", 2, 100);
	}
	return 0;
}

START_TEST(test_random_damage)
{
	struct stat stb;
	const struct pfs_dsb *sb;
	uint8_t *m;
	int fd;

	rnd_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)(_i + 1) * 7919;
	populate(F.st);
	store_close(&F.st);
	fd = open(F.region, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &stb), 0);
	m = mmap(NULL, (size_t)stb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	close(fd);
	sb = (const void *)m;
	/* damage 1..8 random bytes in the inode table's used part, the
	 * first data blocks (directories, extent and xattr blocks, data)
	 * or the refcount table */
	for (uint64_t k = 0, n = 1 + rnd() % 16; k < n; k++) {
		uint64_t area = rnd() % 3, off;

		if (area == 0)
			off = ld64(sb->itab_off) + 256 + rnd() % (64 * 256);
		else if (area == 1)
			off = ld64(sb->data_off) + rnd() % (400 * 4096);
		else
			off = ld64(sb->rc_off) + rnd() % 2048;
		m[off] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 4 == 0)
			m[off] = (uint8_t)rnd();
		if (rnd() % 4 == 0) {   /* a whole aligned word */
			uint64_t v = rnd() % 3 ? rnd() % 100000 : rnd();

			memcpy(m + (off & ~7ull), &v, 8);
		}
	}
	munmap(m, (size_t)stb.st_size);
	{
		const char *why = NULL;

		if (store_open(F.region, 0, &F.st, &why) == 0) {
			walk_dir(F.st, ROOT, 0);
			store_close(&F.st);
		}
	}
	fx_fsck(&F, 0);
	fx_fsck(&F, STORE_FSCK_REPAIR);
	/* one repair pass converges: clean, or a region it cannot open */
	ck_assert_int_le(fx_fsck(&F, 0), 0);
	/* after repair the region opens and is walkable */
	{
		const char *why = NULL;
		int err = store_open(F.region, 0, &F.st, &why);

		if (err == 0) {
			walk_dir(F.st, ROOT, 0);
			store_close(&F.st);
		}
	}
}
END_TEST

static Suite *corrupt_suite(void)
{
	Suite *s = suite_create("corrupt");
	TCase *tc = tcase_create("random-damage");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_random_damage, 0, 300);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(corrupt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
