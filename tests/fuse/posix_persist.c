/* SPDX-License-Identifier: MIT */
/*
 * posix_persist.c - what survives an unmount and a mount of the same
 * region: names, hard links, symlinks, modes, owners, timestamps, inode
 * numbers, xattrs, sparse data, truncation, rename and unlink; and a full
 * filesystem: ENOSPC, then the space comes back.
 *
 * persist_write makes the objects and saves their stat records in the
 * harness's temp dir (off the mount); the unchecked fixture of
 * persist_check remounts (in the Check parent, which owns the mount); the
 * check compares.
 */
#include "posix_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MiB (1024 * 1024)

static const char *const objs[] = {
	"persist/f", "persist/a", "persist/a/b", "persist/a/b/c",
	"persist/a/f2", "persist/l", "persist/renamed", "persist/trunc",
};
#define NOBJS (sizeof(objs) / sizeof(objs[0]))

static void obj_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", pu_mount.mnt, rel);
}

static void saved_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/persist.stat", pu_mount.tmpdir);
}

START_TEST(test_persist_write)
{
	char p[PATH_MAX], q[PATH_MAX];
	unsigned char buf[3 * 4096];
	struct timespec ts[2] = { { 1000000000, 5 }, { 1100000000, 987654321 } };
	struct stat st[NOBJS];
	int fd;

	obj_path(p, sizeof(p), "persist");
	PU_OK(mkdir(p, 0755));
	obj_path(p, sizeof(p), "persist/a");
	PU_OK(mkdir(p, 0755));
	obj_path(p, sizeof(p), "persist/a/b");
	PU_OK(mkdir(p, 0750));
	obj_path(p, sizeof(p), "persist/a/b/c");
	PU_OK(mkdir(p, 0755));
	/* A sparse file with data on both sides of a hole. */
	obj_path(p, sizeof(p), "persist/f");
	PU_OK(fd = open(p, O_CREAT | O_RDWR, 0644));
	pu_fill(buf, sizeof(buf), 61, 0);
	pu_pwrite_all(fd, buf, sizeof(buf), 0);
	pu_pwrite_all(fd, buf, sizeof(buf), 3 * MiB + 5);
	PU_OK(fsync(fd));
	close(fd);
	PU_OK(setxattr(p, "user.p", "persisted", 9, 0));
	PU_OK(chown(p, 1234, 5678));
	PU_OK(chmod(p, 0640));
	obj_path(q, sizeof(q), "persist/a/f2");
	PU_OK(link(p, q));
	/* Times last: chown/chmod/link move ctime, not mtime. */
	PU_OK(utimensat(AT_FDCWD, p, ts, 0));
	obj_path(p, sizeof(p), "persist/l");
	PU_OK(symlink("a/b/c/../../../f", p));
	obj_path(p, sizeof(p), "persist/tmpname");
	PU_OK(fd = open(p, O_CREAT | O_WRONLY, 0600));
	PU_OK(write(fd, "renamed", 7));
	close(fd);
	obj_path(q, sizeof(q), "persist/renamed");
	PU_OK(rename(p, q));
	obj_path(p, sizeof(p), "persist/gone");
	PU_OK(fd = open(p, O_CREAT | O_WRONLY, 0600));
	close(fd);
	PU_OK(unlink(p));
	obj_path(p, sizeof(p), "persist/trunc");
	PU_OK(fd = open(p, O_CREAT | O_WRONLY, 0600));
	pu_pwrite_all(fd, buf, sizeof(buf), 0);
	PU_OK(ftruncate(fd, 5000));
	close(fd);

	for (size_t i = 0; i < NOBJS; i++) {
		obj_path(p, sizeof(p), objs[i]);
		PU_OK(lstat(p, &st[i]));
	}
	saved_path(p, sizeof(p));
	FILE *f = fopen(p, "we");
	ck_assert(f != NULL);
	ck_assert_int_eq(fwrite(st, sizeof(st), 1, f), 1);
	ck_assert_int_eq(fclose(f), 0);
}
END_TEST

static int persist_remount_rc = -1;

static void persist_remount(void)
{
	persist_remount_rc = fh_remount(&pu_mount);
}

