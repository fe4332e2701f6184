/* SPDX-License-Identifier: MIT */
/*
 * posix_attr.c - attributes as root: chmod, chown, utimensat, which
 * operations move mtime/ctime, and user.* extended attributes.
 */
#include "posix_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

START_TEST(test_chmod)
{
	const char *p = pu_make_file("c", 10, 1);
	struct stat a, b;

	PU_OK(stat(p, &a));
	pu_tick();
	PU_OK(chmod(p, 0600));
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_mode & 07777, 0600);
	ck_assert(S_ISREG(b.st_mode));
	ck_assert_msg(ts_after(&b.st_ctim, &a.st_ctim), "chmod kept ctime");
	ck_assert_msg(ts_eq(&b.st_mtim, &a.st_mtim), "chmod changed mtime");
	PU_OK(chmod(p, 07777));
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_mode & 07777, 07777);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	PU_OK(fchmod(fd, 0444));
	close(fd);
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_mode & 07777, 0444);
	PU_ERR(chmod(pu_path("none"), 0644), ENOENT);
}
END_TEST

START_TEST(test_chown)
{
	const char *p = pu_make_file("o", 10, 1);
	struct stat a, b;

	PU_OK(stat(p, &a));
	ck_assert_int_eq(a.st_uid, 0);
	ck_assert_int_eq(a.st_gid, 0);
	pu_tick();
	PU_OK(chown(p, 1234, 5678));
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_uid, 1234);
	ck_assert_int_eq(b.st_gid, 5678);
	ck_assert_msg(ts_after(&b.st_ctim, &a.st_ctim), "chown kept ctime");
	PU_OK(chown(p, (uid_t)-1, 42));
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_uid, 1234);
	ck_assert_int_eq(b.st_gid, 42);
	/* lchown changes the link, not the target. */
	PU_OK(symlink("o", pu_path("l")));
	PU_OK(lchown(pu_path("l"), 77, 88));
	PU_OK(lstat(pu_path("l"), &b));
	ck_assert_int_eq(b.st_uid, 77);
	PU_OK(stat(p, &b));
	ck_assert_int_eq(b.st_uid, 1234);
}
END_TEST

START_TEST(test_chown_clears_setid)
{
	const char *p = pu_make_file("s", 10, 1);
	const char *q = pu_make_file("g", 10, 1);
	struct stat st;

	PU_OK(chmod(p, 06755));
	PU_OK(chown(p, 1000, 1000));
	PU_OK(stat(p, &st));
	ck_assert_msg((st.st_mode & 07777) == 0755, "chown of a 6755 file "
		      "left mode %o, expected 755", st.st_mode & 07777);
	/* setgid without group execute is mandatory locking: it stays. */
	PU_OK(chmod(q, 02644));
	PU_OK(chown(q, 1000, 1000));
	PU_OK(stat(q, &st));
	ck_assert_msg((st.st_mode & 07777) == 02644, "chown of a 2644 file "
		      "left mode %o, expected 2644", st.st_mode & 07777);
	/* A directory keeps its setgid bit. */
	PU_OK(mkdir(pu_path("d"), 02755));
	PU_OK(chmod(pu_path("d"), 02755));
	PU_OK(chown(pu_path("d"), 1000, 1000));
	PU_OK(stat(pu_path("d"), &st));
	ck_assert_int_eq(st.st_mode & 07777, 02755);
}
END_TEST

START_TEST(test_utimensat)
{
	const char *p = pu_make_file("u", 10, 1);
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1100000000, 987654321 } };
	struct stat st, a;

	PU_OK(utimensat(AT_FDCWD, p, ts, 0));
	PU_OK(stat(p, &st));
	ck_assert_int_eq(st.st_atim.tv_sec, 1000000000);
	ck_assert_int_eq(st.st_atim.tv_nsec, 123456789);
	ck_assert_int_eq(st.st_mtim.tv_sec, 1100000000);
	ck_assert_int_eq(st.st_mtim.tv_nsec, 987654321);
	/* UTIME_OMIT keeps, UTIME_NOW takes the clock. */
	struct timespec t2[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	PU_OK(utimensat(AT_FDCWD, p, t2, 0));
	PU_OK(stat(p, &a));
	ck_assert_int_eq(a.st_atim.tv_sec, 1000000000);
	ck_assert_int_gt(a.st_mtim.tv_sec, 1100000000);
	/* Times before 1970 and far after 2038. */
	struct timespec t3[2] = { { -100, 5 }, { 4102444800LL, 1 } };
	PU_OK(utimensat(AT_FDCWD, p, t3, 0));
	PU_OK(stat(p, &a));
	ck_assert_int_eq(a.st_atim.tv_sec, -100);
	ck_assert_int_eq(a.st_mtim.tv_sec, 4102444800LL);
	ck_assert_int_eq(a.st_mtim.tv_nsec, 1);
	/* On a symlink itself. */
	PU_OK(symlink("u", pu_path("l")));
	PU_OK(utimensat(AT_FDCWD, pu_path("l"), ts, AT_SYMLINK_NOFOLLOW));
	PU_OK(lstat(pu_path("l"), &a));
	ck_assert_int_eq(a.st_mtim.tv_sec, 1100000000);
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	PU_ERR(utimensat(AT_FDCWD, p, bad, 0), EINVAL);
}
END_TEST

