/* SPDX-License-Identifier: MIT */
/*
 * test_adversary.c - the adversarial holder (invariant 1): holders that
 * ignore breaks, catch SIGBUS and keep writing a pattern into their
 * mappings (`pinfs hold --write --ignore --catch-sigbus --lease`, and a
 * libpinfs child without a lease, with kill_grace=0 so nobody kills
 * them).  While they live their files are truncated, then new files fill
 * the whole region: none of them ever holds a holder's byte or one of
 * its blocks; `pinfs fsck` is clean after unmount.
 * docs/revocation-tests.md case 11.
 */
#include "rv_util.h"

#include "pinfs/pinfs.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)
#define K512 (512u * 1024)
#define K64 65536u
#define MAXFILES 256

struct adv_shared {
	atomic_ullong passes;
	atomic_int sigbus;
	atomic_ullong pin_id;
	atomic_int err;
};

static struct adv_shared *shm;

static void adv_bus(int sig)
{
	(void)sig;
	atomic_fetch_add(&shm->sigbus, 1);
}

/* Pin [0, 512K) of the file for writing, no lease; write "ADVERSARY-"
 * lines into it forever, whatever happens. */
static int adversary(void *arg)
{
	const char *path = arg;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	char line[16], tmp[24];
	int r;

	signal(SIGBUS, adv_bus);
	r = pinfs_file_new(path, PINFS_OPEN_WRITE, &pf);
	if (r == 0)
		r = pinfs_pin(pf, 0, K512, PINFS_PIN_WRITE, &m);
	if (r < 0) {
		atomic_store(&shm->err, r);
		return 1;
	}
	atomic_store(&shm->pin_id, pinfs_mapping_id(m));
	snprintf(tmp, sizeof(tmp), "ADVERSARY-%05u!",
		 (unsigned)getpid() % 100000u);
	memcpy(line, tmp, sizeof(line));
	for (;;) {
		char *a = pinfs_mapping_addr(m);

		for (uint64_t i = 0; i < K512; i += sizeof(line))
			memcpy(a + i, line, sizeof(line));
		atomic_fetch_add(&shm->passes, 1);
	}
}

static unsigned extents_of(const char *path, uint64_t pin_id,
			   struct pinfs_extent *e, unsigned max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned n;

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	n = rv_extents(fd, pin_id, e, max);
	close(fd);
	return n;
}

static bool overlaps(const struct pinfs_extent *a, unsigned na,
		     const struct pinfs_extent *b, unsigned nb)
{
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < nb; j++)
			if (a[i].region_off < b[j].region_off + b[j].len &&
			    b[j].region_off < a[i].region_off + a[i].len)
				return true;
	return false;
}

/* No holder byte anywhere in @path, and exactly the pattern it was
 * written with. */
static void expect_clean(const char *path, uint64_t seed)
{
	off_t sz = rv_size(path);
	unsigned char *buf = malloc(sz ? (size_t)sz : 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, (size_t)sz, 0), sz);
	close(fd);
	ck_assert_msg(!memmem(buf, (size_t)sz, "ADVERSARY-", 10),
		      "%s holds the libpinfs adversary's bytes", path);
	ck_assert_msg(!memmem(buf, (size_t)sz, "pinfs hold ", 11),
		      "%s holds the pinfs hold --write pattern", path);
	free(buf);
	rv_expect_bytes(path, 0, (size_t)sz, seed);
}

