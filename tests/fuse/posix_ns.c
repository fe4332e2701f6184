/* SPDX-License-Identifier: MIT */
/*
 * posix_ns.c - the namespace: mkdir/rmdir, readdir, unlink of an open
 * file, hard links, symlinks, rename (with RENAME_NOREPLACE and
 * RENAME_EXCHANGE through the renameat2 syscall), big directories.
 */
#include "posix_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int sys_renameat2(const char *a, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static ino_t ino_of(const char *p)
{
	struct stat st;

	ck_assert_msg(lstat(p, &st) == 0, "lstat %s: %s", p,
		      strerrorname_np(errno));
	return st.st_ino;
}

static nlink_t nlink_of(const char *p)
{
	struct stat st;

	ck_assert_msg(lstat(p, &st) == 0, "lstat %s: %s", p,
		      strerrorname_np(errno));
	return st.st_nlink;
}

/* Number of entries of DIR other than "." and "..", and whether both of
 * those were listed. */
static int count_entries(const char *dir, bool *dots)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, ndots = 0;

	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerrorname_np(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			ndots++;
		else
			n++;
	}
	closedir(d);
	if (dots)
		*dots = ndots == 2;
	return n;
}

/* ---- directories ----------------------------------------------------- */

START_TEST(test_mkdir_rmdir)
{
	const char *d = pu_path("d"), *sub = pu_path("d/sub");
	struct stat st;

	PU_OK(mkdir(d, 0755));
	PU_ERR(mkdir(d, 0755), EEXIST);
	PU_OK(stat(d, &st));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(st.st_nlink, 2);
	PU_OK(mkdir(sub, 0700));
	ck_assert_int_eq(nlink_of(d), 3);
	PU_ERR(rmdir(d), ENOTEMPTY);
	pu_make_file("f", 10, 1);
	PU_ERR(rmdir(pu_path("f")), ENOTDIR);
	PU_ERR(unlink(d), EISDIR);
	PU_ERR(mkdir(pu_path("f"), 0755), EEXIST);
	PU_ERR(mkdir(pu_path("nope/x"), 0755), ENOENT);
	PU_ERR(mkdir(pu_path("f/x"), 0755), ENOTDIR);
	PU_ERR(rmdir(pu_path("d/sub/.")), EINVAL);
	PU_OK(rmdir(sub));
	ck_assert_int_eq(nlink_of(d), 2);
	PU_OK(rmdir(d));
	PU_ERR(stat(d, &st), ENOENT);
	PU_ERR(rmdir(d), ENOENT);
}
END_TEST

START_TEST(test_readdir)
{
	char name[64];
	bool dots;
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "entry-%03d-%s", i,
			 "with-a-longish-name-to-fill-dirent-buffers");
		pu_make_file(name, 0, 0);
	}
	PU_OK(mkdir(pu_path("sub"), 0755));
	ck_assert_int_eq(count_entries(pu_dir(), &dots), 301);
	ck_assert_msg(dots, "readdir lacks . or ..");
	for (i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "entry-%03d-%s", i,
			 "with-a-longish-name-to-fill-dirent-buffers");
		PU_OK(unlink(pu_path(name)));
	}
	ck_assert_int_eq(count_entries(pu_dir(), NULL), 151);
	/* Names with odd bytes and the longest allowed name. */
	char longname[256];
	memset(longname, 'n', 255);
	longname[255] = '\0';
	pu_make_file(longname, 1, 1);
	char toolong[300];
	memset(toolong, 'x', 256);
	toolong[256] = '\0';
	PU_ERR(open(pu_path(toolong), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	pu_make_file("sp ace\ttab\xc3\xa9", 1, 1);
	ck_assert_int_eq(access(pu_path("sp ace\ttab\xc3\xa9"), F_OK), 0);
}
END_TEST

/*
 * Entries that stay in a directory are returned exactly once by one pass
 * of readdir, even while other entries are removed and added during the
 * pass (POSIX leaves only the changed names unspecified).  Catches
 * readdir offsets that shift when the directory changes.
 */
START_TEST(test_readdir_while_changing)
{
	enum { N = 1000 };
	static unsigned char seen[N];
	char name[64];
	struct dirent *de;
	int i, got = 0;

	PU_OK(mkdir(pu_path("d"), 0755));
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "d/keep-%04d", i);
		pu_make_file(name, 0, 0);
	}
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "d/drop-%04d", i);
		pu_make_file(name, 0, 0);
	}
	DIR *d = opendir(pu_path("d"));
	ck_assert(d != NULL);
	memset(seen, 0, sizeof(seen));
	while ((de = readdir(d))) {
		int k;

		if (sscanf(de->d_name, "keep-%d", &k) == 1) {
			ck_assert_msg(k >= 0 && k < N, "odd name %s", de->d_name);
			ck_assert_msg(!seen[k], "readdir returned %s twice",
				      de->d_name);
			seen[k] = 1;
			/* Change the directory under the open stream. */
			if (++got % 50 == 0) {
				for (int j = got; j < got + 40 && j < N; j++) {
					snprintf(name, sizeof(name),
						 "d/drop-%04d", j);
					unlink(pu_path(name));
				}
				for (int j = 0; j < 20; j++) {
					snprintf(name, sizeof(name),
						 "d/new-%04d-%02d", got, j);
					pu_make_file(name, 0, 0);
				}
			}
		}
	}
	closedir(d);
	for (i = 0; i < N; i++)
		ck_assert_msg(seen[i], "readdir missed keep-%04d (never "
			      "removed) while the directory changed", i);
}
END_TEST

