/* SPDX-License-Identifier: MIT */
/*
 * test_recovery.c - crash consistency through every persist point.
 *
 * Linked against the crash-injection store (region_fi.c): a crash there is
 * a power cut (whatever was not persisted is lost).  For each operation:
 * build a baseline image (with fsync'd data), count the persist calls the
 * operation makes, then for N = 1..count run it in a child that crashes at
 * the Nth persist; after each crash, open the image (journal replay, orphan
 * reclaim), check that the baseline data is intact and that the operation
 * is either fully done or not at all, and that fsck finds nothing.  The
 * recovery is itself crashed at each of its persist points (a second power
 * cut during replay or orphan reclaim) and checked the same way.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "region.h"

#define ROOT STORE_ROOT_INO
#define KiB 1024ull

enum state { NOT_DONE = 0, DONE = 1, BROKEN = -1 };

struct op {
	const char *name;
	void (*prep)(struct store *st);
	void (*run)(struct store *st);
	enum state (*check)(struct store *st);
	bool (*base)(struct store *st);  /* NULL: base_ok */
};

static char base_img[160], work_img[160];

static uint64_t ino_of(struct store *st, uint64_t dir, const char *name)
{
	struct store_attr a;

	return store_lookup(st, dir, name, &a) ? 0 : a.ino;
}

static uint64_t size_of(struct store *st, uint64_t ino)
{
	struct store_attr a;

	ck_assert_int_eq(store_getattr(st, ino, &a), 0);
	return a.size;
}

static bool pattern_ok(struct store *st, uint64_t ino, uint64_t off,
		       size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len);
	bool ok;

	ck_assert_ptr_nonnull(buf);
	ok = store_read(st, ino, buf, len, off) == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = buf[i] == (uint8_t)(((off + i) * 131 + (off + i) / 4093 +
					  seed) | 1);
	free(buf);
	return ok;
}

static bool zeros_ok(struct store *st, uint64_t ino, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	bool ok;

	ok = store_read(st, ino, buf, len, off) == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = !buf[i];
	free(buf);
	return ok;
}

/* ---- baseline shared by all operations ---- */

static void base_prep(struct store *st)
{
	uint64_t k = fx_create(st, ROOT, "keep", S_IFREG | 0644);
	uint64_t d = fx_create(st, ROOT, "dir", S_IFDIR | 0755);
	uint64_t v = fx_create(st, ROOT, "victim", S_IFREG | 0644);

	fx_write_pattern(st, k, 0, 50000, 1);
	fx_write_pattern(st, v, 0, 100 * KiB, 2);
	ck_assert_int_eq(store_setxattr(st, v, "user.x", "val", 3, 0), 0);
	fx_create(st, d, "inner", S_IFREG | 0644);
	ck_assert_int_eq(store_fsync(st, k, false), 0);
}

static bool base_ok(struct store *st)
{
	uint64_t k = ino_of(st, ROOT, "keep");

	return k && size_of(st, k) == 50000 && pattern_ok(st, k, 0, 50000, 1) &&
	       ino_of(st, ino_of(st, ROOT, "dir"), "inner");
}

/* ---- operations ---- */

static void create_run(struct store *st)
{
	fx_create(st, ROOT, "new", S_IFREG | 0600);
}
static enum state create_check(struct store *st)
{
	return ino_of(st, ROOT, "new") ? DONE : NOT_DONE;
}

static void mkdir_run(struct store *st)
{
	fx_create(st, ino_of(st, ROOT, "dir"), "sub", S_IFDIR | 0700);
}
static enum state mkdir_check(struct store *st)
{
	struct store_attr a;
	uint64_t d = ino_of(st, ROOT, "dir");
	bool has = ino_of(st, d, "sub");

	ck_assert_int_eq(store_getattr(st, d, &a), 0);
	if (a.nlink != (has ? 3u : 2u))
		return BROKEN;
	return has ? DONE : NOT_DONE;
}

static void rename_run(struct store *st)
{
	ck_assert_int_eq(store_rename(st, ROOT, "victim", ino_of(st, ROOT, "dir"),
				      "moved", 0), 0);
}
static enum state rename_check(struct store *st)
{
	uint64_t a = ino_of(st, ROOT, "victim");
	uint64_t b = ino_of(st, ino_of(st, ROOT, "dir"), "moved");

	if (!!a == !!b || !pattern_ok(st, a ? a : b, 0, 100 * KiB, 2))
		return BROKEN;
	return b ? DONE : NOT_DONE;
}

