/* SPDX-License-Identifier: MIT */
/*
 * test_policy.c - each revocation policy on a real mount: a pin without
 * a lease under break, deny, require-lease, implicit-lease, quarantine;
 * the per-file policy xattr; ETXTBSY under deny and under an unbreakable
 * lease; EBUSY by option.  docs/revocation-tests.md cases 3 and 4.
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
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MIB (1u << 20)
#define K64 65536u
#define POLICY_XATTR "trusted.pinfs.policy"

/* The op fails at once with @err and changes nothing. */
static void expect_refused(enum rv_op op, const char *f, uint64_t a,
			   uint64_t b, int err, uint64_t seed)
{
	struct rv_opproc p;

	rv_op_start(&p, op, f, NULL, a, b, 0);
	ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), err);
	/* At once: far below the mounts' lease_break_time of 10 s. */
	ck_assert_msg(p.end_us - p.start_us < 2000 * 1000, "refusal took %"
		      PRId64 " us", p.end_us - p.start_us);
	ck_assert_int_eq(rv_size(f), MIB);
	rv_expect_bytes(f, 0, MIB, seed);
}

/* Nothing was sent to holder @h (no break line within @ms). */
static void expect_no_break(const struct rv_holder *h, int ms)
{
	ck_assert_msg(rv_hold_wait(h, "break received", ms) < 0,
		      "holder %d was notified", (int)h->pid);
	ck_assert(rv_alive(h->pid));
}

/* Case 3, break: a pin without a lease gets SIGBUS at once. */
START_TEST(break_pin_without_lease_sigbus_at_once)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;
	struct pinfs_pin_entry e;
	struct rv_tev ev[128];
	int n, ic, is;

	rv_mount("lease_break_time=5000,kill_grace=0", "64M");
	f = rv_path("nolease");
	rv_make_file(f, MIB, 31);
	rv_hold_start(&h, "--ignore --catch-sigbus", f, 0, K64);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_msg(op.end_us - op.start_us < 2000 * 1000, "truncate took %"
		      PRId64 " us: an unleased pin must not be waited for",
		      op.end_us - op.start_us);
	ck_assert_int_eq(rv_size(f), 0);
	ck_assert_int_ge(rv_hold_wait(&h, "SIGBUS caught", 2000), 0);
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_REVOKED);
	n = rv_trace(ev, 128);
	ic = rv_tev_find(ev, n, 0, "conflict", h.pin_id);
	is = rv_tev_find(ev, n, ic, "sigbus", h.pin_id);
	ck_assert(ic >= 0 && is > ic);
	ck_assert_int_lt(ev[is].t_us - ev[ic].t_us, 100 * 1000);
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "expire", h.pin_id), 0);
	rv_finish();
}
END_TEST

/* Case 3/4, deny: ETXTBSY for every layout change over the pin, nobody
 * notified; changes elsewhere and growth go through. */
START_TEST(deny_is_etxtbsy_and_silent)
{
	const char *f;
	struct rv_holder h;
	struct pinfs_pin_entry e;
	struct rv_tev ev[128];
	int n;

	rv_mount("policy=deny,lease_break_time=10000", "64M");
	f = rv_path("deny");
	rv_make_file(f, MIB, 32);
	rv_hold_start(&h, "--lease --ack-after 0", f, 0, K64);
	expect_refused(RV_OP_TRUNCATE, f, 0, 0, ETXTBSY, 32);
	expect_refused(RV_OP_TRUNCATE, f, 4096, 0, ETXTBSY, 32);
	expect_refused(RV_OP_PUNCH, f, 8192, 4096, ETXTBSY, 32);
	expect_refused(RV_OP_ZERO, f, 0, 2 * K64, ETXTBSY, 32);
	expect_no_break(&h, 200);
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_ACTIVE);
	n = rv_trace(ev, 128);
	ck_assert_int_ge(rv_tev_find(ev, n, 0, "deny", 0), 0);
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "break", 0), 0);
	/* Outside the pin, and growing, are no conflict. */
	ck_assert_int_eq(rv_op_now(RV_OP_PUNCH, f, NULL, 4 * K64, K64), 0);
	ck_assert_int_eq(rv_op_now(RV_OP_TRUNCATE, f, NULL, MIB / 2, 0), 0);
	ck_assert_int_eq(rv_op_now(RV_OP_TRUNCATE, f, NULL, 2 * MIB, 0), 0);
	ck_assert_int_eq(rv_size(f), 2 * MIB);
	rv_expect_bytes(f, 0, 4 * K64, 32);
	rv_expect_bytes(f, 4 * K64, K64, RV_ZERO);
	rv_expect_bytes(f, MIB / 2, MIB + MIB / 2, RV_ZERO);
	rv_finish();
}
END_TEST

