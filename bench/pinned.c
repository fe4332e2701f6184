/* SPDX-License-Identifier: MIT */
/*
 * pinned.c - `pinfs-bench pinned`: writes into a pinned range of a pinfs
 * file next to the same writes into the raw region mapping.
 *
 * Rows, each with pinned_gbps, raw_gbps and their ratio from the same
 * repeat (raw and pinned alternate in legs within a repeat), and the same
 * per CPU-second of the measured threads.  The raw side is the pinned
 * range's own region pages mapped by libpmem2 (--raw-side file: a
 * separate raw file), so that both sides write the same memory:
 *   cpu-nt / cpu-default: libpmem2 memcpy (NONTEMPORAL / default flags)
 *     + persist, every block size, every thread count, warm; and cold
 *     (first touch) at the largest block size;
 *   uring-read-fixed: the target registered as io_uring fixed buffers and
 *     filled with READ_FIXED from a tmpfs file, every queue depth;
 * then pinned_procs.c: holders, revocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "copy.h"
#include "pinned.h"
#include "pinsrc.h"
#include "report.h"
#include "stats.h"
#include "uring.h"

int pinned_make_file(struct pinned_ctx *c, uint64_t len, bool fill,
		     char *buf, size_t blen)
{
	const size_t chunk = 1u << 20;
	char *data = NULL;
	int fd, ret = 0;

	snprintf(buf, blen, "%s/pinned-%u", c->mnt.dir, c->files++);
	fd = open(buf, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (!fill && fallocate(fd, 0, 0, (off_t)len) == 0)
		goto out;
	/* write it: allocates the extents (and touches the region pages) */
	data = malloc(chunk);
	if (!data) {
		ret = -ENOMEM;
		goto out;
	}
	memset(data, 0x77, chunk);
	for (uint64_t off = 0; off < len && !ret; off += chunk) {
		size_t n = len - off < chunk ? (size_t)(len - off) : chunk;

		if (pwrite(fd, data, n, (off_t)off) != (ssize_t)n)
			ret = -EIO;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	free(data);
out:
	close(fd);
	return ret;
}

/* ---- CPU stores ---------------------------------------------------------- */

/* Wall-clock GB/s and their ratio (the goals), then the same per CPU
 * second the measured threads ran (the submitter and io-wq workers for
 * io_uring): time other tasks take from them on a loaded machine is not
 * in those, so their ratio shows what pinning costs under load too. */
static const struct report_col pin_cols[] = {
	{ "pinned_gbps", UNIT_GBPS }, { "raw_gbps", UNIT_GBPS },
	{ "ratio", UNIT_RATIO },
	{ "pinned_cpu_gbps", UNIT_GBPS }, { "raw_cpu_gbps", UNIT_GBPS },
	{ "cpu_ratio", UNIT_RATIO },
};
#define PIN_NCOLS 6

struct pair {
	struct samples raw, pin, ratio;
	struct samples raw_cpu, pin_cpu, ratio_cpu;
};

/* What one side of a pair did over its legs. */
struct side_sum {
	uint64_t bytes, ns, cpu_ns;
	unsigned threads; /* the CPU time is per thread (CPU stores) */
};

static void side_add(struct side_sum *s, uint64_t bytes, uint64_t ns,
		     uint64_t cpu_ns)
{
	s->bytes += bytes;
	s->ns += ns;
	s->cpu_ns += cpu_ns;
}

static double side_gbps(const struct side_sum *s)
{
	return s->ns ? (double)s->bytes / (double)s->ns : 0;
}

static double side_cpu_gbps(const struct side_sum *s)
{
	unsigned n = s->threads ? s->threads : 1;

	return s->cpu_ns ? (double)s->bytes * n / (double)s->cpu_ns : 0;
}

/* Record one repeat: side 0 raw, side 1 pinned (has_pin false: raw only). */
static void pair_add(struct pair *p, const struct side_sum *sd, bool has_pin)
{
	double rg = side_gbps(&sd[0]), rc = side_cpu_gbps(&sd[0]);

	samples_add(&p->raw, rg);
	if (rc > 0)
		samples_add(&p->raw_cpu, rc);
	if (!has_pin || !sd[1].ns)
		return;
	samples_add(&p->pin, side_gbps(&sd[1]));
	samples_add(&p->ratio, side_gbps(&sd[1]) / rg);
	if (rc > 0 && sd[1].cpu_ns) {
		samples_add(&p->pin_cpu, side_cpu_gbps(&sd[1]));
		samples_add(&p->ratio_cpu, side_cpu_gbps(&sd[1]) / rc);
	}
}