static void rename_over_run(struct store *st)
{
	ck_assert_int_eq(store_rename(st, ROOT, "victim", ROOT, "keep2", 0), 0);
}
static void rename_over_prep(struct store *st)
{
	uint64_t k = fx_create(st, ROOT, "keep2", S_IFREG | 0644);

	fx_write_pattern(st, k, 0, 20000, 5);
}
static enum state rename_over_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim"), k = ino_of(st, ROOT, "keep2");

	if (!k)
		return BROKEN;
	if (v)
		return pattern_ok(st, k, 0, 20000, 5) && size_of(st, k) == 20000
			       ? NOT_DONE : BROKEN;
	return pattern_ok(st, k, 0, 100 * KiB, 2) ? DONE : BROKEN;
}

static void link_run(struct store *st)
{
	ck_assert_int_eq(store_link(st, ino_of(st, ROOT, "keep"),
				    ino_of(st, ROOT, "dir"), "k2", NULL), 0);
}
static enum state link_check(struct store *st)
{
	struct store_attr a;
	bool has = ino_of(st, ino_of(st, ROOT, "dir"), "k2");

	ck_assert_int_eq(store_getattr(st, ino_of(st, ROOT, "keep"), &a), 0);
	if (a.nlink != (has ? 2u : 1u))
		return BROKEN;
	return has ? DONE : NOT_DONE;
}

static void unlink_run(struct store *st)
{
	ck_assert_int_eq(store_unlink(st, ROOT, "victim"), 0);
}
static enum state unlink_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim");

	if (!v)
		return DONE;
	return pattern_ok(st, v, 0, 100 * KiB, 2) ? NOT_DONE : BROKEN;
}

static void truncate_run(struct store *st)
{
	struct store_attr in = { .size = 5000 };

	ck_assert_int_eq(store_setattr(st, ino_of(st, ROOT, "victim"), &in,
				       STORE_SET_SIZE, NULL), 0);
}
static enum state truncate_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim"), sz = size_of(st, v);

	if (sz == 100 * KiB)
		return pattern_ok(st, v, 0, 100 * KiB, 2) ? NOT_DONE : BROKEN;
	if (sz == 5000)
		return pattern_ok(st, v, 0, 5000, 2) ? DONE : BROKEN;
	return BROKEN;
}

static void extend_run(struct store *st)
{
	fx_write_pattern(st, ino_of(st, ROOT, "keep"), 50000, 300 * KiB, 1);
}
static enum state extend_check(struct store *st)
{
	uint64_t k = ino_of(st, ROOT, "keep");
	struct store_attr a;

	ck_assert_int_eq(store_getattr(st, k, &a), 0);
	if (a.size == 50000)
		return NOT_DONE;
	if (a.size == 50000 + 300 * KiB &&
	    pattern_ok(st, k, 0, 50000 + 300 * KiB, 1))
		return DONE;
	return BROKEN;
}
static bool extend_base_ok(struct store *st)
{
	uint64_t k = ino_of(st, ROOT, "keep");

	return k && pattern_ok(st, k, 0, 50000, 1);
}

/* An overwrite inside the size over written blocks: the shared-lock path
 * (owrite.c), data then timestamps, no journal. */
static void overwrite_run(struct store *st)
{
	fx_write_pattern(st, ino_of(st, ROOT, "victim"), 4096 + 100,
			 3 * 4096, 9);
}
static enum state overwrite_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim");
	uint64_t off = 4096 + 100, len = 3 * 4096;

	if (size_of(st, v) != 100 * KiB || !pattern_ok(st, v, 0, off, 2) ||
	    !pattern_ok(st, v, off + len, 100 * KiB - off - len, 2))
		return BROKEN;
	if (pattern_ok(st, v, off, len, 2))
		return NOT_DONE;
	return pattern_ok(st, v, off, len, 9) ? DONE : BROKEN;
}

static void punch_run(struct store *st)
{
	ck_assert_int_eq(store_fallocate(st, ino_of(st, ROOT, "victim"),
					 FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					 5000, 40000), 0);
}
static enum state punch_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim");

	if (size_of(st, v) != 100 * KiB || !pattern_ok(st, v, 0, 5000, 2) ||
	    !pattern_ok(st, v, 45000, 100 * KiB - 45000, 2))
		return BROKEN;
	if (pattern_ok(st, v, 5000, 40000, 2))
		return NOT_DONE;
	return zeros_ok(st, v, 5000, 40000) ? DONE : BROKEN;
}

