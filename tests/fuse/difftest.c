/* SPDX-License-Identifier: MIT */
/*
 * difftest.c - randomized differential tester: the same seeded sequence
 * of operations on the filesystem under test and on a tmpfs reference,
 * comparing every return value and errno, and (every --check-every ops and
 * at the end) every file's existence, type, mode, size, link count, user.*
 * xattrs and bytes.
 *
 *   difftest [--seed N] [--ops N] [--files K] [--max-size BYTES]
 *            [--check-every N] [--log FILE] [--no-remount] [--no-rename2]
 *            [--dir DIR --ref DIR [--remount-cmd CMD]] [--inject-bug N]
 *            [--emulate-zero-range]
 *
 * Without --dir it mounts through the harness (harness.h: PINFS_BIN or
 * FH_BACKEND) and makes the reference directory on /dev/shm (tmpfs);
 * remount operations then remount through the harness, and the final
 * unmount is followed by `pinfs fsck`.  With --dir/--ref it works on the
 * given directories and remounts with `sh -c CMD` (no remount without it).
 * On a mismatch it prints the seed, the operation index, the operation and
 * both results, writes the last operations to the log for replay, and
 * exits 1.  --emulate-zero-range lets the directory under test lack
 * FALLOC_FL_ZERO_RANGE (automatic for the reference backends; never for
 * pinfs, which must have it).  --inject-bug N corrupts one byte under --dir after operation
 * N: a self-test that the comparison catches what it must (exit 0 only
 * when the first mismatch comes at or after op N).
 */
#include "difftest.h"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RING 2000

static struct dt_config cfg = {
	.seed = 1, .files = 8, .max_size = 4 << 20,
	.remount = true, .rename2 = true, .zero_emulate = true,
};
static char ring[RING][160];
static uint64_t ops_done;
static const char *log_path;
static struct fh_mount mnt;
static bool use_harness;
static unsigned long long inject; /* --inject-bug: op after which to corrupt */

static void write_log(void)
{
	FILE *f;
	uint64_t first = ops_done > RING ? ops_done - RING : 0;

	if (!log_path)
		return;
	f = fopen(log_path, "w");
	if (!f) {
		fprintf(stderr, "difftest: cannot write %s: %s\n", log_path,
			strerror(errno));
		return;
	}
	fprintf(f, "# difftest --seed %llu --files %d --max-size %lld%s%s\n",
		(unsigned long long)cfg.seed, cfg.files,
		(long long)cfg.max_size, cfg.remount ? "" : " --no-remount",
		cfg.rename2 ? "" : " --no-rename2");
	fprintf(f, "# last %llu of %llu operations (index: operation)\n",
		(unsigned long long)(ops_done - first),
		(unsigned long long)ops_done);
	for (uint64_t i = first; i < ops_done; i++)
		fprintf(f, "%llu: %s\n", (unsigned long long)i,
			ring[i % RING]);
	fclose(f);
}

static void describe(const struct dt_result *r, char *buf, size_t size)
{
	if (r->ret < 0)
		snprintf(buf, size, "%s = -1 %s", r->step,
			 strerrorname_np(r->err));
	else
		snprintf(buf, size, "%s = %ld", r->step, r->ret);
}

static void mismatch(uint64_t index, const char *what, const char *got,
		     const char *expect)
{
	fprintf(stderr, "difftest: MISMATCH seed %llu op %llu: %s\n"
			"  under test: %s\n  reference:  %s\n"
			"  replay: difftest --seed %llu --ops %llu --files %d "
			"--max-size %lld%s%s\n",
		(unsigned long long)cfg.seed, (unsigned long long)index, what,
		got, expect, (unsigned long long)cfg.seed,
		(unsigned long long)index + 1, cfg.files,
		(long long)cfg.max_size, cfg.remount ? "" : " --no-remount",
		cfg.rename2 ? "" : " --no-rename2");
	write_log();
	if (log_path)
		fprintf(stderr, "  last operations: %s\n", log_path);
	if (use_harness)
		fh_teardown(&mnt);
	if (inject) {
		/* Self-test: success is catching the injected corruption. */
		bool caught = index + 1 >= inject;

		fprintf(stderr, "difftest: self-test %s\n", caught
			? "passed: the injected corruption was caught"
			: "FAILED: mismatch before the injection");
		exit(caught ? 0 : 1);
	}
	exit(1);
}