/* Case 4: deny_ebusy makes the refusal EBUSY. */
START_TEST(deny_ebusy_by_option)
{
	const char *f;
	struct rv_holder h;

	rv_mount("policy=deny,deny_ebusy", "64M");
	f = rv_path("ebusy");
	rv_make_file(f, MIB, 33);
	rv_hold_start(&h, "--lease", f, 0, K64);
	expect_refused(RV_OP_TRUNCATE, f, 0, 0, EBUSY, 33);
	expect_refused(RV_OP_PUNCH, f, 0, 4096, EBUSY, 33);
	expect_no_break(&h, 100);
	rv_finish();
}
END_TEST

/* Case 3, require-lease: a pin without a lease fails EPERM. */
START_TEST(require_lease_refuses_unleased_pin)
{
	const char *f;
	char out[4096];
	struct rv_holder h;
	struct rv_opproc op;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;

	rv_mount("policy=require-lease,lease_break_time=2000", "64M");
	f = rv_path("rl");
	rv_make_file(f, MIB, 34);
	int st = rv_hold_fail("", f, 0, K64, out, sizeof(out));
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
		      "unleased pinfs hold: status 0x%x", st);
	ck_assert_msg(strstr(out, "Operation not permitted"), "hold said: %s",
		      out);
	ck_assert_uint_eq(rv_pins(NULL, 0), 0);

	/* libpinfs: EPERM without a lease, and outside the lease's range. */
	ck_assert_int_eq(pinfs_file_new(f, 0, &pf), 0);
	ck_assert_int_eq(pinfs_pin(pf, 0, K64, 0, &m), -EPERM);
	ck_assert_int_eq(pinfs_lease_set(pf, PINFS_LEASE_BREAKABLE, 0, K64,
					 0), 0);
	ck_assert_int_eq(pinfs_pin(pf, K64, K64, 0, &m), -EPERM);
	ck_assert_int_eq(pinfs_pin(pf, 0, K64, 0, &m), 0);
	ck_assert(pinfs_mapping_flags(m) & PINFS_PIN_LEASED);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	pinfs_file_delete(&pf);

	/* Leased: behaves as break. */
	rv_hold_start(&h, "--lease --ack-after 50", f, 0, K64);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 50 * 1000);
	ck_assert_int_lt(op.end_us - op.start_us, 2000 * 1000);
	ck_assert_int_ge(rv_hold_find(&h, "reason=truncate state=breaking"), 0);
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