START_TEST(test_times_on_write)
{
	const char *p = pu_make_file("w", 10, 1);
	struct stat a, b, da, db;

	PU_OK(stat(p, &a));
	pu_tick();
	int fd = open(p, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	PU_OK(write(fd, "abc", 3));
	close(fd);
	PU_OK(stat(p, &b));
	ck_assert_msg(ts_after(&b.st_mtim, &a.st_mtim), "write kept mtime");
	ck_assert_msg(ts_after(&b.st_ctim, &a.st_ctim), "write kept ctime");
	/* Creating and removing names moves the directory's mtime/ctime. */
	PU_OK(stat(pu_dir(), &da));
	pu_tick();
	pu_make_file("new", 1, 1);
	PU_OK(stat(pu_dir(), &db));
	ck_assert_msg(ts_after(&db.st_mtim, &da.st_mtim), "create kept "
		      "the directory's mtime");
	ck_assert_msg(ts_after(&db.st_ctim, &da.st_ctim), "create kept "
		      "the directory's ctime");
	pu_tick();
	PU_OK(unlink(pu_path("new")));
	PU_OK(stat(pu_dir(), &da));
	ck_assert_msg(ts_after(&da.st_mtim, &db.st_mtim), "unlink kept "
		      "the directory's mtime");
	/* Renaming moves the ctime of the source's parent. */
	pu_tick();
	PU_OK(rename(p, pu_path("w2")));
	PU_OK(stat(pu_dir(), &db));
	ck_assert_msg(ts_after(&db.st_mtim, &da.st_mtim), "rename kept "
		      "the directory's mtime");
	/* Reading alone never moves mtime or ctime. */
	PU_OK(stat(pu_path("w2"), &a));
	pu_tick();
	char buf[4];
	fd = open(pu_path("w2"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	PU_OK(read(fd, buf, sizeof(buf)));
	close(fd);
	PU_OK(stat(pu_path("w2"), &b));
	ck_assert(ts_eq(&a.st_mtim, &b.st_mtim));
	ck_assert(ts_eq(&a.st_ctim, &b.st_ctim));
}
END_TEST

START_TEST(test_xattr)
{
	const char *p = pu_make_file("x", 10, 1);
	char buf[4096], list[1024];
	ssize_t n;

	PU_ERR(getxattr(p, "user.none", buf, sizeof(buf)), ENODATA);
	PU_OK(setxattr(p, "user.a", "hello", 5, 0));
	n = getxattr(p, "user.a", buf, sizeof(buf));
	ck_assert_int_eq(n, 5);
	ck_assert(!memcmp(buf, "hello", 5));
	ck_assert_int_eq(getxattr(p, "user.a", NULL, 0), 5);
	PU_ERR(getxattr(p, "user.a", buf, 2), ERANGE);
	PU_ERR(setxattr(p, "user.a", "x", 1, XATTR_CREATE), EEXIST);
	PU_ERR(setxattr(p, "user.b", "x", 1, XATTR_REPLACE), ENODATA);
	PU_OK(setxattr(p, "user.a", "bye", 3, XATTR_REPLACE));
	ck_assert_int_eq(getxattr(p, "user.a", buf, sizeof(buf)), 3);
	ck_assert(!memcmp(buf, "bye", 3));
	/* Empty and binary values, a large one. */
	PU_OK(setxattr(p, "user.empty", "", 0, XATTR_CREATE));
	ck_assert_int_eq(getxattr(p, "user.empty", buf, sizeof(buf)), 0);
	unsigned char bin[3000];
	pu_fill(bin, sizeof(bin), 77, 0);
	bin[10] = 0;
	PU_OK(setxattr(p, "user.bin", bin, sizeof(bin), 0));
	ck_assert_int_eq(getxattr(p, "user.bin", buf, sizeof(buf)),
			 (ssize_t)sizeof(bin));
	ck_assert(!memcmp(buf, bin, sizeof(bin)));
	/* listxattr: every name once, NUL-terminated; ERANGE when short. */
	n = listxattr(p, list, sizeof(list));
	ck_assert_int_gt(n, 0);
	int seen = 0;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
		if (!strcmp(list + i, "user.a") ||
		    !strcmp(list + i, "user.empty") ||
		    !strcmp(list + i, "user.bin"))
			seen++;
	}
	ck_assert_int_eq(seen, 3);
	ck_assert_int_eq(listxattr(p, NULL, 0), n);
	PU_ERR(listxattr(p, list, 3), ERANGE);
	/* remove */
	PU_OK(removexattr(p, "user.a"));
	PU_ERR(removexattr(p, "user.a"), ENODATA);
	PU_ERR(getxattr(p, "user.a", buf, sizeof(buf)), ENODATA);
	/* Per inode: another file does not see them; links do. */
	const char *q = pu_make_file("y", 1, 1);
	PU_ERR(getxattr(q, "user.bin", buf, sizeof(buf)), ENODATA);
	PU_OK(link(p, pu_path("xl")));
	ck_assert_int_eq(getxattr(pu_path("xl"), "user.empty", buf, 10), 0);
	/* xattrs on a directory, and removal with the inode. */
	PU_OK(mkdir(pu_path("d"), 0755));
	PU_OK(setxattr(pu_path("d"), "user.dir", "1", 1, 0));
	ck_assert_int_eq(getxattr(pu_path("d"), "user.dir", buf, 10), 1);
	/* user.* on a symlink is not allowed by Linux. */
	PU_OK(symlink("x", pu_path("sl")));
	PU_ERR(lsetxattr(pu_path("sl"), "user.s", "1", 1, 0), EPERM);
	/* A name past XATTR_NAME_MAX. */
	char longname[300] = "user.";
	memset(longname + 5, 'n', 280);
	longname[285] = '\0';
	PU_ERR(setxattr(p, longname, "1", 1, 0), ERANGE);
	PU_ERR(setxattr(pu_path("none"), "user.a", "1", 1, 0), ENOENT);
}
END_TEST

/* trusted.* (root here): stored, listed, removed; the namespaces pinfs
 * does not keep are refused whole, and an empty name after a prefix is
 * not a name. */
START_TEST(test_xattr_trusted)
{
	const char *p = pu_make_file("tx", 10, 1);
	char buf[64], list[1024];
	ssize_t n;
	bool seen = false;

	PU_OK(setxattr(p, "trusted.app.key", "42", 2, XATTR_CREATE));
	ck_assert_int_eq(getxattr(p, "trusted.app.key", buf, sizeof(buf)), 2);
	ck_assert(!memcmp(buf, "42", 2));
	n = listxattr(p, list, sizeof(list));
	ck_assert_int_gt(n, 0);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		seen |= !strcmp(list + i, "trusted.app.key");
	ck_assert_msg(seen, "trusted.app.key not listed");
	PU_ERR(setxattr(p, "trusted.app.key", "1", 1, XATTR_CREATE), EEXIST);
	PU_OK(removexattr(p, "trusted.app.key"));
	PU_ERR(getxattr(p, "trusted.app.key", buf, sizeof(buf)), ENODATA);
	PU_ERR(setxattr(p, "trusted.", "1", 1, 0), EINVAL);
	PU_ERR(setxattr(p, "user.", "1", 1, 0), EINVAL);
	if (pu_mount.backend == FH_BACKEND_PINFS) {
		PU_ERR(setxattr(p, "security.test", "1", 1, 0), EOPNOTSUPP);
		PU_ERR(setxattr(p, "bogus.name", "1", 1, 0), EOPNOTSUPP);
	}
}
END_TEST

void posix_add_attr(Suite *s)
{
	TCase *tc = pu_tcase(s, "attributes", PU_TIMEOUT);
	tcase_add_test(tc, test_chmod);
	tcase_add_test(tc, test_chown);
	tcase_add_test(tc, test_chown_clears_setid);
	tcase_add_test(tc, test_utimensat);
	tcase_add_test(tc, test_times_on_write);
	tc = pu_tcase(s, "xattr", PU_TIMEOUT);
	tcase_add_test(tc, test_xattr);
	tcase_add_test(tc, test_xattr_trusted);
}
