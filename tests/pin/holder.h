/* SPDX-License-Identifier: MIT */
/*
 * holder.h - real fake holders for the revoke engine tests: forked
 * processes that install signal handlers and report every signal they
 * get (number, si_value, time) through a pipe.  The test process issues
 * the ioctls on their behalf (pin_caller.tid = holder pid).  They die
 * with the test process (PR_SET_PDEATHSIG).
 */
#ifndef PINFS_TESTS_HOLDER_H
#define PINFS_TESTS_HOLDER_H

#include <stdint.h>
#include <sys/types.h>

enum holder_mode {
	H_ACK,       /* reports the break; the test unpins for it */
	H_IGNORE,    /* reports the break; SIGBUS kills it (default) */
	H_CATCH_BUS, /* reports the break and SIGBUS, lives on */
	H_EXIT,      /* exits on the break */
	H_THREADED,  /* as H_ACK, with a second thread (its id in tid2) */
};

struct holder {
	pid_t pid;
	pid_t tid2; /* H_THREADED: the other thread's id */
	int rd; /* report pipe */
	int status;
	int reaped;
};

struct report {
	int signo;
	uint64_t value;
	uint64_t t_ns; /* CLOCK_MONOTONIC */
};

/* Fork a holder; returns once its handlers are installed. */
int holder_spawn(struct holder *h, enum holder_mode mode, int brk_signo);
/* Next report, or -ETIMEDOUT. */
int holder_report(struct holder *h, struct report *r, int timeout_ms);
/* Wait for its exit (status in h->status), or -ETIMEDOUT. */
int holder_reap(struct holder *h, int timeout_ms);
/* SIGKILL and reap (cleanup; idempotent). */
void holder_kill(struct holder *h);
uint64_t now_ns(void);

#endif
