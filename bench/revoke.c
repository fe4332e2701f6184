/* SPDX-License-Identifier: MIT */
/*
 * revoke.c - `pinfs-bench revoke`: what a revoke costs, next to the kernel.
 *
 * Kernel reference (always runs): truncate(2) latency of a tmpfs file whose
 * F_SETLEASE holder (F_RDLCK and F_WRLCK) releases on its F_SETSIG signal,
 * placed by the scheduler and across two CPUs, and the F_SETLEASE +
 * F_UNLCK rate.  pinfs: the latency of a truncate over a range that a
 * cooperative holder pinned (lease + pin through the ioctls; unpin on the
 * break signal), with the same two placements; the pin+unpin rate and the
 * rate of two bare FUSE ioctls (PINFS_IOC_INFO).  The floor, in the same
 * run: the same truncate through pinfs on an unpinned file and through
 * passthrough_ll (one SETATTR round trip each), and one bare FUSE ioctl
 * round trip; each latency row carries the kernel lease-break figures of
 * its placement and the ratio to them.
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

/* lease.c: lease_break_run whose truncate cuts CUT bytes of data (a file
 * of 2 * CUT bytes cut to CUT); to move into lease.h (bench owner). */
int lease_break_cut_run(const struct bench_opts *o, const char *dir, int type,
			enum lease_placement where, uint64_t cut,
			unsigned iterations, struct samples *lat_us);

#define PIN_OFF (1ull << 20)
#define PIN_LEN (1ull << 20)
#define HOLD_SIG (SIGRTMIN + 2)
#define WAIT_MS 10000

/* p50/p99 per repeat, every sample (plots), ratio to the kernel p50. */
struct lat_fig {
	struct samples p50, p99, all, ratio;
};

enum lat_row {
	L_KRD,      /* kernel lease break F_RDLCK, scheduler-placed */
	L_KWR,      /* F_WRLCK */
	L_KX,       /* F_RDLCK across two CPUs */
	L_KT,       /* tmpfs: the pinfs rows' truncate, no lease, no FUSE */
	L_K1M,      /* F_RDLCK break whose truncate cuts that 1 MiB too */
	L_PIN,      /* pinfs truncate over a pin, scheduler-placed */
	L_PINX,     /* the same, holder and truncater on two CPUs */
	L_UNPIN,    /* pinfs truncate, no pin: one SETATTR round trip */
	L_PT,       /* passthrough_ll truncate: the same, another daemon */
	L_IOCTL,    /* one bare FUSE ioctl (PINFS_IOC_INFO) */
	L_COUNT
};

struct revoke_figs {
	struct lat_fig lat[L_COUNT];
	struct samples pin_ratio_1m; /* L_PIN p50 / L_K1M p50 */
	struct samples kernel_rate, info_rate, pin_rate, ratio_rate;
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
			   enum lease_placement where, unsigned iterations,
			   struct samples *lat)
{
	bool xcpu = where == LEASE_XCPU && o->ncpu > 1;
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
		/* placed by the scheduler, like the daemon's threads, or on
		 * CPU 1 (the truncater then on CPU 0) as the kernel's xcpu */
		_exit(holder_main(path, iterations + warm, go[0], ready[1],
				  xcpu ? 1 : -1));
	}
	close(go[0]);
	close(ready[1]);
	h_pid = cleanup_push_pid(pid);
	if (xcpu)
		stats_pin_cpu(0);
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
	if (xcpu)
		stats_unpin_cpu();
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

/* The floor: the same truncate with nobody holding the range (pinfs or
 * passthrough_ll: one SETATTR round trip), or (IOCTL) one bare INFO
 * ioctl round trip. */
enum floor_op { FLOOR_TRUNCATE, FLOOR_IOCTL };

