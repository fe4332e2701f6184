/* SPDX-License-Identifier: MIT */
/*
 * perm_util.c - the steps the permission cases run as other users
 * (perm_cases.h).
 */
#include "perm_cases.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RET(expr) ((expr) < 0 ? errno : 0)

int perm_op_stat(void *a)
{
	struct stat st;

	return RET(stat(((struct perm_op *)a)->p1, &st));
}

int perm_op_open(void *a)
{
	struct perm_op *o = a;
	int fd = open(o->p1, o->flags, o->mode);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int perm_op_access(void *a)
{
	struct perm_op *o = a;

	return RET(access(o->p1, o->flags));
}

int perm_op_opendir(void *a)
{
	DIR *d = opendir(((struct perm_op *)a)->p1);

	if (!d)
		return errno;
	errno = 0;
	while (readdir(d))
		;
	closedir(d);
	return errno;
}

int perm_op_chdir(void *a)
{
	struct perm_op *o = a;
	struct stat st;

	if (chdir(o->p1) < 0)
		return errno;
	return o->p2 ? RET(stat(o->p2, &st)) : 0;
}

int perm_op_chmod(void *a)
{
	struct perm_op *o = a;

	return RET(chmod(o->p1, o->mode));
}

int perm_op_chown(void *a)
{
	struct perm_op *o = a;

	return RET(chown(o->p1, o->uid, o->gid));
}

int perm_op_rename(void *a)
{
	struct perm_op *o = a;

	return RET(rename(o->p1, o->p2));
}

int perm_op_link(void *a)
{
	struct perm_op *o = a;

	return RET(link(o->p1, o->p2));
}

int perm_op_unlink(void *a)
{
	return RET(unlink(((struct perm_op *)a)->p1));
}

int perm_op_rmdir(void *a)
{
	return RET(rmdir(((struct perm_op *)a)->p1));
}

int perm_op_mkdir(void *a)
{
	struct perm_op *o = a;

	return RET(mkdir(o->p1, o->mode));
}

int perm_op_mkfifo(void *a)
{
	struct perm_op *o = a;

	return RET(mkfifo(o->p1, o->mode));
}

int perm_op_symlink(void *a)
{
	return RET(symlink("target", ((struct perm_op *)a)->p1));
}

int perm_op_utimens(void *a)
{
	struct perm_op *o = a;

	return RET(utimensat(AT_FDCWD, o->p1, o->ts_null ? NULL : o->ts, 0));
}

int perm_op_truncate(void *a)
{
	return RET(truncate(((struct perm_op *)a)->p1, 1));
}

int perm_op_getxattr(void *a)
{
	char v[16];
	ssize_t n = getxattr(((struct perm_op *)a)->p1, "user.t", v, sizeof(v));

	return n < 0 ? errno : 0;
}

int perm_op_setxattr(void *a)
{
	return RET(setxattr(((struct perm_op *)a)->p1, "user.t", "v", 1, 0));
}

int perm_op_rmxattr(void *a)
{
	return RET(removexattr(((struct perm_op *)a)->p1, "user.t"));
}

int perm_op_set_trusted(void *a)
{
	return RET(setxattr(((struct perm_op *)a)->p1, "trusted.t", "v", 1, 0));
}

int perm_op_get_trusted(void *a)
{
	char v[16];

	return RET(getxattr(((struct perm_op *)a)->p1, "trusted.t", v,
			    sizeof(v)));
}

int perm_op_list_trusted(void *a)
{
	char list[1024];
	ssize_t n = listxattr(((struct perm_op *)a)->p1, list, sizeof(list));

	if (n < 0)
		return errno;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (!strncmp(list + i, "trusted.", 8))
			return EEXIST;
	return 0;
}

int perm_op_exec(void *a)
{
	struct perm_op *o = a;
	char *argv[] = { (char *)o->p1, NULL };
	char *envp[] = { NULL };
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		execve(o->p1, argv, envp);
		_exit(errno & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

void perm_mkdir_as(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
	PU_OK(mkdir(p, mode));
	PU_OK(chown(p, uid, gid));
	PU_OK(chmod(p, mode));
}

void perm_mkfile_as(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0600);

	ck_assert_msg(fd >= 0, "create %s: %s", p, strerrorname_np(errno));
	ck_assert_int_eq(close(fd), 0);
	PU_OK(chown(p, uid, gid));
	PU_OK(chmod(p, mode));
}

void perm_settle(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}
