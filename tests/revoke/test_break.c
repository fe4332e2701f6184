/* SPDX-License-Identifier: MIT */
/*
 * test_break.c - the `break` policy on a real mount with real holders
 * (`pinfs hold`): a holder that unpins on the break, one that ignores it
 * (SIGBUS, then SIGKILL or not), two holders on one range, a holder that
 * exits mid-break, and an interrupted truncate.  docs/revocation-tests.md
 * cases 1, 2, 7, 8, 9.
 */
#include "rv_util.h"

#include "pinfs/pinfs.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)
#define K64 65536u

/* Holder-log "break pin=ID ... reason=R state=S": assert it is there. */
static void expect_break_line(const struct rv_holder *h, uint64_t off,
			      uint64_t len, const char *reason)
{
	char want[160];

	snprintf(want, sizeof(want), "break pin=%" PRIu64 " ", h->pin_id);
	ck_assert_msg(rv_hold_find(h, want) >= 0, "no break record for pin "
		      "%" PRIu64, h->pin_id);
	snprintf(want, sizeof(want), "off=%" PRIu64 " len=%" PRIu64
		 " reason=%s", off, len, reason);
	if (rv_hold_find(h, want) < 0)
		rv_hold_dump(h);
	ck_assert_msg(rv_hold_find(h, want) >= 0, "break record lacks '%s'",
		      want);
}

/* Case 1: a lease holder unpins on the break, the truncate proceeds. */
START_TEST(lease_holder_unpins_truncate_proceeds)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;
	struct rv_tev ev[256];
	uint64_t free0;
	int n, ic, ib, ia, ir, iw;

	rv_mount("lease_break_time=2000,kill_grace=300", "64M");
	f = rv_path("c1");
	rv_make_file(f, MIB, 1);
	rv_hold_start(&h, "--lease --ack-after 150", f, 0, K64);
	free0 = rv_free_blocks();

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 4096, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	int64_t tbrk = rv_hold_find(&h, "break received");
	/* The holder logs its unpin after the ioctl returned, which may be
	 * after the truncate returned: wait for the line. */
	int64_t tun = rv_hold_wait(&h, "unpinned (acknowledging the break)",
				   2000);

	if (tbrk < 0 || tun < 0)
		rv_hold_dump(&h);
	ck_assert_msg(tbrk >= 0 && tun >= 0, "holder saw no break / no unpin");
	expect_break_line(&h, 4096, K64 - 4096, "truncate");
	/* Order: truncate starts, break, unpin (after the ack delay),
	 * truncate returns. */
	ck_assert_int_ge(tbrk, op.start_us);
	ck_assert_int_ge(tun - tbrk, 149 * 1000); /* hold counts in ms */
	ck_assert_msg(op.end_us - op.start_us >= 150 * 1000,
		      "truncate returned after %" PRId64 " us, before the "
		      "holder's 150 ms ack delay", op.end_us - op.start_us);
	ck_assert_msg(op.end_us - op.start_us < 2000 * 1000,
		      "truncate took %" PRId64 " us: it waited for the "
		      "deadline, not for the unpin", op.end_us - op.start_us);
	ck_assert_int_eq(rv_size(f), 4096);
	rv_expect_bytes(f, 0, 4096, 1);

	int st = rv_wait_exit(h.pid, 3000);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "holder status 0x%x", st);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	/* The 255 truncated blocks are free again. */
	ck_assert_uint_eq(rv_free_blocks_wait(free0 + 255, 2000), free0 + 255);

	/* The daemon's view: conflict, break, ack, release, wake. */
	n = rv_trace(ev, 256);
	ic = rv_tev_find(ev, n, 0, "conflict", h.pin_id);
	ib = rv_tev_find(ev, n, ic, "break", h.pin_id);
	ia = rv_tev_find(ev, n, ib, "ack", h.pin_id);
	ir = rv_tev_find(ev, n, ia, "release", h.pin_id);
	iw = rv_tev_find(ev, n, ia, "wake", 0);
	if (ic < 0 || ib < 0 || ia < 0 || ir < 0 || iw < 0)
		rv_trace_dump(ev, n);
	ck_assert_msg(ic >= 0 && ib > ic && ia > ib && ir > ia && iw > ia,
		      "trace order conflict<break<ack<release,wake broken");
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "sigbus", h.pin_id), 0);
	ck_assert_msg(ev[ia].t_us <= op.end_us, "truncate returned before "
		      "the daemon saw the unpin");
	ck_assert_int_ge(ev[ia].t_us - ev[ib].t_us, 149 * 1000); /* ms clock */
	rv_finish();
}
END_TEST