static void pair_fill(struct report_table *t, struct report_row *r,
		      struct pair *p, const char *why)
{
	if (!r)
		return;
	report_set(t, r, "raw_gbps", summary_of(&p->raw));
	report_set(t, r, "pinned_gbps", summary_of(&p->pin));
	report_set(t, r, "ratio", summary_of(&p->ratio));
	report_set(t, r, "raw_cpu_gbps", summary_of(&p->raw_cpu));
	report_set(t, r, "pinned_cpu_gbps", summary_of(&p->pin_cpu));
	report_set(t, r, "cpu_ratio", summary_of(&p->ratio_cpu));
	if (!p->pin.n && why[0])
		report_status(r, "%s", why);
	samples_free(&p->raw);
	samples_free(&p->pin);
	samples_free(&p->ratio);
	samples_free(&p->raw_cpu);
	samples_free(&p->pin_cpu);
	samples_free(&p->ratio_cpu);
}

/* The raw side of the warm rows: the pinned range's own region pages
 * when they could be mapped, else the raw region file. */
static struct pinned_target raw_side(const struct pinned_ctx *c)
{
	return region_target(c->same ? c->same : c->raw);
}

/*
 * One repeat of a pair runs in PAIR_LEGS legs of 2 * duration / PAIR_LEGS
 * each, in the order raw, pinned, pinned, raw, raw, pinned, pinned, raw
 * (mirrored on odd repeats): a drift or a burst of load during the repeat
 * weighs on both sides alike, and neither side always goes first.
 */
#define PAIR_LEGS 8

/* The side of leg i of repeat rep: 0 raw, 1 pinned. */
static int pair_side(int leg, unsigned rep)
{
	return (((leg + 1) / 2) & 1) ^ (int)(rep & 1);
}

/* sd[0] raw, sd[1] pinned: what each side did over its legs.  pin NULL:
 * raw legs only.  A side's first leg makes its untimed pass over the
 * target, the later legs copy on where the target already is warm. */
static int cpu_pair(const struct pinned_target *raw,
		    const struct pinned_target *pin, const struct copy_params *p,
		    unsigned rep, struct side_sum *sd)
{
	struct copy_params leg_p = *p;
	bool warmed[2] = { false, false };
	struct copy_result res;
	int ret = 0;

	leg_p.duration = p->duration * 2 / PAIR_LEGS;
	for (int leg = 0; leg < PAIR_LEGS && !ret; leg++) {
		int side = pair_side(leg, rep);

		if (side && !pin)
			continue;
		leg_p.phase = warmed[side] ? COPY_STREAM : COPY_WARM;
		warmed[side] = true;
		ret = copy_run(side ? pin : raw, &leg_p, &res);
		if (!ret)
			side_add(&sd[side], res.bytes, res.ns, res.cpu_ns);
	}
	return ret;
}

static int cpu_row(struct pinned_ctx *c, struct pinned_target *pt,
		   enum region_copy k, size_t bs, unsigned thr,
		   struct report_table *t)
{
	const struct bench_opts *o = c->o;
	struct pinned_target raw = raw_side(c);
	struct copy_params p = {
		.fn = region_copy_fn(c->raw, k), .block = bs, .threads = thr,
		.duration = o->duration, .phase = COPY_WARM,
		.pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
	};
	struct pair pr = { 0 };
	char **src = NULL, b[16];
	int ret;

	/* both sides copy from the same source buffers */
	ret = copy_sources_new(thr, bs, &src);
	p.src = src;
	for (unsigned rep = 0; rep < o->repeat && !ret; rep++) {
		struct side_sum sd[2] = { { .threads = thr }, { .threads = thr } };

		progress("pinned: cpu %s %s x%u, run %u/%u", p.fn.name,
			 report_bytes(bs, b, sizeof(b)), thr, rep + 1,
			 o->repeat);
		ret = cpu_pair(&raw, pt, &p, rep, sd);
		if (!ret)
			pair_add(&pr, sd, pt != NULL);
	}
	copy_sources_free(&src, thr);
	snprintf(b, sizeof(b), "cpu-%s", p.fn.name);
	pair_fill(t, report_row_add(t, b, "warm", bs, thr, 0), &pr, c->why);
	return ret;
}

#define PIECES_MAX 4096u

/* Cold, without pinfs: a fresh raw file per repeat, one pass. */
static int cold_raw_file(struct pinned_ctx *c, const struct copy_params *p,
			 struct side_sum *sd)
{
	const struct bench_opts *o = c->o;
	char path[MOUNT_PATH + 16];
	struct pinned_target tgt;
	struct copy_result res;
	struct region *r;
	int h = -1, ret;

