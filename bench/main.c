/* SPDX-License-Identifier: MIT */
/*
 * main.c - pinfs-bench: options, mode dispatch, output.
 *
 *   pinfs-bench [OPTIONS] fs|revoke|pinned|all
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cleanup.h"
#include "plot.h"
#include "report.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: pinfs-bench [OPTIONS] MODE...\n"
"\n"
"Modes (one or more; 'all' runs the three):\n"
"  fs       write/read/create through a pinfs mount, libfuse's passthrough_ll\n"
"           (compiled at bench time) over tmpfs, and tmpfs itself\n"
"  revoke   truncate over a pinned range vs the kernel's lease break;\n"
"           pin+unpin rate vs two bare FUSE ioctls and F_SETLEASE+F_UNLCK\n"
"  pinned   writes into a pinned range vs the raw region mapping: libpmem2\n"
"           memcpy+persist, io_uring READ_FIXED fills, several holders,\n"
"           throughput under revocation\n"
"\n"
"Options:\n"
"  --json             JSON rows on stdout instead of the table\n"
"  --csv              CSV (one line per figure) on stdout instead of the table\n"
"  --markdown         Markdown tables on stdout (for docs/performance.md)\n"
"  --quick            reduced set, short durations (whole run < 30 s)\n"
"  --region PATH      region: a file (created; tmpfs or disk) or a devdax\n"
"                     device (default: a file in /dev/shm)\n"
"  --size SIZE        working set in bytes, K/M/G suffixes (default 256M,\n"
"                     quick 64M)\n"
"  --duration SEC     seconds per measurement (default 1, quick 0.25)\n"
"  --iterations N     latency samples per run (default 2000, quick 200)\n"
"  --threads LIST     thread counts, e.g. 1,2 (default 1,2)\n"
"  --sizes LIST       block sizes for pinned, e.g. 4K,64K,2M\n"
"                     (default 4K,16K,64K,256K,1M,2M; quick 64K)\n"
"  --qd LIST          io_uring queue depths (default 1,2,4,8,16,32; quick 8)\n"
"  --holders N        holders pinning disjoint ranges at once (default 2)\n"
"  --repeat N         runs per figure; median [min-max] (default 3, quick 1)\n"
"  --plot DIR         write gnuplot scripts and PNGs into DIR\n"
"  --save-json FILE   also write the JSON rows into FILE\n"
"  --pinfs-bin PATH   the pinfs program (default: $PINFS_BIN, the build tree,\n"
"                     then PATH)\n"
"  --workdir DIR      where temporary mounts and files go (default /dev/shm)\n"
"  --granularity G    force libpmem2's store granularity for the bench's\n"
"                     mappings: page (msync per persist; what a file on\n"
"                     tmpfs gets), cache-line (clwb+sfence, emulates pmem)\n"
"                     or byte (default: what libpmem2 detects)\n"
"  --raw-side S       raw side of the warm pinned CPU and io_uring rows: same\n"
"                     (default: the pinned range's own region pages, mapped\n"
"                     by libpmem2) or file (a separate raw file)\n"
"  --seq-write-open M fs: how the sequential writers open their files:\n"
"                     wronly (default; as cp, dd and shell redirections do)\n"
"                     or rdwr\n"
"  --timeout SEC      watchdog: abort (and clean up) a run that takes longer\n"
"                     (default 3600, quick 120)\n"
"  --no-cpu-pin       do not pin threads to CPUs\n"
"  --no-mount         skip what needs a FUSE mount (pinfs, passthrough_ll)\n"
"  -h, --help         this text\n"
"\n"
"Progress goes to stderr; results to stdout. Every mount and process the\n"
"bench starts is unmounted/killed on exit, error or signal.\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || v == 0 || v > UINT64_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int parse_list(const char *s, struct bench_list *l, uint64_t max)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	l->n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (l->n == BENCH_LIST_MAX || parse_size(tok, &v) < 0 ||
		    v > max)
			return -EINVAL;
		l->v[l->n++] = v;
	}
	return l->n ? 0 : -EINVAL;
}

static int parse_uint(const char *s, unsigned *out, unsigned max)
{
	uint64_t v;

	if (parse_size(s, &v) < 0 || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static void set_list(struct bench_list *l, const uint64_t *v, unsigned n)
{
	l->n = n;
	memcpy(l->v, v, n * sizeof(*v));
}

enum {
	OPT_JSON = 256, OPT_CSV, OPT_QUICK, OPT_REGION, OPT_SIZE,
	OPT_DURATION, OPT_THREADS, OPT_SIZES, OPT_QD, OPT_HOLDERS,
	OPT_REPEAT, OPT_PLOT, OPT_PINFS_BIN, OPT_WORKDIR, OPT_NO_PIN,
	OPT_ITER, OPT_NO_MOUNT, OPT_GRAN, OPT_MD, OPT_TIMEOUT, OPT_SAVE_JSON,
	OPT_RAW_SIDE, OPT_SEQ_OPEN,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "markdown", no_argument, NULL, OPT_MD },
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "iterations", required_argument, NULL, OPT_ITER },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "sizes", required_argument, NULL, OPT_SIZES },
	{ "qd", required_argument, NULL, OPT_QD },
	{ "holders", required_argument, NULL, OPT_HOLDERS },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "pinfs-bin", required_argument, NULL, OPT_PINFS_BIN },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "no-cpu-pin", no_argument, NULL, OPT_NO_PIN },
	{ "no-mount", no_argument, NULL, OPT_NO_MOUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "save-json", required_argument, NULL, OPT_SAVE_JSON },
	{ "granularity", required_argument, NULL, OPT_GRAN },
	{ "raw-side", required_argument, NULL, OPT_RAW_SIDE },
	{ "seq-write-open", required_argument, NULL, OPT_SEQ_OPEN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options given explicitly win over the defaults of --quick. */
