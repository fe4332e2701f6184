/* SPDX-License-Identifier: MIT */
/*
 * fs.c - `pinfs-bench fs`: POSIX I/O through pinfs, libfuse's passthrough_ll
 * over tmpfs, and tmpfs itself, in one run.
 *
 * Per target and repeat, in this order: sequential write of a new file in
 * 1 MiB blocks + fsync (cold: every block is allocated), the same overwrite
 * (warm), both through a write-only open (--seq-write-open rdwr: O_RDWR),
 * sequential read after POSIX_FADV_DONTNEED (cold page cache) and again
 * (warm), random 4 KiB writes then reads over a pre-written file, and
 * create+unlink pairs.  Each thread works on its own file.  Ratios are
 * pinfs / passthrough_ll of the same repeat.  The targets take turns
 * workload by workload, pinfs first in even repeats and passthrough_ll
 * first in odd ones, so neither always runs right after a mount or
 * right after the other freed its memory.
 *
 * Every pass (one thread count, one repeat) starts on fresh targets: a
 * new pinfs region (mkfs on an empty sparse file, so no data page exists
 * yet), a new tmpfs source directory under passthrough_ll, a new plain
 * tmpfs directory.  Otherwise a later pass would write into blocks (and
 * tmpfs pages) an earlier pass freed, and "cold" would be warm for pinfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "mounts.h"
#include "report.h"
#include "stats.h"

#define SEQ_BS (1u << 20)
#define RAND_BS 4096u
#define RAND_FILE_MAX (64ull << 20)

enum fs_wl {
	WL_SEQ_WRITE_COLD,
	WL_SEQ_WRITE_WARM,
	WL_SEQ_READ_COLD,
	WL_SEQ_READ_WARM,
	WL_RAND_WRITE,
	WL_RAND_READ,
	WL_CREATE_UNLINK,
	WL_COUNT,
};

static const struct {
	const char *name;
	const char *phase;
	uint32_t bs;
} wl_info[WL_COUNT] = {
	[WL_SEQ_WRITE_COLD] = { "seq-write", "cold", SEQ_BS },
	[WL_SEQ_WRITE_WARM] = { "seq-write", "warm", SEQ_BS },
	[WL_SEQ_READ_COLD] = { "seq-read", "cold", SEQ_BS },
	[WL_SEQ_READ_WARM] = { "seq-read", "warm", SEQ_BS },
	[WL_RAND_WRITE] = { "rand-write", "warm", RAND_BS },
	[WL_RAND_READ] = { "rand-read", "warm", RAND_BS },
	[WL_CREATE_UNLINK] = { "create+unlink", "", 0 },
};

enum fs_target { T_PINFS, T_PT, T_TMPFS, T_COUNT };

static const char *const target_name[T_COUNT] = { "pinfs", "passthrough_ll",
						  "tmpfs" };

struct fs_job {
	const struct bench_opts *o;
	const char *dir;
	enum fs_wl wl;
	unsigned idx;
	bool pin_cpu;
	uint64_t bytes;       /* seq: bytes per thread; rand: file size */
	pthread_barrier_t *bar;
	char *buf;
	uint64_t t0, t1;      /* ns */
	uint64_t done;        /* bytes or operations */
	int err;
};

static void job_path(const struct fs_job *j, char *p, size_t len,
		     const char *kind)
{
	snprintf(p, len, "%s/bench-%s-%u", j->dir, kind, j->idx);
}