	snprintf(path, sizeof(path), "%s.cold", c->raw_path);
	if (!region_is_devdax(c->raw_path))
		h = cleanup_push_file(path);
	ret = region_map(region_is_devdax(c->raw_path) ? c->raw_path : path,
			 o->size, true, &r);
	if (ret) {
		cleanup_undo(h);
		return ret;
	}
	tgt = region_target(r);
	ret = copy_run(&tgt, p, &res);
	region_unmap(&r);
	cleanup_undo(h);
	if (!ret)
		side_add(sd, res.bytes, res.ns, res.cpu_ns);
	return ret;
}

/*
 * Cold, with pinfs: a fresh preallocated file is pinned (the daemon then
 * writes zeros over its blocks, touching their region pages), and the
 * same region pages are mapped by libpmem2 for the raw side.  Before each
 * side's one timed pass the pages are punched out of the region file, so
 * both sides first-touch pages nobody has touched (on tmpfs: allocate and
 * zero a page per fault), at the same region offsets.  Two passes per
 * side, in the order raw, pinned, pinned, raw (mirrored on odd repeats).
 */
static int cold_pair(struct pinned_ctx *c, const struct copy_params *p,
		     unsigned rep, struct side_sum *sd)
{
	const struct bench_opts *o = c->o;
	struct target_piece *pc = calloc(PIECES_MAX, sizeof(*pc));
	char fpath[MOUNT_PATH + 32] = "";
	struct pinned_target pin, raw;
	struct region *r = NULL;
	struct copy_result res = { 0 };
	struct pinsrc *s = NULL;
	int n = 0, ret;

	if (!pc)
		return -ENOMEM;
	ret = pinned_make_file(c, o->size, false, fpath, sizeof(fpath));
	if (!ret)
		ret = pinsrc_open(fpath, 0, &s);
	if (!ret)
		ret = pinsrc_pin(s, 0, o->size, &pin);
	if (ret)
		goto out;
	n = pinsrc_pieces(s, &pin, pc, PIECES_MAX);
	ret = n < 0 ? n : region_map_pieces(c->mnt.src, pc, (unsigned)n,
					      o->size, &r);
	if (!ret)
		raw = region_target(r);
	/* four passes: raw, pinned, pinned, raw (mirrored on odd repeats) */
	for (int leg = 0; leg < 4 && !ret; leg++) {
		int side = ((leg == 1 || leg == 2) ? 1 : 0) ^ (int)(rep & 1);

		ret = region_punch(c->mnt.src, pc, (unsigned)n);
		if (!ret)
			ret = copy_run(side ? &pin : &raw, p, &res);
		if (ret)
			break;
		side_add(&sd[side], res.bytes, res.ns, res.cpu_ns);
	}
	region_unmap(&r);
	pinsrc_unpin(&pin);
out:
	pinsrc_close(&s);
	if (fpath[0])
		unlink(fpath);
	free(pc);
	return ret;
}

static int cold_row(struct pinned_ctx *c, enum region_copy k, size_t bs,
		    unsigned thr, struct report_table *t)
{
	const struct bench_opts *o = c->o;
	struct copy_params p = {
		.fn = region_copy_fn(c->raw, k), .block = bs, .threads = thr,
		.phase = COPY_COLD, .pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
	};
	bool pinned = c->pinfs_up && !pinsrc_missing();
	struct pair pr = { 0 };
	char b[16];
	int ret = 0;

	for (unsigned rep = 0; rep < o->repeat && !ret; rep++) {
		struct side_sum sd[2] = { { .threads = thr }, { .threads = thr } };

		progress("pinned: cold cpu %s %s x%u, run %u/%u", p.fn.name,
			 report_bytes(bs, b, sizeof(b)), thr, rep + 1,
			 o->repeat);
		ret = pinned ? cold_pair(c, &p, rep, sd) :
			       cold_raw_file(c, &p, &sd[0]);
		if (!ret)
			pair_add(&pr, sd, pinned);
	}
	snprintf(b, sizeof(b), "cpu-%s", p.fn.name);
	pair_fill(t, report_row_add(t, b, "cold", bs, thr, 0), &pr, c->why);
	return ret;
}

/* ---- io_uring fixed buffers ---------------------------------------------- */