struct given {
	bool size, duration, threads, sizes, qd, repeat, iter;
};

static int bad(const char *opt, const char *arg)
{
	fprintf(stderr, "pinfs-bench: invalid value for %s: '%s'\n", opt, arg);
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o,
		      struct given *g)
{
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
		case OPT_CSV:
		case OPT_MD:
			if (o->format != BENCH_FMT_TABLE)
				goto both;
			o->format = c == OPT_JSON ? BENCH_FMT_JSON :
				    c == OPT_CSV ? BENCH_FMT_CSV : BENCH_FMT_MD;
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_REGION:
			if (!*optarg)
				return bad("--region", optarg);
			o->region = optarg;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, &o->size) < 0 ||
			    o->size < (1u << 20))
				return bad("--size (at least 1M)", optarg);
			g->size = true;
			break;
		case OPT_DURATION:
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !(o->duration >= 0.01 && o->duration <= 3600))
				return bad("--duration (0.01..3600)", optarg);
			g->duration = true;
			break;
		case OPT_ITER:
			if (parse_uint(optarg, &o->iterations, 10000000) < 0 ||
			    o->iterations < 10)
				return bad("--iterations (10..1e7)", optarg);
			g->iter = true;
			break;
		case OPT_THREADS:
			if (parse_list(optarg, &o->threads, 256) < 0)
				return bad("--threads", optarg);
			g->threads = true;
			break;
		case OPT_SIZES:
			if (parse_list(optarg, &o->sizes, 1ull << 30) < 0)
				return bad("--sizes (each 1..1G)", optarg);
			g->sizes = true;
			break;
		case OPT_QD:
			if (parse_list(optarg, &o->qdepth, 4096) < 0)
				return bad("--qd (each 1..4096)", optarg);
			g->qd = true;
			break;
		case OPT_HOLDERS:
			if (parse_uint(optarg, &o->holders, 64) < 0)
				return bad("--holders (1..64)", optarg);
			break;
		case OPT_REPEAT:
			if (parse_uint(optarg, &o->repeat, 1000) < 0)
				return bad("--repeat (1..1000)", optarg);
			g->repeat = true;
			break;
		case OPT_PLOT:
			o->plot_dir = optarg;
			break;
		case OPT_PINFS_BIN:
			o->pinfs_bin = optarg;
			break;
		case OPT_WORKDIR:
			o->workdir = optarg;
			break;
		case OPT_NO_PIN:
			o->no_cpu_pin = true;
			break;
		case OPT_NO_MOUNT:
			o->no_mount = true;
			break;
		case OPT_SAVE_JSON:
			o->save_json = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, &o->timeout, 86400) < 0)
				return bad("--timeout (1..86400)", optarg);
			break;
		case OPT_GRAN:
			if (strcmp(optarg, "page") && strcmp(optarg, "cache-line") &&
			    strcmp(optarg, "byte"))
				return bad("--granularity (page, cache-line, byte)",
					   optarg);
			o->granularity = optarg;
			break;
		case OPT_RAW_SIDE:
			if (strcmp(optarg, "same") && strcmp(optarg, "file"))
				return bad("--raw-side (same, file)", optarg);
			o->raw_file = strcmp(optarg, "file") == 0;
			break;
		case OPT_SEQ_OPEN:
			if (strcmp(optarg, "wronly") && strcmp(optarg, "rdwr"))
				return bad("--seq-write-open (wronly, rdwr)",
					   optarg);
			o->seq_write_rdwr = strcmp(optarg, "rdwr") == 0;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return 0;
