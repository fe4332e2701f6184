/* SPDX-License-Identifier: MIT */
/*
 * test_mapping.c - libpinfs' contiguous mapping of a pin's extents,
 * without a mount: a real broker (fake pin table) hands out a region file
 * in /dev/shm, and cl_mapping_build() is fed extent lists as the daemon
 * would answer PINFS_IOC_PIN.  Suite 'unit'.
 */
#include "pinfs/pinfs.h"

#include "../../fusefs/broker.h"
#include "../../lib/client/client.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BS 4096u
#define REGION_BLOCKS 64u

static char region_path[64];
static struct broker *brk_;
static struct pinfs_file *file;

static int lookup(void *arg, uint64_t pin_id, pid_t *pid, uid_t *uid,
		  bool *write)
{
	(void)arg;
	if (pin_id == 0 || pin_id > 1000)
		return -ENOENT;
	*pid = getpid();
	*uid = getuid();
	*write = pin_id >= 500; /* ids 500+ are write pins */
	return 0;
}

/* Block b of the region holds bytes (b * 251 + i) & 0xff. */
static unsigned char region_byte(uint64_t roff)
{
	return (unsigned char)((roff / BS) * 251 + roff % BS);
}

static void setup(void)
{
	static unsigned char buf[REGION_BLOCKS * BS];
	int fd;

	snprintf(region_path, sizeof(region_path), "/dev/shm/pinfs-map-%d",
		 (int)getpid());
	fd = open(region_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	for (uint64_t i = 0; i < sizeof(buf); i++)
		buf[i] = region_byte(i);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
	close(fd);
	ck_assert_int_eq(broker_start(region_path, lookup, NULL, &brk_), 0);

	file = calloc(1, sizeof(*file));
	ck_assert_ptr_nonnull(file);
	file->fd = -1;
	file->break_fd = -1;
	file->note_slot = -1;
	file->writable = true;
	file->block_size = BS;
	file->region_ro = file->region_rw = -1;
	atomic_init(&file->refs, 1);
	pthread_mutex_init(&file->lock, NULL);
	snprintf(file->broker, sizeof(file->broker), "%s", broker_name(brk_));
}

static void teardown(void)
{
	if (file->region_ro >= 0)
		close(file->region_ro);
	if (file->region_rw >= 0)
		close(file->region_rw);
	pthread_mutex_destroy(&file->lock);
	free(file);
	broker_stop(&brk_);
	unlink(region_path);
}

static struct pinfs_pin *answer(uint64_t id, uint64_t off, uint64_t len)
{
	struct pinfs_pin *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	p->abi_version = PINFS_ABI_VERSION;
	p->pin_id = id;
	p->off = off;
	p->len = len;
	return p;
}

static void add_ext(struct pinfs_pin *p, uint64_t file_off,
		    uint64_t region_off, uint64_t len, uint32_t flags)
{
	p->ext[p->count++] = (struct pinfs_extent){
		.file_off = file_off, .region_off = region_off, .len = len,
		.flags = flags, .refcount = 1 };
	p->total = p->count;
}

static struct pinfs_mapping map_of(const struct pinfs_pin *p, bool write)
{
	return (struct pinfs_mapping){
		.file = file, .pin_id = p->pin_id, .off = p->off,
		.len = p->len, .pin_off = p->off, .pin_len = p->len,
		.flags = write ? PINFS_PIN_WRITE : 0, .note_slot = -1 };
}

START_TEST(scattered_extents_become_one_buffer)
{
	/* File blocks 8..15 live at region blocks 40..41, 3..7, 20. */
	struct pinfs_pin *p = answer(7, 8 * BS, 8 * BS);
	struct pinfs_mapping m;
	const unsigned char *a;

	add_ext(p, 8 * BS, 40 * BS, 2 * BS, 0);
	add_ext(p, 10 * BS, 3 * BS, 5 * BS, 0);
	add_ext(p, 15 * BS, 20 * BS, BS, 0);
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	a = m.span;
	for (uint64_t i = 0; i < 8 * BS; i++) {
		uint64_t fb = 8 + i / BS, roff;

		roff = fb < 10 ? (40 + fb - 8) * BS
		     : fb < 15 ? (3 + fb - 10) * BS : 20 * BS;
		ck_assert_int_eq(a[i], region_byte(roff + i % BS));
	}
	/* The read pin's descriptor is read-only. */
	ck_assert_int_eq(fcntl(file->region_ro, F_GETFL) & O_ACCMODE,
			 O_RDONLY);
	ck_assert_int_eq(mprotect(m.span, BS, PROT_READ | PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

START_TEST(extents_are_clipped_to_the_pin)
{
	/* One extent covers file blocks 0..9; the pin is blocks 4..5. */
	struct pinfs_pin *p = answer(8, 4 * BS, 2 * BS);
	struct pinfs_mapping m;

	add_ext(p, 0, 30 * BS, 10 * BS, 0);
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	ck_assert_uint_eq(m.span_len, 2 * BS);
	ck_assert_int_eq(((unsigned char *)m.span)[0], region_byte(34 * BS));
	ck_assert_int_eq(((unsigned char *)m.span)[BS + 5],
			 region_byte(35 * BS + 5));
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

START_TEST(read_pin_holes_and_unwritten_read_zero)
{
	struct pinfs_pin *p = answer(9, 0, 4 * BS);
	struct pinfs_mapping m;
	const unsigned char *a;

	add_ext(p, BS, 10 * BS, BS, 0);
	add_ext(p, 2 * BS, 11 * BS, BS, PINFS_EXT_UNWRITTEN);
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	a = m.span;
	for (uint64_t i = 0; i < BS; i++) {
		ck_assert_int_eq(a[i], 0);          /* hole */
		ck_assert_int_eq(a[BS + i], region_byte(10 * BS + i));
		ck_assert_int_eq(a[2 * BS + i], 0); /* unwritten */
		ck_assert_int_eq(a[3 * BS + i], 0); /* hole at the end */
	}
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

START_TEST(write_pin_stores_reach_the_region)
{
	struct pinfs_pin *p = answer(600, 0, 3 * BS);
	struct pinfs_mapping m;
	unsigned char c;
	int fd;

	add_ext(p, 0, 50 * BS, BS, 0);
	add_ext(p, BS, 12 * BS, 2 * BS, 0);
	m = map_of(p, true);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	ck_assert_int_eq(fcntl(file->region_rw, F_GETFL) & O_ACCMODE, O_RDWR);
	memset(m.span, 0xEE, 3 * BS);
	fd = open(region_path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(pread(fd, &c, 1, 50 * BS + 17), 1);
	ck_assert_int_eq(c, 0xEE);
	ck_assert_int_eq(pread(fd, &c, 1, 13 * BS + 4095), 1);
	ck_assert_int_eq(c, 0xEE);
	ck_assert_int_eq(pread(fd, &c, 1, 14 * BS), 1); /* untouched */
	ck_assert_int_eq(c, region_byte(14 * BS));
	close(fd);
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

START_TEST(write_pin_must_be_covered)
{
	struct pinfs_pin *p = answer(601, 0, 3 * BS);
	struct pinfs_mapping m;

	/* A hole in the middle. */
	add_ext(p, 0, 50 * BS, BS, 0);
	add_ext(p, 2 * BS, 12 * BS, BS, 0);
	m = map_of(p, true);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	ck_assert_ptr_null(m.span);
	/* A hole at the end. */
	p->count = 0;
	add_ext(p, 0, 50 * BS, 2 * BS, 0);
	m = map_of(p, true);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	/* Overlapping extents. */
	p->count = 0;
	add_ext(p, 0, 50 * BS, 2 * BS, 0);
	add_ext(p, BS, 12 * BS, 2 * BS, 0);
	m = map_of(p, true);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	free(p);
}
END_TEST

START_TEST(malformed_answers_are_eio)
{
	struct pinfs_pin *p = answer(10, 0, 2 * BS);
	struct pinfs_mapping m;

	add_ext(p, 0, 50 * BS + 512, 2 * BS, 0); /* unaligned region */
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	p->count = 0;
	add_ext(p, 0, 50 * BS, 0, 0); /* empty extent */
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	p->count = 0;
	add_ext(p, UINT64_MAX - BS, 0, 2 * BS, 0); /* wraps */
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	p->count = PINFS_EXTENTS_MAX + 1; /* count beyond the array */
	p->total = p->count;
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	p->count = 2; /* count > total */
	p->total = 1;
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EIO);
	free(p);
}
END_TEST

START_TEST(broker_refusal_is_returned)
{
	struct pinfs_pin *p = answer(5000, 0, BS); /* unknown to lookup */
	struct pinfs_mapping m;

	add_ext(p, 0, 50 * BS, BS, 0);
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -ENOENT);
	ck_assert_ptr_null(m.span);
	/* Broker asked for a read pin but the daemon calls it a write pin:
	 * the access mode check refuses the descriptor. */
	p->pin_id = 700;
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), -EPROTO);
	free(p);
}
END_TEST

START_TEST(fork_child_does_not_inherit_the_mapping)
{
	struct pinfs_pin *p = answer(601, 0, BS);
	struct pinfs_mapping m;
	int st;

	add_ext(p, 0, 50 * BS, BS, 0);
	m = map_of(p, true);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(5);
		signal(SIGSEGV, SIG_DFL); /* not a sanitizer's handler */
		(void)*(volatile char *)m.span; /* not mapped here */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGSEGV);
	/* The parent still has it. */
	ck_assert_int_eq(((unsigned char *)m.span)[7], region_byte(50 * BS + 7));
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

START_TEST(read_mapping_faults_on_store)
{
	struct pinfs_pin *p = answer(11, 0, BS);
	struct pinfs_mapping m;
	int st;

	add_ext(p, 0, 50 * BS, BS, 0);
	m = map_of(p, false);
	ck_assert_int_eq(cl_mapping_build(&m, p), 0);
	/* Let the child inherit it, to see the protection itself fault. */
	ck_assert_int_eq(madvise(m.span, m.span_len, MADV_DOFORK), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(5);
		signal(SIGSEGV, SIG_DFL); /* not a sanitizer's handler */
		ck_assert_int_eq(*(volatile unsigned char *)m.span,
				 region_byte(50 * BS));
		*(volatile char *)m.span = 1;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGSEGV);
	munmap(m.span, m.span_len);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mapping");
	SRunner *sr;
	TCase *tc;
	int failed;

#define ADD(name)                                                        \
	do {                                                             \
		tc = tcase_create(#name);                                \
		tcase_add_checked_fixture(tc, setup, teardown);          \
		tcase_set_timeout(tc, 10);                               \
		tcase_add_test(tc, name);                                \
		suite_add_tcase(s, tc);                                  \
	} while (0)
	ADD(scattered_extents_become_one_buffer);
	ADD(extents_are_clipped_to_the_pin);
	ADD(read_pin_holes_and_unwritten_read_zero);
	ADD(write_pin_stores_reach_the_region);
	ADD(write_pin_must_be_covered);
	ADD(malformed_answers_are_eio);
	ADD(broker_refusal_is_returned);
	ADD(read_mapping_faults_on_store);
	ADD(fork_child_does_not_inherit_the_mapping);
#undef ADD
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
