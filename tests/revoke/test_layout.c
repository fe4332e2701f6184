/* SPDX-License-Identifier: MIT */
/*
 * test_layout.c - layout changes over part of a pin on a real mount:
 * punch hole, zero range, copy_file_range onto a pinned destination;
 * unlink and rename-over of a pinned file (the data stays reachable
 * until unpin, then the blocks are freed); coherence of a write pin's
 * stores with read() and a shared mapping of the file.
 * docs/revocation-tests.md cases 5, 6, 12.
 */
#include "rv_util.h"

#include "pinfs/pinfs.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)
#define K64 65536u
#define K128 (2 * K64)

/* ---- a scripted libpinfs holder ---------------------------------------- */

/*
 * The child pins [off, off+len) of path (write pin when write), answers
 * its pin id, then runs one command per byte read from cmd:
 *   'c' check the mapping holds pattern(seed) (file offsets) -> 0/1
 *   'w' store byte (i ^ 0xC3) at mapping index i, pinfs_sync -> 0/-errno
 *   'W' store byte (i ^ 0x3C), no sync                     -> 0
 *   'u' unpin, close the file                              -> 0/-errno
 *   'q' exit
 */
struct scripted {
	const char *path;
	uint64_t off, len, seed;
	bool write;
	int cmd, res;
};

static int scripted_holder(void *arg)
{
	struct scripted *s = arg;
	struct pinfs_file *pf = NULL;
	struct pinfs_mapping *m = NULL;
	int64_t r;
	char c;

	r = pinfs_file_new(s->path, s->write ? PINFS_OPEN_WRITE : 0, &pf);
	if (r == 0)
		r = pinfs_pin(pf, s->off, s->len,
			      s->write ? PINFS_PIN_WRITE : 0, &m);
	r = r < 0 ? r : (int64_t)pinfs_mapping_id(m);
	if (write(s->res, &r, sizeof(r)) != sizeof(r) || r < 0)
		return 1;
	while (read(s->cmd, &c, 1) == 1) {
		unsigned char *a = m ? pinfs_mapping_addr(m) : NULL;

		r = 0;
		switch (c) {
		case 'c':
			for (uint64_t i = 0; a && i < s->len && !r; i++)
				if (a[i] != rv_pattern(s->seed, s->off + i))
					r = 1;
			break;
		case 'w':
			for (uint64_t i = 0; i < s->len; i++)
				a[i] = (unsigned char)(i ^ 0xC3);
			r = pinfs_sync(m, 0, 0);
			break;
		case 'W':
			for (uint64_t i = 0; i < s->len; i++)
				a[i] = (unsigned char)(i ^ 0x3C);
			break;
		case 'u':
			r = pinfs_unpin(&m);
			pinfs_file_delete(&pf);
			break;
		case 'q':
			return 0;
		}
		if (write(s->res, &r, sizeof(r)) != sizeof(r))
			return 2;
	}
	return 0;
}

struct scripted_proc {
	struct scripted s;
	pid_t pid;
	uint64_t pin_id;
	int cmd_w, res_r;
};

