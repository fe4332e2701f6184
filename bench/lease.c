/* SPDX-License-Identifier: MIT */
/* lease.c - kernel F_SETLEASE break latency and set/unlock rate. */
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

#define LEASE_SIG (SIGRTMIN + 1)
#define LEASE_WAIT_MS 5000

static int wait_ready(int fd);

/* The holder: wait for "go" (the previous truncate is over: while it runs
 * the file counts as open for writing and F_SETLEASE would fail), lease,
 * say ready, wait for the break, release, again.  Exits 0 after
 * iterations breaks, or with an errno on failure. */
static int holder_main(const char *path, int type, unsigned iterations,
		       int go_fd, int ready_fd, int cpu)
{
	struct timespec tmo = { LEASE_WAIT_MS / 1000, 0 };
	sigset_t set;
	siginfo_t si;
	int fd;

	if (cpu >= 0)
		stats_pin_cpu((unsigned)cpu);
	sigemptyset(&set);
	sigaddset(&set, LEASE_SIG);
	/* when the queued signal cannot be queued the kernel sends SIGIO */
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = open(path, (type == F_WRLCK ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 || fcntl(fd, F_SETSIG, LEASE_SIG) < 0)
		return errno;
	for (unsigned i = 0; i < iterations; i++) {
		char c = 'R';

		if (wait_ready(go_fd) < 0)
			return EPIPE;
		if (fcntl(fd, F_SETLEASE, type) < 0)
			return errno;
		if (write(ready_fd, &c, 1) != 1)
			return EPIPE;
		if (sigtimedwait(&set, &si, &tmo) < 0)
			return errno == EAGAIN ? ETIMEDOUT : errno;
		if (fcntl(fd, F_SETLEASE, F_UNLCK) < 0)
			return errno;
	}
	return 0;
}

static int wait_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r = poll(&p, 1, LEASE_WAIT_MS);

	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	return read(fd, &c, 1) == 1 ? 0 : -EPIPE;
}

/* Give the file [cut, 2 * cut) of data again (not timed; no lease is
 * held meanwhile: the holder takes it after "go"). */
static int refill(const char *path, const char *buf, uint64_t cut)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, cut, (off_t)cut);
	close(fd);
	return n == (ssize_t)cut ? 0 : -EIO;
}

/*
 * lease_break_run with CUT: 0, the file goes 4096 <-> 0 bytes (no data to
 * free); else each truncate cuts a file of 2 * CUT bytes to CUT (the data
 * written again, untimed, before the holder leases).  Declared here and in
 * revoke.c: bench/lease.h belongs to the bench owner (see
 * docs/perf-revoke.md).
 */
int lease_break_cut_run(const struct bench_opts *o, const char *dir, int type,
			enum lease_placement where, uint64_t cut,
			unsigned iterations, struct samples *lat_us);

int lease_break_run(const struct bench_opts *o, const char *dir, int type,
		    enum lease_placement where, unsigned iterations,
		    struct samples *lat_us)
{
	return lease_break_cut_run(o, dir, type, where, 0, iterations, lat_us);
}

int lease_break_cut_run(const struct bench_opts *o, const char *dir, int type,
			enum lease_placement where, uint64_t cut,
			unsigned iterations, struct samples *lat_us)
{
	char *buf = NULL;
	unsigned warm = iterations / 10 + 5;
	bool xcpu = where == LEASE_XCPU && o->ncpu > 1;
	char path[512];
	int pfd[2], gfd[2], fd, st, h_file, h_pid, ret = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pinfs-bench.%d.lease", dir,
		 (int)getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	h_file = cleanup_push_file(path);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out_file;
	}
	if (pipe2(gfd, O_CLOEXEC) < 0) {
		ret = -errno;
		close(pfd[0]);
		close(pfd[1]);
		goto out_file;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pfd[0]);
		close(pfd[1]);
		close(gfd[0]);
		close(gfd[1]);
		goto out_file;
	}
	if (pid == 0) {
		close(pfd[0]);
		close(gfd[1]);
		_exit(holder_main(path, type, iterations + warm, gfd[0], pfd[1],
				  xcpu ? 1 : -1));
	}
	close(pfd[1]);
	close(gfd[0]);
	h_pid = cleanup_push_pid(pid);
	if (xcpu)
		stats_pin_cpu(0);
	if (cut) {
		buf = malloc(cut);
		if (!buf)
			ret = -ENOMEM;
		else
			memset(buf, 0x3C, cut);
	}
	for (unsigned i = 0; i < iterations + warm && !ret; i++) {
		uint64_t t0, t1;
		char go = 'G';

		if (cut && (ret = refill(path, buf, cut)) < 0)
			break;
		if (write(gfd[1], &go, 1) != 1) {
			ret = -EPIPE;
			break;
		}
		ret = wait_ready(pfd[0]);
		if (ret < 0)
			break;
		t0 = stats_now_ns();
		if (truncate(path, cut ? (off_t)cut : (i & 1) ? 0 : 4096) < 0) {
			ret = -errno;
			break;
		}
		t1 = stats_now_ns();
		if (i >= warm && samples_add(lat_us, (double)(t1 - t0) / 1e3) < 0) {
			ret = -ENOMEM;
			break;
		}
	}
	free(buf);
	close(pfd[0]);
	close(gfd[1]);
	if (ret == -EPIPE) {
		/* the holder died: its exit status says why */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		cleanup_forget(h_pid);
		if (WIFEXITED(st) && WEXITSTATUS(st))
			ret = -WEXITSTATUS(st);
		fprintf(stderr, "pinfs-bench: lease holder (%s): %s\n",
			type == F_WRLCK ? "F_WRLCK" : "F_RDLCK", strerror(-ret));
	} else if (ret < 0) {
		cleanup_undo(h_pid);
	} else {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		cleanup_forget(h_pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ret = WIFEXITED(st) ? -WEXITSTATUS(st) : -ECHILD;
	}
out_file:
	if (xcpu)
		stats_unpin_cpu();
	cleanup_undo(h_file);
	return ret;
}

int lease_rate_run(const struct bench_opts *o, const char *dir,
		   double *pairs_per_s)
{
	char path[512];
	uint64_t t0, t1, end, n = 0;
	int fd, h, ret = 0;

	snprintf(path, sizeof(path), "%s/pinfs-bench.%d.rate", dir,
		 (int)getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_RDONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	h = cleanup_push_file(path);
	t0 = stats_now_ns();
	end = t0 + (uint64_t)(o->duration * 1e9);
	do {
		for (int k = 0; k < 256; k++, n++) {
			if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0 ||
			    fcntl(fd, F_SETLEASE, F_UNLCK) < 0) {
				ret = -errno;
				goto out;
			}
		}
		t1 = stats_now_ns();
	} while (t1 < end);
	*pairs_per_s = (double)n / ((double)(t1 - t0) / 1e9);
out:
	close(fd);
	cleanup_undo(h);
	return ret;
}
