/* SPDX-License-Identifier: MIT */
/*
 * revoke.c - `pinfs-bench revoke`: what a revoke costs, next to the kernel.
 *
 * Kernel reference (always runs): truncate(2) latency of a tmpfs file whose
 * F_SETLEASE holder (F_RDLCK and F_WRLCK) releases on its F_SETSIG signal,
 * and the F_SETLEASE + F_UNLCK rate.  pinfs: the latency of a truncate over
 * a range that a cooperative holder pinned (lease + pin through the ioctls;
 * unpin on the break signal), the pin+unpin rate and the rate of two bare
 * FUSE ioctls (PINFS_IOC_INFO), all in the same run.
 */
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

#include "bench.h"
#include "cleanup.h"
#include "lease.h"
#include "mounts.h"
#include "pinops.h"
#include "report.h"
#include "stats.h"

#define PIN_OFF (1ull << 20)
#define PIN_LEN (1ull << 20)
#define HOLD_SIG (SIGRTMIN + 2)
#define WAIT_MS 10000

struct revoke_figs {
	struct samples krd_p50, krd_p99, kwr_p50, kwr_p99, kx_p50, kx_p99;
	struct samples pin_p50, pin_p99, ratio_lat;
	struct samples kernel_rate, info_rate, pin_rate, ratio_rate;
	struct samples all_krd, all_kwr, all_kx, all_pin; /* for the plots */
};

/* ---- pinfs: the cooperative holder and the timed truncates -------------- */

static int wait_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r = poll(&p, 1, WAIT_MS);

	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	return read(fd, &c, 1) == 1 ? 0 : -EPIPE;
}

/* Holder: per round, wait for "go", lease + pin, say ready, wait for the
 * break signal, unpin.  Exit status: 0 or a positive errno. */
static int holder_main(const char *path, unsigned rounds, int go_fd,
		       int ready_fd, int cpu)
{
	struct timespec tmo = { WAIT_MS / 1000, 0 };
	sigset_t set;
	siginfo_t si;
	int fd, ret;

	if (cpu >= 0)
		stats_pin_cpu((unsigned)cpu);
	sigemptyset(&set);
	sigaddset(&set, HOLD_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	for (unsigned i = 0; i < rounds; i++) {
		uint64_t id;
		char c = 'R';

		ret = wait_byte(go_fd);
		if (!ret)
			ret = pinops_lease(fd, 0, 0, HOLD_SIG);
		if (!ret)
			ret = pinops_pin(fd, PIN_OFF, PIN_LEN, &id);
		if (ret)
			return -ret;
		if (write(ready_fd, &c, 1) != 1)
			return EPIPE;
		if (sigtimedwait(&set, &si, &tmo) < 0)
			return errno == EAGAIN ? ETIMEDOUT : errno;
		ret = pinops_unpin(fd, id);
		if (ret)
			return -ret;
	}
	return 0;
}

/* Make [PIN_OFF, PIN_OFF + PIN_LEN) exist again after a truncate. */
static int restore_range(int fd, char *buf)
{
	if (ftruncate(fd, (off_t)(PIN_OFF + PIN_LEN)) < 0)
		return -errno;
	if (pwrite(fd, buf, PIN_LEN, (off_t)PIN_OFF) != (ssize_t)PIN_LEN)
		return -EIO;
	return 0;
}

static int pinfs_break_run(const struct bench_opts *o, const char *path,
			   unsigned iterations, struct samples *lat)
{
	unsigned warm = iterations / 10 + 3;
	int go[2], ready[2], fd, st, h_pid, ret = 0;
	char *buf;
	pid_t pid;

	buf = calloc(1, PIN_LEN);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0x3C, PIN_LEN);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		/* placed by the scheduler, like the daemon's threads */
		_exit(holder_main(path, iterations + warm, go[0], ready[1], -1));
	}
	close(go[0]);
	close(ready[1]);
	h_pid = cleanup_push_pid(pid);
	for (unsigned i = 0; i < iterations + warm && !ret; i++) {
		uint64_t t0, t1;
		char c = 'G';

		ret = restore_range(fd, buf);
		if (!ret && write(go[1], &c, 1) != 1)
			ret = -EPIPE;
		if (!ret)
			ret = wait_byte(ready[0]);
		if (ret)
			break;
		t0 = stats_now_ns();
		if (ftruncate(fd, (off_t)PIN_OFF) < 0)
			ret = -errno;
		t1 = stats_now_ns();
		if (!ret && i >= warm)
			ret = samples_add(lat, (double)(t1 - t0) / 1e3);
	}
	close(go[1]);
	close(ready[0]);
	if (ret) {
		cleanup_undo(h_pid);
	} else {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		cleanup_forget(h_pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ret = WIFEXITED(st) ? -WEXITSTATUS(st) : -ECHILD;
	}
out:
	close(fd);
	unlink(path);
	free(buf);
	return ret;
}