static int write_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int read_all(int fd, char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int seq_job(struct fs_job *j, int fd, bool write)
{
	int ret = 0;

	for (uint64_t off = 0; off < j->bytes && !ret; off += SEQ_BS) {
		ret = write ? write_all(fd, j->buf, SEQ_BS, (off_t)off) :
			      read_all(fd, j->buf, SEQ_BS, (off_t)off);
		j->done += SEQ_BS;
	}
	if (!ret && write && fsync(fd) < 0)
		ret = -errno;
	return ret;
}

static int rand_job(struct fs_job *j, int fd, bool write)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull ^ (j->idx + 1);
	uint64_t blocks = j->bytes / RAND_BS;
	uint64_t end = stats_now_ns() + (uint64_t)(j->o->duration * 1e9);
	int ret = 0;

	while (!ret) {
		/* check the clock every 64 ops: cheap and still precise */
		for (int k = 0; k < 64 && !ret; k++) {
			off_t off = (off_t)((stats_rand(&seed) % blocks) * RAND_BS);

			ret = write ? write_all(fd, j->buf, RAND_BS, off) :
				      read_all(fd, j->buf, RAND_BS, off);
			j->done += RAND_BS;
		}
		if (stats_now_ns() >= end)
			break;
	}
	return ret;
}

static int create_job(struct fs_job *j)
{
	uint64_t end = stats_now_ns() + (uint64_t)(j->o->duration * 1e9);
	char p[MOUNT_PATH + 64];
	int ret = 0;

	while (!ret) {
		for (int k = 0; k < 32 && !ret; k++) {
			int fd;

			snprintf(p, sizeof(p), "%s/c-%u-%llu", j->dir, j->idx,
				 (unsigned long long)j->done);
			fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
				  0644);
			if (fd < 0 || close(fd) < 0 || unlink(p) < 0)
				ret = -errno;
			j->done++;
		}
		if (stats_now_ns() >= end)
			break;
	}
	return ret;
}

static void *job_main(void *arg)
{
	struct fs_job *j = arg;
	char p[MOUNT_PATH + 64];
	int fd = -1, flags = O_RDWR | O_CLOEXEC;
	bool write;

	if (j->pin_cpu)
		stats_pin_cpu(j->idx);
	if (j->wl == WL_CREATE_UNLINK) {
		pthread_barrier_wait(j->bar);
		j->t0 = stats_now_ns();
		j->err = create_job(j);
		j->t1 = stats_now_ns();
		return NULL;
	}
	job_path(j, p, sizeof(p), j->wl >= WL_RAND_WRITE ? "rand" : "seq");
	/* sequential writers open write-only, as cp, dd and `>` do (pinfs
	 * then bypasses the page cache, docs/daemon.md); random writers
	 * O_RDWR, as fio and databases do */
	if ((j->wl == WL_SEQ_WRITE_COLD || j->wl == WL_SEQ_WRITE_WARM) &&
	    !j->o->seq_write_rdwr)
		flags = O_WRONLY | O_CLOEXEC;
	if (j->wl == WL_SEQ_WRITE_COLD)
		flags |= O_CREAT | O_TRUNC;
	fd = open(p, flags, 0644);
	if (fd < 0) {
		j->err = -errno;
		pthread_barrier_wait(j->bar);
		return NULL;
	}
	if (j->wl == WL_SEQ_READ_COLD &&
	    (fdatasync(fd) < 0 ||
	     posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0))
		j->err = -EIO;
	pthread_barrier_wait(j->bar);
	j->t0 = stats_now_ns();
	write = j->wl == WL_SEQ_WRITE_COLD || j->wl == WL_SEQ_WRITE_WARM ||
		j->wl == WL_RAND_WRITE;
	if (!j->err) {
		if (j->wl >= WL_RAND_WRITE)
			j->err = rand_job(j, fd, write);
		else
			j->err = seq_job(j, fd, write);
	}
	j->t1 = stats_now_ns();
	close(fd);
	return NULL;
}

