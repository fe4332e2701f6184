/* SPDX-License-Identifier: MIT */
/*
 * posix_perm.c - permissions as seen by other users through allow_other:
 * read/write/exec/search checks, ownership of new inodes, setgid
 * directories, sticky directories, set-id bits cleared by chown and by a
 * non-owner's write (and, from perm_walk.c and perm_ops.c, the cases of
 * perm_cases.h).  Each unprivileged step runs in a child that dropped
 * to PU_UID_A/PU_UID_B (pu_run_as) and reports its errno.
 */
#include "posix_util.h"
#include "perm_cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct op {
	const char *p1, *p2;
	int flags;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static int op_open(void *a)
{
	struct op *o = a;
	int fd = open(o->p1, o->flags, o->mode);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int op_write(void *a)
{
	struct op *o = a;
	int fd = open(o->p1, O_WRONLY);

	if (fd < 0)
		return errno;
	if (pwrite(fd, "w", 1, 0) != 1) {
		int e = errno;

		close(fd);
		return e;
	}
	close(fd);
	return 0;
}

static int op_truncate(void *a)
{
	return truncate(((struct op *)a)->p1, 1) < 0 ? errno : 0;
}

static int op_exec(void *a)
{
	struct op *o = a;
	char *argv[] = { (char *)o->p1, NULL };
	char *envp[] = { NULL };

	execve(o->p1, argv, envp);
	return errno;
}

static int op_stat(void *a)
{
	struct stat st;

	return stat(((struct op *)a)->p1, &st) < 0 ? errno : 0;
}

static int op_opendir(void *a)
{
	int fd = open(((struct op *)a)->p1, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int op_unlink(void *a)
{
	return unlink(((struct op *)a)->p1) < 0 ? errno : 0;
}

static int op_rename(void *a)
{
	struct op *o = a;

	return rename(o->p1, o->p2) < 0 ? errno : 0;
}

static int op_mkdir(void *a)
{
	struct op *o = a;

	return mkdir(o->p1, o->mode) < 0 ? errno : 0;
}

static int op_chmod(void *a)
{
	struct op *o = a;

	return chmod(o->p1, o->mode) < 0 ? errno : 0;
}

static int op_chown(void *a)
{
	struct op *o = a;

	return chown(o->p1, o->uid, o->gid) < 0 ? errno : 0;
}

static int op_utimes(void *a)
{
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };

	return utimensat(AT_FDCWD, ((struct op *)a)->p1, ts, 0) < 0 ? errno
								    : 0;
}

static int op_setxattr(void *a)
{
	return setxattr(((struct op *)a)->p1, "user.t", "v", 1, 0) < 0 ? errno
									: 0;
}

static void make_script(const char *name, mode_t mode)
{
	const char *p = pu_path(name);
	static const char text[] = "#!/bin/sh\nexit 0\n";
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	pu_pwrite_all(fd, text, sizeof(text) - 1, 0);
	ck_assert_int_eq(close(fd), 0);
	PU_OK(chmod(p, mode));
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	ck_assert_msg(stat(p, &st) == 0, "stat %s: %s", p,
		      strerrorname_np(errno));
	return st.st_mode;
}

START_TEST(test_perm_rwx)
{
	struct op o = { 0 };

	pu_make_file("secret", 10, 1);
	PU_OK(chmod(pu_path("secret"), 0600));
	o.p1 = pu_path("secret");
	o.flags = O_RDONLY;
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_open, &o);
	o.flags = O_WRONLY;
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_open, &o);

	pu_make_file("pub", 10, 1);
	PU_OK(chmod(pu_path("pub"), 0644));
	o.p1 = pu_path("pub");
	o.flags = O_RDONLY;
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_write, &o);
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_truncate, &o);
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_setxattr, &o);
	o.mode = 0666;
	PU_AS(EPERM, PU_UID_A, PU_GID_A, op_chmod, &o);
	o.uid = PU_UID_A;
	o.gid = PU_GID_A;
	PU_AS(EPERM, PU_UID_A, PU_GID_A, op_chown, &o);
	PU_AS(EPERM, PU_UID_A, PU_GID_A, op_utimes, &o);
	/* Group permission applies to a member of the file's group. */
	PU_OK(chown(pu_path("pub"), 0, PU_GID_A));
	PU_OK(chmod(pu_path("pub"), 0664));
	PU_AS(0, PU_UID_A, PU_GID_A, op_write, &o);
	PU_AS(EACCES, PU_UID_B, PU_GID_B, op_write, &o);
	/* Owner bits win over group bits, even when they deny. */
	PU_OK(chown(pu_path("pub"), PU_UID_A, PU_GID_A));
	PU_OK(chmod(pu_path("pub"), 0464));
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_write, &o);

	/* exec needs x; root needs at least one x bit too. */
	make_script("nox", 0644);
	make_script("x", 0755);
	o.p1 = pu_path("nox");
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_exec, &o);
	PU_AS(EACCES, 0, 0, op_exec, &o);
	o.p1 = pu_path("x");
	PU_AS(0, PU_UID_A, PU_GID_A, op_exec, &o);

	/* search (x) and read (r) on directories */
	PU_OK(mkdir(pu_path("closed"), 0700));
	pu_make_file("closed/f", 1, 1);
	o.p1 = pu_path("closed/f");
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_stat, &o);
	o.p1 = pu_path("closed");
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_opendir, &o);
	PU_OK(chmod(pu_path("closed"), 0744));
	PU_AS(0, PU_UID_A, PU_GID_A, op_opendir, &o);
	o.p1 = pu_path("closed/f");
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_stat, &o);
	PU_OK(chmod(pu_path("closed"), 0711));
	PU_AS(0, PU_UID_A, PU_GID_A, op_stat, &o);
	/* write on a directory: create and unlink need w+x */
	PU_OK(chmod(pu_path("closed"), 0755));
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_unlink, &o);
	o.p1 = pu_path("closed/new");
	o.flags = O_CREAT | O_WRONLY;
	o.mode = 0644;
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_open, &o);
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_mkdir, &o);
	o.p1 = pu_path("closed/f");
	o.p2 = pu_path("moved");
	PU_AS(EACCES, PU_UID_A, PU_GID_A, op_rename, &o);
}
END_TEST