static void falloc_run(struct store *st)
{
	ck_assert_int_eq(store_fallocate(st, ino_of(st, ROOT, "keep"), 0,
					 200 * KiB, 1024 * KiB), 0);
}
static enum state falloc_check(struct store *st)
{
	struct store_attr a;
	uint64_t k = ino_of(st, ROOT, "keep");

	ck_assert_int_eq(store_getattr(st, k, &a), 0);
	if (a.size == 50000 && a.blocks == 13 * 8)
		return NOT_DONE;
	if (a.size == 1224 * KiB && zeros_ok(st, k, 50000, 1224 * KiB - 50000))
		return DONE;
	return BROKEN;
}

static void zero_run(struct store *st)
{
	ck_assert_int_eq(store_fallocate(st, ino_of(st, ROOT, "victim"),
					 FALLOC_FL_ZERO_RANGE, 1000, 60000), 0);
}
static enum state zero_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim");

	if (!pattern_ok(st, v, 0, 1000, 2) ||
	    !pattern_ok(st, v, 61000, 100 * KiB - 61000, 2))
		return BROKEN;
	if (pattern_ok(st, v, 1000, 60000, 2))
		return NOT_DONE;
	return zeros_ok(st, v, 1000, 60000) ? DONE : BROKEN;
}

/* mix: create + write + rename + unlink in sequence; the state must be a
 * prefix of the sequence */
static void mix_run(struct store *st)
{
	uint64_t m = fx_create(st, ROOT, "m", S_IFREG | 0644);

	fx_write_pattern(st, m, 0, 30000, 9);
	ck_assert_int_eq(store_rename(st, ROOT, "m", ino_of(st, ROOT, "dir"),
				      "m2", 0), 0);
	ck_assert_int_eq(store_unlink(st, ROOT, "victim"), 0);
	ck_assert_int_eq(store_rmdir(st, ROOT, "nonexistent"), -ENOENT);
}
static enum state mix_check(struct store *st)
{
	uint64_t d = ino_of(st, ROOT, "dir");
	uint64_t m = ino_of(st, ROOT, "m"), m2 = ino_of(st, d, "m2");
	bool victim = ino_of(st, ROOT, "victim");
	int stage;

	if (m && m2)
		return BROKEN;
	if (!m && !m2)
		stage = 0;
	else if (m && size_of(st, m) == 0)
		stage = 1;
	else if (m && size_of(st, m) == 30000)
		stage = 2;
	else if (m2 && size_of(st, m2) == 30000)
		stage = victim ? 3 : 4;
	else
		return BROKEN;
	if (stage < 3 && !victim)
		return BROKEN;
	if (stage >= 2 && !pattern_ok(st, m ? m : m2, 0, 30000, 9))
		return BROKEN;
	return stage == 4 ? DONE : NOT_DONE;
}

static void unlink_pinned_run(struct store *st)
{
	ck_assert_int_eq(store_iget(st, ino_of(st, ROOT, "victim")), 0);
	ck_assert_int_eq(store_unlink(st, ROOT, "victim"), 0);
}

static void exchange_run(struct store *st)
{
	ck_assert_int_eq(store_rename(st, ROOT, "keep", ROOT, "victim",
				      STORE_RENAME_EXCHANGE), 0);
}
static enum state exchange_check(struct store *st)
{
	uint64_t k = ino_of(st, ROOT, "keep"), v = ino_of(st, ROOT, "victim");

	if (!k || !v)
		return BROKEN;
	if (size_of(st, k) == 50000 && pattern_ok(st, k, 0, 50000, 1) &&
	    pattern_ok(st, v, 0, 100 * KiB, 2))
		return NOT_DONE;
	if (size_of(st, v) == 50000 && pattern_ok(st, v, 0, 50000, 1) &&
	    pattern_ok(st, k, 0, 100 * KiB, 2))
		return DONE;
	return BROKEN;
}
static bool dir_ok(struct store *st)
{
	return ino_of(st, ino_of(st, ROOT, "dir"), "inner");
}

/* ---- gated changes over a held file (invariant 1 at partial blocks) ----
 * A pin (id 7) holds every block of "victim": the partial blocks at the
 * ends of the change are copied to fresh blocks first.  After a crash the
 * holds must still be there, and a finished change must leave no held
 * block at its ends. */

#define HOLD_PIN 7u