/* Case 1, the holder's view: the lease's own signal (F_SETSIG-like)
 * arrives as SI_QUEUE carrying the pin id, the file polls POLLPRI, and
 * the break record names pin, range, reason, signal and deadline. */
struct sig_report {
	int64_t pin_id;
	int signo, code, pri, nrec, unpin;
	uint64_t value;
	int64_t left_ms; /* deadline - time of receipt */
	struct pinfs_break_rec rec;
};
struct sig_args {
	const char *path;
	int res;
};

static int sig_holder(void *arg)
{
	struct sig_args *a = arg;
	struct sig_report r = { 0 };
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	int sig = SIGRTMIN + 2;
	sigset_t set;
	siginfo_t si;
	struct timespec ts = { 5, 0 }, now;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r.pin_id = pinfs_file_new(a->path, 0, &pf);
	if (!r.pin_id)
		r.pin_id = pinfs_lease_set(pf, PINFS_LEASE_BREAKABLE, 0, 0, sig);
	if (!r.pin_id)
		r.pin_id = pinfs_pin(pf, 0, K64, 0, &m);
	if (!r.pin_id)
		r.pin_id = (int64_t)pinfs_mapping_id(m);
	if (write(a->res, &r, sizeof(r)) != sizeof(r) || r.pin_id < 0)
		return 1;
	memset(&si, 0, sizeof(si));
	r.signo = sigtimedwait(&set, &si, &ts);
	clock_gettime(CLOCK_MONOTONIC, &now);
	r.code = si.si_code;
	r.value = (uint64_t)(uintptr_t)si.si_value.sival_ptr;
	struct pollfd pfd = { .fd = pinfs_file_fd(pf), .events = POLLPRI };
	r.pri = poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLPRI);
	r.nrec = pinfs_breaks_read(pf, &r.rec, 1);
	r.left_ms = ((int64_t)r.rec.deadline_ns -
		     ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec)) /
		    1000000;
	usleep(50 * 1000);
	r.unpin = pinfs_unpin(&m);
	pinfs_file_delete(&pf);
	if (write(a->res, &r, sizeof(r)) != sizeof(r))
		return 2;
	return 0;
}

START_TEST(break_signal_carries_pin_id)
{
	const char *f;
	struct sig_args a;
	struct sig_report r;
	struct rv_opproc op;
	int p[2];

	rv_mount("lease_break_time=2000,kill_grace=300", "64M");
	f = rv_path("c1sig");
	rv_make_file(f, MIB, 11);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	a = (struct sig_args){ f, p[1] };
	pid_t h = rv_child(sig_holder, &a);
	ck_assert_int_eq(rv_read_full(p[0], &r, sizeof(r), RV_WAIT_MS), 0);
	ck_assert_int_gt(r.pin_id, 0);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 8192, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 50 * 1000);
	ck_assert_int_eq(rv_read_full(p[0], &r, sizeof(r), RV_WAIT_MS), 0);
	ck_assert_int_eq(r.signo, SIGRTMIN + 2);
	ck_assert_int_eq(r.code, SI_QUEUE);
	ck_assert_uint_eq(r.value, (uint64_t)r.pin_id);
	ck_assert_msg(r.pri, "no POLLPRI on the leased file during the break");
	ck_assert_int_eq(r.nrec, 1);
	ck_assert_uint_eq(r.rec.pin_id, (uint64_t)r.pin_id);
	ck_assert_uint_eq(r.rec.off, 8192);
	ck_assert_uint_eq(r.rec.len, K64 - 8192);
	ck_assert_uint_eq(r.rec.reason, PINFS_REASON_TRUNCATE);
	ck_assert_uint_eq(r.rec.state, PINFS_STATE_BREAKING);
	ck_assert_uint_eq(r.rec.signo, (uint32_t)(SIGRTMIN + 2));
	ck_assert_msg(r.left_ms > 1000 && r.left_ms <= 2000, "deadline %"
		      PRId64 " ms after the signal, want about 2000", r.left_ms);
	ck_assert_int_eq(r.unpin, 0);
	int st = rv_wait_exit(h, 3000);
	ck_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(rv_size(f), 8192);
	close(p[0]);
	close(p[1]);
	rv_finish();
}
END_TEST