/* Case 3, implicit-lease: the pin gets a lease, then a break. */
START_TEST(implicit_lease_gets_lease_and_break)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	struct pinfs_lease l;

	rv_mount("policy=implicit-lease,lease_break_time=2000", "64M");
	f = rv_path("il");
	rv_make_file(f, MIB, 35);

	ck_assert_int_eq(pinfs_file_new(f, 0, &pf), 0);
	ck_assert_int_eq(pinfs_pin(pf, 0, K64, 0, &m), 0);
	ck_assert(pinfs_mapping_flags(m) & PINFS_PIN_LEASED);
	ck_assert(pinfs_mapping_flags(m) & PINFS_PIN_IMPLICIT);
	ck_assert_int_eq(pinfs_lease_get(pf, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_BREAKABLE);
	ck_assert(l.flags & PINFS_LEASE_IMPLICIT);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	pinfs_file_delete(&pf);

	rv_hold_start(&h, "--ack-after 50", f, 0, K64);
	ck_assert_int_ge(rv_hold_find(&h, "leased implicit-lease"), 0);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 50 * 1000);
	ck_assert_int_lt(op.end_us - op.start_us, 2000 * 1000);
	/* The implicit lease's signal is SIGIO (named IO, POLL or SIGIO). */
	if (rv_hold_find(&h, "reason=truncate state=breaking signal=SIGIO") < 0
	    && rv_hold_find(&h, "reason=truncate state=breaking signal=POLL") < 0
	    && rv_hold_find(&h, "reason=truncate state=breaking signal=IO") < 0) {
		rv_hold_dump(&h);
		ck_abort_msg("no truncate break with SIGIO");
	}
	ck_assert_int_ge(rv_hold_wait(&h, "unpinned (acknowledging", 2000), 0);
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

static bool ext_overlap(const struct pinfs_extent *a, unsigned na,
			const struct pinfs_extent *b, unsigned nb)
{
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < nb; j++)
			if (a[i].region_off < b[j].region_off + b[j].len &&
			    b[j].region_off < a[i].region_off + a[i].len)
				return true;
	return false;
}

/* `pinfs CMD ARG --json` prints @needle. */
static bool cmd_output_has(const char *cmd, const char *arg,
			   const char *needle)
{
	char line[1024], sh[PATH_MAX * 2];
	bool found = false;
	FILE *p;

	snprintf(sh, sizeof(sh), "'%s' %s '%s' --json", rv_mnt.bin, cmd, arg);
	p = popen(sh, "re");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, needle))
			found = true;
	ck_assert_int_eq(pclose(p), 0);
	return found;
}

/* A libpinfs holder without a lease: pins, writes a pattern, reports its
 * pin id; then waits (bounded) for POLLPRI and reads its break records,
 * reports what it saw, and keeps holding until killed. */
struct qreport {
	uint64_t pin_id;
	int pollpri;     /* 1: POLLPRI seen within 2 s */
	int nrec;        /* pinfs_breaks_read() */
	uint32_t state;  /* rec[0].state */
	uint32_t reason;
};
struct qholder {
	const char *path;
	int wfd;
};

static int quarantine_holder(void *arg)
{
	struct qholder *q = arg;
	struct qreport r = { 0 };
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	struct pinfs_break_rec rec[4];

	if (pinfs_file_new(q->path, PINFS_OPEN_WRITE, &pf) < 0 ||
	    pinfs_pin(pf, 0, K64, PINFS_PIN_WRITE, &m) < 0)
		return 10;
	memset(pinfs_mapping_addr(m), 0x5a, K64);
	if (pinfs_sync(m, 0, 0) < 0)
		return 11;
	r.pin_id = pinfs_mapping_id(m);
	if (write(q->wfd, &r, sizeof(r)) != sizeof(r))
		return 12;
	struct pollfd pfd = { .fd = pinfs_file_fd(pf), .events = POLLPRI };
	int64_t end = rv_now_us() + 2000 * 1000;
	while (rv_now_us() < end) {
		if (poll(&pfd, 1, 50) > 0 && (pfd.revents & POLLPRI)) {
			r.pollpri = 1;
			break;
		}
	}
	r.nrec = pinfs_breaks_read(pf, rec, 4);
	if (r.nrec > 0) {
		r.state = rec[0].state;
		r.reason = rec[0].reason;
	}
	if (write(q->wfd, &r, sizeof(r)) != sizeof(r))
		return 13;
	for (;;) { /* a DMA engine that never stops */
		memset(pinfs_mapping_addr(m), 0x5a, K64);
		usleep(1000);
	}
}

/* Case 3, quarantine: the truncate proceeds at once, the holder is told,
 * its blocks stay held (not free, not reused) until it exits. */