static void scripted_start(struct scripted_proc *p, const char *path,
			   uint64_t off, uint64_t len, uint64_t seed,
			   bool wr)
{
	int c[2], r[2];
	int64_t id;

	ck_assert_int_eq(pipe2(c, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(r, O_CLOEXEC), 0);
	p->s = (struct scripted){ path, off, len, seed, wr, c[0], r[1] };
	p->pid = rv_child(scripted_holder, &p->s);
	close(c[0]);
	close(r[1]);
	p->cmd_w = c[1];
	p->res_r = r[0];
	ck_assert_int_eq(rv_read_full(p->res_r, &id, sizeof(id), RV_WAIT_MS),
			 0);
	ck_assert_msg(id > 0, "holder could not pin: %s",
		      strerror((int)-id));
	p->pin_id = (uint64_t)id;
}

static int64_t scripted_do(struct scripted_proc *p, char c)
{
	int64_t r;

	ck_assert_int_eq(write(p->cmd_w, &c, 1), 1);
	ck_assert_int_eq(rv_read_full(p->res_r, &r, sizeof(r), RV_WAIT_MS), 0);
	return r;
}

static void scripted_end(struct scripted_proc *p)
{
	char c = 'q';

	ck_assert_int_eq(write(p->cmd_w, &c, 1), 1);
	int st = rv_wait_exit(p->pid, 3000);
	ck_assert(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p->cmd_w);
	close(p->res_r);
}

static uint64_t free_inodes(void)
{
	struct statfs sf;

	ck_assert_int_eq(statfs(rv_mnt.mnt, &sf), 0);
	return sf.f_ffree;
}

/* ---- case 5 ------------------------------------------------------------ */

/* A change over [@a, @a+@b) of a 1 MiB file whose [0, 256K) a leased
 * holder pins: break for the overlap, the change lands after the unpin. */
static void partial_change(enum rv_op op, uint64_t a, uint64_t b,
			   const char *reason)
{
	const char *f;
	struct rv_holder h;
	struct rv_opproc p;
	char want[128];
	uint64_t free0;
	uint64_t lo = a, hi = a + b < 4 * K64 ? a + b : 4 * K64;

	rv_mount("lease_break_time=2000,kill_grace=300", "64M");
	f = rv_path("part");
	rv_make_file(f, MIB, 51);
	rv_hold_start(&h, "--lease --ack-after 100", f, 0, 4 * K64);
	free0 = rv_free_blocks();
	rv_op_start(&p, op, f, NULL, a, b, 0);
	ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), 0);
	ck_assert_int_ge(p.end_us - p.start_us, 100 * 1000);
	ck_assert_int_lt(p.end_us - p.start_us, 2000 * 1000);
	snprintf(want, sizeof(want), "off=%" PRIu64 " len=%" PRIu64
		 " reason=%s state=breaking", lo, hi - lo, reason);
	if (rv_hold_find(&h, want) < 0)
		rv_hold_dump(&h);
	ck_assert_msg(rv_hold_find(&h, want) >= 0, "no break record '%s'",
		      want);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_int_eq(rv_size(f), MIB);
	rv_expect_bytes(f, 0, a, 51);
	rv_expect_bytes(f, a, b, RV_ZERO);
	rv_expect_bytes(f, a + b, MIB - a - b, 51);
	if (op == RV_OP_PUNCH)
		ck_assert_uint_eq(rv_free_blocks_wait(free0 + b / RV_BLOCK,
						      2000), free0 + b / RV_BLOCK);
	rv_finish();
}

START_TEST(punch_over_part_of_pin)
{
	partial_change(RV_OP_PUNCH, K128, 4 * K64, "punch");
}
END_TEST

START_TEST(zero_range_over_part_of_pin)
{
	partial_change(RV_OP_ZERO, 3 * K64, K128, "zero-range");
}
END_TEST