START_TEST(adversarial_holders_corrupt_nothing)
{
	char f1[PATH_MAX], f2[PATH_MAX];
	struct rv_holder a;
	struct rv_opproc op;
	static struct pinfs_extent pa[64], pb[64], fe[512];
	unsigned npa, npb, nfiles = 0;
	char dir[PATH_MAX], name[64];
	uint64_t sizes[MAXFILES];
	pid_t b;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(shm != MAP_FAILED);
	rv_mount("lease_break_time=300,kill_grace=0", "64M");
	snprintf(f1, sizeof(f1), "%s", rv_path("adv-hold"));
	snprintf(f2, sizeof(f2), "%s", rv_path("adv-lib"));
	rv_make_file(f1, MIB, 111);
	rv_make_file(f2, MIB, 112);
	rv_hold_start(&a, "--write --ignore --catch-sigbus --lease", f1, 0,
		      K512);
	b = rv_child(adversary, f2);
	for (int i = 0; i < 500 && !atomic_load(&shm->passes); i++)
		usleep(10 * 1000);
	ck_assert_msg(atomic_load(&shm->passes) > 0, "adversary did not start "
		      "(%d)", atomic_load(&shm->err));
	npa = extents_of(f1, a.pin_id, pa, 64);
	npb = extents_of(f2, atomic_load(&shm->pin_id), pb, 64);
	ck_assert(npa >= 1 && npb >= 1);

	/* Truncate both under them. */
	rv_op_start(&op, RV_OP_TRUNCATE, f1, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(op.end_us - op.start_us, 300 * 1000);
	rv_op_start(&op, RV_OP_TRUNCATE, f2, NULL, 0, 0, 0);
	ck_assert_int_eq(rv_op_wait(&op, RV_WAIT_MS), 0);
	ck_assert_int_ge(rv_hold_wait(&a, "SIGBUS caught", 2000), 0);
	for (int i = 0; i < 200 && !atomic_load(&shm->sigbus); i++)
		usleep(10 * 1000);
	ck_assert_int_ge(atomic_load(&shm->sigbus), 1);
	ck_assert(rv_alive(a.pid) && rv_alive(b));

	/* Grown again: holes, not the holders' blocks. */
	ck_assert_int_eq(truncate(f1, MIB), 0);
	ck_assert_int_eq(truncate(f2, MIB), 0);
	rv_expect_bytes(f1, 0, MIB, RV_ZERO);
	rv_expect_bytes(f2, 0, MIB, RV_ZERO);

	/* Fill the whole region with new files. */
	snprintf(dir, sizeof(dir), "%s", rv_path("fill"));
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	for (nfiles = 0; nfiles < MAXFILES; nfiles++) {
		snprintf(name, sizeof(name), "fill/%u", nfiles);
		const char *p = rv_path(name);

		sizes[nfiles] = rv_fill_file(p, 300 + nfiles, MIB);
		if (access(p, F_OK) < 0)
			break;
		unsigned n = extents_of(p, 0, fe, 512);
		ck_assert_msg(!overlaps(fe, n, pa, npa) &&
			      !overlaps(fe, n, pb, npb), "%s was given a "
			      "block a live holder still writes", name);
		if (sizes[nfiles] == 0) {
			nfiles++;
			break;
		}
	}
	ck_assert_uint_le(rv_free_blocks(), 2);
	/* Let them write on over the full region, then look. */
	unsigned long long p0 = atomic_load(&shm->passes);
	usleep(300 * 1000);
	ck_assert_msg(atomic_load(&shm->passes) > p0, "adversary stopped");
	ck_assert(rv_alive(a.pid) && rv_alive(b));
	for (unsigned i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "fill/%u", i);
		ck_assert_uint_eq((uint64_t)rv_size(rv_path(name)), sizes[i]);
		expect_clean(rv_path(name), 300 + i);
	}
	rv_expect_bytes(f1, 0, MIB, RV_ZERO);
	rv_expect_bytes(f2, 0, MIB, RV_ZERO);
	for (unsigned i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "fill/%u", i);
		ck_assert_int_eq(unlink(rv_path(name)), 0);
	}
	ck_assert_int_eq(rmdir(dir), 0);
	rv_finish(); /* kills them, unmounts, fsck clean */
}
END_TEST

/* After a change that took a live writer's blocks away (punch, zero
 * range, truncate + extend), the file's range reads zeros, and then the
 * bytes written through the mount, for as long as the writer goes on. */
static void changed_range_stays_clean(const char *opts, enum rv_op op)
{
	char f[PATH_MAX];
	struct rv_opproc p;
	unsigned char *buf = malloc(K512);
	int fd;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(shm != MAP_FAILED);
	rv_mount(opts, "64M");
	snprintf(f, sizeof(f), "%s", rv_path("clean"));
	rv_make_file(f, MIB, 113);
	pid_t b = rv_child(adversary, f);
	for (int i = 0; i < 500 && !atomic_load(&shm->passes); i++)
		usleep(10 * 1000);
	ck_assert_msg(atomic_load(&shm->passes) > 0, "adversary did not start "
		      "(%d)", atomic_load(&shm->err));

	if (op == RV_OP_TRUNCATE) {
		rv_op_start(&p, op, f, NULL, 0, 0, 0);
		ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), 0);
		ck_assert_int_eq(truncate(f, MIB), 0);
	} else if (op == RV_OP_COPY) {
		/* copy zeros from another file over the writer's range */
		char src[PATH_MAX];

		snprintf(src, sizeof(src), "%s", rv_path("zeros"));
		int sfd = open(src, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		ck_assert_int_ge(sfd, 0);
		char *z = calloc(1, K512);
		ck_assert_int_eq(pwrite(sfd, z, K512, 0), (ssize_t)K512);
		free(z);
		close(sfd);
		rv_op_start(&p, op, f, src, 0, K512, 0);
		ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), 0);
	} else {
		rv_op_start(&p, op, f, NULL, 0, K512, 0);
		ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), 0);
	}
	ck_assert(rv_alive(b));
	fd = open(f, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	/* The writer's blocks left the file (they are held for it only). */
	static struct pinfs_extent pe[64], fe[512];
	unsigned npe = rv_extents(fd, atomic_load(&shm->pin_id), pe, 64);
	unsigned nfe = rv_extents(fd, 0, fe, 512);
	bool shared = overlaps(fe, nfe, pe, npe);
	ck_assert_msg(!shared, "BUG: after %s the file still maps the "
		      "revoked writer's blocks (%u pin extents, e.g. region "
		      "%" PRIu64 "): its next write lands where the writer "
		      "still stores", op == RV_OP_ZERO ? "zero range" :
		      op == RV_OP_PUNCH ? "punch" : op == RV_OP_COPY ?
		      "copy_file_range onto it" : "truncate",
		      npe, npe ? pe[0].region_off : 0);
	for (int round = 0; round < 3; round++) {
		unsigned long long p0 = atomic_load(&shm->passes);

		/* it keeps writing: a new pass within 3 s (100 ms is usual;
		 * a loaded 2-CPU machine may not run it for longer) */
		for (int w = 0; w < 300 && atomic_load(&shm->passes) == p0;
		     w++)
			usleep(10 * 1000);
		ck_assert_msg(atomic_load(&shm->passes) > p0, "writer stopped");
		ck_assert_int_eq(pread(fd, buf, K512, 0), (ssize_t)K512);
		ck_assert_msg(!memmem(buf, K512, "ADVERSARY-", 10), "the file "
			      "shows the revoked writer's stores after the "
			      "change (round %d)", round);
		rv_expect_bytes(f, 0, K512, RV_ZERO);
	}
	/* Rewritten through the mount: new blocks, its own bytes stay. */
	for (size_t i = 0; i < K512; i++)
		buf[i] = rv_pattern(114, i);
	ck_assert_int_eq(pwrite(fd, buf, K512, 0), (ssize_t)K512);
	ck_assert_int_eq(fsync(fd), 0);
	usleep(200 * 1000);
	rv_expect_bytes(f, 0, K512, 114);
	rv_expect_bytes(f, K512, MIB - K512, op == RV_OP_TRUNCATE ? RV_ZERO
								  : 113);
	close(fd);
	free(buf);
	rv_finish();
}