START_TEST(quarantine_proceeds_blocks_held)
{
	const char *f, *g;
	struct rv_opproc op;
	struct pinfs_extent pe[16], pe2[16], ge[64];
	struct qreport r0, r1;
	struct qholder q;
	unsigned npe, npe2, nge;
	uint64_t free0, free1;
	int fd, pfd[2];
	pid_t h;

	rv_mount("policy=quarantine,lease_break_time=5000", "64M");
	f = rv_path("q");
	g = rv_path("q-new");
	rv_make_file(f, MIB, 36);
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	q.path = f;
	q.wfd = pfd[1];
	h = rv_child(quarantine_holder, &q);
	ck_assert_int_eq(rv_read_full(pfd[0], &r0, sizeof(r0), RV_WAIT_MS), 0);
	fd = open(f, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	npe = rv_extents(fd, r0.pin_id, pe, 16);
	ck_assert_uint_ge(npe, 1);
	free0 = rv_free_blocks();

	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_msg(op.end_us - op.start_us < 2000 * 1000, "quarantine "
		      "truncate took %" PRId64 " us", op.end_us - op.start_us);
	ck_assert_int_eq(rv_size(f), 0);
	ck_assert(rv_pin_state_wait(r0.pin_id, PINFS_STATE_QUARANTINED, 1000));
	ck_assert(rv_alive(h));
	/* The admin tools say so too. */
	char want[64];
	snprintf(want, sizeof(want), "\"id\": %" PRIu64 ",", r0.pin_id);
	ck_assert_msg(cmd_output_has("pins", rv_mnt.mnt, want) &&
		      cmd_output_has("pins", rv_mnt.mnt,
				     "\"state\": \"quarantined\""),
		      "pinfs pins --json does not show the quarantined pin");
	ck_assert(cmd_output_has("extents", f, "\"total\": 0"));
	struct rv_tev ev[128];
	int nev = rv_trace(ev, 128);
	ck_assert_int_ge(rv_tev_find(ev, nev, 0, "quarantine", r0.pin_id), 0);
	/* The 240 unpinned blocks are free; the 16 pinned ones are not. */
	free1 = rv_free_blocks();
	ck_assert_uint_eq(free1, free0 + 240);
	npe2 = rv_extents(fd, r0.pin_id, pe2, 16);
	ck_assert_uint_eq(npe2, npe);
	ck_assert(memcmp(pe, pe2, npe * sizeof(pe[0])) == 0);

	/* A new file taking every free block gets none of them, and its
	 * bytes are its own although the holder keeps writing. */
	uint64_t filled = rv_fill_file(g, 37, UINT64_MAX);
	ck_assert_uint_ge(filled, (free1 - 64) * RV_BLOCK);
	int gfd = open(g, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(gfd, 0);
	nge = rv_extents(gfd, 0, ge, 64);
	ck_assert_uint_ge(nge, 1);
	ck_assert(!ext_overlap(ge, nge, pe, npe));
	close(gfd);
	rv_expect_bytes(g, 0, (size_t)filled, 37);
	ck_assert_int_eq(unlink(g), 0);
	ck_assert_uint_eq(rv_free_blocks_wait(free1, 2000), free1);

	/* Told: POLLPRI on its file and a QUARANTINED break record. */
	ck_assert_int_eq(rv_read_full(pfd[0], &r1, sizeof(r1), RV_WAIT_MS), 0);
	ck_assert_int_eq(r1.nrec, 1);
	ck_assert_uint_eq(r1.state, PINFS_STATE_QUARANTINED);
	ck_assert_uint_eq(r1.reason, PINFS_REASON_TRUNCATE);

	/* The holder exits: its blocks come back. */
	kill(h, SIGKILL);
	rv_wait_exit(h, 3000);
	ck_assert(rv_pin_gone_wait(r0.pin_id, 2000));
	ck_assert_uint_eq(rv_free_blocks_wait(free1 + 16, 2000), free1 + 16);
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
	rv_finish();
	ck_assert_msg(r1.pollpri, "BUG: an unleased holder under quarantine "
		      "gets no POLLPRI (docs/policies.md: 'the holder is told "
		      "(..., POLLPRI, a BREAKS record ...)')");
}
END_TEST

/* Case 3: the per-file policy xattr wins over the mount's. */
START_TEST(per_file_policy_xattr)
{
	const char *f, *g;
	char v[64];
	struct rv_holder hf, hg;
	struct rv_opproc op;

	rv_mount("policy=break,lease_break_time=10000", "64M");
	f = rv_path("xf");
	g = rv_path("xg");
	rv_make_file(f, MIB, 38);
	rv_make_file(g, MIB, 39);
	ck_assert_int_eq(setxattr(f, POLICY_XATTR, "deny", 4, 0), 0);
	ck_assert_int_eq(getxattr(f, POLICY_XATTR, v, sizeof(v)), 4);
	ck_assert(!memcmp(v, "deny", 4));
	ck_assert_int_eq(setxattr(f, POLICY_XATTR, "bogus", 5, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(getxattr(f, POLICY_XATTR, v, sizeof(v)), 4);

	rv_hold_start(&hf, "--lease --ack-after 20", f, 0, K64);
	rv_hold_start(&hg, "--lease --ack-after 20", g, 0, K64);
	expect_refused(RV_OP_TRUNCATE, f, 0, 0, ETXTBSY, 38);
	expect_no_break(&hf, 100);
	rv_op_start(&op, RV_OP_TRUNCATE, g, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(rv_hold_find(&hg, "reason=truncate"), 0);
	ck_assert_int_eq(rv_size(g), 0);

	/* Pin-time policies apply per file too. */
	const char *r = rv_path("xr");
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	rv_make_file(r, MIB, 43);
	ck_assert_int_eq(setxattr(r, POLICY_XATTR, "require-lease", 13, 0), 0);
	ck_assert_int_eq(pinfs_file_new(r, 0, &pf), 0);
	ck_assert_int_eq(pinfs_pin(pf, 0, 4096, 0, &m), -EPERM);
	pinfs_file_delete(&pf);

	/* Removed: the mount's break applies again. */
	ck_assert_int_eq(removexattr(f, POLICY_XATTR), 0);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(rv_hold_find(&hf, "reason=truncate"), 0);
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

/* Case 4: an unbreakable lease makes changes over its range ETXTBSY,
 * with or without pins; released, they go through. */
START_TEST(unbreakable_lease_is_etxtbsy)
{
	const char *f, *g;
	struct rv_holder h;
	struct pinfs_file *pf = NULL;

	rv_mount("lease_break_time=10000", "64M");
	f = rv_path("ub");
	g = rv_path("ub2");
	rv_make_file(f, MIB, 40);
	rv_make_file(g, MIB, 41);
	rv_hold_start(&h, "--unbreakable", f, 0, K64);
	expect_refused(RV_OP_TRUNCATE, f, 0, 0, ETXTBSY, 40);
	expect_refused(RV_OP_PUNCH, f, 0, 4096, ETXTBSY, 40);
	/* The lease covers the whole file, not only the pin. */
	expect_refused(RV_OP_PUNCH, f, MIB / 2, 4096, ETXTBSY, 40);
	expect_no_break(&h, 100);
	kill(h.pid, SIGTERM); /* unpins, exits, closes: lease gone */
	int st = rv_wait_exit(h.pid, 3000);
	ck_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(rv_op_now(RV_OP_TRUNCATE, f, NULL, 0, 0), 0);

	/* No pin at all: the lease alone refuses. */
	ck_assert_int_eq(pinfs_file_new(g, 0, &pf), 0);
	ck_assert_int_eq(pinfs_lease_set(pf, PINFS_LEASE_UNBREAKABLE, 0, K64,
					 0), 0);
	expect_refused(RV_OP_TRUNCATE, g, 4096, 0, ETXTBSY, 41);
	ck_assert_int_eq(rv_op_now(RV_OP_PUNCH, g, NULL, K64, 4096), 0);
	ck_assert_int_eq(pinfs_lease_set(pf, PINFS_LEASE_NONE, 0, 0, 0), 0);
	ck_assert_int_eq(rv_op_now(RV_OP_TRUNCATE, g, NULL, 4096, 0), 0);
	ck_assert_int_eq(rv_size(g), 4096);
	pinfs_file_delete(&pf);
	rv_finish();
}
END_TEST

/* A refused change has no side effect: with an unbreakable lease and a
 * breakable holder on one range, the change fails ETXTBSY and the
 * breakable holder hears nothing and keeps its pin. */
START_TEST(refusal_sends_no_break)
{
	const char *f;
	struct rv_holder u, b;
	struct pinfs_pin_entry e;
	struct rv_tev ev[128];

	rv_mount("lease_break_time=10000", "64M");
	f = rv_path("mixed");
	rv_make_file(f, MIB, 42);
	rv_hold_start(&b, "--lease --ack-after 0", f, 0, K64);
	rv_hold_start(&u, "--unbreakable", f, 0, K64);
	expect_refused(RV_OP_TRUNCATE, f, 0, 0, ETXTBSY, 42);
	expect_refused(RV_OP_ZERO, f, 0, 4096, ETXTBSY, 42);
	expect_no_break(&b, 200);
	ck_assert(rv_pin_get(b.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_ACTIVE);
	int n = rv_trace(ev, 128);
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "break", 0), 0);
	ck_assert_int_lt(rv_tev_find(ev, n, 0, "sigbus", 0), 0);
	rv_finish();
}
END_TEST

/* Quarantine, leased holder: told by its lease's signal and POLLPRI,
 * with a QUARANTINED record, and not waited for. */
START_TEST(quarantine_leased_holder_told)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;

	rv_mount("policy=quarantine,lease_break_time=10000", "64M");
	f = rv_path("ql");
	rv_make_file(f, MIB, 44);
	rv_hold_start(&h, "--lease --ignore", f, 0, K64);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_lt(op.end_us - op.start_us, 2000 * 1000);
	if (rv_hold_wait(&h, "reason=truncate state=quarantined", 2000) < 0)
		rv_hold_dump(&h);
	ck_assert_int_ge(rv_hold_find(&h, "reason=truncate state=quarantined"),
			 0);
	ck_assert(rv_pin_state_wait(h.pin_id, PINFS_STATE_QUARANTINED, 1000));
	ck_assert(rv_alive(h.pid));
	rv_finish();
}
END_TEST

/* remap: a removal (truncate) is handled as under break. */
START_TEST(remap_removal_breaks)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc op;

	rv_mount("policy=remap,lease_break_time=3000", "64M");
	f = rv_path("remap");
	rv_make_file(f, MIB, 45);
	rv_hold_start(&h, "--lease --ack-after 100", f, 0, K64);
	rv_op_start(&op, RV_OP_TRUNCATE, f, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 100 * 1000);
	ck_assert_int_lt(op.end_us - op.start_us, 3000 * 1000);
	ck_assert_int_ge(rv_hold_find(&h, "reason=truncate state=breaking"), 0);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_int_eq(rv_size(f), 0);
	rv_finish();
}
END_TEST

int main(void)
{
	const struct rv_case cases[] = {
		{ "break_no_lease", break_pin_without_lease_sigbus_at_once, 30 },
		{ "deny", deny_is_etxtbsy_and_silent, 30 },
		{ "deny_ebusy", deny_ebusy_by_option, 30 },
		{ "require_lease", require_lease_refuses_unleased_pin, 30 },
		{ "implicit_lease", implicit_lease_gets_lease_and_break, 30 },
		{ "quarantine", quarantine_proceeds_blocks_held, 30 },
		{ "xattr", per_file_policy_xattr, 30 },
		{ "unbreakable", unbreakable_lease_is_etxtbsy, 30 },
		{ "refusal_no_break", refusal_sends_no_break, 30 },
		{ "quarantine_leased", quarantine_leased_holder_told, 30 },
		{ "remap_removal", remap_removal_breaks, 30 },
	};

	return rv_run_suite("revoke-policy", cases,
			    sizeof(cases) / sizeof(cases[0]));
}