/* open(O_TRUNC) is a truncate and passes the gate too. */
static int open_trunc(void *arg)
{
	int fd = open(arg, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

START_TEST(open_o_trunc_breaks)
{
	const char *f;
	struct rv_holder h;

	rv_mount("lease_break_time=3000,kill_grace=300", "64M");
	f = rv_path("otrunc");
	rv_make_file(f, MIB, 12);
	rv_hold_start(&h, "--lease --ack-after 100", f, 0, K64);
	int64_t t0 = rv_now_us();
	int st = rv_wait_exit(rv_child(open_trunc, (void *)f), RV_WAIT_MS);
	int64_t dt = rv_now_us() - t0;
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "open(O_TRUNC): status 0x%x", st);
	ck_assert_int_ge(rv_hold_find(&h, "off=0 len=65536 reason=truncate"),
			 0);
	ck_assert_int_ge(dt, 100 * 1000);
	ck_assert_int_lt(dt, 3000 * 1000);
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

/* While a change waits for a break, new pins over the range it changes
 * fail EAGAIN (no starvation); elsewhere they work. */
static int try_pin(void *arg)
{
	const uint64_t *off = arg;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	int r = pinfs_file_new(rv_path("eagain"), 0, &pf);

	if (r == 0)
		r = pinfs_pin(pf, *off, 4096, 0, &m);
	pinfs_unpin(&m);
	pinfs_file_delete(&pf);
	return -r;
}

START_TEST(no_new_pins_while_breaking)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;
	uint64_t inside = MIB / 2 + K64, outside = K64;

	rv_mount("lease_break_time=5000,kill_grace=0", "64M");
	f = rv_path("eagain");
	rv_make_file(f, MIB, 13);
	rv_hold_start(&h, "--lease --ignore --catch-sigbus", f, MIB / 4,
		      MIB - MIB / 4);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, MIB / 2, 0, 0);
	ck_assert_int_ge(rv_hold_wait(&h, "ignoring the break", 3000), 0);
	int st = rv_wait_exit(rv_child(try_pin, &inside), 5000);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == EAGAIN,
		      "pin inside the waiting change: status 0x%x", st);
	st = rv_wait_exit(rv_child(try_pin, &outside), 5000);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "pin outside the waiting change: status 0x%x", st);
	ck_assert(rv_alive(op.pid));
	kill(h.pid, SIGKILL);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_eq(rv_size(f), MIB / 2);
	st = rv_wait_exit(rv_child(try_pin, &outside), 5000);
	ck_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rv_finish();
}
END_TEST

/* Case 2: the holder ignores the break: SIGBUS at the deadline (the
 * truncate proceeds then), SIGKILL after kill_grace (1 s here, so that
 * "the truncate did not wait for the kill" is clear even under load). */
