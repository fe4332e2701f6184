/* SPDX-License-Identifier: MIT */
/*
 * perm_ops.c - each request's own permission check, as Linux makes it on
 * a local filesystem: search for lookups, write+search for changes of a
 * directory (both parents of a rename, ".." of a moved directory),
 * access mode and O_TRUNC for opens, read for opendir, the ownership
 * rules of setattr, user.* xattrs, access(2)/chdir, protected hard links,
 * and root's privileges.  What posix_perm.c already covers is not
 * repeated.
 */
#include "perm_cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#define A PU_UID_A, PU_GID_A
#define B PU_UID_B, PU_GID_B
#define AS_A(err, fn, arg) PU_AS(err, PU_UID_A, PU_GID_A, fn, arg)
#define AS_B(err, fn, arg) PU_AS(err, PU_UID_B, PU_GID_B, fn, arg)
#define AS_ROOT(err, fn, arg) PU_AS(err, 0, 0, fn, arg)

/* Every way B could change A's 0755 directory D: EACCES. */
START_TEST(test_ops_dir_write)
{
	struct perm_op o = { .mode = 0644 };

	perm_mkdir_as(pu_path("d"), 0755, A);
	perm_mkfile_as(pu_path("d/f"), 0644, A);
	perm_mkdir_as(pu_path("d/sub"), 0755, A);
	perm_mkdir_as(pu_path("bdir"), 0777, B);
	perm_mkfile_as(pu_path("bdir/bf"), 0666, B);
	o.p1 = pu_path("d/new");
	o.flags = O_CREAT | O_EXCL | O_WRONLY;
	AS_B(EACCES, perm_op_open, &o);
	AS_B(EACCES, perm_op_mkdir, &o);
	AS_B(EACCES, perm_op_mkfifo, &o);
	AS_B(EACCES, perm_op_symlink, &o);
	o.p1 = pu_path("bdir/bf");
	o.p2 = pu_path("d/new");
	AS_B(EACCES, perm_op_link, &o);
	AS_B(EACCES, perm_op_rename, &o);   /* into D */
	o.p1 = pu_path("d/f");
	o.p2 = pu_path("bdir/moved");
	AS_B(EACCES, perm_op_rename, &o);   /* out of D */
	AS_B(EACCES, perm_op_unlink, &o);
	o.p1 = pu_path("d/sub");
	AS_B(EACCES, perm_op_rmdir, &o);
	/* an existing name still answers EEXIST first */
	o.p1 = pu_path("d/f");
	AS_B(EEXIST, perm_op_mkdir, &o);
	o.flags = O_CREAT | O_EXCL | O_WRONLY;
	AS_B(EEXIST, perm_op_open, &o);
	/* a missing name: ENOENT, B may search D */
	o.p1 = pu_path("d/none");
	AS_B(ENOENT, perm_op_unlink, &o);
	/* write without search is not enough */
	PU_OK(chmod(pu_path("d"), 0776));
	o.p1 = pu_path("d/new");
	AS_B(EACCES, perm_op_open, &o);
	AS_B(EACCES, perm_op_stat, &o);
	/* write and search: allowed */
	PU_OK(chmod(pu_path("d"), 0773));
	AS_B(0, perm_op_open, &o);
	AS_B(0, perm_op_unlink, &o);
	o.p1 = pu_path("d");
	AS_B(EACCES, perm_op_opendir, &o);  /* no r */
}
END_TEST

/* Open by access mode; O_TRUNC needs write; exec of --x and of x-less. */
START_TEST(test_ops_open_modes)
{
	struct perm_op o = { .p1 = pu_path("f") };

	perm_mkfile_as(o.p1, 0604, PU_UID_A, PU_GID_SHARED);
	o.flags = O_RDONLY;
	AS_B(0, perm_op_open, &o);
	o.flags = O_RDONLY | O_TRUNC;
	AS_B(EACCES, perm_op_open, &o);
	o.flags = O_WRONLY;
	AS_B(EACCES, perm_op_open, &o);
	o.flags = O_RDWR;
	AS_B(EACCES, perm_op_open, &o);
	o.flags = O_WRONLY | O_APPEND;
	AS_B(EACCES, perm_op_open, &o);
	/* a group member gets the group bits (none), not the others' r */
	o.flags = O_RDONLY;
	ck_assert_int_eq(pu_run_as(PU_UID_B, PU_GID_B, PU_GID_SHARED,
				   perm_op_open, &o), EACCES);
	PU_OK(chmod(o.p1, 0646));
	o.flags = O_RDWR;
	AS_B(0, perm_op_open, &o);
	o.flags = O_WRONLY | O_TRUNC;
	AS_B(0, perm_op_open, &o);
	/* the owner's own bits deny the owner */
	PU_OK(chmod(o.p1, 0066));
	o.flags = O_RDONLY;
	AS_A(EACCES, perm_op_open, &o);
	AS_ROOT(0, perm_op_open, &o);       /* root reads anything */
	o.flags = O_RDWR | O_TRUNC;
	AS_ROOT(0, perm_op_open, &o);
}
END_TEST

