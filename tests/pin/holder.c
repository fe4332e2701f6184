/* SPDX-License-Identifier: MIT */
/*
 * holder.c - see holder.h.
 */
#include "holder.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report_fd = -1;
static int exit_on_break;
static int break_signo;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	struct report r = {
		.signo = sig,
		.value = (uint64_t)(uintptr_t)si->si_value.sival_ptr,
		.t_ns = now_ns(),
	};

	if (write(report_fd, &r, sizeof(r)) < 0) {
		/* the test went away */
	}
	if (exit_on_break && sig == break_signo)
		_exit(0);
}

static volatile pid_t thread_tid;

static void *thread_main(void *arg)
{
	thread_tid = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static void child(int fd, enum holder_mode mode, int brk_signo)
{
	struct sigaction sa;
	struct report ready = { 0 };
	pthread_t th;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	report_fd = fd;
	break_signo = brk_signo;
	exit_on_break = mode == H_EXIT;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(brk_signo, &sa, NULL);
	if (mode == H_ACK || mode == H_CATCH_BUS || mode == H_THREADED)
		sigaction(SIGBUS, &sa, NULL);
	if (mode == H_THREADED) {
		if (pthread_create(&th, NULL, thread_main, NULL))
			_exit(3);
		while (!thread_tid)
			usleep(100);
		ready.value = (uint64_t)thread_tid;
	}
	if (write(fd, &ready, sizeof(ready)) < 0)
		_exit(2);
	for (;;)
		pause();
}

int holder_spawn(struct holder *h, enum holder_mode mode, int brk_signo)
{
	struct report r;
	int p[2], rc;

	memset(h, 0, sizeof(*h));
	if (pipe(p))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		close(p[0]);
		child(p[1], mode, brk_signo);
	}
	close(p[1]);
	h->rd = p[0];
	rc = holder_report(h, &r, 5000);
	if (rc == 0 && r.signo != 0)
		rc = -EPROTO;
	h->tid2 = (pid_t)r.value;
	return rc;
}

int holder_report(struct holder *h, struct report *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = h->rd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	n = read(h->rd, r, sizeof(*r));
	return n == (ssize_t)sizeof(*r) ? 0 : -EIO;
}

int holder_reap(struct holder *h, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	pid_t r;

	if (h->reaped)
		return 0;
	while (now_ns() < end) {
		r = waitpid(h->pid, &h->status, WNOHANG);
		if (r == h->pid) {
			h->reaped = 1;
			return 0;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

void holder_kill(struct holder *h)
{
	if (h->pid <= 0)
		return;
	if (!h->reaped) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, &h->status, 0);
		h->reaped = 1;
	}
	if (h->rd > 0)
		close(h->rd);
	h->rd = -1;
}