static uint64_t victim_block(struct store *st, uint64_t fb)
{
	struct store_extent e;
	uint64_t v = ino_of(st, ROOT, "victim");

	if (store_extents(st, v, fb * 4096, 4096, 0, &e, 1, NULL) != 1 ||
	    (e.flags & STORE_EXT_UNWRITTEN))
		return 0;
	return e.region_off + (fb * 4096 - e.file_off);
}

static void hold_prep(struct store *st)
{
	struct store_extent e[32];
	int n = store_extents(st, ino_of(st, ROOT, "victim"), 0, 100 * KiB, 0,
			      e, 32, NULL);

	ck_assert_int_gt(n, 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(store_hold(st, HOLD_PIN, e[i].region_off,
					    e[i].len), 0);
}

static int count_hold(void *arg, uint64_t pin, uint64_t off, uint64_t len)
{
	(void)off;
	if (pin == HOLD_PIN)
		*(uint64_t *)arg += len / 4096;
	return 0;
}

static enum state held_check(struct store *st, enum state s, uint64_t fb0,
			     uint64_t fb1)
{
	uint64_t held = 0, r0 = victim_block(st, fb0), r1 = victim_block(st, fb1);

	if (s == BROKEN || store_for_each_hold(st, count_hold, &held) ||
	    held != 25)
		return BROKEN;
	if (s == DONE && ((r0 && store_block_held(st, r0)) ||
			  (r1 && store_block_held(st, r1))))
		return BROKEN;
	if (s == NOT_DONE && (!store_block_held(st, r0) ||
			      !store_block_held(st, r1)))
		return BROKEN;
	return s;
}

static enum state trunc_held_check(struct store *st)
{
	return held_check(st, truncate_check(st), 1, 1);
}
static enum state punch_held_check(struct store *st)
{
	return held_check(st, punch_check(st), 1, 10);
}
static enum state zero_held_check(struct store *st)
{
	return held_check(st, zero_check(st), 0, 14);
}

/* copy keep [3000, 23000) onto victim at the same offsets */
static void copy_held_run(struct store *st)
{
	ck_assert_int_eq(store_copy_range(st, ino_of(st, ROOT, "keep"), 3000,
					  ino_of(st, ROOT, "victim"), 3000,
					  20000), 20000);
}
static enum state copy_held_check(struct store *st)
{
	uint64_t v = ino_of(st, ROOT, "victim");
	enum state s;

	if (size_of(st, v) != 100 * KiB || !pattern_ok(st, v, 0, 3000, 2) ||
	    !pattern_ok(st, v, 23000, 100 * KiB - 23000, 2))
		s = BROKEN;
	else if (pattern_ok(st, v, 3000, 20000, 2))
		s = NOT_DONE;
	else
		s = pattern_ok(st, v, 3000, 20000, 1) ? DONE : BROKEN;
	return held_check(st, s, 0, 5);
}

static const struct op ops[] = {
	{ "create", NULL, create_run, create_check, NULL },
	{ "mkdir", NULL, mkdir_run, mkdir_check, NULL },
	{ "rename", NULL, rename_run, rename_check, NULL },
	{ "rename-over", rename_over_prep, rename_over_run, rename_over_check, NULL },
	{ "link", NULL, link_run, link_check, NULL },
	{ "unlink", NULL, unlink_run, unlink_check, NULL },
	{ "truncate", NULL, truncate_run, truncate_check, NULL },
	{ "unlink-pinned", NULL, unlink_pinned_run, unlink_check, NULL },
	{ "exchange", NULL, exchange_run, exchange_check, dir_ok },
	{ "extending-write", NULL, extend_run, extend_check, extend_base_ok },
	{ "overwrite", NULL, overwrite_run, overwrite_check, NULL },
	{ "punch", NULL, punch_run, punch_check, NULL },
	{ "fallocate", NULL, falloc_run, falloc_check, extend_base_ok },
	{ "zero-range", NULL, zero_run, zero_check, NULL },
	{ "mix", NULL, mix_run, mix_check, NULL },
	{ "truncate-held", hold_prep, truncate_run, trunc_held_check, NULL },
	{ "punch-held", hold_prep, punch_run, punch_held_check, NULL },
	{ "zero-held", hold_prep, zero_run, zero_held_check, NULL },
	{ "copy-held", hold_prep, copy_held_run, copy_held_check, NULL },
};

/* ---- driver ---- */

static void copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY), out;
	struct stat stb;
	off_t left;

	ck_assert_int_ge(in, 0);
	ck_assert_int_eq(fstat(in, &stb), 0);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(out, 0);
	for (left = stb.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);

		ck_assert_int_gt(n, 0);
		left -= n;
	}
	close(in);
	close(out);
}

