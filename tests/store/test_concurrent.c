/* SPDX-License-Identifier: MIT */
/*
 * test_concurrent.c - writes under the shared lock (owrite.c) racing with
 * the exclusive paths.
 *
 * Owner threads each own one file and mix overwrites (the shared-lock
 * path), writes into holes (allocation: exclusive), punch, truncate and
 * holds on it, against a DRAM model that must match the file at the end.
 * Meanwhile two writers overwrite whole blocks of one shared file with
 * uniform tags while a reader checks that no block is ever seen torn, and
 * a stat thread checks that mtime never goes backwards.  At the end every
 * file is compared and fsck must find nothing.  The run is bounded by an
 * operation count.  Threads record failures; the main thread asserts.
 */
#include <check.h>
#include <errno.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"

#define ROOT STORE_ROOT_INO
#define BS 4096u
#define OWN_BLOCKS 128u
#define OWN_SIZE (OWN_BLOCKS * BS)
#define OWN_THREADS 2
#define SHARED_BLOCKS 64u
#define OWN_OPS 3000
#define SHARED_OPS 3000

struct shared {
	struct store *st;
	uint64_t shared_ino;
	atomic_int writers_left;
	atomic_int fail;
	char why[200];
	pthread_mutex_t why_lock;
};

static void note_fail(struct shared *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_fail(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&sh->why_lock);
	if (!atomic_load(&sh->fail)) {
		va_start(ap, fmt);
		vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
		va_end(ap);
	}
	atomic_store(&sh->fail, 1);
	pthread_mutex_unlock(&sh->why_lock);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct owner {
	struct shared *sh;
	unsigned id;
	uint64_t ino;
	uint8_t *model;
	uint64_t held_pin;    /* 0: none */
};

/* Region offset of file block FB, or UINT64_MAX if unmapped. */
static uint64_t region_off_of(struct store *st, uint64_t ino, uint64_t fb)
{
	struct store_extent e;

	if (store_extents(st, ino, fb * BS, BS, 0, &e, 1, NULL) != 1 ||
	    e.file_off > fb * BS)
		return UINT64_MAX;
	return e.region_off + (fb * BS - e.file_off);
}

static void owner_step(struct owner *o, uint64_t *seed, uint8_t *buf,
		       unsigned op)
{
	struct shared *sh = o->sh;
	struct store *st = sh->st;
	unsigned k = (unsigned)(rnd(seed) % 100);
	struct store_attr a, out;

	if (k < 70) {   /* a write: aligned block or unaligned bytes */
		uint64_t off, len;

		if (k < 45) {
			off = rnd(seed) % OWN_BLOCKS * BS;
			len = BS;
		} else {
			off = rnd(seed) % OWN_SIZE;
			len = 1 + rnd(seed) % (2 * BS);
			if (len > OWN_SIZE - off)
				len = OWN_SIZE - off;
		}
		for (uint64_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(op * 7 + i + o->id * 31) | 1;
		if (store_write(st, o->ino, buf, len, off) != (ssize_t)len)
			note_fail(sh, "owner %u: write %llu+%llu", o->id,
			     (unsigned long long)off, (unsigned long long)len);
		memcpy(o->model + off, buf, len);
	} else if (k < 80) {   /* punch */
		uint64_t off = rnd(seed) % OWN_SIZE;
		uint64_t len = 1 + rnd(seed) % (4 * BS);

		if (len > OWN_SIZE - off)
			len = OWN_SIZE - off;
		if (store_fallocate(st, o->ino, FALLOC_FL_PUNCH_HOLE |
						FALLOC_FL_KEEP_SIZE, off, len))
			note_fail(sh, "owner %u: punch", o->id);
		memset(o->model + off, 0, len);
	} else if (k < 86) {   /* truncate down, then back to full size */
		uint64_t sz = rnd(seed) % OWN_SIZE;

		memset(&a, 0, sizeof(a));
		a.size = sz;
		if (store_setattr(st, o->ino, &a, STORE_SET_SIZE, &out))
			note_fail(sh, "owner %u: truncate", o->id);
		a.size = OWN_SIZE;
		if (store_setattr(st, o->ino, &a, STORE_SET_SIZE, &out))
			note_fail(sh, "owner %u: extend", o->id);
		memset(o->model + sz, 0, OWN_SIZE - sz);
	} else if (k < 96) {   /* hold a block (forces the exclusive path) */
		if (o->held_pin) {
			if (store_release_holds(st, o->held_pin))
				note_fail(sh, "owner %u: release", o->id);
			o->held_pin = 0;
		} else {
			uint64_t ro = region_off_of(st, o->ino,
						    rnd(seed) % OWN_BLOCKS);

			if (ro != UINT64_MAX) {
				o->held_pin = 1000 + o->id;
				if (store_hold(st, o->held_pin, ro, BS))
					note_fail(sh, "owner %u: hold", o->id);
			}
		}
	} else {   /* read back a random block against the model */
		uint64_t off = rnd(seed) % OWN_BLOCKS * BS;

		if (store_read(st, o->ino, buf, BS, off) != BS ||
		    memcmp(buf, o->model + off, BS))
			note_fail(sh, "owner %u: block at %llu differs", o->id,
			     (unsigned long long)off);
	}
}

static void *owner_main(void *arg)
{
	struct owner *o = arg;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (o->id + 1);
	uint8_t *buf = malloc(2 * BS);

	for (unsigned op = 0; op < OWN_OPS && buf && !atomic_load(&o->sh->fail);
	     op++)
		owner_step(o, &seed, buf, op);
	if (o->held_pin && store_release_holds(o->sh->st, o->held_pin))
		note_fail(o->sh, "owner %u: final release", o->id);
	free(buf);
	return NULL;
}

/* A block of the shared file: one 8-byte tag repeated, never mixed. */
static bool uniform(const uint64_t *w)
{
	for (unsigned i = 1; i < BS / 8; i++)
		if (w[i] != w[0])
			return false;
	return true;
}

struct swriter {
	struct shared *sh;
	unsigned id;
};

static void *swriter_main(void *arg)
{
	struct swriter *w = arg;
	uint64_t seed = 77 + w->id, *blk = malloc(BS);

	for (unsigned op = 0; op < SHARED_OPS && blk &&
			      !atomic_load(&w->sh->fail); op++) {
		uint64_t fb = rnd(&seed) % SHARED_BLOCKS;
		uint64_t tag = ((uint64_t)(w->id + 1) << 32) | op;

		for (unsigned i = 0; i < BS / 8; i++)
			blk[i] = tag;
		if (store_write(w->sh->st, w->sh->shared_ino, blk, BS,
				fb * BS) != BS)
			note_fail(w->sh, "shared writer %u: write", w->id);
	}
	free(blk);
	atomic_fetch_sub(&w->sh->writers_left, 1);
	return NULL;
}

static void *sreader_main(void *arg)
{
	struct shared *sh = arg;
	uint64_t *buf = malloc(SHARED_BLOCKS * BS);
	struct timespec last = { 0, 0 };

	while (buf && atomic_load(&sh->writers_left) > 0 &&
	       !atomic_load(&sh->fail)) {
		struct store_attr a;

		if (store_read(sh->st, sh->shared_ino, buf,
			       SHARED_BLOCKS * BS, 0) != SHARED_BLOCKS * BS) {
			note_fail(sh, "shared reader: short read");
			break;
		}
		for (unsigned b = 0; b < SHARED_BLOCKS; b++)
			if (!uniform(buf + b * (BS / 8)))
				note_fail(sh, "shared block %u seen torn", b);
		if (store_getattr(sh->st, sh->shared_ino, &a))
			note_fail(sh, "shared reader: getattr");
		if (a.mtime.tv_sec < last.tv_sec ||
		    (a.mtime.tv_sec == last.tv_sec &&
		     a.mtime.tv_nsec < last.tv_nsec))
			note_fail(sh, "mtime went backwards");
		last = a.mtime;
	}
	free(buf);
	return NULL;
}

START_TEST(test_overwrites_race_layout_changes)
{
	struct shared sh = { .st = F.st };
	struct owner own[OWN_THREADS];
	struct swriter sw[2];
	pthread_t tid[OWN_THREADS + 3];
	unsigned n = 0;
	uint64_t *blk = calloc(1, BS);
	struct store_attr a;

	ck_assert_ptr_nonnull(blk);
	pthread_mutex_init(&sh.why_lock, NULL);
	sh.shared_ino = fx_create(F.st, ROOT, "shared", S_IFREG | 0644);
	for (unsigned b = 0; b < SHARED_BLOCKS; b++)
		ck_assert_int_eq(store_write(F.st, sh.shared_ino, blk, BS,
					     b * BS), BS);
	for (unsigned t = 0; t < OWN_THREADS; t++) {
		char name[16];
		uint8_t *init = malloc(OWN_SIZE);

		ck_assert_ptr_nonnull(init);
		snprintf(name, sizeof(name), "own%u", t);
		own[t] = (struct owner){ .sh = &sh, .id = t };
		own[t].ino = fx_create(F.st, ROOT, name, S_IFREG | 0644);
		own[t].model = init;
		for (uint64_t i = 0; i < OWN_SIZE; i++)
			init[i] = (uint8_t)(i * 13 + t);
		ck_assert_int_eq(store_write(F.st, own[t].ino, init, OWN_SIZE,
					     0), (ssize_t)OWN_SIZE);
	}
	atomic_store(&sh.writers_left, 2);
	for (unsigned t = 0; t < OWN_THREADS; t++)
		ck_assert_int_eq(pthread_create(&tid[n++], NULL, owner_main,
						&own[t]), 0);
	for (unsigned w = 0; w < 2; w++) {
		sw[w] = (struct swriter){ .sh = &sh, .id = w };
		ck_assert_int_eq(pthread_create(&tid[n++], NULL, swriter_main,
						&sw[w]), 0);
	}
	ck_assert_int_eq(pthread_create(&tid[n++], NULL, sreader_main, &sh), 0);
	for (unsigned t = 0; t < n; t++)
		pthread_join(tid[t], NULL);
	ck_assert_msg(!atomic_load(&sh.fail), "%s", sh.why);

	/* final contents: the owners' models, the shared file untorn */
	for (unsigned t = 0; t < OWN_THREADS; t++) {
		uint8_t *got = malloc(OWN_SIZE);

		ck_assert_ptr_nonnull(got);
		ck_assert_int_eq(store_getattr(F.st, own[t].ino, &a), 0);
		ck_assert_uint_eq(a.size, OWN_SIZE);
		ck_assert_int_eq(store_read(F.st, own[t].ino, got, OWN_SIZE, 0),
				 (ssize_t)OWN_SIZE);
		ck_assert_msg(!memcmp(got, own[t].model, OWN_SIZE),
			      "file own%u differs from its model", t);
		free(got);
		free(own[t].model);
	}
	for (unsigned b = 0; b < SHARED_BLOCKS; b++) {
		ck_assert_int_eq(store_read(F.st, sh.shared_ino, blk, BS,
					    b * BS), BS);
		ck_assert_msg(uniform(blk), "shared block %u torn", b);
	}
	free(blk);
	/* and on media, after a reopen: the same, and fsck clean */
	fx_reopen(&F, 0);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

/* Overwrites keep mtime/ctime durable: a reopen sees the last one. */
START_TEST(test_overwrite_times_durable)
{
	uint64_t ino = fx_create(F.st, ROOT, "t", S_IFREG | 0644);
	struct store_attr a0, a1, b;
	struct timespec pause = { 0, 2000000 };
	char buf[100];

	fx_write_pattern(F.st, ino, 0, 3 * BS, 5);
	ck_assert_int_eq(store_getattr(F.st, ino, &a0), 0);
	nanosleep(&pause, NULL);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(store_write(F.st, ino, buf, sizeof(buf), BS - 50),
			 (ssize_t)sizeof(buf));
	ck_assert_int_eq(store_getattr(F.st, ino, &a1), 0);
	ck_assert(a1.mtime.tv_sec > a0.mtime.tv_sec ||
		  (a1.mtime.tv_sec == a0.mtime.tv_sec &&
		   a1.mtime.tv_nsec > a0.mtime.tv_nsec));
	ck_assert_int_eq(a1.ctime.tv_sec, a1.mtime.tv_sec);
	ck_assert_int_eq(a1.ctime.tv_nsec, a1.mtime.tv_nsec);
	ck_assert_uint_eq(a1.size, 3 * BS);
	fx_reopen(&F, 0);
	ck_assert_int_eq(store_getattr(F.st, ino, &b), 0);
	ck_assert_int_eq(b.mtime.tv_sec, a1.mtime.tv_sec);
	ck_assert_int_eq(b.mtime.tv_nsec, a1.mtime.tv_nsec);
	ck_assert_int_eq(store_read(F.st, ino, buf, sizeof(buf), BS - 50),
			 (ssize_t)sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 'x');
	fx_check_pattern(F.st, ino, 0, BS - 50, 5);
	fx_check_pattern(F.st, ino, BS + 50, 2 * BS - 50, 5);
}
END_TEST

/* Bad or edge inputs on the shared-lock path: past EOF, across EOF, into
 * a hole, into an unwritten extent, a held block, a directory. */
START_TEST(test_overwrite_edges)
{
	uint64_t ino = fx_create(F.st, ROOT, "e", S_IFREG | 0644);
	struct store_extent e;
	struct store_attr a;
	char buf[BS];

	memset(buf, 'y', sizeof(buf));
	fx_write_pattern(F.st, ino, 0, 4 * BS, 9);
	/* across EOF: extends */
	ck_assert_int_eq(store_write(F.st, ino, buf, BS, 4 * BS - 10), BS);
	ck_assert_int_eq(store_getattr(F.st, ino, &a), 0);
	ck_assert_uint_eq(a.size, 5 * BS - 10);
	/* into a punched hole inside the size: allocates */
	ck_assert_int_eq(store_fallocate(F.st, ino, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, BS, BS), 0);
	ck_assert_int_eq(store_write(F.st, ino, buf, 10, BS + 100), 10);
	ck_assert_int_eq(store_read(F.st, ino, buf, BS, BS), BS);
	ck_assert_int_eq(buf[99], 0);
	ck_assert_int_eq(buf[100], 'y');
	ck_assert_int_eq(buf[110], 0);
	/* into a preallocated (unwritten) extent inside the size */
	ck_assert_int_eq(store_fallocate(F.st, ino, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 2 * BS, BS), 0);
	ck_assert_int_eq(store_fallocate(F.st, ino, FALLOC_FL_KEEP_SIZE,
					 2 * BS, BS), 0);
	memset(buf, 'z', sizeof(buf));
	ck_assert_int_eq(store_write(F.st, ino, buf, 5, 2 * BS + 1), 5);
	ck_assert_int_eq(store_read(F.st, ino, buf, 8, 2 * BS), 8);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[1], 'z');
	ck_assert_int_eq(buf[6], 0);
	/* a held block is written in place through the exclusive path */
	ck_assert_int_eq(store_extents(F.st, ino, 3 * BS, BS, 0, &e, 1, NULL),
			 1);
	ck_assert_int_eq(store_hold(F.st, 42, e.region_off +
				    (3 * BS - e.file_off), BS), 0);
	memset(buf, 'h', sizeof(buf));
	ck_assert_int_eq(store_write(F.st, ino, buf, BS, 3 * BS), BS);
	ck_assert_int_eq(store_release_holds(F.st, 42), 0);
	fx_check_pattern(F.st, ino, 0, BS, 9);
	/* zero length, past EOF, a directory, a missing inode */
	ck_assert_int_eq(store_write(F.st, ino, buf, 0, 0), 0);
	ck_assert_int_eq(store_write(F.st, ino, buf, 1, 10 * BS), 1);
	ck_assert_int_eq(store_write(F.st, ino, buf, 1, 1ull << 60), -EFBIG);
	ck_assert_int_eq(store_write(F.st, ROOT, buf, 1, 0), -EISDIR);
	ck_assert_int_eq(store_write(F.st, 12345, buf, 1, 0), -ENOENT);
	ck_assert_int_eq(fx_fsck(&F, 0), 0);
}
END_TEST

static Suite *concurrent_suite(void)
{
	Suite *s = suite_create("concurrent");
	TCase *tc = tcase_create("owrite");

	tcase_add_unchecked_fixture(tc, fx_dir_setup, fx_dir_teardown);
	tcase_add_checked_fixture(tc, fx_setup64, fx_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_overwrites_race_layout_changes);
	tcase_add_test(tc, test_overwrite_times_durable);
	tcase_add_test(tc, test_overwrite_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(concurrent_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
