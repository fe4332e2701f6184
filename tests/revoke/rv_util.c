/* SPDX-License-Identifier: MIT */
/*
 * rv_util.c - helpers of the real-mount revocation suites (rv_util.h).
 */
#include "rv_util.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fh_mount rv_mnt;

#define RV_MAX_KIDS 64
static pid_t kids[RV_MAX_KIDS];
static unsigned nkids;
static pid_t kids_owner;

int64_t rv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int rv_main_check(void)
{
	enum fh_backend b = fh_backend_from_env();

	if (b != FH_BACKEND_PINFS) {
		fprintf(stderr, "revoke suites need PINFS_BIN (pinfs backend)\n");
		return FH_SKIP;
	}
	return fh_can_run(b);
}

int rv_run_suite(const char *name, const struct rv_case *cases, size_t n)
{
	int r = rv_main_check();
	Suite *s;
	SRunner *sr;
	int failed;

	if (r)
		return r;
	s = suite_create(name);
	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_set_timeout(tc, cases[i].timeout);
		tcase_add_test(tc, cases[i].t);
		suite_add_tcase(s, tc);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

static void track(pid_t pid)
{
	if (kids_owner != getpid()) {
		kids_owner = getpid();
		nkids = 0;
	}
	ck_assert_msg(nkids < RV_MAX_KIDS, "too many children");
	kids[nkids++] = pid;
}

bool rv_alive(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return si.si_pid == 0;
}

/* Reap @pid for at most @ms; when a child hangs in an unanswered FUSE
 * request even SIGKILL waits: kill the daemon then (the test fails). */
static int reap_bounded(pid_t pid, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000;
	int st;

	while (rv_now_us() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		sleep_ms(1);
	}
	return -2;
}

static void untrack(pid_t pid)
{
	if (kids_owner != getpid())
		return;
	for (unsigned i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

int rv_wait_exit(pid_t pid, int ms)
{
	int st = reap_bounded(pid, ms);

	if (st >= 0 || st == -1) {
		untrack(pid);
		return st;
	}
	untrack(pid);
	kill(pid, SIGKILL);
	if (reap_bounded(pid, 3000) == -2) {
		fprintf(stderr, "revoke: child %d stuck after SIGKILL: killing "
				"the daemon\n", (int)pid);
		if (rv_mnt.daemon > 0)
			kill(rv_mnt.daemon, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

void rv_kill_holders(void)
{
	if (kids_owner != getpid())
		return;
	for (unsigned i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (unsigned i = 0; i < nkids; i++)
		if (kids[i] > 0)
			rv_wait_exit(kids[i], 3000);
	nkids = 0;
}

static void kill_at_exit(void)
{
	rv_kill_holders();
}

void rv_mount(const char *opts, const char *size)
{
	static bool hooked;
	int r;

	setenv("FH_REGION_SIZE", size, 1);
	fh_install_cleanup(&rv_mnt);
	if (!hooked) {
		/* atexit runs in reverse: holders die before the unmount. */
		atexit(kill_at_exit);
		hooked = true;
	}
	r = fh_setup(&rv_mnt, FH_BACKEND_PINFS, opts);
	ck_assert_msg(r == 0, "mount with -o %s: %s", opts, strerror(-r));
}

void rv_finish(void)
{
	int r;

	rv_kill_holders();
	r = fh_unmount(&rv_mnt);
	if (r)
		fh_log_tail(&rv_mnt, 40);
	ck_assert_msg(r == 0, "unmount: daemon did not exit cleanly (%s)",
		      strerror(-r));
	r = fh_fsck(&rv_mnt);
	ck_assert_msg(r == 0, "pinfs fsck after unmount: %s", strerror(-r));
	fh_teardown(&rv_mnt);
}

const char *rv_path(const char *name)
{
	static char buf[8][PATH_MAX];
	static unsigned next;
	char *p = buf[next++ % 8];

	ck_assert_msg(rv_mnt.mnt[0] == '/', "rv_path before rv_mount");
	snprintf(p, PATH_MAX, "%s/%s", rv_mnt.mnt, name);
	return p;
}

/* ---- files -------------------------------------------------------------- */

unsigned char rv_pattern(uint64_t seed, uint64_t i)
{
	if (seed == RV_ZERO)
		return 0;
	return (unsigned char)((i * 131 + seed * 7 + (i >> 12) + 1) & 0xff);
}

void rv_make_file(const char *path, size_t len, uint64_t seed)
{
	unsigned char *buf = malloc(len ? len : 1);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	for (size_t i = 0; i < len; i++)
		buf[i] = rv_pattern(seed, i);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	free(buf);
}

void rv_expect_bytes(const char *path, uint64_t off, size_t len,
		     uint64_t seed)
{
	unsigned char *got = malloc(len ? len : 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(pread(fd, got, len, (off_t)off), (ssize_t)len);
	/* One assertion, not one per byte (each is a message to Check). */
	size_t bad = len;
	for (size_t i = 0; i < len && bad == len; i++)
		if (got[i] != rv_pattern(seed, off + i))
			bad = i;
	ck_assert_msg(bad == len, "%s: byte %" PRIu64 " is 0x%02x, want "
		      "0x%02x", path, off + bad, bad < len ? got[bad] : 0,
		      rv_pattern(seed, off + bad));
	close(fd);
	free(got);
}

uint64_t rv_fill_file(const char *path, uint64_t seed, uint64_t max)
{
	const size_t chunk = 256 * 1024;
	unsigned char *buf = malloc(chunk);
	uint64_t off = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_ptr_nonnull(buf);
	if (fd < 0 && errno == ENOSPC) {
		free(buf);
		return 0; /* not even the file could be made */
	}
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	size_t want = chunk;

	while (off < max) {
		size_t n = max - off < want ? (size_t)(max - off) : want;
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = rv_pattern(seed, off + i);
		w = pwrite(fd, buf, n, (off_t)off);
		if (w < 0) {
			ck_assert_msg(errno == ENOSPC, "write %s: %s", path,
				      strerror(errno));
			/* The store fails a write it cannot place whole
			 * (no short write): try smaller ones. */
			if (want > RV_BLOCK) {
				want /= 2;
				continue;
			}
			break;
		}
		off += (uint64_t)w;
		if ((size_t)w < n)
			break;
	}
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	free(buf);
	return off;
}

off_t rv_size(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path,
		      strerror(errno));
	return st.st_size;
}

uint64_t rv_free_blocks(void)
{
	struct statfs sf;

	ck_assert_int_eq(statfs(rv_mnt.mnt, &sf), 0);
	return sf.f_bfree;
}

uint64_t rv_free_blocks_wait(uint64_t want, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000;
	uint64_t v;

	while ((v = rv_free_blocks()) != want && rv_now_us() < end)
		sleep_ms(5);
	return v;
}

/* ---- children ------------------------------------------------------------ */

/* In a fresh child: die with the test process, drop its cleanup. */
static void child_init(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
}

pid_t rv_child(int (*fn)(void *), void *arg)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_init(parent);
		_exit(fn(arg));
	}
	track(pid);
	return pid;
}

int rv_read_full(int fd, void *buf, size_t len, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000;
	size_t got = 0;

	while (got < len) {
		int64_t left = (end - rv_now_us()) / 1000;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fd, (char *)buf + got, len - got);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

int rv_op_now(enum rv_op op, const char *path, const char *path2,
	      uint64_t a, uint64_t b)
{
	int fd, src, r = 0;
	loff_t so = 0, dof = (loff_t)a;

	switch (op) {
	case RV_OP_TRUNCATE:
		return truncate(path, (off_t)a) < 0 ? -errno : 0;
	case RV_OP_PUNCH:
	case RV_OP_ZERO:
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fallocate(fd, op == RV_OP_PUNCH
			      ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
			      : FALLOC_FL_ZERO_RANGE, (off_t)a, (off_t)b) < 0)
			r = -errno;
		close(fd);
		return r;
	case RV_OP_COPY:
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		src = open(path2, O_RDONLY | O_CLOEXEC);
		if (src < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		for (uint64_t done = 0; done < b;) {
			ssize_t n = copy_file_range(src, &so, fd, &dof,
						    (size_t)(b - done), 0);
			if (n < 0) {
				r = -errno;
				break;
			}
			if (n == 0) {
				r = -EIO;
				break;
			}
			done += (uint64_t)n;
		}
		close(src);
		close(fd);
		return r;
	}
	return -EINVAL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

void rv_op_start(struct rv_opproc *p, enum rv_op op, const char *path,
		 const char *path2, uint64_t a, uint64_t b, int intr_ms)
{
	pid_t parent = getpid();

	memset(p, 0, sizeof(*p));
	p->start_us = rv_now_us();
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		struct sigaction sa;

		child_init(parent);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm; /* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		if (intr_ms > 0) {
			struct itimerval it = { { 0, 0 },
				{ intr_ms / 1000, (intr_ms % 1000) * 1000 } };
			setitimer(ITIMER_REAL, &it, NULL);
		}
		_exit(-rv_op_now(op, path, path2, a, b));
	}
	track(p->pid);
}

int rv_op_wait(struct rv_opproc *p, int ms)
{
	int st = rv_wait_exit(p->pid, ms);

	p->end_us = rv_now_us();
	if (st >= 0 && WIFEXITED(st))
		p->err = WEXITSTATUS(st);
	else
		p->err = -1;
	return p->err;
}

/* ---- pinfs hold ------------------------------------------------------------ */

static pid_t hold_spawn(const char *args, const char *path, uint64_t off,
			uint64_t len, const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[32], buf[256], offs[32], lens[32];
		int n = 0, fd;

		child_init(parent);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(125);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		snprintf(buf, sizeof(buf), "%s", args);
		snprintf(offs, sizeof(offs), "%" PRIu64, off);
		snprintf(lens, sizeof(lens), "%" PRIu64, len);
		argv[n++] = (char *)rv_mnt.bin;
		argv[n++] = (char *)"hold";
		for (char *s = strtok(buf, " "); s && n < 26;
		     s = strtok(NULL, " "))
			argv[n++] = s;
		argv[n++] = (char *)path;
		argv[n++] = offs;
		argv[n++] = lens;
		argv[n] = NULL;
		execv(rv_mnt.bin, argv);
		_exit(127);
	}
	return pid;
}

static unsigned hold_seq;

void rv_hold_start(struct rv_holder *h, const char *args, const char *path,
		   uint64_t off, uint64_t len)
{
	int64_t t;
	char line[512];
	FILE *f;

	memset(h, 0, sizeof(*h));
	snprintf(h->log, sizeof(h->log), "%s/hold.%u.log", rv_mnt.tmpdir,
		 hold_seq++);
	h->pid = hold_spawn(args, path, off, len, h->log);
	track(h->pid);
	t = rv_hold_wait(h, "pinned id=", RV_WAIT_MS);
	if (t < 0)
		rv_hold_dump(h);
	ck_assert_msg(t >= 0, "pinfs hold %s %s did not pin", args, path);
	f = fopen(h->log, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "pinned id=");

		if (p) {
			h->pin_id = strtoull(p + 10, NULL, 10);
			break;
		}
	}
	fclose(f);
	ck_assert_uint_ne(h->pin_id, 0);
}

int rv_hold_fail(const char *args, const char *path, uint64_t off,
		 uint64_t len, char *out, size_t outlen)
{
	char log[PATH_MAX];
	pid_t pid;
	int st, fd;
	ssize_t n;

	snprintf(log, sizeof(log), "%s/hold.%u.log", rv_mnt.tmpdir,
		 hold_seq++);
	pid = hold_spawn(args, path, off, len, log);
	st = rv_wait_exit(pid, RV_WAIT_MS);
	fd = open(log, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, out, outlen - 1) : 0;
	out[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	return st;
}

int64_t rv_hold_find(const struct rv_holder *h, const char *needle)
{
	char line[512];
	int64_t t = -1;
	FILE *f = fopen(h->log, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, needle)) {
			double s = strtod(line, NULL);

			t = (int64_t)(s * 1e6);
			break;
		}
	}
	fclose(f);
	return t;
}

int64_t rv_hold_wait(const struct rv_holder *h, const char *needle, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000, t;

	while ((t = rv_hold_find(h, needle)) < 0 && rv_now_us() < end)
		sleep_ms(2);
	return t;
}

void rv_hold_dump(const struct rv_holder *h)
{
	char buf[4096];
	int fd = open(h->log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	fprintf(stderr, "---- %s (pid %d)\n", h->log, (int)h->pid);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	if (fd >= 0)
		close(fd);
}

/* ---- daemon views ---------------------------------------------------------- */

uint64_t rv_pins(struct pinfs_pin_entry *out, uint64_t max)
{
	struct pinfs_pins *p = calloc(1, sizeof(*p));
	uint64_t first = 0, total = 0;
	int fd = open(rv_mnt.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(fd, 0);
	do {
		memset(p, 0, sizeof(*p));
		p->abi_version = PINFS_ABI_VERSION;
		p->first = first;
		ck_assert_msg(ioctl(fd, PINFS_IOC_PINS, p) == 0,
			      "PINFS_IOC_PINS: %s", strerror(errno));
		total = p->total;
		for (uint32_t i = 0; i < p->count; i++)
			if (out && first + i < max)
				out[first + i] = p->pin[i];
		first += p->count;
	} while (p->count && first < total);
	close(fd);
	free(p);
	return total;
}

bool rv_pin_get(uint64_t pin_id, struct pinfs_pin_entry *e)
{
	static struct pinfs_pin_entry all[1024];
	uint64_t n = rv_pins(all, 1024);

	for (uint64_t i = 0; i < n && i < 1024; i++)
		if (all[i].pin_id == pin_id) {
			if (e)
				*e = all[i];
			return true;
		}
	return false;
}

bool rv_pin_gone_wait(uint64_t pin_id, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000;

	while (rv_pin_get(pin_id, NULL)) {
		if (rv_now_us() > end)
			return false;
		sleep_ms(2);
	}
	return true;
}

bool rv_pin_state_wait(uint64_t pin_id, uint32_t state, int ms)
{
	int64_t end = rv_now_us() + (int64_t)ms * 1000;
	struct pinfs_pin_entry e;

	for (;;) {
		if (rv_pin_get(pin_id, &e) && e.state == state)
			return true;
		if (rv_now_us() > end)
			return false;
		sleep_ms(2);
	}
}

unsigned rv_extents(int fd, uint64_t pin_id, struct pinfs_extent *out,
		    unsigned max)
{
	struct pinfs_extents *x = calloc(1, sizeof(*x));
	unsigned n = 0;
	uint64_t first = 0;

	ck_assert_ptr_nonnull(x);
	do {
		memset(x, 0, sizeof(*x));
		x->abi_version = PINFS_ABI_VERSION;
		x->pin_id = pin_id;
		x->first = first;
		ck_assert_msg(ioctl(fd, PINFS_IOC_EXTENTS, x) == 0,
			      "PINFS_IOC_EXTENTS pin %" PRIu64 ": %s", pin_id,
			      strerror(errno));
		for (uint32_t i = 0; i < x->count && n < max; i++)
			out[n++] = x->ext[i];
		first += x->count;
	} while (x->count && first < x->total);
	free(x);
	return n;
}

/* ---- trace ---------------------------------------------------------------- */

int rv_trace(struct rv_tev *ev, int max)
{
	char cmd[PATH_MAX * 2], line[512];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' trace '%s' --all --for 150",
		 rv_mnt.bin, rv_mnt.mnt);
	f = popen(cmd, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) && n < max) {
		struct rv_tev *e = &ev[n];
		double s;

		memset(e, 0, sizeof(*e));
		if (sscanf(line, "%lf %15s pin=%" SCNu64 " pid=%d ino=%" SCNu64
			   " off=%" SCNu64 " len=%" SCNu64 " arg=%" SCNd64,
			   &s, e->name, &e->pin, &e->pid, &e->ino, &e->off,
			   &e->len, &e->arg) == 8) {
			e->t_us = (int64_t)(s * 1e6);
			n++;
		}
	}
	pclose(f);
	return n;
}

int rv_tev_find(const struct rv_tev *ev, int n, int from, const char *name,
		uint64_t pin)
{
	for (int i = from < 0 ? 0 : from; i < n; i++)
		if (!strcmp(ev[i].name, name) && (!pin || ev[i].pin == pin))
			return i;
	return -1;
}

void rv_trace_dump(const struct rv_tev *ev, int n)
{
	fprintf(stderr, "---- trace (%d events)\n", n);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "%" PRId64 " %-12s pin=%" PRIu64 " pid=%d "
			"ino=%" PRIu64 " off=%" PRIu64 " len=%" PRIu64
			" arg=%" PRId64 "\n", ev[i].t_us, ev[i].name,
			ev[i].pin, ev[i].pid, ev[i].ino, ev[i].off, ev[i].len,
			ev[i].arg);
}
