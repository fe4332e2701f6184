/* SPDX-License-Identifier: MIT */
/* cleanup.c - the undo stack of mounts, processes, dirs and files. */
#include "cleanup.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLEANUP_MAX 64
#define CLEANUP_PATH 512

enum cleanup_kind { CL_FREE, CL_MOUNT, CL_PID, CL_DIR, CL_FILE };

/* The record getdents64(2) returns (no libc wrapper in Debian 12's glibc
 * headers without _GNU_SOURCE tricks, and opendir() is not signal-safe). */
struct dirent64_rec {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct cleanup_entry {
	volatile sig_atomic_t kind;
	pid_t pid;
	unsigned fuse_conn; /* CL_MOUNT of a FUSE fs: its connection + 1 */
	char path[CLEANUP_PATH];
};

static struct cleanup_entry entries[CLEANUP_MAX];
static volatile sig_atomic_t nentries;
static pid_t owner;

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Stop a child: SIGTERM, up to 2 s, then SIGKILL; always reap. */
static void stop_pid(pid_t pid)
{
	int st;

	if (kill(pid, SIGTERM) < 0 && errno == ESRCH)
		goto reap;
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		nap_ms(10);
	}
	kill(pid, SIGKILL);
reap:
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Remove the entries of a flat directory (what the bench made in it),
 * async-signal-safely. */
static void empty_dir(const char *path)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64_rec *d = (void *)(buf + off);

			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			if (unlinkat(fd, d->d_name, 0) < 0)
				unlinkat(fd, d->d_name, AT_REMOVEDIR);
		}
	}
	close(fd);
}

/* Fail every request of a FUSE connection at once (a hung daemon must not
 * hang us): /sys/fs/fuse/connections/N/abort.  Signal-safe. */
static void fuse_abort(unsigned conn)
{
	char path[64] = "/sys/fs/fuse/connections/";
	char num[16];
	int n = 0, fd;

	do {
		num[n++] = (char)('0' + conn % 10);
		conn /= 10;
	} while (conn && n < (int)sizeof(num));
	for (size_t l = strlen(path); n > 0 && l < sizeof(path) - 8;)
		path[l++] = num[--n], path[l] = '\0';
	strcat(path, "/abort");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = write(fd, "1", 1);

		(void)r;
		close(fd);
	}
}

static volatile sig_atomic_t aborting; /* on the signal path */

static void undo(struct cleanup_entry *e)
{
	int kind = e->kind;

	e->kind = CL_FREE;
	switch (kind) {
	case CL_MOUNT:
		if (aborting && e->fuse_conn)
			fuse_abort(e->fuse_conn - 1);
		/* A FUSE daemon that hangs must not hang us: detach if busy. */
		if (umount2(e->path, 0) < 0 && errno != EINVAL &&
		    errno != ENOENT)
			umount2(e->path, MNT_DETACH);
		break;
	case CL_PID:
		stop_pid(e->pid);
		break;
	case CL_DIR:
		empty_dir(e->path);
		rmdir(e->path);
		break;
	case CL_FILE:
		unlink(e->path);
		break;
	default:
		break;
	}
}

void cleanup_all(void)
{
	if (getpid() != owner)
		return;
	for (int i = nentries - 1; i >= 0; i--)
		undo(&entries[i]);
	nentries = 0;
}

static void on_signal(int sig)
{
	static const char msg[] = "\npinfs-bench: interrupted, cleaning up\n";

	static const char tmo[] = "\npinfs-bench: watchdog: the run took "
				  "too long (--timeout), cleaning up\n";

	/* a forked child (holder, disturber) just dies as the default says */
	if (getpid() == owner) {
		ssize_t r = sig == SIGALRM ?
			write(STDERR_FILENO, tmo, sizeof(tmo) - 1) :
			write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void)r;
		aborting = 1;
		cleanup_all();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int cleanup_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM };
	struct sigaction sa;

	owner = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	/* A holder that dies must not kill us through a broken pipe. */
	signal(SIGPIPE, SIG_IGN);
	if (atexit(cleanup_all) != 0)
		return -ENOMEM;
	return 0;
}

static int push(enum cleanup_kind kind, const char *path, pid_t pid)
{
	struct cleanup_entry *e;
	sigset_t all, old;
	int h;

	if (path && strlen(path) >= CLEANUP_PATH)
		return -ENAMETOOLONG;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (nentries == CLEANUP_MAX) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -ENOSPC;
	}
	h = nentries;
	e = &entries[h];
	e->pid = pid;
	e->fuse_conn = 0;
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	e->kind = kind;
	nentries = h + 1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return h;
}

int cleanup_push_mount(const char *path)
{
	return push(CL_MOUNT, path, 0);
}

int cleanup_push_pid(pid_t pid)
{
	return push(CL_PID, NULL, pid);
}

int cleanup_push_dir(const char *path)
{
	return push(CL_DIR, path, 0);
}

int cleanup_push_file(const char *path)
{
	return push(CL_FILE, path, 0);
}

void cleanup_mount_conn(int handle, unsigned conn)
{
	if (handle >= 0 && handle < nentries &&
	    entries[handle].kind == CL_MOUNT)
		entries[handle].fuse_conn = conn + 1;
}

void cleanup_undo(int handle)
{
	sigset_t all, old;

	if (handle < 0 || handle >= nentries)
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	undo(&entries[handle]);
	/* pop trailing free entries so handles can be reused */
	while (nentries > 0 && entries[nentries - 1].kind == CL_FREE)
		nentries = nentries - 1;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int cleanup_wait(int handle, int ms)
{
	struct cleanup_entry *e;
	int st;

	if (handle < 0 || handle >= nentries ||
	    entries[handle].kind != CL_PID)
		return -EINVAL;
	e = &entries[handle];
	for (int i = 0; i <= ms; i++) {
		pid_t r = waitpid(e->pid, &st, WNOHANG);

		if (r == e->pid) {
			cleanup_forget(handle);
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return 128 + WTERMSIG(st);
		}
		if (r < 0 && errno != EINTR) {
			cleanup_forget(handle);
			return -errno;
		}
		nap_ms(1);
	}
	cleanup_undo(handle);
	return -ETIMEDOUT;
}

void cleanup_forget(int handle)
{
	if (handle < 0 || handle >= nentries)
		return;
	entries[handle].kind = CL_FREE;
	while (nentries > 0 && entries[nentries - 1].kind == CL_FREE)
		nentries = nentries - 1;
}