START_TEST(test_persist_check)
{
	char p[PATH_MAX];
	unsigned char buf[3 * 4096], got[16];
	struct stat saved[NOBJS], now;

	ck_assert_msg(persist_remount_rc == 0, "remount failed: %s",
		      strerror(-persist_remount_rc));
	saved_path(p, sizeof(p));
	FILE *f = fopen(p, "re");
	ck_assert_msg(f != NULL, "no saved stat records (run persist_write "
		      "first)");
	ck_assert_int_eq(fread(saved, sizeof(saved), 1, f), 1);
	fclose(f);
	for (size_t i = 0; i < NOBJS; i++) {
		const struct stat *s = &saved[i];

		obj_path(p, sizeof(p), objs[i]);
		ck_assert_msg(lstat(p, &now) == 0, "%s after remount: %s",
			      objs[i], strerrorname_np(errno));
		ck_assert_msg(now.st_ino == s->st_ino && now.st_mode == s->st_mode &&
			      now.st_uid == s->st_uid && now.st_gid == s->st_gid &&
			      now.st_size == s->st_size &&
			      now.st_nlink == s->st_nlink,
			      "%s: before remount ino %llu mode %o uid %d gid %d "
			      "size %lld nlink %lu; after ino %llu mode %o uid %d "
			      "gid %d size %lld nlink %lu", objs[i],
			      (unsigned long long)s->st_ino, s->st_mode,
			      (int)s->st_uid, (int)s->st_gid,
			      (long long)s->st_size, (unsigned long)s->st_nlink,
			      (unsigned long long)now.st_ino, now.st_mode,
			      (int)now.st_uid, (int)now.st_gid,
			      (long long)now.st_size,
			      (unsigned long)now.st_nlink);
		ck_assert_msg(now.st_mtim.tv_sec == s->st_mtim.tv_sec &&
			      now.st_mtim.tv_nsec == s->st_mtim.tv_nsec &&
			      now.st_ctim.tv_sec == s->st_ctim.tv_sec &&
			      now.st_ctim.tv_nsec == s->st_ctim.tv_nsec,
			      "%s: mtime/ctime %lld.%09ld/%lld.%09ld before "
			      "remount, %lld.%09ld/%lld.%09ld after", objs[i],
			      (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec,
			      (long long)s->st_ctim.tv_sec, s->st_ctim.tv_nsec,
			      (long long)now.st_mtim.tv_sec, now.st_mtim.tv_nsec,
			      (long long)now.st_ctim.tv_sec, now.st_ctim.tv_nsec);
	}
	obj_path(p, sizeof(p), "persist/f");
	pu_fill(buf, sizeof(buf), 61, 0);
	pu_expect_bytes(p, 0, buf, sizeof(buf));
	pu_expect_zero(p, sizeof(buf), 3 * MiB + 5 - sizeof(buf));
	pu_expect_bytes(p, 3 * MiB + 5, buf, sizeof(buf));
	ck_assert_int_eq(getxattr(p, "user.p", got, sizeof(got)), 9);
	ck_assert(!memcmp(got, "persisted", 9));
	obj_path(p, sizeof(p), "persist/l");
	ssize_t n = readlink(p, (char *)buf, sizeof(buf));
	ck_assert_int_eq(n, 16);
	ck_assert(!memcmp(buf, "a/b/c/../../../f", 16));
	ck_assert_int_eq(pu_size(p), 3 * MiB + 5 + (off_t)sizeof(buf));
	obj_path(p, sizeof(p), "persist/renamed");
	pu_expect_bytes(p, 0, "renamed", 7);
	obj_path(p, sizeof(p), "persist/tmpname");
	PU_ERR(lstat(p, &now), ENOENT);
	obj_path(p, sizeof(p), "persist/gone");
	PU_ERR(lstat(p, &now), ENOENT);
	obj_path(p, sizeof(p), "persist/trunc");
	pu_fill(buf, sizeof(buf), 61, 0);
	pu_expect_bytes(p, 0, buf, 5000);
}
END_TEST

/* ---- a full filesystem --------------------------------------------------- */

START_TEST(test_enospc)
{
	const char *p = pu_path("fill");
	size_t chunk = 1 * MiB;
	unsigned char *buf = malloc(chunk);
	struct statfs a, b;
	off_t written = 0;
	int fd, err = 0;

	PU_OK(statfs(pu_dir(), &a));
	uint64_t avail = (uint64_t)a.f_bavail * (uint64_t)a.f_bsize;
	ck_assert_msg(avail < (2ull << 30), "%llu bytes free: too many to "
		      "fill in a test", (unsigned long long)avail);
	pu_fill(buf, chunk, 71, 0);
	PU_OK(fd = open(p, O_CREAT | O_RDWR, 0644));
	while ((uint64_t)written <= avail + 64 * MiB) {
		ssize_t n = pwrite(fd, buf, chunk, written);

		if (n < 0) {
			err = errno;
			break;
		}
		written += n;
		if ((size_t)n < chunk) {
			/* A short write: the next one must say why. */
			n = pwrite(fd, buf, chunk, written);
			err = n < 0 ? errno : 0;
			break;
		}
	}
	ck_assert_msg(err == ENOSPC, "filling %llu free bytes ended with %s "
		      "after %lld bytes", (unsigned long long)avail,
		      err ? strerrorname_np(err) : "no error",
		      (long long)written);
	/* What was acknowledged is there and readable. */
	struct stat st;
	PU_OK(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, written);
	unsigned char tail[4096];
	off_t at = (written - 1) & ~(off_t)(chunk - 1);
	size_t tl = (size_t)(written - at) < sizeof(tail)
			    ? (size_t)(written - at) : sizeof(tail);
	pu_pread_all(fd, tail, tl, at);
	ck_assert(!memcmp(tail, buf, tl));
	PU_OK(fsync(fd));
	close(fd);
	/* Freeing the file gives the space back (forget is asynchronous). */
	PU_OK(unlink(p));
	for (int i = 0; i < 300; i++) {
		PU_OK(statfs(pu_dir(), &b));
		if (b.f_bavail + (8 * MiB) / a.f_bsize >= a.f_bavail)
			break;
		pu_tick();
	}
	ck_assert_msg(b.f_bavail + (8 * MiB) / a.f_bsize >= a.f_bavail,
		      "space not given back after unlink: %llu -> %llu blocks",
		      (unsigned long long)a.f_bavail,
		      (unsigned long long)b.f_bavail);
	const char *q = pu_make_file("after", 4 * MiB, 72);
	ck_assert_int_eq(pu_size(q), 4 * MiB);
	free(buf);
}
END_TEST

void posix_add_persist(Suite *s)
{
	TCase *tc = pu_tcase(s, "persist_write", PU_TIMEOUT);

	tcase_set_tags(tc, "remount");
	tcase_add_test(tc, test_persist_write);
	tc = pu_tcase(s, "persist_check", PU_TIMEOUT);
	tcase_set_tags(tc, "remount");
	tcase_add_unchecked_fixture(tc, persist_remount, NULL);
	tcase_add_test(tc, test_persist_check);
	tc = pu_tcase(s, "enospc", PU_TIMEOUT);
	tcase_set_tags(tc, "enospc");
	tcase_add_test(tc, test_enospc);
}