/* A binary with mode 0711 runs for others without read permission;
 * 0700 does not; root needs an x bit. */
START_TEST(test_ops_exec)
{
	const char *bin = pu_path("true");
	struct perm_op o = { .p1 = bin };
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cp /bin/true '%s'", bin);
	ck_assert_int_eq(system(cmd), 0);
	PU_OK(chown(bin, PU_UID_A, PU_GID_A));
	PU_OK(chmod(bin, 0711));
	AS_B(0, perm_op_exec, &o);
	PU_OK(chmod(bin, 0700));
	AS_B(EACCES, perm_op_exec, &o);
	AS_A(0, perm_op_exec, &o);
	AS_ROOT(0, perm_op_exec, &o);
	PU_OK(chmod(bin, 0666));
	AS_ROOT(EACCES, perm_op_exec, &o);
	/* a member of the group gets the group's x */
	PU_OK(chown(bin, PU_UID_A, PU_GID_SHARED));
	PU_OK(chmod(bin, 0750));
	ck_assert_int_eq(pu_run_as(PU_UID_B, PU_GID_B, PU_GID_SHARED,
				   perm_op_exec, &o), 0);
	AS_B(EACCES, perm_op_exec, &o);
}
END_TEST

/* access(2) and chdir(2) are answered by the daemon (FUSE_ACCESS). */
START_TEST(test_ops_access_chdir)
{
	struct perm_op o = { .p1 = pu_path("f") };

	perm_mkfile_as(o.p1, 0640, A);
	o.flags = R_OK;
	AS_A(0, perm_op_access, &o);
	AS_B(EACCES, perm_op_access, &o);
	o.flags = W_OK;
	AS_B(EACCES, perm_op_access, &o);
	o.flags = X_OK;
	AS_A(EACCES, perm_op_access, &o);
	AS_ROOT(EACCES, perm_op_access, &o);
	o.flags = R_OK | W_OK;
	AS_ROOT(0, perm_op_access, &o);
	o.flags = F_OK;
	AS_B(0, perm_op_access, &o);
	perm_mkdir_as(pu_path("d"), 0754, A);
	o.p1 = pu_path("d");
	o.p2 = NULL;
	AS_A(0, perm_op_chdir, &o);
	AS_B(EACCES, perm_op_chdir, &o);
	o.flags = R_OK;
	AS_B(0, perm_op_access, &o);
	o.flags = X_OK;
	AS_B(EACCES, perm_op_access, &o);
	AS_ROOT(0, perm_op_access, &o);
}
END_TEST

/* Ownership rules of setattr that the kernel skips without
 * default_permissions (it forces the request through). */