/* copy_file_range onto a pinned destination range. */
START_TEST(copy_onto_pinned_destination)
{
	const char *src, *dst;
	struct rv_holder h;
	struct rv_opproc p;
	unsigned char *got;
	int fd;

	rv_mount("lease_break_time=2000,kill_grace=300", "64M");
	src = rv_path("src");
	dst = rv_path("dst");
	rv_make_file(src, 4 * K64, 52);
	rv_make_file(dst, MIB, 53);
	rv_hold_start(&h, "--lease --ack-after 100", dst, 0, K128);
	rv_op_start(&p, RV_OP_COPY, dst, src, K64, K128, 0);
	ck_assert_int_eq(rv_op_wait(&p, RV_WAIT_MS), 0);
	if (rv_hold_find(&h, "break pin=") < 0)
		rv_hold_dump(&h);
	ck_assert_msg(rv_hold_find(&h, "break pin=") >= 0, "copy_file_range "
		      "onto a pinned range sent no break");
	ck_assert_int_ge(rv_hold_find(&h, "off=65536 len=65536 "
				      "reason=clone-dest"), 0);
	ck_assert_int_ge(p.end_us - p.start_us, 100 * 1000);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	/* dst: [0,64K) old, [64K,192K) = src[0,128K), rest old. */
	rv_expect_bytes(dst, 0, K64, 53);
	rv_expect_bytes(dst, 3 * K64, MIB - 3 * K64, 53);
	got = malloc(K128);
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(pread(fd, got, K128, K64), (ssize_t)K128);
	size_t bad = K128;
	for (size_t i = 0; i < K128 && bad == K128; i++)
		if (got[i] != rv_pattern(52, i))
			bad = i;
	ck_assert_msg(bad == K128, "copied byte %zu differs", bad);
	close(fd);
	free(got);
	ck_assert_int_eq(rv_size(dst), MIB);
	rv_finish();
}
END_TEST

/* ---- case 6 ------------------------------------------------------------ */

/* Unlink (or rename over) a pinned file: its data stays reachable through
 * the pin, its blocks stay allocated until the unpin, then are freed. */
static void pinned_file_loses_name(bool by_rename)
{
	const char *f, *other;
	struct scripted_proc h;
	struct pinfs_pin_entry e;
	uint64_t free0, ifree0;

	rv_mount("lease_break_time=2000", "64M");
	f = rv_path("victim");
	other = rv_path("other");
	rv_make_file(f, MIB, 61);
	if (by_rename)
		rv_make_file(other, 4096, 62);
	scripted_start(&h, f, 0, MIB, 61, false);
	free0 = rv_free_blocks();
	ifree0 = free_inodes();

	if (by_rename)
		ck_assert_int_eq(rename(other, f), 0);
	else
		ck_assert_int_eq(unlink(f), 0);
	usleep(100 * 1000);
	ck_assert_uint_eq(rv_free_blocks(), free0);
	ck_assert_msg(scripted_do(&h, 'c') == 0, "data no longer reachable "
		      "through the pin after the last name went");
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_ACTIVE);
	if (by_rename) {
		ck_assert_int_eq(rv_size(f), 4096);
		rv_expect_bytes(f, 0, 4096, 62);
	} else {
		struct stat st;

		ck_assert_int_eq(stat(f, &st), -1);
		ck_assert_int_eq(errno, ENOENT);
	}

	ck_assert_int_eq(scripted_do(&h, 'u'), 0);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_uint_eq(rv_free_blocks_wait(free0 + 256, 3000), free0 + 256);
	ck_assert_uint_eq(free_inodes(), ifree0 + 1);
	scripted_end(&h);
	rv_finish();
}

START_TEST(unlink_pinned_file)
{
	pinned_file_loses_name(false);
}
END_TEST

START_TEST(rename_over_pinned_file)
{
	pinned_file_loses_name(true);
}
END_TEST

/* Block accounting of a quarantined part of a pin: a punch over part
 * of the pin frees at once only the unpinned blocks, the pinned ones
 * when the holder unpins; the rest of the pin stays in the file. */
START_TEST(quarantine_partial_accounting)
{
	const char *f;
	struct scripted_proc h;
	struct pinfs_pin_entry e;
	uint64_t free0;

	rv_mount("policy=quarantine", "64M");
	f = rv_path("qpart");
	rv_make_file(f, MIB, 71);
	scripted_start(&h, f, 0, 4 * K64, 71, false);
	free0 = rv_free_blocks();
	ck_assert_int_eq(rv_op_now(RV_OP_PUNCH, f, NULL, K128, 4 * K64), 0);
	ck_assert(rv_pin_get(h.pin_id, &e));
	ck_assert_uint_eq(e.state, PINFS_STATE_QUARANTINED);
	ck_assert_uint_eq(rv_free_blocks_wait(free0 + 32, 1000), free0 + 32);
	usleep(100 * 1000);
	ck_assert_uint_eq(rv_free_blocks(), free0 + 32);
	ck_assert_msg(scripted_do(&h, 'c') == 0, "the holder's mapping lost "
		      "its data");
	rv_expect_bytes(f, 0, K128, 71);
	rv_expect_bytes(f, K128, 4 * K64, RV_ZERO);
	rv_expect_bytes(f, 6 * K64, MIB - 6 * K64, 71);
	ck_assert_int_eq(scripted_do(&h, 'u'), 0);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_uint_eq(rv_free_blocks_wait(free0 + 64, 2000), free0 + 64);
	rv_expect_bytes(f, 0, K128, 71);
	scripted_end(&h);
	rv_finish();
}
END_TEST

