/* SPDX-License-Identifier: MIT */
/* test_store.c - the store's namespace, attributes and persistence. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

#define ROOT STORE_ROOT_INO

START_TEST(test_root_and_statfs)
{
	struct store_attr a;
	struct statvfs sv;
	struct store_info info;

	ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
	ck_assert(S_ISDIR(a.mode));
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(store_statfs(F.st, &sv), 0);
	ck_assert_uint_eq(sv.f_bsize, 4096);
	ck_assert_uint_gt(sv.f_bfree, 1000);
	ck_assert_uint_eq(sv.f_namemax, 255);
	store_get_info(F.st, &info);
	ck_assert_str_eq(info.granularity, "page");
	ck_assert_uint_eq(info.data_start % (2u << 20), 0);
	ck_assert_uint_eq(info.free_inodes + 1, info.total_inodes);
	ck_assert_int_eq(store_getattr(F.st, 0, &a), -ENOENT);
	ck_assert_int_eq(store_getattr(F.st, 1u << 30, &a), -ENOENT);
	ck_assert_int_eq(store_getattr(F.st, 5, &a), -ENOENT);
}
END_TEST

START_TEST(test_create_lookup_unlink)
{
	struct store_attr a, b;
	uint64_t ino = fx_create(F.st, ROOT, "f", S_IFREG | 0640);

	ck_assert_int_eq(store_lookup(F.st, ROOT, "f", &a), 0);
	ck_assert_uint_eq(a.ino, ino);
	ck_assert_uint_eq(a.mode, S_IFREG | 0640);
	ck_assert_uint_eq(a.uid, 1000);
	ck_assert_uint_eq(a.nlink, 1);
	ck_assert_int_eq(store_mknod(F.st, ROOT, "f", S_IFREG | 0600, 0,
				     &fx_cred, &b), -EEXIST);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "nope", &b), -ENOENT);
	ck_assert_int_eq(store_lookup(F.st, ino, "x", &b), -ENOTDIR);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "f"), 0);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "f", &b), -ENOENT);
	ck_assert_int_eq(store_getattr(F.st, ino, &b), -ENOENT);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "f"), -ENOENT);
}
END_TEST

START_TEST(test_bad_names)
{
	char longname[300];
	struct store_attr a;

	memset(longname, 'x', sizeof(longname));
	longname[256] = 0;
	ck_assert_int_eq(store_mknod(F.st, ROOT, longname, S_IFREG, 0,
				     &fx_cred, &a), -ENAMETOOLONG);
	longname[255] = 0;
	ck_assert_int_eq(store_mknod(F.st, ROOT, longname, S_IFREG, 0,
				     &fx_cred, &a), 0);
	ck_assert_int_eq(store_mknod(F.st, ROOT, "a/b", S_IFREG, 0, &fx_cred,
				     &a), -EINVAL);
	ck_assert_int_eq(store_mknod(F.st, ROOT, "", S_IFREG, 0, &fx_cred, &a),
			 -ENOENT);
	ck_assert_int_eq(store_mknod(F.st, ROOT, ".", S_IFDIR, 0, &fx_cred, &a),
			 -EEXIST);
	ck_assert_int_eq(store_mknod(F.st, ROOT, "l", S_IFLNK, 0, &fx_cred, &a),
			 -EINVAL);
	ck_assert_int_eq(store_mknod(F.st, 999999, "x", S_IFREG, 0, &fx_cred,
				     &a), -ENOENT);
}
END_TEST

START_TEST(test_mkdir_rmdir_nlink)
{
	struct store_attr a;
	uint64_t d = fx_create(F.st, ROOT, "d", S_IFDIR | 0755);

	fx_create(F.st, d, "sub", S_IFDIR | 0700);
	fx_create(F.st, d, "file", S_IFREG | 0600);
	ck_assert_int_eq(store_getattr(F.st, d, &a), 0);
	ck_assert_uint_eq(a.nlink, 3);
	ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
	ck_assert_uint_eq(a.nlink, 3);
	ck_assert_int_eq(store_lookup(F.st, d, "..", &a), 0);
	ck_assert_uint_eq(a.ino, ROOT);
	ck_assert_int_eq(store_rmdir(F.st, ROOT, "d"), -ENOTEMPTY);
	ck_assert_int_eq(store_rmdir(F.st, d, "file"), -ENOTDIR);
	ck_assert_int_eq(store_unlink(F.st, d, "sub"), -EISDIR);
	ck_assert_int_eq(store_rmdir(F.st, d, "sub"), 0);
	ck_assert_int_eq(store_unlink(F.st, d, "file"), 0);
	ck_assert_int_eq(store_rmdir(F.st, ROOT, "d"), 0);
	ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
	ck_assert_uint_eq(a.nlink, 2);
}
END_TEST

START_TEST(test_setgid_dir)
{
	struct store_attr a, in = { .mode = 02775 };
	struct store_cred other = { .uid = 5, .gid = 6 };
	uint64_t d = fx_create(F.st, ROOT, "g", S_IFDIR | 0775);

	ck_assert_int_eq(store_setattr(F.st, d, &in, STORE_SET_MODE, &a), 0);
	ck_assert_int_eq(store_mknod(F.st, d, "f", S_IFREG | 0644, 0, &other,
				     &a), 0);
	ck_assert_uint_eq(a.gid, 1000);
	ck_assert_uint_eq(a.uid, 5);
	ck_assert_int_eq(store_mknod(F.st, d, "sd", S_IFDIR | 0755, 0, &other,
				     &a), 0);
	ck_assert_uint_eq(a.gid, 1000);
	ck_assert(a.mode & S_ISGID);
}
END_TEST

struct rd {
	int n;
	char names[64][32];
	uint64_t next[64];
	int stop_after;
};

static int rd_fill(void *arg, const char *name, uint64_t ino, uint32_t mode,
		   uint64_t next)
{
	struct rd *r = arg;

	(void)ino;
	(void)mode;
	if (r->n == r->stop_after)
		return 1;
	snprintf(r->names[r->n], 32, "%s", name);
	r->next[r->n++] = next;
	return 0;
}

START_TEST(test_readdir_cookies)
{
	struct rd r = { .stop_after = 3 };
	char name[16];

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		fx_create(F.st, ROOT, name, S_IFREG | 0644);
	}
	ck_assert_int_eq(store_readdir(F.st, ROOT, 0, rd_fill, &r), 0);
	ck_assert_int_eq(r.n, 3);
	ck_assert_str_eq(r.names[0], ".");
	ck_assert_str_eq(r.names[1], "..");
	ck_assert_int_eq(store_unlink(F.st, ROOT, "e5"), 0);
	r.stop_after = 64;
	ck_assert_int_eq(store_readdir(F.st, ROOT, r.next[2], rd_fill, &r), 0);
	ck_assert_int_eq(r.n, 3 + 18);
	for (int i = 0; i < r.n; i++)
		ck_assert_str_ne(r.names[i], "e5");
	ck_assert_int_eq(store_readdir(F.st, 12345678, 0, rd_fill, &r), -ENOENT);
}
END_TEST

struct reent {
	struct store *st;
	int n;
};

static int rd_reenter(void *arg, const char *name, uint64_t ino,
		      uint32_t mode, uint64_t next)
{
	struct reent *r = arg;
	struct store_attr a;

	(void)name;
	(void)mode;
	(void)next;
	/* what readdirplus does: attributes and a reference per entry */
	ck_assert_int_eq(store_getattr(r->st, ino, &a), 0);
	ck_assert_int_eq(store_iget(r->st, ino), 0);
	store_iput(r->st, ino, 1);
	r->n++;
	return 0;
}