START_TEST(ignored_break_sigbus_then_sigkill)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;
	struct pinfs_pin_entry e;
	struct rv_tev ev[256];
	int n, ic, ib, is, ik;

	rv_mount("lease_break_time=300,kill_grace=1000", "64M");
	f = rv_path("c2");
	rv_make_file(f, MIB, 2);
	rv_hold_start(&h, "--lease --ignore --catch-sigbus", f, 0, K64);

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	int64_t dur = op.end_us - op.start_us;
	ck_assert_msg(dur >= 300 * 1000, "truncate returned after %" PRId64
		      " us, before lease_break_time", dur);
	ck_assert_msg(dur < 300 * 1000 + 700 * 1000, "truncate took %" PRId64
		      " us: it must proceed at the SIGBUS, not wait for the "
		      "kill", dur);
	ck_assert_int_eq(rv_size(f), 0);
	/* Revoked, alive, until the kill. */
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_REVOKED);
	ck_assert(rv_alive(h.pid));

	int st = rv_wait_exit(h.pid, 3000);
	ck_assert_msg(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "holder status 0x%x, want killed by SIGKILL", st);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_msg(rv_hold_find(&h, "SIGBUS caught") >= 0,
		      "holder never saw SIGBUS");

	n = rv_trace(ev, 256);
	ic = rv_tev_find(ev, n, 0, "conflict", h.pin_id);
	ib = rv_tev_find(ev, n, ic, "break", h.pin_id);
	is = rv_tev_find(ev, n, ib, "sigbus", h.pin_id);
	ik = rv_tev_find(ev, n, is, "sigkill", h.pin_id);
	if (ic < 0 || ib < 0 || is < 0 || ik < 0)
		rv_trace_dump(ev, n);
	ck_assert(ic >= 0 && ib > ic && is > ib && ik > is);
	ck_assert_msg(rv_tev_find(ev, n, ib, "expire", h.pin_id) > ib &&
		      rv_tev_find(ev, n, ib, "expire", h.pin_id) < is,
		      "no expire event between break and sigbus");
	/* The deadline runs from the decision (the conflict). */
	ck_assert_int_ge(ev[is].t_us - ev[ic].t_us, 300 * 1000 - 1000);
	ck_assert_int_lt(ev[is].t_us - ev[ib].t_us, 300 * 1000 + 500 * 1000);
	ck_assert_int_ge(ev[ik].t_us - ev[is].t_us, 1000 * 1000 - 1000);
	ck_assert_int_lt(ev[ik].t_us - ev[is].t_us, 1000 * 1000 + 500 * 1000);
	rv_finish();
}
END_TEST

/* Case 2, kill_grace=0: SIGBUS but never SIGKILL; a holder that does
 * not catch SIGBUS dies of it. */
START_TEST(ignored_break_no_kill_with_zero_grace)
{
	const char *f, *g;
	struct rv_holder h, d;
	struct rv_opproc op;
	struct pinfs_pin_entry e;
	struct rv_tev ev[256];
	int n;

	rv_mount("lease_break_time=300,kill_grace=0", "64M");
	f = rv_path("c2b");
	g = rv_path("c2c");
	rv_make_file(f, MIB, 3);
	rv_make_file(g, MIB, 4);
	rv_hold_start(&h, "--lease --ignore --catch-sigbus", f, 0, K64);
	rv_hold_start(&d, "--lease --ignore", g, 0, K64);

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 300 * 1000);
	ck_assert_int_eq(rv_size(f), 0);
	usleep(800 * 1000); /* well past any kill_grace */
	ck_assert_msg(rv_alive(h.pid), "holder killed with kill_grace=0");
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_REVOKED);

	/* The one that does not catch SIGBUS dies of it. */
	rv_op_start(&op, RV_OP_TRUNCATE, g, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	int st = rv_wait_exit(d.pid, 3000);
	ck_assert_msg(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
		      "holder status 0x%x, want SIGBUS", st);
	ck_assert(rv_pin_gone_wait(d.pin_id, 2000));

	n = rv_trace(ev, 256);
	ck_assert_int_ge(rv_tev_find(ev, n, 0, "sigbus", h.pin_id), 0);
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "sigkill", 0), 0);

	/* --ignore exits on SIGTERM without unpinning: its exit ends it. */
	kill(h.pid, SIGTERM);
	st = rv_wait_exit(h.pid, 3000);
	ck_assert(st >= 0 && WIFEXITED(st));
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	rv_finish();
}
END_TEST

/* Case 7: two holders on one range: both broken at once, the truncate
 * waits for the slower. */