static struct store *open_img(const char *path)
{
	struct store *st = NULL;
	const char *why = NULL;
	int err = store_open(path, 0, &st, &why);

	ck_assert_msg(err == 0, "open after crash: %d (%s)", err, why ? why : "");
	return st;
}

static int fsck_img(const char *path)
{
	return store_fsck(path, 0, NULL, NULL);
}

/* After a crash: open (replay, reclaim), check everything, fsck. */
static void verify(const struct op *op, uint64_t n, uint64_t total,
		   uint64_t m)
{
	struct store *st = open_img(work_img);
	enum state s;

	ck_assert_msg(op->base ? op->base(st) : base_ok(st),
		      "%s: crash at %llu (then %llu) lost fsync'd data", op->name,
		      (unsigned long long)n, (unsigned long long)m);
	s = op->check(st);
	ck_assert_msg(s != BROKEN, "%s: crash at %llu (then %llu) left a "
		      "half-done operation", op->name, (unsigned long long)n,
		      (unsigned long long)m);
	if (n > total)
		ck_assert_int_eq(s, DONE);
	store_close(&st);
	ck_assert_msg(fsck_img(work_img) == 0,
		      "%s: fsck not clean after crash at %llu (then %llu)",
		      op->name, (unsigned long long)n, (unsigned long long)m);
}

/* Crash again at every persist point of the recovery itself (journal
 * replay, orphan reclaim): replay must be idempotent. */
static void crash_recovery(const struct op *op, uint64_t n, uint64_t total)
{
	char crashed[160];

	fx_path(crashed, sizeof(crashed), "crashed.img");
	copy_file(work_img, crashed);
	for (uint64_t m = 1; m <= 64; m++) {
		int status;
		pid_t pid;

		copy_file(crashed, work_img);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct store *st;

			alarm(60);
			region_crash_at(m);
			st = open_img(work_img);
			store_close(&st);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		verify(op, n, total, m);
		if (WEXITSTATUS(status) == 0)
			return;
		ck_assert_int_eq(WEXITSTATUS(status), PINFS_CRASH_EXIT);
	}
	ck_abort_msg("%s: recovery never completed", op->name);
}

static void run_op(const struct op *op)
{
	struct store_mkfs_opts o = { .size = 16ull << 20, .inodes = 1024 };
	struct store *st;
	uint64_t c0, total;
	int crashes = 0;

	fx_path(base_img, sizeof(base_img), "base.img");
	fx_path(work_img, sizeof(work_img), "work.img");
	unlink(base_img);
	ck_assert_int_eq(store_mkfs(base_img, &o), 0);
	st = open_img(base_img);
	base_prep(st);
	if (op->prep)
		op->prep(st);
	store_close(&st);
	/* count the persist points of the operation */
	copy_file(base_img, work_img);
	st = open_img(work_img);
	ck_assert_int_eq(op->check(st), NOT_DONE);
	c0 = region_persist_count();
	op->run(st);
	total = region_persist_count() - c0;
	ck_assert_int_eq(op->check(st), DONE);
	store_close(&st);
	ck_assert_int_eq(fsck_img(work_img), 0);
	fprintf(stderr, "recovery: %-16s %3llu persist points\n", op->name,
		(unsigned long long)total);
	for (uint64_t n = 1; n <= total + 1; n++) {
		int status;
		pid_t pid;

		copy_file(base_img, work_img);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			alarm(60);
			st = open_img(work_img);
			region_crash_at(n);
			op->run(st);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status), "%s: child died at %llu",
			      op->name, (unsigned long long)n);
		ck_assert_int_eq(WEXITSTATUS(status),
				 n <= total ? PINFS_CRASH_EXIT : 0);
		crashes += WEXITSTATUS(status) == PINFS_CRASH_EXIT;
		if (n <= total)
			crash_recovery(op, n, total);
		else
			verify(op, n, total, 0);
	}
	ck_assert_int_eq(crashes, (int)total);
}

START_TEST(test_op)
{
	run_op(&ops[_i]);
}
END_TEST

static Suite *recovery_suite(void)
{
	Suite *s = suite_create("recovery");
	TCase *tc = tcase_create("crash-points");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_op, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(recovery_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