START_TEST(test_readdir_reentrant)
{
	struct reent r = { .st = F.st };
	char name[16];

	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		fx_create(F.st, ROOT, name, S_IFREG | 0644);
	}
	ck_assert_int_eq(store_readdir(F.st, ROOT, 0, rd_reenter, &r), 0);
	ck_assert_int_eq(r.n, 152);
}
END_TEST

/* regression: the free-slot stack of a directory overflowed when more
 * entries were removed than were free when it last grew */
START_TEST(test_dir_remove_all)
{
	struct store_attr a;
	char name[32];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "x%d", i);
			fx_create(F.st, ROOT, name, S_IFREG | 0644);
		}
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "x%d", i);
			ck_assert_int_eq(store_unlink(F.st, ROOT, name), 0);
		}
	}
	ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
	ck_assert_uint_eq(a.size, 20 * 4096);
	fx_reopen(&F, 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_link_symlink)
{
	struct store_attr a;
	char buf[5000], target[4096];
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);
	uint64_t d = fx_create(F.st, ROOT, "d", S_IFDIR | 0755);

	ck_assert_int_eq(store_link(F.st, f, d, "f2", &a), 0);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(store_link(F.st, d, ROOT, "dl", &a), -EPERM);
	ck_assert_int_eq(store_link(F.st, f, d, "f2", &a), -EEXIST);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "f"), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.nlink, 1);
	ck_assert_int_eq(store_symlink(F.st, ROOT, "s", "d/f2", &fx_cred, &a),
			 0);
	ck_assert(S_ISLNK(a.mode));
	ck_assert_uint_eq(a.size, 4);
	ck_assert_int_eq(store_readlink(F.st, a.ino, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "d/f2", 4), 0);
	memset(target, 't', 4095);
	target[4095] = 0;
	ck_assert_int_eq(store_symlink(F.st, ROOT, "long", target, &fx_cred,
				       &a), 0);
	ck_assert_int_eq(store_readlink(F.st, a.ino, buf, sizeof(buf)), 4095);
	ck_assert_int_eq(memcmp(buf, target, 4095), 0);
	ck_assert_int_eq(store_readlink(F.st, f, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(store_symlink(F.st, ROOT, "e", "", &fx_cred, &a),
			 -ENOENT);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "long", &a), 0);
	ck_assert_int_eq(store_readlink(F.st, a.ino, buf, 10), 4095);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "long"), 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_rename)
{
	struct store_attr a, b;
	uint64_t d1 = fx_create(F.st, ROOT, "d1", S_IFDIR | 0755);
	uint64_t d2 = fx_create(F.st, ROOT, "d2", S_IFDIR | 0755);
	uint64_t sub = fx_create(F.st, d1, "sub", S_IFDIR | 0755);
	uint64_t f = fx_create(F.st, d1, "f", S_IFREG | 0644);
	uint64_t g = fx_create(F.st, d2, "g", S_IFREG | 0644);

	/* plain move across directories */
	ck_assert_int_eq(store_rename(F.st, d1, "f", d2, "f", 0), 0);
	ck_assert_int_eq(store_lookup(F.st, d2, "f", &a), 0);
	ck_assert_uint_eq(a.ino, f);
	ck_assert_int_eq(store_lookup(F.st, d1, "f", &a), -ENOENT);
	/* NOREPLACE */
	ck_assert_int_eq(store_rename(F.st, d2, "f", d2, "g",
				      STORE_RENAME_NOREPLACE), -EEXIST);
	/* replace a file: g loses its only link */
	ck_assert_int_eq(store_rename(F.st, d2, "f", d2, "g", 0), 0);
	ck_assert_int_eq(store_getattr(F.st, g, &a), -ENOENT);
	/* directory into its own subtree */
	ck_assert_int_eq(store_rename(F.st, ROOT, "d1", sub, "x", 0), -EINVAL);
	ck_assert_int_eq(store_rename(F.st, ROOT, "d1", d1, "x", 0), -EINVAL);
	/* directory over file / file over directory */
	ck_assert_int_eq(store_rename(F.st, d1, "sub", d2, "g", 0), -ENOTDIR);
	ck_assert_int_eq(store_rename(F.st, d2, "g", d1, "sub", 0), -EISDIR);
	/* directory move updates .. and nlinks */
	ck_assert_int_eq(store_rename(F.st, d1, "sub", d2, "sub", 0), 0);
	ck_assert_int_eq(store_lookup(F.st, sub, "..", &a), 0);
	ck_assert_uint_eq(a.ino, d2);
	ck_assert_int_eq(store_getattr(F.st, d1, &a), 0);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(store_getattr(F.st, d2, &a), 0);
	ck_assert_uint_eq(a.nlink, 3);
	/* replace an empty directory; a non-empty one is refused */
	fx_create(F.st, d1, "empty", S_IFDIR | 0755);
	ck_assert_int_eq(store_rename(F.st, d2, "sub", d1, "empty", 0), 0);
	ck_assert_int_eq(store_getattr(F.st, d1, &a), 0);
	ck_assert_uint_eq(a.nlink, 3);
	fx_create(F.st, sub, "child", S_IFREG | 0644);
	fx_create(F.st, d2, "other", S_IFDIR | 0755);
	ck_assert_int_eq(store_rename(F.st, d2, "other", d1, "empty", 0),
			 -ENOTEMPTY);
	ck_assert_int_eq(store_lookup(F.st, d1, "empty", &b), 0);
	ck_assert_uint_eq(b.ino, sub);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_rename_exchange)
{
	struct store_attr a, b;
	uint64_t d1 = fx_create(F.st, ROOT, "d1", S_IFDIR | 0755);
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);
	uint64_t sub = fx_create(F.st, d1, "sub", S_IFDIR | 0755);

	ck_assert_int_eq(store_rename(F.st, ROOT, "f", d1, "sub",
				      STORE_RENAME_EXCHANGE), 0);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "f", &a), 0);
	ck_assert_uint_eq(a.ino, sub);
	ck_assert_int_eq(store_lookup(F.st, d1, "sub", &b), 0);
	ck_assert_uint_eq(b.ino, f);
	ck_assert_int_eq(store_lookup(F.st, sub, "..", &a), 0);
	ck_assert_uint_eq(a.ino, ROOT);
	ck_assert_int_eq(store_getattr(F.st, d1, &a), 0);
	ck_assert_uint_eq(a.nlink, 2);
	ck_assert_int_eq(store_getattr(F.st, ROOT, &a), 0);
	ck_assert_uint_eq(a.nlink, 4);
	ck_assert_int_eq(store_rename(F.st, ROOT, "f", d1, "none",
				      STORE_RENAME_EXCHANGE), -ENOENT);
	ck_assert_int_eq(store_rename(F.st, ROOT, "f", d1, "sub",
				      STORE_RENAME_EXCHANGE |
					      STORE_RENAME_NOREPLACE), -EINVAL);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_orphan_iget)
{
	struct store_attr a;
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 0644);

	fx_write_pattern(F.st, f, 0, 10000, 3);
	ck_assert_int_eq(store_iget(F.st, f), 0);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "f"), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_uint_eq(a.nlink, 0);
	fx_check_pattern(F.st, f, 0, 10000, 3);
	store_iput(F.st, f, 1);
	ck_assert_int_eq(store_getattr(F.st, f, &a), -ENOENT);
	/* an orphan left at close is reclaimed at the next open */
	f = fx_create(F.st, ROOT, "g", S_IFREG | 0644);
	fx_write_pattern(F.st, f, 0, 10000, 3);
	ck_assert_int_eq(store_iget(F.st, f), 0);
	ck_assert_int_eq(store_unlink(F.st, ROOT, "g"), 0);
	fx_reopen(&F, STORE_OPEN_NO_RECLAIM);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_int_eq(store_reclaim_orphans(F.st), 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), -ENOENT);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_setattr)
{
	struct store_attr a, in;
	uint64_t f = fx_create(F.st, ROOT, "f", S_IFREG | 06755);

	memset(&in, 0, sizeof(in));
	in.uid = 7;
	in.gid = 8;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_UID |
				       STORE_SET_GID, &a), 0);
	ck_assert_uint_eq(a.uid, 7);
	ck_assert_uint_eq(a.gid, 8);
	ck_assert_uint_eq(a.mode & 07777, 0755);
	in.atime.tv_sec = 1000;
	in.atime.tv_nsec = 5;
	in.mtime.tv_sec = 2000;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_ATIME |
				       STORE_SET_MTIME, &a), 0);
	ck_assert_int_eq(a.atime.tv_sec, 1000);
	ck_assert_int_eq(a.atime.tv_nsec, 5);
	ck_assert_int_eq(a.mtime.tv_sec, 2000);
	ck_assert_int_gt(a.ctime.tv_sec, 2000);
	in.mtime.tv_nsec = 1000000000;
	ck_assert_int_eq(store_setattr(F.st, f, &in, STORE_SET_MTIME, &a),
			 -EINVAL);
	ck_assert_int_eq(store_setattr(F.st, f, &in, 1u << 20, &a), -EINVAL);
	in.size = 5;
	ck_assert_int_eq(store_setattr(F.st, ROOT, &in, STORE_SET_SIZE, &a),
			 -EISDIR);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_getattr(F.st, f, &a), 0);
	ck_assert_int_eq(a.mtime.tv_sec, 2000);
	ck_assert_uint_eq(a.uid, 7);
}
END_TEST