/* ---- case 12 ----------------------------------------------------------- */

static void expect_written(const unsigned char *buf, size_t len,
			   unsigned char x, const char *via)
{
	size_t bad = len;

	for (size_t i = 0; i < len && bad == len; i++)
		if (buf[i] != (unsigned char)(i ^ x))
			bad = i;
	ck_assert_msg(bad == len, "%s: byte %zu of the pinned range is 0x%02x,"
		      " want 0x%02x (the holder's store)", via, bad,
		      bad < len ? buf[bad] : 0, (unsigned char)(bad ^ x));
}

/* A write pin's stores, after sync or unpin, are seen by read() and by a
 * shared mapping of the file made (and faulted in) before. */
START_TEST(coherence_of_pinned_writes)
{
	const char *f;
	struct scripted_proc h;
	unsigned char *map, *buf;
	int fd;

	rv_mount("lease_break_time=2000", "64M");
	f = rv_path("coh");
	rv_make_file(f, MIB, 121);
	fd = open(f, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	map = mmap(NULL, MIB, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(map != MAP_FAILED);
	buf = malloc(MIB);
	/* Fault in and cache every page first. */
	ck_assert_int_eq(pread(fd, buf, MIB, 0), (ssize_t)MIB);
	ck_assert_int_eq(map[K64], rv_pattern(121, K64));

	scripted_start(&h, f, K64, K128, 121, true);
	ck_assert_int_eq(scripted_do(&h, 'w'), 0);
	ck_assert_int_eq(pread(fd, buf, K128, K64), (ssize_t)K128);
	expect_written(buf, K128, 0xC3, "read() after sync");
	expect_written(map + K64, K128, 0xC3, "shared mmap after sync");
	rv_expect_bytes(f, 0, K64, 121);
	rv_expect_bytes(f, 3 * K64, MIB - 3 * K64, 121);

	/* Stores then unpin, no sync. */
	ck_assert_int_eq(scripted_do(&h, 'W'), 0);
	ck_assert_int_eq(scripted_do(&h, 'u'), 0);
	ck_assert(rv_pin_gone_wait(h.pin_id, 2000));
	ck_assert_int_eq(pread(fd, buf, K128, K64), (ssize_t)K128);
	expect_written(buf, K128, 0x3C, "read() after unpin");
	expect_written(map + K64, K128, 0x3C, "shared mmap after unpin");
	scripted_end(&h);
	munmap(map, MIB);
	close(fd);
	free(buf);
	rv_finish();
}
END_TEST

int main(void)
{
	const struct rv_case cases[] = {
		{ "punch", punch_over_part_of_pin, 30 },
		{ "zero_range", zero_range_over_part_of_pin, 30 },
		{ "copy_dest", copy_onto_pinned_destination, 30 },
		{ "unlink", unlink_pinned_file, 30 },
		{ "rename_over", rename_over_pinned_file, 30 },
		{ "quarantine_accounting", quarantine_partial_accounting, 30 },
		{ "coherence", coherence_of_pinned_writes, 30 },
	};

	return rv_run_suite("revoke-layout", cases,
			    sizeof(cases) / sizeof(cases[0]));
}
