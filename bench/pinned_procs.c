/* SPDX-License-Identifier: MIT */
/*
 * pinned_procs.c - the multi-process runs of `pinfs-bench pinned`.
 *
 * holders: N processes each pin (or, for the raw row, take) a disjoint
 *   slice of one file and copy into it at once; aggregate GB/s.
 * revocation: one holder writes at full speed into a pinned range while a
 *   puncher and a truncater change the file elsewhere and inside the
 *   pinned range; on each break the holder unpins, re-allocates the range
 *   and re-pins.  Throughput, number of breaks, and stall per break (from
 *   seeing the break to writing again), next to the same writes into the
 *   raw mapping, where nothing is revoked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "pinned.h"
#include "pinsrc.h"
#include "report.h"
#include "stats.h"

#define PROC_WAIT_MS 20000
#define HOLDERS_MAX 64
#define STALLS_MAX 4096
#define BREAK_SIG (SIGRTMIN + 3)
#define REVOKE_BS (64u << 10)
#define DISTURB_NS (50ull * 1000000ull) /* one change every 50 ms */

struct proc_report {
	int err;
	uint32_t nstalls;
	uint64_t bytes;
	uint64_t ns;
	uint64_t breaks;
	double stall_us[STALLS_MAX];
};

static int wait_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, ms);

	if (r == 0)
		return -ETIMEDOUT;
	return r < 0 ? -errno : 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n;
		int ret = wait_fd(fd, PROC_WAIT_MS);

		if (ret)
			return ret;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void send_report(int fd, struct proc_report *r)
{
	size_t len = offsetof(struct proc_report, stall_us) +
		     r->nstalls * sizeof(double);
	/* a pipe write of this size may be split; write it all */
	char *p = (char *)r;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static int recv_report(int fd, struct proc_report *r)
{
	size_t head = offsetof(struct proc_report, stall_us);
	int ret = read_full(fd, r, head);

	if (ret)
		return ret;
	if (r->nstalls > STALLS_MAX)
		return -EPROTO;
	return read_full(fd, r->stall_us, r->nstalls * sizeof(double));
}

/* ---- holders on disjoint ranges ------------------------------------------ */

struct holder_job {
	struct pinned_ctx *c;
	bool pinned;
	const char *file;
	size_t slice;
	size_t block;
};

static int holder_child(const struct holder_job *j, unsigned i, int go,
			int out)
{
	const struct bench_opts *o = j->c->o;
	struct proc_report *r = calloc(1, sizeof(*r));
	struct pinned_target t;
	struct pinsrc *s = NULL;
	struct copy_params p = {
		.fn = region_copy_fn(j->c->raw, REGION_COPY_NT),
		.block = j->block, .threads = 1, .duration = o->duration,
		.phase = COPY_WARM, .pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
		.first_cpu = i,
	};
	struct copy_result res;
	char c = 'R';

	if (!r)
		return ENOMEM;
	if (j->pinned) {
		r->err = pinsrc_open(j->file, 0, &s);
		if (!r->err)
			r->err = pinsrc_pin(s, (uint64_t)i * j->slice, j->slice,
					    &t);
	} else {
		t = region_target(j->c->raw);
		t.base = (char *)t.base + (size_t)i * j->slice;
		t.len = j->slice;
	}
	if (write(out, &c, 1) != 1 || read_full(go, &c, 1) < 0)
		return EPIPE;
	if (!r->err)
		r->err = copy_run(&t, &p, &res);
	if (!r->err) {
		r->bytes = res.bytes;
		r->ns = res.ns;
	}
	if (j->pinned && s) {
		pinsrc_unpin(&t);
		pinsrc_close(&s);
	}
	send_report(out, r);
	return 0;
}

/* Run n holder processes: aggregate GB/s, or -errno. */
static int holders_run(const struct holder_job *j, unsigned n, double *gbps)
{
	int go[2], out[HOLDERS_MAX], h[HOLDERS_MAX], ret = 0;
	struct proc_report *r = calloc(1, sizeof(*r));
	pid_t pid[HOLDERS_MAX];
	uint64_t bytes = 0, ns = 0;
	unsigned started = 0;

	if (!r)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC) < 0) {
		free(r);
		return -errno;
	}
	for (unsigned i = 0; i < n; i++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0) {
			ret = -errno;
			break;
		}
		pid[i] = fork();
		if (pid[i] < 0) {
			ret = -errno;
			close(p[0]);
			close(p[1]);
			break;
		}
		if (pid[i] == 0) {
			close(p[0]);
			_exit(holder_child(j, i, go[0], p[1]));
		}
		close(p[1]);
		out[i] = p[0];
		h[i] = cleanup_push_pid(pid[i]);
		started++;
	}
	for (unsigned i = 0; i < started && !ret; i++) {
		char c;

		ret = read_full(out[i], &c, 1);
	}
	if (!ret) {
		char gob[HOLDERS_MAX];

		memset(gob, 'G', n);
		if (write(go[1], gob, n) != (ssize_t)n)
			ret = -EPIPE;
	}
	for (unsigned i = 0; i < started; i++) {
		if (!ret) {
			ret = recv_report(out[i], r);
			if (!ret && r->err)
				ret = r->err;
			bytes += r->bytes;
			ns = r->ns > ns ? r->ns : ns;
		}
		close(out[i]);
	}
	close(go[0]);
	close(go[1]);
	/* each holder exits once it reported; one that hangs is stopped */
	for (int i = (int)started - 1; i >= 0; i--)
		if (cleanup_wait(h[i], ret ? 0 : 5000) != 0 && !ret)
			ret = -ECHILD;
	free(r);
	if (!ret)
		*gbps = ns ? (double)bytes / (double)ns : 0;
	return ret;
}

