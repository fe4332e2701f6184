/* SPDX-License-Identifier: MIT */
/*
 * perm_walk.c - walks through names the kernel has cached.
 *
 * Without default_permissions the kernel does not check search
 * permission when a path walk passes a cached dentry: a daemon that
 * checks by itself must keep names in a directory that not everybody may
 * search out of the cache (or expire them when the directory's mode or
 * the name's place changes), else user B walks into user A's 0700
 * directory through the names A's own walks cached.  Each case lets A
 * (or B, before the change) fill the cache, then checks B is refused.
 *
 * The daemon expires names asynchronously after a chmod or rename that
 * needs it; perm_settle() gives that 100 ms.  The kernel caches names for
 * 1 s, so a missing expiry still fails the case.
 */
#include "perm_cases.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define A PU_UID_A, PU_GID_A
#define B PU_UID_B, PU_GID_B
#define AS_A(err, fn, arg) PU_AS(err, PU_UID_A, PU_GID_A, fn, arg)
#define AS_B(err, fn, arg) PU_AS(err, PU_UID_B, PU_GID_B, fn, arg)
#define AS_ROOT(err, fn, arg) PU_AS(err, 0, 0, fn, arg)

/* A's 0700 home with a file and a 0755 subdirectory holding another. */
static void make_home(const char *home)
{
	char p[PATH_MAX];

	perm_mkdir_as(home, 0700, A);
	snprintf(p, sizeof(p), "%s/f", home);
	perm_mkfile_as(p, 0644, A);
	snprintf(p, sizeof(p), "%s/sub", home);
	perm_mkdir_as(p, 0755, A);
	snprintf(p, sizeof(p), "%s/sub/g", home);
	perm_mkfile_as(p, 0644, A);
}

/* B may reach none of HOME's names, whatever A's walks cached. */
static void expect_b_shut_out(const char *home)
{
	char f[PATH_MAX], g[PATH_MAX], miss[PATH_MAX];
	struct perm_op o = { .p1 = f, .flags = O_RDONLY };

	snprintf(f, sizeof(f), "%s/f", home);
	snprintf(g, sizeof(g), "%s/sub/g", home);
	snprintf(miss, sizeof(miss), "%s/missing", home);
	AS_B(EACCES, perm_op_stat, &o);
	AS_B(EACCES, perm_op_open, &o);
	o.flags = F_OK;
	AS_B(EACCES, perm_op_access, &o);
	o.p1 = g;
	AS_B(EACCES, perm_op_stat, &o);
	o.flags = O_RDONLY;
	AS_B(EACCES, perm_op_open, &o);
	o.p1 = miss;
	AS_B(EACCES, perm_op_stat, &o);
	o.p1 = home;
	AS_B(EACCES, perm_op_opendir, &o);
	AS_B(EACCES, perm_op_chdir, &o);
	/* the directory itself is in a parent B may search */
	AS_B(0, perm_op_stat, &o);
}

START_TEST(test_walk_cached_by_owner)
{
	const char *home = pu_path("home");
	struct perm_op o = { .flags = O_RDONLY };

	make_home(home);
	/* A walks everything: lookups, a listing (readdirplus), a cwd */
	o.p1 = pu_path("home/f");
	AS_A(0, perm_op_open, &o);
	o.p1 = pu_path("home/sub/g");
	AS_A(0, perm_op_open, &o);
	o.p1 = home;
	AS_A(0, perm_op_opendir, &o);
	o.p1 = pu_path("home/sub");
	AS_A(0, perm_op_opendir, &o);
	o.p1 = home;
	o.p2 = "sub/g";
	AS_A(0, perm_op_chdir, &o);
	expect_b_shut_out(home);
	/* and A still can */
	o.p1 = pu_path("home/sub/g");
	AS_A(0, perm_op_stat, &o);
}
END_TEST

/* A member of the directory's group gets in through the group bits;
 * a non-member does not, after the member's walk. */
START_TEST(test_walk_cached_by_group)
{
	const char *home = pu_path("grp");
	struct perm_op o = { .p1 = pu_path("grp/f") };

	perm_mkdir_as(home, 0750, PU_UID_A, PU_GID_SHARED);
	perm_mkfile_as(o.p1, 0644, A);
	ck_assert_int_eq(pu_run_as(PU_UID_B, PU_GID_B, PU_GID_SHARED,
				   perm_op_stat, &o), 0);
	AS_B(EACCES, perm_op_stat, &o);
}
END_TEST