/* Pairs per second of op (two INFO ioctls, or pin + unpin). */
static int pair_rate(const struct bench_opts *o, const char *path, bool pin,
		     double *rate)
{
	uint64_t t0, t1, end, n = 0, id;
	int fd, ret = 0;
	char *buf;

	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	buf = malloc(PIN_LEN);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	memset(buf, 0x11, PIN_LEN);
	ret = restore_range(fd, buf);
	free(buf);
	if (!ret && pin)
		ret = pinops_lease(fd, 0, 0, HOLD_SIG);
	t0 = stats_now_ns();
	end = t0 + (uint64_t)(o->duration * 1e9);
	t1 = t0;
	while (!ret && t1 < end) {
		for (int k = 0; k < 16 && !ret; k++, n++) {
			if (pin) {
				ret = pinops_pin(fd, PIN_OFF, PIN_LEN, &id);
				if (!ret)
					ret = pinops_unpin(fd, id);
			} else {
				ret = pinops_info(fd);
				if (!ret)
					ret = pinops_info(fd);
			}
		}
		t1 = stats_now_ns();
	}
	if (!ret)
		*rate = (double)n / ((double)(t1 - t0) / 1e9);
	close(fd);
	unlink(path);
	return ret;
}

/* ---- the run ------------------------------------------------------------- */

static void add_p(struct samples *p50, struct samples *p99,
		  struct samples *all, struct samples *run)
{
	samples_add(p50, samples_pct(run, 50));
	samples_add(p99, samples_pct(run, 99));
	for (size_t i = 0; i < run->n; i++)
		samples_add(all, run->v[i]);
	samples_free(run);
}