void pinned_holders(struct pinned_ctx *c)
{
	static const struct report_col cols[] = {
		{ "pinned_gbps", UNIT_GBPS }, { "raw_gbps", UNIT_GBPS },
		{ "ratio", UNIT_RATIO },
	};
	const struct bench_opts *o = c->o;
	struct report_table *t = report_table_new("pinned", "holders",
		"processes pinning disjoint ranges of one file at once, each "
		"copying (memcpy NT + persist); aggregate", 3, cols);
	unsigned n = o->holders < HOLDERS_MAX ? o->holders : HOLDERS_MAX;
	size_t slice = o->size / n / (2u << 20) * (2u << 20);
	size_t bs = (size_t)o->sizes.v[o->sizes.n - 1];
	struct samples raw = { 0 }, pin = { 0 }, ratio = { 0 };
	struct holder_job j = { .c = c, .slice = slice, .block = bs };
	char file[MOUNT_PATH + 32], why[200];
	struct report_row *r;
	int ret = 0;

	if (!t)
		return;
	snprintf(why, sizeof(why), "%s", c->why);
	if (slice < bs) {
		snprintf(why, sizeof(why), "--size too small for %u holders", n);
		ret = -EINVAL;
	}
	if (!ret && c->pinfs_up && !pinsrc_missing()) {
		ret = pinned_make_file(c, o->size, true, file, sizeof(file));
		if (ret)
			snprintf(why, sizeof(why), "file on pinfs: %s",
				 strerror(-ret));
		j.file = file;
	}
	for (unsigned rep = 0; rep < o->repeat && slice >= bs; rep++) {
		double rg, pg;

		progress("pinned: %u holders, run %u/%u", n, rep + 1, o->repeat);
		j.pinned = false;
		if (holders_run(&j, n, &rg) < 0)
			break;
		samples_add(&raw, rg);
		if (!j.file || ret)
			continue;
		j.pinned = true;
		ret = holders_run(&j, n, &pg);
		if (ret) {
			snprintf(why, sizeof(why), "pinned holders: %s",
				 strerror(-ret));
			continue;
		}
		samples_add(&pin, pg);
		samples_add(&ratio, pg / rg);
	}
	r = report_row_add(t, "holders", "warm", bs, n, 0);
	if (r) {
		report_set(t, r, "raw_gbps", summary_of(&raw));
		report_set(t, r, "pinned_gbps", summary_of(&pin));
		report_set(t, r, "ratio", summary_of(&ratio));
		if (!pin.n)
			report_status(r, "%s", why);
	}
	samples_free(&raw);
	samples_free(&pin);
	samples_free(&ratio);
}

/* ---- throughput under revocation ----------------------------------------- */

static void nap_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/* Changes the file outside [0, pin) and inside it, until end.
 * kind 0: punch holes; kind 1: truncate (and extend back). */
static int disturber(const char *file, uint64_t pin, uint64_t size, int kind,
		     uint64_t end)
{
	const uint64_t mb = 1u << 20;
	int fd = open(file, O_RDWR | O_CLOEXEC);
	unsigned k = 0;

	if (fd < 0)
		return errno;
	while (stats_now_ns() < end) {
		bool inside = k++ & 1;
		uint64_t where = ((k / 2) * mb) % (inside ? pin : size - pin);

		if (kind == 0) {
			off_t off = (off_t)(inside ? where : pin + where);

			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, off, (off_t)mb) < 0)
				return errno;
		} else {
			/* outside: cut the tail; inside: cut into the pin */
			off_t to = (off_t)(inside ? pin - mb : size - mb);

			if (ftruncate(fd, to) < 0 ||
			    ftruncate(fd, (off_t)size) < 0)
				return errno;
		}
		nap_ns(DISTURB_NS);
	}
	return 0;
}

