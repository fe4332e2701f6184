/* SPDX-License-Identifier: MIT */
/*
 * ident.c - holder identity from /proc, pidfds; see ident.h.
 */
#include "ident.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Read /proc/PID/NAME into BUF (NUL-terminated). */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EIO;
	buf[n] = '\0';
	return 0;
}

int pin_ident_tgid(pid_t tid, pid_t *tgid)
{
	char buf[2048], *p;
	int rc = read_proc(tid, "status", buf, sizeof(buf));
	long v;

	if (rc)
		return rc;
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -EIO;
	v = strtol(p + 6, NULL, 10);
	if (v <= 0)
		return -EIO;
	*tgid = (pid_t)v;
	return 0;
}

int pin_ident_start_time(pid_t pid, uint64_t *start)
{
	char buf[1024], *p;
	int rc = read_proc(pid, "stat", buf, sizeof(buf)), field;

	if (rc)
		return rc;
	/* comm (field 2) may hold spaces and ')': fields restart after the
	 * last ')'; field 3 follows it. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p++;
	for (field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

int pin_ident_comm(pid_t pid, char comm[16])
{
	char buf[64];
	int rc = read_proc(pid, "comm", buf, sizeof(buf));
	size_t n;

	if (rc)
		return rc;
	n = strcspn(buf, "\n");
	if (n > 15)
		n = 15;
	memcpy(comm, buf, n);
	comm[n] = '\0';
	return 0;
}

int pin_ident_pidfd(pid_t pid, uint64_t start)
{
	uint64_t now_start;
	int fd, rc;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == EINVAL ? -ESRCH : -errno;
	/* The pidfd pins this pid: if the start time matches now, the pidfd
	 * refers to the holder and not to a process that reused its pid. */
	rc = pin_ident_start_time(pid, &now_start);
	if (rc || now_start != start) {
		close(fd);
		return -ESRCH;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int pin_ident_signal(int pidfd, int signo, uint64_t value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = signo;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_ptr = (void *)(uintptr_t)value;
	if (syscall(SYS_pidfd_send_signal, pidfd, signo,
		    signo == SIGKILL ? NULL : &si, 0) < 0)
		return -errno;
	return 0;
}