START_TEST(test_ops_setattr)
{
	struct perm_op o = { .p1 = pu_path("f") };

	perm_mkfile_as(o.p1, 04755, A);
	/* B may not even clear the set-id bits by chmod */
	o.mode = 0755;
	AS_B(EPERM, perm_op_chmod, &o);
	ck_assert_int_eq(chmod(o.p1, 0644), 0);
	/* times: explicit only by the owner; "now" also by a writer */
	o.ts[0] = (struct timespec){ 1, 0 };
	o.ts[1] = (struct timespec){ 1, 0 };
	AS_B(EPERM, perm_op_utimens, &o);
	AS_A(0, perm_op_utimens, &o);
	o.ts_null = true;
	AS_B(EACCES, perm_op_utimens, &o);
	o.ts[0].tv_nsec = UTIME_NOW;
	o.ts[1].tv_nsec = UTIME_NOW;
	o.ts_null = false;
	AS_B(EACCES, perm_op_utimens, &o);
	PU_OK(chmod(o.p1, 0646));
	AS_B(0, perm_op_utimens, &o);
	o.ts_null = true;
	AS_B(0, perm_op_utimens, &o);
	/* one "now" and one left alone is not a plain touch: owner only */
	o.ts_null = false;
	o.ts[1].tv_nsec = UTIME_OMIT;
	AS_B(EPERM, perm_op_utimens, &o);
	/* truncate by path needs write permission */
	AS_B(0, perm_op_truncate, &o);
	PU_OK(chmod(o.p1, 0644));
	AS_B(EACCES, perm_op_truncate, &o);
	/* chown: B may not give itself the file, nor A give it away */
	o.uid = PU_UID_B;
	o.gid = (gid_t)-1;
	AS_B(EPERM, perm_op_chown, &o);
	AS_A(EPERM, perm_op_chown, &o);
	o.uid = (uid_t)-1;
	o.gid = PU_GID_B;
	AS_B(EPERM, perm_op_chown, &o);
	AS_ROOT(0, perm_op_chown, &o);
	/* chmod g+s by the owner outside the file's group drops S_ISGID,
	 * root keeps it */
	o.mode = 02755;
	AS_A(0, perm_op_chmod, &o);
	{
		struct stat st;

		PU_OK(stat(o.p1, &st));
		ck_assert_msg((st.st_mode & 07777) == 0755, "mode %o",
			      st.st_mode & 07777);
		AS_ROOT(0, perm_op_chmod, &o);
		PU_OK(stat(o.p1, &st));
		ck_assert_msg((st.st_mode & 07777) == 02755, "mode %o",
			      st.st_mode & 07777);
	}
}
END_TEST

/* user.* xattrs: read permission to get, write permission to change;
 * trusted.* is root's. */
START_TEST(test_ops_xattr)
{
	struct perm_op o = { .p1 = pu_path("f") };

	perm_mkfile_as(o.p1, 0600, A);
	AS_A(0, perm_op_setxattr, &o);
	AS_B(EACCES, perm_op_getxattr, &o);
	PU_OK(chmod(o.p1, 0644));
	AS_B(0, perm_op_getxattr, &o);
	AS_B(EACCES, perm_op_setxattr, &o);
	AS_B(EACCES, perm_op_rmxattr, &o);
	PU_OK(chmod(o.p1, 0646));
	AS_B(0, perm_op_setxattr, &o);
	AS_B(0, perm_op_rmxattr, &o);
	PU_OK(chmod(o.p1, 0));
	AS_ROOT(0, perm_op_setxattr, &o);
	AS_ROOT(0, perm_op_getxattr, &o);
	AS_A(EACCES, perm_op_getxattr, &o);
	/* trusted.*: root's only; others cannot set it, do not see it */
	PU_OK(chmod(o.p1, 0666));
	AS_ROOT(0, perm_op_set_trusted, &o);
	AS_ROOT(0, perm_op_get_trusted, &o);
	AS_ROOT(EEXIST, perm_op_list_trusted, &o);
	AS_A(EPERM, perm_op_set_trusted, &o);
	AS_A(ENODATA, perm_op_get_trusted, &o);
	/* passthrough_ll lists as root, whatever the caller */
	if (pu_mount.backend != FH_BACKEND_PASSTHROUGH)
		AS_A(0, perm_op_list_trusted, &o);
}
END_TEST

/* A directory moved to another parent needs write permission on itself
 * (its ".." changes); within its parent it does not. */
START_TEST(test_ops_rename_dir)
{
	struct perm_op o = { 0 };

	perm_mkdir_as(pu_path("p1"), 0755, A);
	perm_mkdir_as(pu_path("p2"), 0755, A);
	perm_mkdir_as(pu_path("p1/ro"), 0555, A);
	o.p1 = pu_path("p1/ro");
	o.p2 = pu_path("p2/ro");
	AS_A(EACCES, perm_op_rename, &o);
	o.p2 = pu_path("p1/ro2");
	AS_A(0, perm_op_rename, &o);
	o.p1 = pu_path("p1/ro2");
	o.p2 = pu_path("p2/ro");
	AS_ROOT(0, perm_op_rename, &o);   /* root may */
	/* both parents need write: B owns neither */
	perm_mkdir_as(pu_path("bd"), 0755, B);
	perm_mkfile_as(pu_path("bd/x"), 0644, B);
	o.p1 = pu_path("bd/x");
	o.p2 = pu_path("p2/x");
	AS_B(EACCES, perm_op_rename, &o);
	o.p1 = pu_path("p2/ro");
	o.p2 = pu_path("bd/ro");
	AS_B(EACCES, perm_op_rename, &o);
}
END_TEST