/* Read a whole file; returns its length or -1 with errno. */
static ssize_t slurp(const char *path, unsigned char **out)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	ssize_t n;

	*out = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*out = malloc((size_t)st.st_size + 1);
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		n = pread(fd, *out + done, (size_t)st.st_size - done,
			  (off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return (ssize_t)done;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical text of a file's xattrs: sorted "name:len:hash;" items. */
static void xattr_sig(const char *path, char *out, size_t size)
{
	char list[4096], *names[128];
	ssize_t n = llistxattr(path, list, sizeof(list));
	size_t k = 0, used = 0;

	out[0] = '\0';
	if (n < 0) {
		snprintf(out, size, "listxattr: %s", strerrorname_np(errno));
		return;
	}
	for (ssize_t i = 0; i < n && k < 128; i += (ssize_t)strlen(list + i) + 1)
		names[k++] = list + i;
	qsort(names, k, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < k && used < size; i++) {
		unsigned char v[4096];
		ssize_t vl = lgetxattr(path, names[i], v, sizeof(v));
		uint64_t h = 0xcbf29ce484222325ull;

		for (ssize_t j = 0; j < vl; j++)
			h = (h ^ v[j]) * 0x100000001b3ull;
		used += (size_t)snprintf(out + used, size - used, "%s:%zd:%llx;",
					 names[i], vl, (unsigned long long)h);
	}
}

static void compare_tree(uint64_t index, const char *dir, const char *ref)
{
	char a[64], pa[512], pr[512], what[256], g[256], e[256];

	for (int i = 0; i < 2 * cfg.files; i++) {
		struct stat sa, sr;
		int ea, er;

		dt_name(&cfg, i, a, sizeof(a));
		snprintf(pa, sizeof(pa), "%s/%s", dir, a);
		snprintf(pr, sizeof(pr), "%s/%s", ref, a);
		ea = lstat(pa, &sa) < 0 ? errno : 0;
		er = lstat(pr, &sr) < 0 ? errno : 0;
		snprintf(what, sizeof(what), "state of %s", a);
		if (ea != er) {
			snprintf(g, sizeof(g), "lstat %s", ea ? strerrorname_np(ea) : "exists");
			snprintf(e, sizeof(e), "lstat %s", er ? strerrorname_np(er) : "exists");
			mismatch(index, what, g, e);
		}
		if (ea)
			continue;
		if ((sa.st_mode & S_IFMT) != (sr.st_mode & S_IFMT) ||
		    sa.st_size != sr.st_size || sa.st_nlink != sr.st_nlink) {
			snprintf(g, sizeof(g), "mode %o size %lld nlink %lu",
				 sa.st_mode, (long long)sa.st_size,
				 (unsigned long)sa.st_nlink);
			snprintf(e, sizeof(e), "mode %o size %lld nlink %lu",
				 sr.st_mode, (long long)sr.st_size,
				 (unsigned long)sr.st_nlink);
			mismatch(index, what, g, e);
		}
		char xa[1024], xr[1024];
		xattr_sig(pa, xa, sizeof(xa));
		xattr_sig(pr, xr, sizeof(xr));
		if (strcmp(xa, xr)) {
			snprintf(what, sizeof(what), "xattrs of %s", a);
			mismatch(index, what, xa, xr);
		}
		unsigned char *da, *dr;
		ssize_t na = slurp(pa, &da), nr = slurp(pr, &dr);
		if (na != nr || (na > 0 && memcmp(da, dr, (size_t)na))) {
			ssize_t at = 0;
			while (na == nr && at < na && da[at] == dr[at])
				at++;
			snprintf(g, sizeof(g), "read %zd bytes, byte %zd = 0x%02x",
				 na, at, na > at ? da[at] : 0);
			snprintf(e, sizeof(e), "read %zd bytes, byte %zd = 0x%02x",
				 nr, at, nr > at ? dr[at] : 0);
			snprintf(what, sizeof(what), "contents of %s", a);
			mismatch(index, what, g, e);
		}
		free(da);
		free(dr);
	}
}

static void inject_bug(const char *dir)
{
	char a[64], p[512];

	for (int i = 0; i < 2 * cfg.files; i++) {
		struct stat st;
		int fd;

		snprintf(p, sizeof(p), "%s/%s", dir, dt_name(&cfg, i, a, sizeof(a)));
		if (stat(p, &st) < 0 || st.st_size == 0)
			continue;
		fd = open(p, O_RDWR);
		if (fd < 0)
			continue;
		unsigned char c;
		if (pread(fd, &c, 1, st.st_size / 2) == 1) {
			c ^= 0x5a;
			if (pwrite(fd, &c, 1, st.st_size / 2) == 1)
				fprintf(stderr, "difftest: injected a flipped "
					"byte into %s at %lld\n", a,
					(long long)(st.st_size / 2));
		}
		close(fd);
		return;
	}
}

static int do_remount(const char *cmd)
{
	if (use_harness)
		return fh_remount(&mnt);
	if (!cmd)
		return 0;
	int r = system(cmd);
	return r == 0 ? 0 : -EIO;
}

static int make_tree(const char *root)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/d", root);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/d/s", root);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: difftest [--seed N] [--ops N] [--files K] "
		"[--max-size BYTES]\n"
		"                [--check-every N] [--log FILE] [--no-remount] "
		"[--no-rename2]\n"
		"                [--dir DIR --ref DIR [--remount-cmd CMD]] "
		"[--inject-bug N]\n"
		"                [--emulate-zero-range]\n");
	exit(2);
}