START_TEST(test_perm_new_owner)
{
	struct op o = { .flags = O_CREAT | O_WRONLY | O_EXCL, .mode = 0640 };
	struct stat st;

	o.p1 = pu_path("ua");
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	PU_OK(stat(o.p1, &st));
	ck_assert_int_eq(st.st_uid, PU_UID_A);
	ck_assert_int_eq(st.st_gid, PU_GID_A);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	o.p1 = pu_path("ud");
	o.mode = 0750;
	PU_AS(0, PU_UID_B, PU_GID_B, op_mkdir, &o);
	PU_OK(stat(o.p1, &st));
	ck_assert_int_eq(st.st_uid, PU_UID_B);
	ck_assert_int_eq(st.st_gid, PU_GID_B);
	ck_assert(S_ISDIR(st.st_mode));
	/* The owner may chmod, and chgrp to a group it belongs to only. */
	o.p1 = pu_path("ua");
	o.mode = 0600;
	PU_AS(0, PU_UID_A, PU_GID_A, op_chmod, &o);
	ck_assert_int_eq(mode_of(o.p1) & 07777, 0600);
	o.uid = (uid_t)-1;
	o.gid = PU_GID_SHARED;
	ck_assert_int_eq(pu_run_as(PU_UID_A, PU_GID_A, PU_GID_SHARED,
				   op_chown, &o), 0);
	PU_OK(stat(o.p1, &st));
	ck_assert_int_eq(st.st_gid, PU_GID_SHARED);
	o.gid = PU_GID_B;
	PU_AS(EPERM, PU_UID_A, PU_GID_A, op_chown, &o);
	o.uid = PU_UID_B;
	o.gid = (gid_t)-1;
	PU_AS(EPERM, PU_UID_A, PU_GID_A, op_chown, &o);
	/* chmod g+s by an owner outside the file's group: bit dropped. */
	PU_OK(chown(o.p1, PU_UID_A, 0));
	o.mode = 02750;
	PU_AS(0, PU_UID_A, PU_GID_A, op_chmod, &o);
	ck_assert_msg((mode_of(o.p1) & 07777) == 0750, "mode %o, expected "
		      "750", mode_of(o.p1) & 07777);
}
END_TEST