static int kernel_round(const struct bench_opts *o, struct revoke_figs *f)
{
	struct samples run = { 0 };
	double rate;
	int ret;

	progress("revoke: kernel lease break (F_RDLCK)");
	ret = lease_break_run(o, o->workdir, F_RDLCK, LEASE_FREE,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_p(&f->krd_p50, &f->krd_p99, &f->all_krd, &run);
	progress("revoke: kernel lease break (F_WRLCK)");
	ret = lease_break_run(o, o->workdir, F_WRLCK, LEASE_FREE,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_p(&f->kwr_p50, &f->kwr_p99, &f->all_kwr, &run);
	progress("revoke: kernel lease break (F_RDLCK, cross-CPU)");
	ret = lease_break_run(o, o->workdir, F_RDLCK, LEASE_XCPU,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_p(&f->kx_p50, &f->kx_p99, &f->all_kx, &run);
	progress("revoke: kernel F_SETLEASE + F_UNLCK rate");
	ret = lease_rate_run(o, o->workdir, &rate);
	if (!ret)
		samples_add(&f->kernel_rate, rate);
	return ret;
}

/* One repeat on the mount; *why says what did not run. */
static void pinfs_round(const struct bench_opts *o, const char *mnt,
			struct revoke_figs *f, char *why, size_t wlen)
{
	char path[MOUNT_PATH + 32];
	struct samples run = { 0 };
	double info, pin;
	int ret;

	snprintf(path, sizeof(path), "%s/revoke-bench", mnt);
	progress("revoke: two bare FUSE ioctls (PINFS_IOC_INFO)");
	ret = pair_rate(o, path, false, &info);
	if (ret) {
		snprintf(why, wlen, "PINFS_IOC_INFO: %s", strerror(-ret));
		return;
	}
	samples_add(&f->info_rate, info);
	if (pinops_missing()) {
		snprintf(why, wlen, "%s", pinops_missing());
		return;
	}
	progress("revoke: pinfs pin + unpin rate");
	ret = pair_rate(o, path, true, &pin);
	if (ret) {
		snprintf(why, wlen, "pin+unpin: %s", strerror(-ret));
		return;
	}
	samples_add(&f->pin_rate, pin);
	samples_add(&f->ratio_rate, pin / info);
	progress("revoke: pinfs truncate over a pinned range");
	ret = pinfs_break_run(o, path, o->iterations, &run);
	if (ret) {
		samples_free(&run);
		snprintf(why, wlen, "truncate over a pin: %s", strerror(-ret));
		return;
	}
	add_p(&f->pin_p50, &f->pin_p99, &f->all_pin, &run);
	if (f->krd_p50.n)
		samples_add(&f->ratio_lat, f->pin_p50.v[f->pin_p50.n - 1] /
				       f->krd_p50.v[f->krd_p50.n - 1]);
}

static void fill(struct revoke_figs *f, const char *why)
{
	static const struct report_col cl[] = {
		{ "p50_us", UNIT_US }, { "p99_us", UNIT_US },
		{ "kernel_p50_us", UNIT_US }, { "kernel_p99_us", UNIT_US },
		{ "ratio", UNIT_RATIO },
	};
	static const struct report_col cr[] = {
		{ "ops_per_s", UNIT_OPS }, { "kernel_ops_per_s", UNIT_OPS },
		{ "fuse_ioctl_ops_per_s", UNIT_OPS }, { "ratio", UNIT_RATIO },
	};
	struct report_table *tl = report_table_new("revoke", "break",
		"truncate latency against a cooperative holder; ratio = pinfs p50 / kernel F_RDLCK p50 (goal <= 2)",
		5, cl);
	struct report_table *tr = report_table_new("revoke", "rate",
		"pairs per second; ratio = pin+unpin / two PINFS_IOC_INFO (goal >= 0.8)",
		4, cr);
	struct report_row *r;
	struct summary krd50 = summary_of(&f->krd_p50);
	struct summary krd99 = summary_of(&f->krd_p99);
	struct summary krate = summary_of(&f->kernel_rate);
	struct summary info = summary_of(&f->info_rate);

	if (!tl || !tr)
		return;
	r = report_row_add(tl, "kernel-lease-break-rdlck", "warm", 0, 1, 0);
	if (r) {
		report_set(tl, r, "p50_us", krd50);
		report_set(tl, r, "p99_us", krd99);
	}
	r = report_row_add(tl, "kernel-lease-break-wrlck", "warm", 0, 1, 0);
	if (r) {
		report_set(tl, r, "p50_us", summary_of(&f->kwr_p50));
		report_set(tl, r, "p99_us", summary_of(&f->kwr_p99));
	}
	r = report_row_add(tl, "kernel-lease-break-rdlck-xcpu", "warm", 0, 1,
			   0);
	if (r) {
		report_set(tl, r, "p50_us", summary_of(&f->kx_p50));
		report_set(tl, r, "p99_us", summary_of(&f->kx_p99));
		report_status(r, "holder and truncater pinned to two CPUs");
	}
	r = report_row_add(tl, "pinfs-truncate-pinned", "warm", PIN_LEN, 1, 0);
	if (r) {
		report_set(tl, r, "p50_us", summary_of(&f->pin_p50));
		report_set(tl, r, "p99_us", summary_of(&f->pin_p99));
		report_set(tl, r, "kernel_p50_us", krd50);
		report_set(tl, r, "kernel_p99_us", krd99);
		report_set(tl, r, "ratio", summary_of(&f->ratio_lat));
		if (!f->pin_p50.n)
			report_status(r, "%s", why);
	}
	r = report_row_add(tr, "kernel-setlease+unlck", "warm", 0, 1, 0);
	if (r)
		report_set(tr, r, "ops_per_s", krate);
	r = report_row_add(tr, "fuse-info-ioctl-x2", "warm", 0, 1, 0);
	if (r) {
		report_set(tr, r, "ops_per_s", info);
		report_set(tr, r, "kernel_ops_per_s", krate);
		if (!f->info_rate.n)
			report_status(r, "%s", why);
	}
	r = report_row_add(tr, "pinfs-pin+unpin", "warm", PIN_LEN, 1, 0);
	if (r) {
		report_set(tr, r, "ops_per_s", summary_of(&f->pin_rate));
		report_set(tr, r, "kernel_ops_per_s", krate);
		report_set(tr, r, "fuse_ioctl_ops_per_s", info);
		report_set(tr, r, "ratio", summary_of(&f->ratio_rate));
		if (!f->pin_rate.n)
			report_status(r, "%s", why);
	}
	report_dist_add("kernel lease break F_RDLCK", &f->all_krd);
	report_dist_add("kernel lease break F_WRLCK", &f->all_kwr);
	report_dist_add("kernel lease break F_RDLCK cross-CPU", &f->all_kx);
	if (f->all_pin.n)
		report_dist_add("pinfs truncate over a pin", &f->all_pin);
}

static void figs_free(struct revoke_figs *f)
{
	struct samples *all[] = {
		&f->krd_p50, &f->krd_p99, &f->kwr_p50, &f->kwr_p99,
		&f->kx_p50, &f->kx_p99, &f->all_kx,
		&f->pin_p50, &f->pin_p99, &f->ratio_lat, &f->kernel_rate,
		&f->info_rate, &f->pin_rate, &f->ratio_rate, &f->all_krd,
		&f->all_kwr, &f->all_pin,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		samples_free(all[i]);
}

int bench_revoke(const struct bench_opts *o)
{
	struct revoke_figs f = { 0 };
	struct bench_mount m;
	char why[200] = "";
	bool up;
	int ret = 0;

	progress("revoke: starting pinfs");
	/* short break deadline: a holder that fails must not stall 45 s */
	up = mount_pinfs(o, 256ull << 20, "lease_break_time=5000", &m) == 0;
	if (!up)
		snprintf(why, sizeof(why), "%s", m.why);
	for (unsigned rep = 0; rep < o->repeat; rep++) {
		ret = kernel_round(o, &f);
		if (ret) {
			fprintf(stderr, "pinfs-bench: kernel lease run: %s\n",
				strerror(-ret));
			break;
		}
		if (up && !why[0])
			pinfs_round(o, m.dir, &f, why, sizeof(why));
	}
	mount_stop(&m);
	fill(&f, why);
	figs_free(&f);
	return ret;
}