static int uring_rows(struct pinned_ctx *c, struct pinned_target *pt)
{
	const struct bench_opts *o = c->o;
	struct report_table *t = report_table_new("pinned", "uring",
		"io_uring READ_FIXED fills from a tmpfs file into the target "
		"registered as fixed buffers (goal: ratio >= 0.9)", PIN_NCOLS,
		pin_cols);
	struct pinned_target raw = raw_side(c);
	size_t src_len = o->size < (256ull << 20) ? o->size : 256ull << 20;
	size_t bs = o->quick ? 1u << 20 : 1u << 20;
	char src[MOUNT_PATH + 16];
	int fd, h, ret = 0;
	char *buf;

	if (!t)
		return -ENOMEM;
	/* the source lives on tmpfs whatever --workdir says */
	snprintf(src, sizeof(src), "%s/pinfs-bench.%d.src",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : o->workdir,
		 (int)getpid());
	fd = open(src, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	h = cleanup_push_file(src);
	buf = malloc(1u << 20);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	memset(buf, 0xC3, 1u << 20);
	for (size_t off = 0; off < src_len && !ret; off += 1u << 20)
		if (pwrite(fd, buf, 1u << 20, (off_t)off) != 1 << 20)
			ret = -EIO;
	free(buf);
	for (unsigned q = 0; q < o->qdepth.n && !ret; q++) {
		struct uring_params p = {
			.src_fd = fd, .src_len = src_len, .block = bs,
			.queue_depth = (unsigned)o->qdepth.v[q],
			.duration = o->duration,
			.pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
		};
		struct uring_params leg_p = p;
		bool pin_ok = pt != NULL;
		struct uring_result res;
		struct pair pr = { 0 };
		char why[200];

		leg_p.duration = p.duration * 2 / PAIR_LEGS;

		snprintf(why, sizeof(why), "%s", c->why);
		for (unsigned rep = 0; rep < o->repeat && !ret; rep++) {
			struct side_sum sd[2] = { { 0 }, { 0 } };
			bool failed = false;

			progress("pinned: io_uring qd %u, run %u/%u",
				 p.queue_depth, rep + 1, o->repeat);
			/* legs in the order of cpu_pair() */
			for (int leg = 0; leg < PAIR_LEGS && !failed; leg++) {
				int side = pair_side(leg, rep);
				/* a medium io_uring cannot pin (ext4, FUSE
				 * mappings: EFAULT) fails the row, not the run */
				int rr;

				if (side && !pin_ok)
					continue;
				rr = uring_fill_run(side ? pt : &raw, &leg_p,
						    &res);
				if (rr < 0 && side) {
					snprintf(why, sizeof(why),
						 "registering the pinned range: %s",
						 strerror(-rr));
					pin_ok = false;
					continue;
				}
				if (rr < 0) {
					snprintf(why, sizeof(why),
						 "io_uring on the raw mapping: %s",
						 strerror(-rr));
					failed = true;
					break;
				}
				side_add(&sd[side], res.bytes, res.ns,
					 res.cpu_ns);
			}
			if (failed || !sd[0].ns)
				break;
			pair_add(&pr, sd, pin_ok);
		}
		pair_fill(t, report_row_add(t, "uring-read-fixed", "warm", bs, 1,
					    p.queue_depth), &pr, why);
	}
out:
	close(fd);
	cleanup_undo(h);
	return ret;
}

/* ---- the mode ------------------------------------------------------------ */

static int cpu_rows(struct pinned_ctx *c, struct pinned_target *pt)
{
	const struct bench_opts *o = c->o;
	size_t big = (size_t)o->sizes.v[o->sizes.n - 1];
	struct report_table *t;
	char title[128];
	int ret = 0;

	snprintf(title, sizeof(title), "libpmem2 memcpy + persist into the "
		 "target, %s granularity (goal: ratio >= 0.95)",
		 region_granularity(c->raw));
	t = report_table_new("pinned", "cpu", title, PIN_NCOLS, pin_cols);
	if (!t)
		return -ENOMEM;
	for (unsigned ti = 0; ti < o->threads.n && !ret; ti++) {
		unsigned thr = (unsigned)o->threads.v[ti];

		for (int k = REGION_COPY_NT; k <= REGION_COPY_DEFAULT && !ret;
		     k++)
			for (unsigned si = 0; si < o->sizes.n && !ret; si++)
				ret = cpu_row(c, pt, (enum region_copy)k,
					      (size_t)o->sizes.v[si], thr, t);
	}
	for (unsigned ti = 0; ti < o->threads.n && !ret; ti++)
		for (int k = REGION_COPY_NT; k <= REGION_COPY_DEFAULT && !ret;
		     k++)
			ret = cold_row(c, (enum region_copy)k, big,
				       (unsigned)o->threads.v[ti], t);
	return ret;
}

static int open_raw(struct pinned_ctx *c)
{
	const struct bench_opts *o = c->o;
	int ret;

	if (o->region && region_is_devdax(o->region)) {
		snprintf(c->raw_path, sizeof(c->raw_path), "%s", o->region);
	} else {
		if (o->region)
			snprintf(c->raw_path, sizeof(c->raw_path), "%s.raw",
				 o->region);
		else
			snprintf(c->raw_path, sizeof(c->raw_path),
				 "%s/pinfs-bench.%d.raw", o->workdir,
				 (int)getpid());
		cleanup_push_file(c->raw_path);
	}
	ret = region_map(c->raw_path, o->size, false, &c->raw);
	if (ret)
		fprintf(stderr, "pinfs-bench: pinned: cannot map %s\n",
			c->raw_path);
	return ret;
}

/*
 * The raw side of the warm rows: the region pages under the warm pin,
 * mapped by libpmem2 in the same order.  Both sides then write the same
 * physical pages, and what differs is only the mapping.  (A separate raw
 * file gets other pages, and on tmpfs which pages a file gets moves the
 * copy rate by up to ~10% either way; see docs/perf-pinned.md.)  On
 * failure the raw region file stays the raw side, with a warning.
 */
static void map_same(struct pinned_ctx *c, struct pinsrc *s,
		     const struct pinned_target *pt)
{
	struct target_piece *pc = calloc(PIECES_MAX, sizeof(*pc));
	int n = pc ? pinsrc_pieces(s, pt, pc, PIECES_MAX) : -ENOMEM;

	if (n > 0)
		n = region_map_pieces(c->mnt.src, pc, (unsigned)n, pt->len,
				      &c->same);
	if (n < 0)
		fprintf(stderr, "pinfs-bench: pinned: cannot map the pinned "
			"range's region pages (%s); raw side: %s\n",
			strerror(-n), c->raw_path);
	free(pc);
}

int bench_pinned(const struct bench_opts *o)
{
	struct pinned_ctx *c = calloc(1, sizeof(*c));
	struct pinned_target pt, *ptp = NULL;
	struct pinsrc *src = NULL;
	char path[MOUNT_PATH + 32];
	uint64_t region_size;
	unsigned nthr = o->threads.n;
	int ret;

	if (!c)
		return -ENOMEM;
	c->o = o;
	mount_clear(&c->mnt);
	if (o->granularity && region_force_granularity(o->granularity) < 0) {
		free(c);
		return -EINVAL;
	}
	progress("pinned: mapping the raw region");
	ret = open_raw(c);
	if (ret)
		goto out;
	if (o->region && region_is_devdax(o->region)) {
		snprintf(c->why, sizeof(c->why),
			 "devdax: the device holds the raw rows; run pinfs on it separately");
	} else if (pinsrc_missing()) {
		snprintf(c->why, sizeof(c->why), "%s", pinsrc_missing());
	} else {
		/* warm file, cold files, holders' file, revocation file */
		region_size = o->size * (4 + 2ull * o->repeat * nthr) +
			      (256ull << 20);
		progress("pinned: starting pinfs");
		c->pinfs_up = mount_pinfs(o, region_size, "lease_break_time=5000",
					  &c->mnt) == 0;
		if (!c->pinfs_up)
			snprintf(c->why, sizeof(c->why), "%s", c->mnt.why);
	}
	if (c->pinfs_up) {
		ret = pinned_make_file(c, o->size, true, path, sizeof(path));
		if (!ret)
			ret = pinsrc_open(path, 0, &src);
		if (!ret)
			ret = pinsrc_pin(src, 0, o->size, &pt);
		if (ret) {
			snprintf(c->why, sizeof(c->why), "pin of a file on pinfs: %s",
				 strerror(-ret));
			pinsrc_close(&src);
			ret = 0;
		} else {
			ptp = &pt;
			if (!o->raw_file)
				map_same(c, src, ptp);
		}
	}
	ret = cpu_rows(c, ptp);
	if (!ret)
		ret = uring_rows(c, ptp);
	region_unmap(&c->same);
	if (ptp)
		pinsrc_unpin(ptp);
	pinsrc_close(&src);
	if (!ret) {
		pinned_holders(c);
		pinned_revocation(c);
	}
	region_unmap(&c->raw);
out:
	mount_stop(&c->mnt);
	free(c);
	return ret;
}
