/* SPDX-License-Identifier: MIT */
/*
 * perm_cases.h - permission cases of the POSIX suite that check what a
 * daemon must enforce when the kernel does not (pinfs permissions=daemon,
 * no default_permissions), validated against tmpfs like the rest:
 * perm_walk.c (walks through cached names into directories the walker
 * may not search), perm_ops.c (each request's own check).
 *
 * Each step runs as PU_UID_A/PU_UID_B in a child (pu_run_as) through a
 * perm_op_* function taking a struct perm_op, returning 0 or an errno.
 */
#ifndef PINFS_TESTS_FUSE_PERM_CASES_H
#define PINFS_TESTS_FUSE_PERM_CASES_H

#include "posix_util.h"

#include <sys/stat.h>
#include <time.h>

struct perm_op {
	const char *p1, *p2;
	int flags;         /* open(2) flags; access(2) mode */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec ts[2];
	bool ts_null;      /* utimensat(..., NULL): "touch" */
};

int perm_op_stat(void *a);
int perm_op_open(void *a);      /* open(p1, flags, mode), close */
int perm_op_access(void *a);    /* access(p1, flags) */
int perm_op_opendir(void *a);   /* opendir + readdir to the end */
int perm_op_chdir(void *a);     /* chdir(p1), then stat("p2") if p2 */
int perm_op_chmod(void *a);
int perm_op_chown(void *a);
int perm_op_rename(void *a);
int perm_op_link(void *a);
int perm_op_unlink(void *a);
int perm_op_rmdir(void *a);
int perm_op_mkdir(void *a);
int perm_op_mkfifo(void *a);
int perm_op_symlink(void *a);   /* symlink("target", p1) */
int perm_op_utimens(void *a);   /* ts, or NULL when ts_null */
int perm_op_truncate(void *a);  /* truncate(p1, 1) */
int perm_op_getxattr(void *a);  /* "user.t" */
int perm_op_setxattr(void *a);
int perm_op_rmxattr(void *a);
int perm_op_set_trusted(void *a);  /* "trusted.t" */
int perm_op_get_trusted(void *a);
/* 0 when the caller's listxattr of p1 shows no trusted.* name, EEXIST
 * when it shows one. */
int perm_op_list_trusted(void *a);
int perm_op_exec(void *a);

/* mkdir P (MODE) or create file P (MODE), then chown to UID/GID (as root). */
void perm_mkdir_as(const char *p, mode_t mode, uid_t uid, gid_t gid);
void perm_mkfile_as(const char *p, mode_t mode, uid_t uid, gid_t gid);

/* Let the daemon's asynchronous name expiry run (see perm_walk.c). */
void perm_settle(void);

void perm_add_walk(Suite *s);
void perm_add_ops(Suite *s);

#endif /* PINFS_TESTS_FUSE_PERM_CASES_H */