START_TEST(quarantine_punch_clean)
{
	changed_range_stays_clean("policy=quarantine", RV_OP_PUNCH);
}
END_TEST

START_TEST(quarantine_zero_clean)
{
	changed_range_stays_clean("policy=quarantine", RV_OP_ZERO);
}
END_TEST

START_TEST(quarantine_truncate_clean)
{
	changed_range_stays_clean("policy=quarantine", RV_OP_TRUNCATE);
}
END_TEST

START_TEST(revoked_punch_clean)
{
	changed_range_stays_clean("lease_break_time=300,kill_grace=0",
				  RV_OP_PUNCH);
}
END_TEST

START_TEST(revoked_zero_clean)
{
	changed_range_stays_clean("lease_break_time=300,kill_grace=0",
				  RV_OP_ZERO);
}
END_TEST

START_TEST(quarantine_copy_clean)
{
	changed_range_stays_clean("policy=quarantine", RV_OP_COPY);
}
END_TEST

START_TEST(revoked_copy_clean)
{
	changed_range_stays_clean("lease_break_time=300,kill_grace=0",
				  RV_OP_COPY);
}
END_TEST

/* A holder's child does not inherit the pinned mapping (MADV_DONTFORK):
 * it cannot reach the blocks once its parent, the holder, is gone. */
static int forking_holder(void *arg)
{
	const char *path = arg;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	int st;

	if (pinfs_file_new(path, PINFS_OPEN_WRITE, &pf) < 0 ||
	    pinfs_pin(pf, 0, K64, PINFS_PIN_WRITE, &m) < 0)
		return 10;
	volatile char *a = pinfs_mapping_addr(m);
	a[0] = 'H';
	pid_t c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL);
		a[1] = 'C'; /* must fault */
		_exit(0);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		return 11;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : 12;
}

START_TEST(holder_child_cannot_reach_pin)
{
	char f[PATH_MAX];

	rv_mount("lease_break_time=300", "64M");
	snprintf(f, sizeof(f), "%s", rv_path("forker"));
	rv_make_file(f, MIB, 115);
	int st = rv_wait_exit(rv_child(forking_holder, f), 5000);
	ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "a forked child of the holder could write its pinned "
		      "mapping (status 0x%x)", st);
	rv_finish();
}
END_TEST

int main(void)
{
	const struct rv_case cases[] = {
		{ "adversary", adversarial_holders_corrupt_nothing, 60 },
		{ "quarantine_punch", quarantine_punch_clean, 60 },
		{ "quarantine_zero", quarantine_zero_clean, 60 },
		{ "quarantine_truncate", quarantine_truncate_clean, 60 },
		{ "revoked_punch", revoked_punch_clean, 60 },
		{ "revoked_zero", revoked_zero_clean, 60 },
		{ "quarantine_copy", quarantine_copy_clean, 60 },
		{ "revoked_copy", revoked_copy_clean, 60 },
		{ "holder_fork", holder_child_cannot_reach_pin, 60 },
	};

	return rv_run_suite("revoke-adversary", cases,
			    sizeof(cases) / sizeof(cases[0]));
}