/* Appends of two processes through O_APPEND never overwrite each other. */
START_TEST(test_append_concurrent)
{
	enum { RECS = 2000, RS = 100 };
	const char *p = pu_path("log");
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			char rec[RS];
			int f = open(p, O_WRONLY | O_APPEND);

			for (int i = 0; i < RECS && f >= 0; i++) {
				memset(rec, 'a' + k, RS);
				snprintf(rec, RS, "%d:%06d:", k, i);
				if (write(f, rec, RS) != RS)
					_exit(1);
			}
			_exit(f >= 0 ? 0 : 1);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "appender %d failed", k);
	}
	ck_assert_int_eq(pu_size(p), 2 * RECS * RS);
	unsigned char *buf = malloc(2 * RECS * RS);
	PU_OK(fd = open(p, O_RDONLY));
	pu_pread_all(fd, buf, 2 * RECS * RS, 0);
	close(fd);
	int next[2] = { 0, 0 };
	for (int r = 0; r < 2 * RECS; r++) {
		const char *rec = (const char *)buf + r * RS;
		int k, i;

		ck_assert_msg(sscanf(rec, "%d:%d:", &k, &i) == 2 && k >= 0 &&
			      k < 2, "record %d at %d is torn", r, r * RS);
		ck_assert_msg(i == next[k], "appender %d: record %d where %d "
			      "was due (overwritten?)", k, i, next[k]);
		ck_assert_msg(rec[RS - 1] == 'a' + k, "record %d torn", r);
		next[k]++;
	}
	free(buf);
}
END_TEST