/* Pre-write each thread's random-I/O file. */
static int rand_prepare(const struct bench_opts *o, const char *dir,
			unsigned threads, uint64_t size, char *buf)
{
	for (unsigned t = 0; t < threads; t++) {
		char p[MOUNT_PATH + 64];
		int fd, ret = 0;

		snprintf(p, sizeof(p), "%s/bench-rand-%u", dir, t);
		fd = open(p, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		for (uint64_t off = 0; off < size && !ret; off += SEQ_BS)
			ret = write_all(fd, buf, SEQ_BS, (off_t)off);
		if (!ret && fsync(fd) < 0)
			ret = -errno;
		close(fd);
		if (ret)
			return ret;
	}
	(void)o;
	return 0;
}

static void remove_files(const char *dir, unsigned threads)
{
	char p[MOUNT_PATH + 64];

	for (unsigned t = 0; t < threads; t++) {
		snprintf(p, sizeof(p), "%s/bench-seq-%u", dir, t);
		unlink(p);
		snprintf(p, sizeof(p), "%s/bench-rand-%u", dir, t);
		unlink(p);
	}
}

/* Run one workload with threads threads: its figure (MB/s or ops/s). */
static int run_wl(const struct bench_opts *o, const char *dir, enum fs_wl wl,
		  unsigned threads, char **bufs, double *out)
{
	struct fs_job jobs[BENCH_LIST_MAX * 16];
	pthread_t tid[BENCH_LIST_MAX * 16];
	pthread_barrier_t bar;
	uint64_t t0 = UINT64_MAX, t1 = 0, done = 0;
	uint64_t rsize = o->size < RAND_FILE_MAX ? o->size : RAND_FILE_MAX;
	int ret = 0;
	unsigned started = 0;

	if (threads > sizeof(jobs) / sizeof(jobs[0]))
		return -EINVAL;
	pthread_barrier_init(&bar, NULL, threads);
	for (unsigned t = 0; t < threads; t++) {
		jobs[t] = (struct fs_job){
			.o = o, .dir = dir, .wl = wl, .idx = t,
			.pin_cpu = !o->no_cpu_pin && o->ncpu > 1,
			.bar = &bar, .buf = bufs[t],
			.bytes = wl >= WL_RAND_WRITE ? rsize / threads :
				 (o->size / threads / SEQ_BS) * SEQ_BS,
		};
		if (jobs[t].bytes < SEQ_BS)
			jobs[t].bytes = SEQ_BS;
	}
	for (unsigned t = 0; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, job_main, &jobs[t]) != 0) {
			ret = -EAGAIN;
			break;
		}
		started++;
	}
	if (started < threads) {
		/* the barrier can never fill: this is fatal for the run */
		fprintf(stderr, "pinfs-bench: cannot start threads\n");
		exit(1);
	}
	for (unsigned t = 0; t < started; t++) {
		pthread_join(tid[t], NULL);
		if (jobs[t].err && !ret)
			ret = jobs[t].err;
		t0 = jobs[t].t0 < t0 ? jobs[t].t0 : t0;
		t1 = jobs[t].t1 > t1 ? jobs[t].t1 : t1;
		done += jobs[t].done;
	}
	pthread_barrier_destroy(&bar);
	if (ret)
		return ret;
	if (wl == WL_CREATE_UNLINK)
		*out = (double)done / ((double)(t1 - t0) / 1e9);
	else
		*out = (double)done / 1e6 / ((double)(t1 - t0) / 1e9);
	return 0;
}

/* One workload on one target (the random file is laid out first). */
static int target_wl(const struct bench_opts *o, const char *tname,
		     const char *dir, enum fs_wl w, unsigned threads,
		     char **bufs, double *res, char *why, size_t wlen)
{
	uint64_t rsize = o->size < RAND_FILE_MAX ? o->size : RAND_FILE_MAX;
	int ret = 0;

	progress("fs: %s %s %s, %u thread(s)", tname, wl_info[w].name,
		 wl_info[w].phase, threads);
	if (w == WL_RAND_WRITE)
		ret = rand_prepare(o, dir, threads, rsize / threads, bufs[0]);
	if (!ret)
		ret = run_wl(o, dir, w, threads, bufs, res);
	if (ret)
		snprintf(why, wlen, "%s %s: %s", tname, wl_info[w].name,
			 strerror(-ret));
	return ret;
}

struct fs_state {
	struct bench_mount m[T_COUNT];
	bool up[T_COUNT];     /* mounted for the current pass */
	bool dead[T_COUNT];   /* failed once: not started again */
	struct samples s[T_COUNT][WL_COUNT];
	struct samples ratio[WL_COUNT];
	char why[T_COUNT][200];
};