START_TEST(two_holders_one_range)
{
	const char *f;
	struct rv_holder a, b;
	struct rv_opproc op;
	struct rv_tev ev[256];
	int n, ia, ib;

	rv_mount("lease_break_time=3000,kill_grace=300", "64M");
	f = rv_path("c7");
	rv_make_file(f, MIB, 7);
	rv_hold_start(&a, "--lease --ack-after 100", f, 0, K64);
	rv_hold_start(&b, "--lease --ack-after 400", f, 0, K64);

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	int64_t ua = rv_hold_wait(&a, "unpinned (acknowledging", 2000);
	int64_t ub = rv_hold_wait(&b, "unpinned (acknowledging", 2000);

	ck_assert_msg(ua >= 0 && ub >= 0, "a holder did not unpin");
	expect_break_line(&a, 0, K64, "truncate");
	expect_break_line(&b, 0, K64, "truncate");
	ck_assert_int_lt(ua, ub);
	ck_assert_int_ge(op.end_us - op.start_us, 400 * 1000);
	ck_assert_int_lt(op.end_us - op.start_us, 3000 * 1000);
	ck_assert_int_eq(rv_size(f), 0);

	n = rv_trace(ev, 256);
	ia = rv_tev_find(ev, n, 0, "break", a.pin_id);
	ib = rv_tev_find(ev, n, 0, "break", b.pin_id);
	if (ia < 0 || ib < 0)
		rv_trace_dump(ev, n);
	ck_assert(ia >= 0 && ib >= 0);
	int64_t gap = ev[ia].t_us - ev[ib].t_us;
	ck_assert_msg(gap < 20000 && gap > -20000, "breaks %" PRId64 " us "
		      "apart: not sent at once", gap);
	/* Both breaks before the first ack; the truncate returned after
	 * the second. */
	int iack = rv_tev_find(ev, n, 0, "ack", 0);
	int iackb = rv_tev_find(ev, n, 0, "ack", b.pin_id);
	ck_assert(iack > ia && iack > ib && iackb > 0);
	ck_assert_msg(ev[iackb].t_us <= op.end_us, "truncate returned before "
		      "the second holder unpinned");
	rv_finish();
}
END_TEST

/* Case 8: the holder exits mid-break: the truncate goes on at once. */
START_TEST(holder_exits_mid_break)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;

	rv_mount("lease_break_time=5000,kill_grace=300", "64M");
	f = rv_path("c8");
	rv_make_file(f, MIB, 8);
	rv_hold_start(&h, "--lease --ignore", f, 0, K64);

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 8192, 0, 0);
	ck_assert_int_ge(rv_hold_wait(&h, "ignoring the break", 3000), 0);
	/* The listing shows the break: state, reason, deadline. */
	struct pinfs_pin_entry e;
	struct timespec now;
	ck_assert(rv_pin_get(h.pin_id, &e));
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t left = ((int64_t)e.deadline_ns - ((int64_t)now.tv_sec *
		       1000000000 + now.tv_nsec)) / 1000000;
	ck_assert_uint_eq(e.state, PINFS_STATE_BREAKING);
	ck_assert_uint_eq(e.reason, PINFS_REASON_TRUNCATE);
	ck_assert_uint_eq(e.pid, (uint32_t)h.pid);
	ck_assert(e.flags & PINFS_PIN_LEASED);
	ck_assert_msg(left > 3000 && left <= 5000, "listed deadline in %"
		      PRId64 " ms, want about 5000", left);
	usleep(100 * 1000);
	ck_assert_msg(rv_alive(op.pid), "truncate did not wait for the holder");
	int64_t tkill = rv_now_us();
	kill(h.pid, SIGKILL);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_msg(op.end_us - tkill < 1000 * 1000, "truncate returned %"
		      PRId64 " us after the holder died", op.end_us - tkill);
	ck_assert_int_lt(op.end_us - op.start_us, 2500 * 1000);
	ck_assert_int_eq(rv_size(f), 8192);
	rv_expect_bytes(f, 0, 8192, 8);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	rv_finish();
}
END_TEST