/* Writes through a descriptor follow the inode across a rename. */
START_TEST(test_write_after_rename)
{
	const char *a = pu_make_file("a", 10, 1), *b = pu_path("b");
	int fd = open(a, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	PU_OK(rename(a, b));
	pu_pwrite_all(fd, "moved", 5, 10);
	close(fd);
	ck_assert_int_eq(pu_size(b), 15);
	pu_expect_bytes(b, 10, "moved", 5);
}
END_TEST

/* ---- unlink of an open file ------------------------------------------ */

START_TEST(test_unlink_open)
{
	unsigned char buf[10000], got[10000];
	const char *p = pu_make_file("u", sizeof(buf), 13);
	struct stat st;
	int fd = open(p, O_RDWR);

	ck_assert_int_ge(fd, 0);
	pu_fill(buf, sizeof(buf), 13, 0);
	PU_OK(unlink(p));
	PU_ERR(stat(p, &st), ENOENT);
	PU_OK(fstat(fd, &st));
	ck_assert_int_eq(st.st_nlink, 0);
	pu_pread_all(fd, got, sizeof(got), 0);
	ck_assert(!memcmp(got, buf, sizeof(buf)));
	pu_pwrite_all(fd, "tail", 4, 20000);
	PU_OK(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, 20004);
	pu_pread_all(fd, got, 4, 20000);
	ck_assert(!memcmp(got, "tail", 4));
	/* A new file of the same name is a different inode. */
	int fd2 = open(p, O_CREAT | O_EXCL | O_RDWR, 0644);
	ck_assert_int_ge(fd2, 0);
	struct stat st2;
	PU_OK(fstat(fd2, &st2));
	ck_assert_int_ne(st2.st_ino, st.st_ino);
	ck_assert_int_eq(st2.st_size, 0);
	close(fd2);
	close(fd);
}
END_TEST

/* ---- hard links -------------------------------------------------------- */

START_TEST(test_hard_links)
{
	const char *a = pu_make_file("a", 100, 1), *b = pu_path("b");
	struct stat sa, sb, s0;

	PU_OK(stat(a, &s0));
	pu_tick();
	PU_OK(link(a, b));
	PU_OK(stat(a, &sa));
	PU_OK(stat(b, &sb));
	ck_assert_int_eq(sa.st_ino, sb.st_ino);
	ck_assert_int_eq(sa.st_nlink, 2);
	ck_assert_int_eq(sb.st_nlink, 2);
	ck_assert_msg(sa.st_ctim.tv_sec > s0.st_ctim.tv_sec ||
		      (sa.st_ctim.tv_sec == s0.st_ctim.tv_sec &&
		       sa.st_ctim.tv_nsec > s0.st_ctim.tv_nsec),
		      "link did not update the inode's ctime");
	PU_OK(link(a, pu_path("c")));
	ck_assert_int_eq(nlink_of(b), 3);
	/* Writes through one name show through the others. */
	int fd = open(b, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	pu_pwrite_all(fd, "LINK", 4, 10);
	close(fd);
	pu_expect_bytes(a, 10, "LINK", 4);
	PU_ERR(link(a, b), EEXIST);
	PU_ERR(link(pu_path("none"), pu_path("x")), ENOENT);
	PU_OK(mkdir(pu_path("d"), 0755));
	PU_ERR(link(pu_path("d"), pu_path("dl")), EPERM);
	PU_OK(unlink(a));
	ck_assert_int_eq(nlink_of(b), 2);
	PU_OK(unlink(pu_path("c")));
	ck_assert_int_eq(nlink_of(b), 1);
	pu_expect_bytes(b, 10, "LINK", 4);
}
END_TEST

/* ---- symlinks ---------------------------------------------------------- */

START_TEST(test_symlinks)
{
	const char *t = pu_make_file("target", 50, 2), *l = pu_path("l");
	char buf[PATH_MAX];
	struct stat st;

	PU_OK(symlink("target", l));
	ssize_t n = readlink(l, buf, sizeof(buf));
	ck_assert_int_eq(n, 6);
	ck_assert(!memcmp(buf, "target", 6));
	PU_OK(lstat(l, &st));
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(st.st_size, 6);
	PU_OK(stat(l, &st));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_ino, ino_of(t));
	/* Short buffer: readlink truncates silently. */
	ck_assert_int_eq(readlink(l, buf, 3), 3);
	PU_ERR(readlink(t, buf, sizeof(buf)), EINVAL);
	PU_ERR(symlink("x", l), EEXIST);
	PU_ERR(open(l, O_RDONLY | O_NOFOLLOW), ELOOP);
	/* Dangling and looping links. */
	PU_OK(symlink("nowhere", pu_path("dang")));
	PU_ERR(stat(pu_path("dang"), &st), ENOENT);
	PU_OK(lstat(pu_path("dang"), &st));
	PU_OK(symlink("loop2", pu_path("loop1")));
	PU_OK(symlink("loop1", pu_path("loop2")));
	PU_ERR(open(pu_path("loop1"), O_RDONLY), ELOOP);
	PU_ERR(stat(pu_path("loop1"), &st), ELOOP);
	/* A long target round-trips; unlink removes the link, not the target. */
	char lt[4001];
	for (int i = 0; i < 4000; i++)
		lt[i] = (char)('a' + i % 26);
	lt[4000] = '\0';
	for (int i = 100; i < 4000; i += 100)
		lt[i] = '/';
	PU_OK(symlink(lt, pu_path("long")));
	n = readlink(pu_path("long"), buf, sizeof(buf));
	ck_assert_int_eq(n, 4000);
	ck_assert(!memcmp(buf, lt, 4000));
	/* Directory symlink resolution. */
	PU_OK(mkdir(pu_path("dir"), 0755));
	pu_make_file("dir/inner", 5, 5);
	PU_OK(symlink("dir", pu_path("dl")));
	PU_OK(stat(pu_path("dl/inner"), &st));
	ck_assert_int_eq(st.st_size, 5);
	PU_OK(unlink(l));
	PU_OK(stat(t, &st));
}
END_TEST

/* ---- rename ------------------------------------------------------------ */

START_TEST(test_rename_files)
{
	const char *a = pu_make_file("a", 100, 1), *b = pu_make_file("b", 50, 2);
	unsigned char buf[100];
	ino_t ia = ino_of(a);
	struct stat st;

	PU_OK(rename(a, b));
	PU_ERR(stat(a, &st), ENOENT);
	ck_assert_int_eq(ino_of(b), ia);
	ck_assert_int_eq(nlink_of(b), 1);
	pu_fill(buf, sizeof(buf), 1, 0);
	pu_expect_bytes(b, 0, buf, sizeof(buf));
	/* Rename to itself, and between hard links of one inode: no-ops. */
	PU_OK(rename(b, b));
	PU_OK(link(b, pu_path("hl")));
	PU_OK(rename(b, pu_path("hl")));
	PU_OK(stat(b, &st));
	ck_assert_int_eq(st.st_nlink, 2);
	PU_ERR(rename(pu_path("none"), pu_path("x")), ENOENT);
	/* Across directories. */
	PU_OK(mkdir(pu_path("d"), 0755));
	PU_OK(rename(b, pu_path("d/moved")));
	ck_assert_int_eq(ino_of(pu_path("d/moved")), ia);
	ck_assert_int_eq(count_entries(pu_dir(), NULL), 2); /* d, hl */
}
END_TEST

START_TEST(test_rename_dirs)
{
	const char *d1 = pu_path("d1"), *d2 = pu_path("d2");
	struct stat st;

	PU_OK(mkdir(d1, 0755));
	PU_OK(mkdir(d2, 0755));
	pu_make_file("d1/f", 1, 1);
	ino_t i1 = ino_of(d1);
	/* Over an empty directory. */
	PU_OK(rename(d1, d2));
	ck_assert_int_eq(ino_of(d2), i1);
	PU_ERR(stat(d1, &st), ENOENT);
	/* Over a non-empty directory. */
	PU_OK(mkdir(d1, 0755));
	PU_ERR(rename(d1, d2), ENOTEMPTY);
	/* Types must agree. */
	const char *f = pu_make_file("f", 1, 1);
	PU_ERR(rename(f, d1), EISDIR);
	PU_ERR(rename(d1, f), ENOTDIR);
	/* Into its own subtree. */
	PU_OK(mkdir(pu_path("d2/sub"), 0755));
	PU_ERR(rename(d2, pu_path("d2/sub/x")), EINVAL);
	PU_ERR(rename(d2, pu_path("d2/x")), EINVAL);
	/* Moving a directory updates its ".." and both parents' nlink. */
	PU_OK(mkdir(pu_path("p"), 0755));
	nlink_t np = nlink_of(pu_dir());
	PU_OK(rename(pu_path("d2/sub"), pu_path("p/sub")));
	ck_assert_int_eq(ino_of(pu_path("p/sub/..")), ino_of(pu_path("p")));
	ck_assert_int_eq(nlink_of(pu_path("p")), 3);
	ck_assert_int_eq(nlink_of(d2), 2);
	ck_assert_int_eq(nlink_of(pu_dir()), np);
	PU_OK(rename(pu_path("p/sub"), pu_path("sub2")));
	ck_assert_int_eq(nlink_of(pu_dir()), np + 1);
	ck_assert_int_eq(ino_of(pu_path("sub2/..")), ino_of(pu_dir()));
}
END_TEST

START_TEST(test_rename_noreplace)
{
	const char *a = pu_make_file("a", 10, 1), *b = pu_make_file("b", 20, 2);
	unsigned char buf[20];

	PU_ERR(sys_renameat2(a, b, RENAME_NOREPLACE), EEXIST);
	pu_fill(buf, sizeof(buf), 2, 0);
	pu_expect_bytes(b, 0, buf, sizeof(buf));
	ck_assert_int_eq(pu_size(a), 10);
	PU_OK(sys_renameat2(a, pu_path("c"), RENAME_NOREPLACE));
	ck_assert_int_eq(pu_size(pu_path("c")), 10);
	PU_ERR(sys_renameat2(b, pu_path("c"),
			     RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
}
END_TEST

START_TEST(test_rename_exchange)
{
	const char *f = pu_make_file("f", 10, 1), *g = pu_make_file("g", 20, 2);
	const char *d = pu_path("d");
	ino_t fi = ino_of(f), gi = ino_of(g);

	PU_OK(sys_renameat2(f, g, RENAME_EXCHANGE));
	ck_assert_int_eq(ino_of(f), gi);
	ck_assert_int_eq(ino_of(g), fi);
	ck_assert_int_eq(pu_size(f), 20);
	/* File with directory, across parents. */
	PU_OK(mkdir(d, 0755));
	PU_OK(mkdir(pu_path("d/inner"), 0755));
	pu_make_file("d/inner/x", 3, 3);
	ino_t di = ino_of(d);
	PU_OK(sys_renameat2(f, pu_path("d/inner"), RENAME_EXCHANGE));
	struct stat st;
	PU_OK(lstat(f, &st));
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(pu_size(pu_path("f/x")), 3);
	ck_assert_int_eq(ino_of(pu_path("f/..")), ino_of(pu_dir()));
	PU_OK(lstat(pu_path("d/inner"), &st));
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_ino, gi);
	ck_assert_int_eq(nlink_of(d), 2);
	ck_assert_int_eq(ino_of(d), di);
	PU_ERR(sys_renameat2(g, pu_path("missing"), RENAME_EXCHANGE), ENOENT);
	/* Exchange into own subtree. */
	PU_ERR(sys_renameat2(f, pu_path("f/x"), RENAME_EXCHANGE), EINVAL);
}
END_TEST

/* ---- big directory --------------------------------------------------- */

#define BIG_N 100000

START_TEST(test_big_directory)
{
	char name[64];
	const char *d = pu_path("big");
	int dfd, i;

	PU_OK(mkdir(d, 0755));
	PU_OK(dfd = open(d, O_RDONLY | O_DIRECTORY));
	for (i = 0; i < BIG_N; i++) {
		snprintf(name, sizeof(name), "file-%08x", i * 2654435761u);
		int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);

		ck_assert_msg(fd >= 0, "create entry %d: %s", i,
			      strerrorname_np(errno));
		close(fd);
	}
	uint64_t x = 7;
	for (i = 0; i < 20000; i++) {
		struct stat st;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned k = (unsigned)((x >> 33) % BIG_N);
		snprintf(name, sizeof(name), "file-%08x", k * 2654435761u);
		ck_assert_msg(fstatat(dfd, name, &st, 0) == 0,
			      "stat %s: %s", name, strerrorname_np(errno));
		snprintf(name, sizeof(name), "absent-%u", k);
		ck_assert_int_eq(fstatat(dfd, name, &st, 0) < 0 ? errno : 0,
				 ENOENT);
	}
	close(dfd);
	ck_assert_int_eq(count_entries(d, NULL), BIG_N);
}
END_TEST

void posix_add_ns(Suite *s)
{
	TCase *tc;

	tc = pu_tcase(s, "directories", PU_TIMEOUT);
	tcase_add_test(tc, test_mkdir_rmdir);
	tcase_add_test(tc, test_readdir);
	tcase_add_test(tc, test_readdir_while_changing);
	tc = pu_tcase(s, "unlink_links", PU_TIMEOUT);
	tcase_add_test(tc, test_unlink_open);
	tcase_add_test(tc, test_append_concurrent);
	tcase_add_test(tc, test_write_after_rename);
	tcase_add_test(tc, test_hard_links);
	tcase_add_test(tc, test_symlinks);
	tc = pu_tcase(s, "rename", PU_TIMEOUT);
	tcase_add_test(tc, test_rename_files);
	tcase_add_test(tc, test_rename_dirs);
	tc = pu_tcase(s, "rename2", PU_TIMEOUT);
	tcase_set_tags(tc, "rename2");
	tcase_add_test(tc, test_rename_noreplace);
	tcase_add_test(tc, test_rename_exchange);
	tc = pu_tcase(s, "bigdir", PU_TIMEOUT_SLOW);
	tcase_set_tags(tc, "slow");
	tcase_add_test(tc, test_big_directory);
}