static void fill_tables(const struct bench_opts *o, struct fs_state *st,
			struct report_table *tp, struct report_table *to,
			unsigned threads)
{
	static const char *const kt[T_COUNT] = { "pinfs_mbps",
		"passthrough_mbps", "tmpfs_mbps" };
	static const char *const ko[T_COUNT] = { "pinfs_ops_per_s",
		"passthrough_ops_per_s", "tmpfs_ops_per_s" };

	for (int w = 0; w < WL_COUNT; w++) {
		bool ops = w == WL_CREATE_UNLINK;
		struct report_table *t = ops ? to : tp;
		struct report_row *r = report_row_add(t, wl_info[w].name,
				wl_info[w].phase, wl_info[w].bs, threads, 0);

		if (!r)
			return;
		for (int g = 0; g < T_COUNT; g++)
			report_set(t, r, ops ? ko[g] : kt[g],
				   summary_of(&st->s[g][w]));
		report_set(t, r, "ratio", summary_of(&st->ratio[w]));
		for (int g = 0; g < T_COUNT; g++) {
			if (!st->why[g][0])
				continue;
			report_status(r, "%s", st->why[g]);
			break;
		}
		for (int g = 0; g < T_COUNT; g++)
			samples_free(&st->s[g][w]);
		samples_free(&st->ratio[w]);
	}
	(void)o;
}

/*
 * Fresh targets for one pass (see the head of this file).  pinfs holds
 * the sequential and random files of one thread count; the region is a
 * sparse file, so room costs nothing.  A --region file is emptied first
 * (mkfs --force would overwrite it anyway; its size stays) so that its
 * pages are new.
 */
static int target_start(const struct bench_opts *o, struct fs_state *st,
			int g)
{
	struct stat rst;

	switch (g) {
	case T_PINFS:
		/* drop its pages, keep its size */
		if (o->region && stat(o->region, &rst) == 0 &&
		    S_ISREG(rst.st_mode) && (truncate(o->region, 0) < 0 ||
					     truncate(o->region, rst.st_size) < 0))
			fprintf(stderr, "pinfs-bench: cannot empty %s: %s\n",
				o->region, strerror(errno));
		return mount_pinfs(o, (o->size + RAND_FILE_MAX) * 2 +
				   (512ull << 20), NULL, &st->m[g]);
	case T_PT:
		return mount_passthrough(o, &st->m[g]);
	default:
		return mount_tmpdir(o, "tmpfs", &st->m[g]);
	}
}

/* Started in this order, stopped in the reverse one, so the cleanup stack
 * unwinds fully each pass: passthrough_ll first, as its first start also
 * pushes the compiled program, which stays for the whole run. */
static const int start_order[T_COUNT] = { T_PT, T_PINFS, T_TMPFS };

/* Which target measures first, by repeat parity; tmpfs, the reference,
 * always last. */
static const int pass_order[2][T_COUNT] = {
	{ T_PINFS, T_PT, T_TMPFS },
	{ T_PT, T_PINFS, T_TMPFS },
};

static void targets_up(const struct bench_opts *o, struct fs_state *st)
{
	progress("fs: starting fresh pinfs, passthrough_ll and tmpfs targets");
	for (int k = 0; k < T_COUNT; k++) {
		int g = start_order[k];

		if (st->dead[g])
			continue;
		if (target_start(o, st, g) == 0) {
			st->up[g] = true;
			continue;
		}
		snprintf(st->why[g], sizeof(st->why[0]), "%s%s",
			 g == T_PINFS ? "pinfs: " : "", st->m[g].why);
		mount_stop(&st->m[g]);   /* what the failed start left */
		st->dead[g] = true;
	}
}

static void targets_down(struct fs_state *st)
{
	for (int k = T_COUNT - 1; k >= 0; k--) {
		int g = start_order[k];

		if (st->up[g])
			mount_stop(&st->m[g]);
		st->up[g] = false;
	}
}