START_TEST(test_walk_chmod_revokes)
{
	const char *home = pu_path("open");
	struct perm_op o = { .flags = O_RDONLY };

	make_home(home);
	PU_OK(chmod(home, 0755));
	/* B walks in while it may: its names are cached */
	o.p1 = pu_path("open/f");
	AS_B(0, perm_op_open, &o);
	o.p1 = pu_path("open/sub/g");
	AS_B(0, perm_op_open, &o);
	o.p1 = home;
	AS_B(0, perm_op_opendir, &o);
	o.mode = 0700;
	AS_A(0, perm_op_chmod, &o);
	perm_settle();
	expect_b_shut_out(home);

	/* back open, then closed to others only (group keeps x) */
	o.mode = 0755;
	AS_A(0, perm_op_chmod, &o);
	o.p1 = pu_path("open/sub/g");
	AS_B(0, perm_op_stat, &o);
	o.p1 = home;
	o.mode = 0750;
	AS_A(0, perm_op_chmod, &o);
	perm_settle();
	expect_b_shut_out(home);

	/* others keep x, the group loses it: B as a group member is out */
	o.mode = 0755;
	AS_A(0, perm_op_chmod, &o);
	PU_OK(chown(home, PU_UID_A, PU_GID_SHARED));
	o.p1 = pu_path("open/f");
	ck_assert_int_eq(pu_run_as(PU_UID_B, PU_GID_B, PU_GID_SHARED,
				   perm_op_stat, &o), 0);
	o.p1 = home;
	o.mode = 0705;
	AS_A(0, perm_op_chmod, &o);
	perm_settle();
	o.p1 = pu_path("open/f");
	ck_assert_int_eq(pu_run_as(PU_UID_B, PU_GID_B, PU_GID_SHARED,
				   perm_op_stat, &o), EACCES);
	AS_B(0, perm_op_stat, &o); /* not a member: other bits */
}
END_TEST

START_TEST(test_walk_rename_into_private)
{
	struct perm_op o = { 0 };

	perm_mkdir_as(pu_path("pub"), 0755, A);
	perm_mkfile_as(pu_path("pub/f"), 0644, A);
	perm_mkdir_as(pu_path("pub/d"), 0755, A);
	perm_mkfile_as(pu_path("pub/d/g"), 0644, A);
	perm_mkdir_as(pu_path("priv"), 0700, A);
	o.p1 = pu_path("pub/f");
	AS_B(0, perm_op_stat, &o);
	o.p1 = pu_path("pub/d/g");
	AS_B(0, perm_op_stat, &o);
	/* A moves both into its private directory */
	o.p1 = pu_path("pub/f");
	o.p2 = pu_path("priv/f");
	AS_A(0, perm_op_rename, &o);
	o.p1 = pu_path("pub/d");
	o.p2 = pu_path("priv/d");
	AS_A(0, perm_op_rename, &o);
	perm_settle();
	o.p1 = pu_path("priv/f");
	AS_B(EACCES, perm_op_stat, &o);
	o.p1 = pu_path("priv/d/g");
	AS_B(EACCES, perm_op_stat, &o);
	o.p1 = pu_path("priv/d");
	AS_B(EACCES, perm_op_opendir, &o);
}
END_TEST

START_TEST(test_walk_new_names)
{
	static const char *const names[] = {
		"p/created", "p/dir", "p/fifo", "p/hard",
	};
	struct perm_op o = { .flags = O_CREAT | O_WRONLY, .mode = 0644 };

	perm_mkdir_as(pu_path("p"), 0700, A);
	perm_mkfile_as(pu_path("shared"), 0644, A);
	/* A makes names of every kind; each reply could cache one */
	o.p1 = pu_path("p/created");
	AS_A(0, perm_op_open, &o);
	o.p1 = pu_path("p/dir");
	o.mode = 0755;
	AS_A(0, perm_op_mkdir, &o);
	o.p1 = pu_path("p/fifo");
	o.mode = 0644;
	AS_A(0, perm_op_mkfifo, &o);
	o.p1 = pu_path("p/sym");
	AS_A(0, perm_op_symlink, &o);
	o.p1 = pu_path("shared");
	o.p2 = pu_path("p/hard");
	AS_A(0, perm_op_link, &o);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		o.p1 = pu_path(names[i]);
		AS_B(EACCES, perm_op_stat, &o);
	}
	o.p1 = pu_path("p/sym");
	AS_B(EACCES, perm_op_stat, &o);
}
END_TEST

void perm_add_walk(Suite *s)
{
	TCase *tc = pu_tcase(s, "perm-walk", PU_TIMEOUT);

	tcase_add_test(tc, test_walk_cached_by_owner);
	tcase_add_test(tc, test_walk_cached_by_group);
	tcase_add_test(tc, test_walk_chmod_revokes);
	tcase_add_test(tc, test_walk_rename_into_private);
	/* A creates the names as itself */
	tc = pu_tcase(s, "perm-walk-owner", PU_TIMEOUT);
	tcase_set_tags(tc, "owner");
	tcase_add_test(tc, test_walk_new_names);
}