static int floor_run(const char *path, enum floor_op op, unsigned iterations,
		     struct samples *lat)
{
	unsigned warm = iterations / 10 + 3;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (op == FLOOR_TRUNCATE) {
		buf = malloc(PIN_LEN);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
		memset(buf, 0x3C, PIN_LEN);
	}
	for (unsigned i = 0; i < iterations + warm && !ret; i++) {
		uint64_t t0, t1;

		if (op == FLOOR_TRUNCATE)
			ret = restore_range(fd, buf);
		if (ret)
			break;
		t0 = stats_now_ns();
		if (op == FLOOR_TRUNCATE)
			ret = ftruncate(fd, (off_t)PIN_OFF) < 0 ? -errno : 0;
		else
			ret = pinops_info(fd);
		t1 = stats_now_ns();
		if (!ret && i >= warm)
			ret = samples_add(lat, (double)(t1 - t0) / 1e3);
	}
out:
	close(fd);
	unlink(path);
	free(buf);
	return ret;
}

/* One slice: pairs of OP (two INFO ioctls, or PIN + UNPIN) for NS
 * nanoseconds; adds the pairs and the time taken. */
static int rate_slice(int fd, bool pin, uint64_t ns, uint64_t *pairs,
		      uint64_t *spent)
{
	uint64_t t0 = stats_now_ns(), t1 = t0, id;
	int ret = 0;

	while (!ret && t1 - t0 < ns) {
		for (int k = 0; k < 16 && !ret; k++, (*pairs)++) {
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
	*spent += t1 - t0;
	return ret;
}

#define RATE_SLICES 10

/*
 * Pairs per second of two INFO ioctls and (WITH_PIN) of PIN + UNPIN, in
 * RATE_SLICES interleaved slices each (info, pin, pin, info, ...), so
 * that both see the same background load: their ratio is then steady on
 * a busy machine even when each rate is not.
 */
static int pair_rates(const struct bench_opts *o, const char *path,
		      bool with_pin, double *info_rate, double *pin_rate)
{
	uint64_t slice = (uint64_t)(o->duration * 1e9) / RATE_SLICES;
	uint64_t pairs[2] = { 0, 0 }, spent[2] = { 0, 0 };
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
	if (!ret && with_pin)
		ret = pinops_lease(fd, 0, 0, HOLD_SIG);
	for (unsigned i = 0; i < 2 * RATE_SLICES && !ret; i++) {
		/* ABBA: info, pin, pin, info, info, pin, ... */
		bool pin = ((i + 1) / 2) % 2 == 1;

		if (pin && !with_pin)
			continue;
		ret = rate_slice(fd, pin, slice, &pairs[pin], &spent[pin]);
	}
	if (!ret) {
		*info_rate = (double)pairs[0] / ((double)spent[0] / 1e9);
		if (with_pin)
			*pin_rate = (double)pairs[1] / ((double)spent[1] / 1e9);
	}
	close(fd);
	unlink(path);
	return ret;
}

/* ---- the run ------------------------------------------------------------- */

/* One run's samples into figure F (p50, p99, all), freeing RUN. */
static void add_run(struct lat_fig *f, struct samples *run)
{
	samples_add(&f->p50, samples_pct(run, 50));
	samples_add(&f->p99, samples_pct(run, 99));
	for (size_t i = 0; i < run->n; i++)
		samples_add(&f->all, run->v[i]);
	samples_free(run);
}

static double last(const struct samples *s)
{
	return s->n ? s->v[s->n - 1] : 0;
}

/* Row R's ratio to its kernel reference, both of this repeat. */
static void add_ratio(struct revoke_figs *f, enum lat_row r,
		      enum lat_row kernel)
{
	if (f->lat[r].p50.n && f->lat[kernel].p50.n && last(&f->lat[kernel].p50))
		samples_add(&f->lat[r].ratio, last(&f->lat[r].p50) /
					      last(&f->lat[kernel].p50));
}

static int kernel_round(const struct bench_opts *o, struct revoke_figs *f)
{
	char path[512];
	struct samples run = { 0 };
	double rate;
	int ret, h;

	progress("revoke: kernel lease break (F_RDLCK)");
	ret = lease_break_run(o, o->workdir, F_RDLCK, LEASE_FREE,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_run(&f->lat[L_KRD], &run);
	progress("revoke: kernel lease break (F_WRLCK)");
	ret = lease_break_run(o, o->workdir, F_WRLCK, LEASE_FREE,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_run(&f->lat[L_KWR], &run);
	progress("revoke: kernel lease break (F_RDLCK, cross-CPU)");
	ret = lease_break_run(o, o->workdir, F_RDLCK, LEASE_XCPU,
			      o->iterations, &run);
	if (ret)
		return ret;
	add_run(&f->lat[L_KX], &run);
	progress("revoke: kernel lease break (F_RDLCK, the same 1 MiB cut)");
	ret = lease_break_cut_run(o, o->workdir, F_RDLCK, LEASE_FREE, PIN_LEN,
				  o->iterations, &run);
	if (ret)
		return ret;
	add_run(&f->lat[L_K1M], &run);
	add_ratio(f, L_K1M, L_KRD);
	progress("revoke: kernel truncate of 1 MiB, no lease (tmpfs)");
	snprintf(path, sizeof(path), "%s/pinfs-bench.%d.trunc", o->workdir,
		 (int)getpid());
	h = cleanup_push_file(path);
	ret = floor_run(path, FLOOR_TRUNCATE, o->iterations, &run);
	cleanup_undo(h);
	if (ret) {
		samples_free(&run);
		return ret;
	}
	add_run(&f->lat[L_KT], &run);
	add_ratio(f, L_KT, L_KRD);
	progress("revoke: kernel F_SETLEASE + F_UNLCK rate");
	ret = lease_rate_run(o, o->workdir, &rate);
	if (!ret)
		samples_add(&f->kernel_rate, rate);
	return ret;
}

/* One latency run of row R into F, or *why (when empty) says what failed. */
static void lat_step(int ret, struct revoke_figs *f, enum lat_row r,
		     enum lat_row kernel, struct samples *run, char *why,
		     size_t wlen, const char *what)
{
	if (ret) {
		samples_free(run);
		if (!why[0])
			snprintf(why, wlen, "%s: %s", what, strerror(-ret));
		return;
	}
	add_run(&f->lat[r], run);
	add_ratio(f, r, kernel);
}

/* One repeat on the mount; *why says what did not run. */
static void pinfs_round(const struct bench_opts *o, const char *mnt,
			struct revoke_figs *f, char *why, size_t wlen)
{
	char path[MOUNT_PATH + 32];
	struct samples run = { 0 };
	double info = 0, pin = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/revoke-bench", mnt);
	progress("revoke: two bare FUSE ioctls (PINFS_IOC_INFO), interleaved "
		 "with pin + unpin");
	ret = pair_rates(o, path, !pinops_missing(), &info, &pin);
	if (ret) {
		snprintf(why, wlen, "%s: %s",
			 pinops_missing() ? "PINFS_IOC_INFO" : "info/pin+unpin",
			 strerror(-ret));
		return;
	}
	samples_add(&f->info_rate, info);
	progress("revoke: one bare FUSE ioctl round trip (latency)");
	ret = floor_run(path, FLOOR_IOCTL, o->iterations, &run);
	lat_step(ret, f, L_IOCTL, L_KRD, &run, why, wlen, "ioctl latency");
	progress("revoke: pinfs truncate, nothing pinned");
	ret = floor_run(path, FLOOR_TRUNCATE, o->iterations, &run);
	lat_step(ret, f, L_UNPIN, L_KRD, &run, why, wlen, "unpinned truncate");
	if (pinops_missing()) {
		snprintf(why, wlen, "%s", pinops_missing());
		return;
	}
	samples_add(&f->pin_rate, pin);
	samples_add(&f->ratio_rate, pin / info);
	progress("revoke: pinfs truncate over a pinned range");
	ret = pinfs_break_run(o, path, LEASE_FREE, o->iterations, &run);
	lat_step(ret, f, L_PIN, L_KRD, &run, why, wlen, "truncate over a pin");
	if (!ret && f->lat[L_K1M].p50.n && last(&f->lat[L_K1M].p50))
		samples_add(&f->pin_ratio_1m, last(&f->lat[L_PIN].p50) /
						   last(&f->lat[L_K1M].p50));
	progress("revoke: pinfs truncate over a pinned range (cross-CPU)");
	ret = pinfs_break_run(o, path, LEASE_XCPU, o->iterations, &run);
	lat_step(ret, f, L_PINX, L_KX, &run, why, wlen,
		 "truncate over a pin, cross-CPU");
}

/* The same truncate through passthrough_ll (another FUSE daemon). */
static void passthrough_round(const struct bench_opts *o, const char *mnt,
			      struct revoke_figs *f, char *why, size_t wlen)
{
	char path[MOUNT_PATH + 32];
	struct samples run = { 0 };
	int ret;

	snprintf(path, sizeof(path), "%s/revoke-bench", mnt);
	progress("revoke: passthrough_ll truncate");
	ret = floor_run(path, FLOOR_TRUNCATE, o->iterations, &run);
	lat_step(ret, f, L_PT, L_KRD, &run, why, wlen, "passthrough truncate");
}

static const struct {
	const char *name, *note;
	uint64_t bs;
	enum lat_row kernel; /* the reference of the same placement */
} lat_rows[L_COUNT] = {
	[L_KRD] = { "kernel-lease-break-rdlck", NULL, 0, L_COUNT },
	[L_KWR] = { "kernel-lease-break-wrlck", NULL, 0, L_COUNT },
	[L_KX] = { "kernel-lease-break-rdlck-xcpu",
		   "holder and truncater pinned to two CPUs", 0, L_COUNT },
	[L_KT] = { "kernel-truncate-1m-nolease",
		   "tmpfs, the same 1 MiB cut as the pinfs rows, no lease",
		   PIN_LEN, L_KRD },
	[L_K1M] = { "kernel-lease-break-rdlck-1m",
		    "the same 1 MiB cut as the pinfs rows", PIN_LEN, L_KRD },
	[L_PIN] = { "pinfs-truncate-pinned", NULL, PIN_LEN, L_KRD },
	[L_PINX] = { "pinfs-truncate-pinned-xcpu",
		     "holder and truncater pinned to two CPUs; ratio to the "
		     "kernel's cross-CPU break", PIN_LEN, L_KX },
	[L_UNPIN] = { "floor-pinfs-truncate-unpinned",
		      "one SETATTR round trip, no holder", PIN_LEN, L_KRD },
	[L_PT] = { "floor-passthrough-truncate",
		   "libfuse passthrough_ll over tmpfs, no holder", PIN_LEN,
		   L_KRD },
	[L_IOCTL] = { "floor-fuse-ioctl",
		      "one bare PINFS_IOC_INFO round trip", 0, L_KRD },
};

static void fill(struct revoke_figs *f, const char *why, const char *pt_why)
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
		"truncate latency against a cooperative holder, and the floor (no holder; one bare ioctl); ratio = p50 / kernel F_RDLCK p50 of the same placement and repeat (goal for pinfs-truncate-pinned <= 2)",
		5, cl);
	struct report_table *tr = report_table_new("revoke", "rate",
		"pairs per second, the two measured in interleaved slices; ratio = pin+unpin / two PINFS_IOC_INFO (goal >= 0.8)",
		4, cr);
	struct report_row *r;
	struct summary krate = summary_of(&f->kernel_rate);
	struct summary info = summary_of(&f->info_rate);
	static const char *const dist[L_COUNT] = {
		[L_KRD] = "kernel lease break F_RDLCK",
		[L_KWR] = "kernel lease break F_WRLCK",
		[L_KX] = "kernel lease break F_RDLCK cross-CPU",
		[L_KT] = "tmpfs truncate of 1 MiB, no lease",
		[L_K1M] = "kernel lease break F_RDLCK, 1 MiB cut",
		[L_PIN] = "pinfs truncate over a pin",
		[L_PINX] = "pinfs truncate over a pin cross-CPU",
		[L_UNPIN] = "pinfs truncate, nothing pinned",
		[L_PT] = "passthrough_ll truncate",
		[L_IOCTL] = "one FUSE ioctl",
	};

	if (!tl || !tr)
		return;
	for (int i = 0; i < L_COUNT; i++) {
		struct lat_fig *l = &f->lat[i];
		enum lat_row k = lat_rows[i].kernel;

		r = report_row_add(tl, lat_rows[i].name, "warm", lat_rows[i].bs,
				   1, 0);
		if (!r)
			continue;
		report_set(tl, r, "p50_us", summary_of(&l->p50));
		report_set(tl, r, "p99_us", summary_of(&l->p99));
		if (k != L_COUNT) {
			report_set(tl, r, "kernel_p50_us",
				   summary_of(&f->lat[k].p50));
			report_set(tl, r, "kernel_p99_us",
				   summary_of(&f->lat[k].p99));
			report_set(tl, r, "ratio", summary_of(&l->ratio));
		}
		if (!l->p50.n)
			report_status(r, "%s", i == L_PT ? pt_why : why);
		else if (lat_rows[i].note)
			report_status(r, "%s", lat_rows[i].note);
	}
	/* the pinned truncate next to the kernel break of the same cut */
	r = report_row_add(tl, "pinfs-truncate-pinned-vs-1m", "warm", PIN_LEN,
			   1, 0);
	if (r) {
		report_set(tl, r, "p50_us", summary_of(&f->lat[L_PIN].p50));
		report_set(tl, r, "p99_us", summary_of(&f->lat[L_PIN].p99));
		report_set(tl, r, "kernel_p50_us", summary_of(&f->lat[L_K1M].p50));
		report_set(tl, r, "kernel_p99_us", summary_of(&f->lat[L_K1M].p99));
		report_set(tl, r, "ratio", summary_of(&f->pin_ratio_1m));
		report_status(r, "%s", f->lat[L_PIN].p50.n ?
			      "pinfs-truncate-pinned; kernel figures: kernel-lease-break-rdlck-1m" :
			      why);
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
	for (int i = 0; i < L_COUNT; i++)
		if (f->lat[i].all.n)
			report_dist_add("revoke", dist[i], &f->lat[i].all);
}

static void figs_free(struct revoke_figs *f)
{
	for (int i = 0; i < L_COUNT; i++) {
		samples_free(&f->lat[i].p50);
		samples_free(&f->lat[i].p99);
		samples_free(&f->lat[i].all);
		samples_free(&f->lat[i].ratio);
	}
	samples_free(&f->pin_ratio_1m);
	samples_free(&f->kernel_rate);
	samples_free(&f->info_rate);
	samples_free(&f->pin_rate);
	samples_free(&f->ratio_rate);
}

int bench_revoke(const struct bench_opts *o)
{
	struct revoke_figs f = { 0 };
	struct bench_mount m, pt;
	char why[200] = "", pt_why[200] = "";
	bool up, pt_up;
	int ret = 0;

	progress("revoke: starting pinfs");
	/* short break deadline: a holder that fails must not stall 45 s */
	up = mount_pinfs(o, 256ull << 20, "lease_break_time=5000", &m) == 0;
	if (!up)
		snprintf(why, sizeof(why), "%s", m.why);
	progress("revoke: starting passthrough_ll");
	mount_clear(&pt);
	pt_up = mount_passthrough(o, &pt) == 0;
	if (!pt_up)
		snprintf(pt_why, sizeof(pt_why), "%s", pt.why);
	for (unsigned rep = 0; rep < o->repeat; rep++) {
		ret = kernel_round(o, &f);
		if (ret) {
			fprintf(stderr, "pinfs-bench: kernel lease run: %s\n",
				strerror(-ret));
			break;
		}
		if (up && !why[0])
			pinfs_round(o, m.dir, &f, why, sizeof(why));
		if (pt_up && !pt_why[0])
			passthrough_round(o, pt.dir, &f, pt_why,
					  sizeof(pt_why));
	}
	mount_stop(&pt);
	mount_stop(&m);
	fill(&f, why, pt_why);
	figs_free(&f);
	return ret;
}