static unsigned long long num(const char *s, const char *opt)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);

	if (errno || *end || end == s) {
		fprintf(stderr, "difftest: %s wants a number, got '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "files", required_argument, NULL, 'k' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "check-every", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "dir", required_argument, NULL, 'd' },
		{ "ref", required_argument, NULL, 'r' },
		{ "remount-cmd", required_argument, NULL, 'R' },
		{ "no-remount", no_argument, NULL, 'N' },
		{ "no-rename2", no_argument, NULL, '2' },
		{ "inject-bug", required_argument, NULL, 'I' },
		{ "emulate-zero-range", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long nops = 2000, check_every = 100;
	const char *dir = NULL, *ref = NULL, *cmd = NULL;
	char refbuf[96] = "", logbuf[128];
	int c, ret;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': cfg.seed = num(optarg, "--seed"); break;
		case 'n': nops = num(optarg, "--ops"); break;
		case 'k': cfg.files = (int)num(optarg, "--files"); break;
		case 'm': cfg.max_size = (off_t)num(optarg, "--max-size"); break;
		case 'c': check_every = num(optarg, "--check-every"); break;
		case 'l': log_path = optarg; break;
		case 'd': dir = optarg; break;
		case 'r': ref = optarg; break;
		case 'R': cmd = optarg; break;
		case 'N': cfg.remount = false; break;
		case '2': cfg.rename2 = false; break;
		case 'I': inject = num(optarg, "--inject-bug"); break;
		case 'Z': cfg.zero_emulate_test = true; break;
		default: usage();
		}
	}
	if (optind != argc || cfg.files < 1 || cfg.files > 1000 ||
	    cfg.max_size < 65536 || !!dir != !!ref || check_every == 0)
		usage();
	if (!log_path) {
		snprintf(logbuf, sizeof(logbuf), "difftest-seed%llu.log",
			 (unsigned long long)cfg.seed);
		log_path = logbuf;
	}
	if (!dir) {
		enum fh_backend b = fh_backend_from_env();

		ret = fh_can_run(b);
		if (ret)
			return ret;
		use_harness = true;
		fh_install_cleanup(&mnt);
		ret = fh_setup(&mnt, b, getenv("FH_MOUNT_OPTS"));
		if (ret) {
			fprintf(stderr, "difftest: cannot mount: %s\n",
				strerror(-ret));
			return 1;
		}
		/* The reference lives next to the mount, on tmpfs. */
		snprintf(refbuf, sizeof(refbuf), "%s/ref", mnt.tmpdir);
		if (mkdir(refbuf, 0755) < 0) {
			perror("difftest: mkdir ref");
			return 1;
		}
		dir = mnt.mnt;
		ref = refbuf;
		if (!fh_has_daemon(&mnt))
			cfg.remount = false;
		cfg.zero_emulate_test = fh_is_reference(&mnt);
	} else if (!cmd) {
		cfg.remount = false;
	}
	if ((ret = make_tree(dir)) || (ret = make_tree(ref))) {
		fprintf(stderr, "difftest: cannot make the tree: %s\n",
			strerror(-ret));
		return 1;
	}
	fprintf(stderr, "difftest: seed %llu, %llu ops, %d files, under test "
			"%s, reference %s\n", (unsigned long long)cfg.seed,
		nops, cfg.files, dir, ref);

	unsigned long counts[DT_NKINDS] = { 0 };
	for (uint64_t i = 0; i < nops; i++) {
		struct dt_op op;
		struct dt_result ra, rr;
		char desc[160], g[256], e[256];

		dt_generate(&cfg, i, &op);
		dt_format(&cfg, &op, desc, sizeof(desc));
		snprintf(ring[i % RING], sizeof(ring[0]), "%s", desc);
		ops_done = i + 1;
		counts[op.kind]++;
		if (op.kind == DT_REMOUNT) {
			ret = do_remount(cmd);
			if (ret) {
				snprintf(g, sizeof(g), "remount failed: %s",
					 strerror(-ret));
				mismatch(i, desc, g, "remount succeeds");
			}
			compare_tree(i, dir, ref);
			continue;
		}
		dt_apply(&cfg, &op, dir, false, &ra);
		dt_apply(&cfg, &op, ref, true, &rr);
		if (ra.ret != rr.ret || (ra.ret < 0 && ra.err != rr.err) ||
		    strcmp(ra.step, rr.step)) {
			describe(&ra, g, sizeof(g));
			describe(&rr, e, sizeof(e));
			mismatch(i, desc, g, e);
		}
		if (ra.dlen && memcmp(ra.data, rr.data, ra.dlen)) {
			size_t at = 0;
			while (ra.data[at] == rr.data[at])
				at++;
			snprintf(g, sizeof(g), "byte %zu of the read = 0x%02x", at,
				 ra.data[at]);
			snprintf(e, sizeof(e), "byte %zu of the read = 0x%02x", at,
				 rr.data[at]);
			mismatch(i, desc, g, e);
		}
		free(ra.data);
		free(rr.data);
		if (inject && i + 1 == inject)
			inject_bug(dir);
		if ((i + 1) % check_every == 0)
			compare_tree(i, dir, ref);
	}
	compare_tree(nops ? nops - 1 : 0, dir, ref);
	write_log();
	if (inject) {
		fprintf(stderr, "difftest: self-test FAILED: the corruption "
				"injected after op %llu went unnoticed\n", inject);
		if (use_harness)
			fh_teardown(&mnt);
		return 1;
	}

	fprintf(stderr, "difftest: %llu ops agree:", nops);
	for (int k = 0; k < DT_NKINDS; k++) {
		struct dt_op op = { .kind = (enum dt_kind)k };
		char d[64];

		dt_format(&cfg, &op, d, sizeof(d));
		fprintf(stderr, " %s=%lu", strtok(d, " "), counts[k]);
	}
	fprintf(stderr, "\n");
	if (use_harness) {
		ret = fh_unmount(&mnt);
		if (ret) {
			fprintf(stderr, "difftest: unmount failed: %s\n",
				strerror(-ret));
			return 1;
		}
		if (fh_fsck(&mnt))
			return 1;
		fh_teardown(&mnt);
	}
	return 0;
}