/* Case 9: the truncating process is interrupted: EINTR, file unchanged. */
START_TEST(interrupted_truncate_is_eintr)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;

	rv_mount("lease_break_time=5000,kill_grace=0", "64M");
	f = rv_path("c9");
	rv_make_file(f, MIB, 9);
	rv_hold_start(&h, "--lease --ignore", f, 0, K64);

	/* SIGALRM after 300 ms. */
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 300);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), EINTR);
	ck_assert_int_ge(op.end_us - op.start_us, 300 * 1000);
	ck_assert_int_lt(op.end_us - op.start_us, 1500 * 1000);
	ck_assert_int_eq(rv_size(f), MIB);
	rv_expect_bytes(f, 0, MIB, 9);

	/* SIGINT while it waits. */
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 4096, 0, 0);
	usleep(200 * 1000);
	ck_assert_msg(rv_alive(op.pid), "second truncate did not wait");
	kill(op.pid, SIGINT);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), EINTR);
	ck_assert_int_lt(op.end_us - op.start_us, 1500 * 1000);
	ck_assert_int_eq(rv_size(f), MIB);

	/* An interrupted punch changes no byte either. */
	rv_op_start(&op, RV_OP_PUNCH, f, NULL, 0, K64, 200);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), EINTR);
	rv_expect_bytes(f, 0, MIB, 9);
	if (!rv_alive(h.pid)) {
		struct rv_tev ev[256];
		int n = rv_trace(ev, 256);

		rv_hold_dump(&h);
		rv_trace_dump(ev, n);
	}
	ck_assert_msg(rv_alive(h.pid), "holder died %" PRId64 " ms after the "
		      "first break, before lease_break_time=5000",
		      (rv_now_us() - rv_hold_find(&h, "break received")) / 1000);

	/* The holder goes: now the truncate completes at once. */
	kill(h.pid, SIGKILL);
	rv_wait_exit(h.pid, 3000);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_int_eq(rv_op_now(RV_OP_TRUNCATE, f, NULL, 4096, 0), 0);
	ck_assert_int_eq(rv_size(f), 4096);
	rv_expect_bytes(f, 0, 4096, 9);
	rv_finish();
}
END_TEST

/* Case 9: an interrupted change is not run later behind the caller's
 * back when the holder acknowledges after the EINTR. */
START_TEST(interrupted_then_ack_changes_nothing)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;

	rv_mount("lease_break_time=5000,kill_grace=0", "64M");
	f = rv_path("c9b");
	rv_make_file(f, MIB, 14);
	rv_hold_start(&h, "--lease --ack-after 500", f, 0, K64);
	rv_op_start(&op, RV_OP_PUNCH, f, NULL, 0, 2 * K64, 200);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), EINTR);
	ck_assert_int_ge(rv_hold_wait(&h, "unpinned (acknowledging", 3000), 0);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	usleep(300 * 1000);
	ck_assert_int_eq(rv_size(f), MIB);
	rv_expect_bytes(f, 0, MIB, 14);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 200);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

int main(void)
{
	const struct rv_case cases[] = {
		{ "lease_unpins", lease_holder_unpins_truncate_proceeds, 30 },
		{ "signal_payload", break_signal_carries_pin_id, 30 },
		{ "open_o_trunc", open_o_trunc_breaks, 30 },
		{ "no_new_pins", no_new_pins_while_breaking, 30 },
		{ "ignored_sigbus_sigkill", ignored_break_sigbus_then_sigkill, 30 },
		{ "ignored_no_kill", ignored_break_no_kill_with_zero_grace, 30 },
		{ "two_holders", two_holders_one_range, 30 },
		{ "holder_exits", holder_exits_mid_break, 30 },
		{ "interrupted", interrupted_truncate_is_eintr, 30 },
		{ "interrupted_then_ack", interrupted_then_ack_changes_nothing, 30 },
	};

	return rv_run_suite("revoke-break", cases,
			    sizeof(cases) / sizeof(cases[0]));
}