/* The holder: write, and on each break unpin, re-allocate, re-pin. */
static int revoke_holder(struct pinned_ctx *c, const char *file, uint64_t pin,
			 int go, int out)
{
	const struct bench_opts *o = c->o;
	struct proc_report *r = calloc(1, sizeof(*r));
	struct copy_params p = {
		.fn = region_copy_fn(c->raw, REGION_COPY_NT),
		.block = REVOKE_BS, .threads = 1, .phase = COPY_STREAM,
		.pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
	};
	struct pinned_target t = { 0 };
	struct pinsrc *s = NULL;
	uint64_t t0, end;
	char ch = 'R';
	int fd;

	if (!r)
		return ENOMEM;
	fd = open(file, O_RDWR | O_CLOEXEC);
	r->err = fd < 0 ? -errno : pinsrc_open(file, BREAK_SIG, &s);
	if (!r->err)
		r->err = pinsrc_lease(s, 0, 0);
	if (!r->err)
		r->err = pinsrc_pin(s, 0, pin, &t);
	if (write(out, &ch, 1) != 1 || read_full(go, &ch, 1) < 0)
		return EPIPE;
	t0 = stats_now_ns();
	end = t0 + (uint64_t)(o->duration * 1e9);
	while (!r->err && stats_now_ns() < end) {
		struct copy_result res;
		uint64_t tb;

		p.duration = (double)(end - stats_now_ns()) / 1e9;
		r->err = copy_run(&t, &p, &res);
		r->bytes += res.bytes;
		if (r->err || !res.broken)
			break;
		tb = stats_now_ns();
		r->breaks++;
		pinsrc_unpin(&t);
		for (;;) {
			/* the range may be a hole or past EOF now */
			int ret = fallocate(fd, 0, 0, (off_t)pin) < 0 ? -errno :
				  pinsrc_pin(s, 0, pin, &t);

			if (!ret)
				break;
			if (stats_now_ns() >= end + 5000000000ull) {
				r->err = ret;
				break;
			}
			nap_ns(100000);
		}
		if (r->nstalls < STALLS_MAX)
			r->stall_us[r->nstalls++] =
				(double)(stats_now_ns() - tb) / 1e3;
	}
	r->ns = stats_now_ns() - t0;
	if (t.owner)
		pinsrc_unpin(&t);
	pinsrc_close(&s);
	send_report(out, r);
	return 0;
}

/* Fork fn-children: holder, puncher, truncater; collect the holder's
 * report. */
static int revocation_run(struct pinned_ctx *c, const char *file, uint64_t pin,
			  uint64_t size, struct proc_report *rep)
{
	int go[2], out[2], h[3], st, ret = 0;
	pid_t pid[3];
	uint64_t end;
	char ch;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	pid[0] = fork();
	if (pid[0] == 0) {
		close(out[0]);
		_exit(revoke_holder(c, file, pin, go[0], out[1]));
	}
	close(out[1]);
	h[0] = pid[0] > 0 ? cleanup_push_pid(pid[0]) : -1;
	if (pid[0] < 0 || read_full(out[0], &ch, 1) < 0) {
		ret = -ECHILD;
		goto out;
	}
	end = stats_now_ns() + (uint64_t)(c->o->duration * 1e9);
	for (int k = 0; k < 2; k++) {
		pid[k + 1] = fork();
		if (pid[k + 1] == 0)
			_exit(disturber(file, pin, size, k, end));
		h[k + 1] = pid[k + 1] > 0 ? cleanup_push_pid(pid[k + 1]) : -1;
	}
	if (write(go[1], "G", 1) != 1)
		ret = -EPIPE;
	if (!ret)
		ret = recv_report(out[0], rep);
	if (!ret && rep->err)
		ret = rep->err;
	for (int k = 2; k >= 1; k--) {
		if (pid[k] <= 0)
			continue;
		/* a disturber ends at the deadline; a blocked one is killed */
		for (int i = 0; i < 500; i++) {
			if (waitpid(pid[k], &st, WNOHANG) == pid[k]) {
				cleanup_forget(h[k]);
				h[k] = -1;
				if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st)))
					ret = WIFEXITED(st) ?
					      -WEXITSTATUS(st) : -ECHILD;
				break;
			}
			usleep(10000);
		}
		cleanup_undo(h[k]);
	}