int bench_fs(const struct bench_opts *o)
{
	static const struct report_col ct[] = {
		{ "pinfs_mbps", UNIT_MBPS }, { "passthrough_mbps", UNIT_MBPS },
		{ "tmpfs_mbps", UNIT_MBPS }, { "ratio", UNIT_RATIO },
	};
	static const struct report_col co[] = {
		{ "pinfs_ops_per_s", UNIT_OPS },
		{ "passthrough_ops_per_s", UNIT_OPS },
		{ "tmpfs_ops_per_s", UNIT_OPS }, { "ratio", UNIT_RATIO },
	};
	struct report_table *tp, *to;
	struct fs_state *st;
	char *bufs[BENCH_LIST_MAX * 16] = { 0 };
	unsigned maxthr = 1, nthr_list = o->quick && o->threads.n > 1 ?
		1 : o->threads.n;
	int ret = 0;

	tp = report_table_new("fs", "throughput", o->seq_write_rdwr ?
		"MB/s through each file system; ratio = pinfs / passthrough_ll; "
		"seq-write opens O_RDWR" :
		"MB/s through each file system; ratio = pinfs / passthrough_ll; "
		"seq-write opens O_WRONLY", 4, ct);
	to = report_table_new("fs", "metadata",
		"create+unlink pairs per second; ratio = pinfs / passthrough_ll",
		4, co);
	st = calloc(1, sizeof(*st));
	if (!tp || !to || !st) {
		free(st);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nthr_list; i++)
		maxthr = o->threads.v[i] > maxthr ? (unsigned)o->threads.v[i] :
						     maxthr;
	if (maxthr > sizeof(bufs) / sizeof(bufs[0])) {
		free(st);
		return -EINVAL;
	}
	for (unsigned t = 0; t < maxthr; t++) {
		if (posix_memalign((void **)&bufs[t], 4096, SEQ_BS) != 0) {
			ret = -ENOMEM;
			goto out;
		}
		memset(bufs[t], 0xA5 ^ (int)t, SEQ_BS);
	}
	for (unsigned ti = 0; ti < nthr_list; ti++) {
		unsigned threads = (unsigned)o->threads.v[ti];

		for (unsigned rep = 0; rep < o->repeat; rep++) {
			double res[T_COUNT][WL_COUNT];
			bool ok[T_COUNT] = { false };

			targets_up(o, st);
			for (int g = 0; g < T_COUNT; g++)
				ok[g] = st->up[g];
			/* workload by workload, each on every target in
			 * turn, pinfs and passthrough_ll swapping places
			 * every repeat: both meet the same machine state
			 * (memory just freed, a daemon just started)
			 * equally often */
			for (int w = 0; w < WL_COUNT; w++) {
				for (int k = 0; k < T_COUNT; k++) {
					int g = pass_order[rep % 2][k];
					char why[200];

					if (!ok[g])
						continue;
					if (target_wl(o, target_name[g],
						      st->m[g].dir,
						      (enum fs_wl)w, threads,
						      bufs, &res[g][w], why,
						      sizeof(why)) < 0) {
						/* a target that fails stops;
						 * others go on */
						snprintf(st->why[g],
							 sizeof(st->why[0]),
							 "%s", why);
						st->dead[g] = true;
						ok[g] = false;
					}
				}
			}
			for (int g = 0; g < T_COUNT; g++) {
				if (st->up[g])
					remove_files(st->m[g].dir, threads);
				if (!ok[g])
					continue;
				for (int w = 0; w < WL_COUNT; w++)
					samples_add(&st->s[g][w], res[g][w]);
			}
			targets_down(st);
			if (ok[T_PINFS] && ok[T_PT])
				for (int w = 0; w < WL_COUNT; w++)
					samples_add(&st->ratio[w],
						    res[T_PINFS][w] /
						    res[T_PT][w]);
		}
		fill_tables(o, st, tp, to, threads);
	}
out:
	targets_down(st);
	for (unsigned t = 0; t < maxthr; t++)
		free(bufs[t]);
	free(st);
	return ret;
}