both:
	fprintf(stderr, "pinfs-bench: choose one of --json, --csv, --markdown\n");
	return -EINVAL;
}

static void apply_defaults(struct bench_opts *o, const struct given *g)
{
	static const uint64_t thr[] = { 1, 2 };
	static const uint64_t sizes[] = { 4096, 16384, 65536, 262144,
					  1 << 20, 2 << 20 };
	static const uint64_t qd[] = { 1, 2, 4, 8, 16, 32 };
	static const uint64_t quick_size[] = { 65536 };
	static const uint64_t quick_qd[] = { 8 };

	if (!g->size)
		o->size = o->quick ? 64ull << 20 : 256ull << 20;
	if (!g->duration)
		o->duration = o->quick ? 0.25 : 1.0;
	if (!g->repeat)
		o->repeat = o->quick ? 1 : 3;
	if (!g->iter)
		o->iterations = o->quick ? 200 : 2000;
	if (!g->threads)
		set_list(&o->threads, thr, 2);
	if (!g->sizes) {
		if (o->quick)
			set_list(&o->sizes, quick_size, 1);
		else
			set_list(&o->sizes, sizes, 6);
	}
	if (!g->qd) {
		if (o->quick)
			set_list(&o->qdepth, quick_qd, 1);
		else
			set_list(&o->qdepth, qd, 6);
	}
	if (!o->holders)
		o->holders = 2;
	if (!o->workdir)
		o->workdir = "/dev/shm";
	if (!o->timeout)
		o->timeout = o->quick ? 120 : 3600;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .format = BENCH_FMT_TABLE };
	struct given g = { 0 };
	bool run_fs = false, run_revoke = false, run_pinned = false;
	long n;
	int ret = 0;

	if (parse_opts(argc, argv, &o, &g) < 0)
		return 2;
	if (optind >= argc) {
		fprintf(stderr, "pinfs-bench: no mode given (fs, revoke, pinned, all)\n");
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "fs") == 0) {
			run_fs = true;
		} else if (strcmp(argv[i], "revoke") == 0) {
			run_revoke = true;
		} else if (strcmp(argv[i], "pinned") == 0) {
			run_pinned = true;
		} else if (strcmp(argv[i], "all") == 0) {
			run_fs = run_revoke = run_pinned = true;
		} else {
			fprintf(stderr, "pinfs-bench: unknown mode '%s' "
					"(fs, revoke, pinned, all)\n", argv[i]);
			return 2;
		}
	}
	apply_defaults(&o, &g);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o.ncpu = n > 0 ? (unsigned)n : 1;
	if (access(o.workdir, W_OK) < 0) {
		fprintf(stderr, "pinfs-bench: --workdir %s: %s\n", o.workdir,
			strerror(errno));
		return 2;
	}
	if (cleanup_init() < 0) {
		fprintf(stderr, "pinfs-bench: cannot install signal handlers\n");
		return 1;
	}
	alarm(o.timeout);
	if (run_fs && (ret = bench_fs(&o)) < 0)
		fprintf(stderr, "pinfs-bench: fs: %s\n", strerror(-ret));
	if (!ret && run_revoke && (ret = bench_revoke(&o)) < 0)
		fprintf(stderr, "pinfs-bench: revoke: %s\n", strerror(-ret));
	if (!ret && run_pinned && (ret = bench_pinned(&o)) < 0)
		fprintf(stderr, "pinfs-bench: pinned: %s\n", strerror(-ret));
	cleanup_all();
	if (!ret && report_check() < 0)
		ret = -EPROTO;
	if (report_write(stdout, o.format, &o) < 0)
		ret = -EIO;
	if (o.save_json) {
		FILE *f = fopen(o.save_json, "w");

		if (!f || report_write(f, BENCH_FMT_JSON, &o) < 0 ||
		    fclose(f) != 0) {
			fprintf(stderr, "pinfs-bench: --save-json %s: %s\n",
				o.save_json, strerror(errno));
			ret = -EIO;
		}
	}
	if (o.plot_dir) {
		int pr = plot_write(o.plot_dir);

		if (pr < 0) {
			fprintf(stderr, "pinfs-bench: --plot %s: %s\n",
				o.plot_dir, strerror(-pr));
			ret = pr;
		}
	}
	report_free();
	return ret < 0 ? 1 : 0;
}