START_TEST(test_big_directory)
{
	struct store_attr a;
	char name[32];
	const int n = 100000;

	store_close(&F.st);
	fx_mkfs_open(&F, 256ull << 20, n + 100);
	int bad = 0;

	/* errors are counted, not asserted per call: each ck_assert is a
	 * message to the parent process */
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%06d", i);
		bad += store_mknod(F.st, ROOT, name, S_IFREG | 0644, 0,
				   &fx_cred, &a) != 0;
	}
	ck_assert_int_eq(bad, 0);
	fx_reopen(&F, 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%06d", i);
		bad += store_lookup(F.st, ROOT, name, &a) != 0;
	}
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "file-x", &a), -ENOENT);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

START_TEST(test_persist_reopen)
{
	struct store_attr a;
	uint64_t d = fx_create(F.st, ROOT, "dir", S_IFDIR | 0750);
	uint64_t f = fx_create(F.st, d, "data", S_IFREG | 0600);

	fx_write_pattern(F.st, f, 0, 300000, 9);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_lookup(F.st, ROOT, "dir", &a), 0);
	ck_assert_uint_eq(a.ino, d);
	ck_assert_int_eq(store_lookup(F.st, d, "data", &a), 0);
	ck_assert_uint_eq(a.size, 300000);
	fx_check_pattern(F.st, f, 0, 300000, 9);
	fx_reopen(&F, STORE_OPEN_READONLY);
	fx_check_pattern(F.st, f, 0, 300000, 9);
	ck_assert_int_eq(store_unlink(F.st, d, "data"), -EROFS);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("namespace");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_root_and_statfs);
	tcase_add_test(tc, test_create_lookup_unlink);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_mkdir_rmdir_nlink);
	tcase_add_test(tc, test_setgid_dir);
	tcase_add_test(tc, test_readdir_cookies);
	tcase_add_test(tc, test_readdir_reentrant);
	tcase_add_test(tc, test_dir_remove_all);
	tcase_add_test(tc, test_link_symlink);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_rename_exchange);
	tcase_add_test(tc, test_orphan_iget);
	tcase_add_test(tc, test_setattr);
	tcase_add_test(tc, test_persist_reopen);
	tcase_add_test(tc, test_big_directory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