/* fs.protected_hardlinks (on in Debian): a non-owner may link only a
 * regular file without set-id bits that it may read and write. */
START_TEST(test_ops_protected_link)
{
	struct perm_op o = { .p1 = pu_path("a"), .p2 = pu_path("d/l") };
	FILE *f = fopen("/proc/sys/fs/protected_hardlinks", "re");
	int on = 0;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	perm_mkdir_as(pu_path("d"), 0777, B);
	perm_mkfile_as(o.p1, 0644, A);
	AS_B(on ? EPERM : 0, perm_op_link, &o);
	unlink(o.p2);
	PU_OK(chmod(o.p1, 0666));
	AS_B(0, perm_op_link, &o);
	PU_OK(unlink(o.p2));
	PU_OK(chmod(o.p1, 04666));
	AS_B(on ? EPERM : 0, perm_op_link, &o);
	unlink(o.p2);
	AS_A(0, perm_op_link, &o);
}
END_TEST

/* Root searches and changes any directory. */
START_TEST(test_ops_root)
{
	struct perm_op o = { .flags = O_CREAT | O_WRONLY, .mode = 0644 };

	perm_mkdir_as(pu_path("locked"), 0, A);
	o.p1 = pu_path("locked/f");
	AS_ROOT(0, perm_op_open, &o);
	AS_ROOT(0, perm_op_stat, &o);
	AS_ROOT(0, perm_op_unlink, &o);
	o.p1 = pu_path("locked");
	AS_ROOT(0, perm_op_opendir, &o);
	AS_A(EACCES, perm_op_opendir, &o);
}
END_TEST

static int op_connect(void *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ret = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		 ((struct perm_op *)a)->p1);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * A FIFO's and a socket's own mode bits.  The kernel opens and connects
 * special files without asking a FUSE daemon, so only the kernel's own
 * check (default_permissions) can enforce these: pinfs with
 * permissions=daemon cannot (tag "specialperm", docs/daemon.md).
 */
START_TEST(test_ops_special_files)
{
	struct perm_op o = { .p1 = pu_path("fifo") };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	PU_OK(mkfifo(o.p1, 0600));
	PU_OK(chown(o.p1, PU_UID_A, PU_GID_A));
	o.flags = O_RDONLY | O_NONBLOCK;
	AS_A(0, perm_op_open, &o);
	AS_B(EACCES, perm_op_open, &o);
	o.flags = O_WRONLY | O_NONBLOCK;
	AS_B(EACCES, perm_op_open, &o);

	/* bound, not listening: a caller allowed to connect is refused */
	o.p1 = pu_path("sock");
	ck_assert_msg(strlen(o.p1) < sizeof(sun.sun_path), "path too long");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", o.p1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	PU_OK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
	close(fd);
	PU_OK(chown(o.p1, PU_UID_A, PU_GID_A));
	PU_OK(chmod(o.p1, 0600));
	AS_A(ECONNREFUSED, op_connect, &o);
	AS_B(EACCES, op_connect, &o);
}
END_TEST

void perm_add_ops(Suite *s)
{
	TCase *tc = pu_tcase(s, "perm-ops", PU_TIMEOUT);

	tcase_add_test(tc, test_ops_dir_write);
	tcase_add_test(tc, test_ops_open_modes);
	tcase_add_test(tc, test_ops_exec);
	tcase_add_test(tc, test_ops_access_chdir);
	tcase_add_test(tc, test_ops_setattr);
	tcase_add_test(tc, test_ops_xattr);
	tcase_add_test(tc, test_ops_rename_dir);
	tcase_add_test(tc, test_ops_protected_link);
	tcase_add_test(tc, test_ops_root);
	tc = pu_tcase(s, "perm-special", PU_TIMEOUT);
	tcase_set_tags(tc, "specialperm");
	tcase_add_test(tc, test_ops_special_files);
}