START_TEST(test_perm_setgid_dir)
{
	const char *g = pu_path("g");
	struct op o = { .flags = O_CREAT | O_WRONLY, .mode = 0644 };
	struct stat st;

	PU_OK(mkdir(g, 0777));
	PU_OK(chown(g, 0, PU_GID_SHARED));
	PU_OK(chmod(g, 02777));
	o.p1 = pu_path("g/f");
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	PU_OK(stat(o.p1, &st));
	ck_assert_int_eq(st.st_uid, PU_UID_A);
	ck_assert_msg(st.st_gid == PU_GID_SHARED, "file in setgid dir has "
		      "gid %d, expected the directory's %d", (int)st.st_gid,
		      PU_GID_SHARED);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	o.p1 = pu_path("g/sub");
	o.mode = 0755;
	PU_AS(0, PU_UID_A, PU_GID_A, op_mkdir, &o);
	PU_OK(stat(o.p1, &st));
	ck_assert_int_eq(st.st_gid, PU_GID_SHARED);
	ck_assert_msg(st.st_mode & S_ISGID, "subdirectory of a setgid "
		      "directory lacks S_ISGID (mode %o)", st.st_mode & 07777);
	/* Root's creations inherit the group too. */
	pu_make_file("g/rootf", 1, 1);
	PU_OK(stat(pu_path("g/rootf"), &st));
	ck_assert_int_eq(st.st_gid, PU_GID_SHARED);
	/* A non-member creating a setgid file there loses S_ISGID. */
	o.p1 = pu_path("g/sg");
	o.mode = 02755;
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	ck_assert_msg(!(mode_of(o.p1) & S_ISGID), "S_ISGID kept on a file "
		      "created by a non-member of its group");
}
END_TEST

START_TEST(test_perm_sticky)
{
	const char *t = pu_path("t");
	struct op o = { .flags = O_CREAT | O_WRONLY, .mode = 0666 };

	PU_OK(mkdir(t, 0777));
	PU_OK(chmod(t, 01777));
	ck_assert(mode_of(t) & S_ISVTX);
	o.p1 = pu_path("t/a");
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	o.p1 = pu_path("t/b");
	PU_AS(0, PU_UID_B, PU_GID_B, op_open, &o);
	/* B may not remove or rename A's file, even though it may write it. */
	o.p1 = pu_path("t/a");
	PU_OK(chmod(o.p1, 0666));
	PU_AS(0, PU_UID_B, PU_GID_B, op_write, &o);
	PU_AS(EPERM, PU_UID_B, PU_GID_B, op_unlink, &o);
	o.p2 = pu_path("t/c");
	PU_AS(EPERM, PU_UID_B, PU_GID_B, op_rename, &o);
	/* Nor replace it by a rename of its own file. */
	o.p1 = pu_path("t/b");
	o.p2 = pu_path("t/a");
	PU_AS(EPERM, PU_UID_B, PU_GID_B, op_rename, &o);
	/* Owners may, and root may. */
	o.p1 = pu_path("t/a");
	o.p2 = pu_path("t/a2");
	PU_AS(0, PU_UID_A, PU_GID_A, op_rename, &o);
	o.p1 = pu_path("t/b");
	PU_AS(0, PU_UID_B, PU_GID_B, op_unlink, &o);
	PU_OK(unlink(pu_path("t/a2")));
	/* Without the sticky bit B may remove A's file. */
	PU_OK(chmod(t, 0777));
	o.p1 = pu_path("t/a3");
	PU_AS(0, PU_UID_A, PU_GID_A, op_open, &o);
	PU_AS(0, PU_UID_B, PU_GID_B, op_unlink, &o);
}
END_TEST

START_TEST(test_perm_write_clears_suid)
{
	const char *p = pu_make_file("s", 10, 1);
	struct op o = { .p1 = p };

	PU_OK(chmod(p, 06777));
	PU_AS(0, PU_UID_A, PU_GID_A, op_write, &o);
	ck_assert_msg((mode_of(p) & 07777) == 0777, "write by a non-owner "
		      "left mode %o, expected 777", mode_of(p) & 07777);
	/* Truncate by a non-owner clears them too. */
	PU_OK(chmod(p, 04777));
	PU_AS(0, PU_UID_A, PU_GID_A, op_truncate, &o);
	ck_assert_msg((mode_of(p) & 07777) == 0777, "truncate by a non-owner "
		      "left mode %o, expected 777", mode_of(p) & 07777);
}
END_TEST

void posix_add_perm(Suite *s)
{
	TCase *tc = pu_tcase(s, "permissions", PU_TIMEOUT);
	tcase_add_test(tc, test_perm_rwx);
	tcase_add_test(tc, test_perm_write_clears_suid);
	/* These need inodes created with the caller's uid/gid. */
	tc = pu_tcase(s, "ownership", PU_TIMEOUT);
	tcase_set_tags(tc, "owner");
	tcase_add_test(tc, test_perm_new_owner);
	tcase_add_test(tc, test_perm_setgid_dir);
	tcase_add_test(tc, test_perm_sticky);
	/* what a daemon checking by itself must enforce (perm_cases.h) */
	perm_add_walk(s);
	perm_add_ops(s);
}