out:
	if (cleanup_wait(h[0], ret ? 0 : 5000) != 0 && !ret)
		ret = -ECHILD;
	close(out[0]);
	close(go[0]);
	close(go[1]);
	return ret;
}

void pinned_revocation(struct pinned_ctx *c)
{
	static const struct report_col cols[] = {
		{ "pinned_gbps", UNIT_GBPS }, { "raw_gbps", UNIT_GBPS },
		{ "ratio", UNIT_RATIO }, { "breaks", UNIT_COUNT },
		{ "stall_p50_us", UNIT_US }, { "stall_max_us", UNIT_US },
	};
	const struct bench_opts *o = c->o;
	struct report_table *t = report_table_new("pinned", "revocation",
		"one holder writing (memcpy NT + persist) while others punch and "
		"truncate in and outside its pin; it re-pins after each break",
		6, cols);
	uint64_t pin = o->size / 2 / (2u << 20) * (2u << 20);
	struct samples raw = { 0 }, pg = { 0 }, ratio = { 0 }, brk = { 0 };
	struct samples s50 = { 0 }, smax = { 0 }, all = { 0 };
	struct proc_report *rep = calloc(1, sizeof(*rep));
	char file[MOUNT_PATH + 32], why[200];
	struct report_row *r;
	bool can = c->pinfs_up && !pinsrc_missing() && pin >= (2u << 20);
	int ret = 0;

	if (!t || !rep) {
		free(rep);
		return;
	}
	snprintf(why, sizeof(why), "%s", pin < (2u << 20) ?
		 "--size too small" : c->why);
	if (can) {
		ret = pinned_make_file(c, 2 * pin, true, file, sizeof(file));
		if (ret) {
			snprintf(why, sizeof(why), "file on pinfs: %s",
				 strerror(-ret));
			can = false;
		}
	}
	for (unsigned k = 0; k < o->repeat; k++) {
		struct pinned_target raw_t = region_target(c->raw);
		struct copy_params p = {
			.fn = region_copy_fn(c->raw, REGION_COPY_NT),
			.block = REVOKE_BS, .threads = 1, .phase = COPY_STREAM,
			.duration = o->duration,
			.pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
		};
		struct copy_result res;
		double rg;

		progress("pinned: revocation, run %u/%u", k + 1, o->repeat);
		raw_t.len = pin < raw_t.len ? pin : raw_t.len;
		if (copy_run(&raw_t, &p, &res) < 0)
			break;
		rg = copy_gbps(&res);
		samples_add(&raw, rg);
		if (!can)
			continue;
		ret = revocation_run(c, file, pin, 2 * pin, rep);
		if (ret) {
			snprintf(why, sizeof(why), "revocation run: %s",
				 strerror(-ret));
			can = false;
			continue;
		}
		samples_add(&pg, rep->ns ? (double)rep->bytes / (double)rep->ns :
					   0);
		samples_add(&ratio, pg.v[pg.n - 1] / rg);
		samples_add(&brk, (double)rep->breaks);
		{
			struct samples st = { 0 };

			for (uint32_t i = 0; i < rep->nstalls; i++) {
				samples_add(&st, rep->stall_us[i]);
				samples_add(&all, rep->stall_us[i]);
			}
			if (st.n) {
				samples_add(&s50, samples_pct(&st, 50));
				samples_add(&smax, samples_pct(&st, 100));
			}
			samples_free(&st);
		}
	}
	r = report_row_add(t, "revocation", "warm", REVOKE_BS, 1, 0);
	if (r) {
		report_set(t, r, "raw_gbps", summary_of(&raw));
		report_set(t, r, "pinned_gbps", summary_of(&pg));
		report_set(t, r, "ratio", summary_of(&ratio));
		report_set(t, r, "breaks", summary_of(&brk));
		report_set(t, r, "stall_p50_us", summary_of(&s50));
		report_set(t, r, "stall_max_us", summary_of(&smax));
		if (!pg.n)
			report_status(r, "%s", why);
	}
	if (all.n)
		report_dist_add("pinned", "stall per break (re-pin)", &all);
	samples_free(&raw);
	samples_free(&pg);
	samples_free(&ratio);
	samples_free(&brk);
	samples_free(&s50);
	samples_free(&smax);
	samples_free(&all);
	free(rep);
}
