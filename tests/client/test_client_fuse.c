/* SPDX-License-Identifier: MIT */
/*
 * test_client_fuse.c - libpinfs on a real pinfs mount.  Suite 'fuse':
 * needs root, /dev/fuse and PINFS_BIN (else exit 77).  cf_main() mounts
 * once (fuse_util.h); each test works on files of its own and Check forks
 * it, so a crash or a hung wait fails one test; every wait is bounded.
 */
#include "pinfs/pinfs.h"

#include "fuse_util.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BREAK_SIG (SIGRTMIN + 3)

START_TEST(pin_maps_file_as_one_buffer)
{
	const size_t size = 3u << 20;
	const char *p = make_file("map", size, 1);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	uint64_t off = 3 * 4096 + 100, len = (2u << 20) + 5;

	ck_assert_int_eq(pinfs_file_new(p, 0, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, off, len, 0, &m), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_ne(pinfs_mapping_id(m), 0);
	ck_assert_uint_eq(pinfs_mapping_off(m), off);
	ck_assert_uint_eq(pinfs_mapping_len(m), len);
	ck_assert(!(pinfs_mapping_flags(m) & PINFS_PIN_WRITE));
	expect_file_bytes(p, off, pinfs_mapping_addr(m), len);
	ck_assert(!pinfs_mapping_broken(m));
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	ck_assert_ptr_null(m);

	/* The whole file, and a one-byte range. */
	ck_assert_int_eq(pinfs_pin(f, 0, size, 0, &m), 0);
	expect_file_bytes(p, 0, pinfs_mapping_addr(m), size);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	ck_assert_int_eq(pinfs_pin(f, size - 1, 1, 0, &m), 0);
	ck_assert_int_eq(*(unsigned char *)pinfs_mapping_addr(m),
			 pattern_byte(1, size - 1));
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	pinfs_file_delete(&f);
	ck_assert_ptr_null(f);
}
END_TEST

START_TEST(bad_pin_requests)
{
	const char *p = make_file("bad", 65536, 2);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;

	ck_assert_int_eq(pinfs_file_new(p, 0, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(pinfs_pin(f, UINT64_MAX - 10, 100, 0, &m), -EINVAL);
	ck_assert_int_eq(pinfs_pin(f, 0, 4096, 0x40, &m), -EINVAL);
	/* A write pin needs a file opened for writing. */
	ck_assert_int_eq(pinfs_pin(f, 0, 4096, PINFS_PIN_WRITE, &m), -EBADF);
	ck_assert_int_eq(pinfs_attach(f, 0, &m), -EINVAL);
	ck_assert_int_lt(pinfs_attach(f, 0x7fffffffffffull, &m), 0);
	ck_assert_int_eq(pinfs_lease_set(f, (enum pinfs_lease_type)7, 0, 0,
					 0), -EINVAL);
	ck_assert_ptr_null(m);
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(write_pin_then_sync_is_seen_by_read)
{
	const size_t size = 1u << 20;
	const char *p = make_file("wr", size, 3);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	unsigned char *a;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 65536, 262144, PINFS_PIN_WRITE, &m), 0);
	ck_assert(pinfs_mapping_flags(m) & PINFS_PIN_WRITE);
	a = pinfs_mapping_addr(m);
	for (size_t i = 0; i < 262144; i++)
		a[i] = (unsigned char)(0xA5 ^ i);
	ck_assert_int_eq(pinfs_sync(m, 65536, 262144), 0);
	expect_file_bytes(p, 65536, a, 262144);
	/* Out-of-pin sync ranges are refused. */
	ck_assert_int_eq(pinfs_sync(m, 0, 4096), -EINVAL);
	ck_assert_int_eq(pinfs_sync(m, 65536, 262145), -EINVAL);

	/* After unpin, the bytes stay (read through a fresh descriptor). */
	unsigned char *copy = malloc(262144);
	memcpy(copy, a, 262144);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	expect_file_bytes(p, 65536, copy, 262144);
	free(copy);
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(read_pin_mapping_refuses_writes)
{
	const char *p = make_file("ro", 65536, 4);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	int st;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 65536, 0, &m), 0);
	/* The region descriptor behind it is read-only: no PROT_WRITE. */
	ck_assert_int_eq(mprotect(pinfs_mapping_addr(m), 4096,
				  PROT_READ | PROT_WRITE), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(pinfs_sync(m, 0, 0), -EBADF);
	/* The span is MADV_DONTFORK; let this child inherit it, to see the
	 * store itself fault. */
	ck_assert_int_eq(madvise((void *)((uintptr_t)pinfs_mapping_addr(m) &
					  ~(uintptr_t)4095), 65536,
				 MADV_DOFORK), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* not a sanitizer's handler */
		*(volatile char *)pinfs_mapping_addr(m) = 1;
		_exit(0);
	}
	st = wait_bounded(pid, WAIT_MS);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	pinfs_file_delete(&f);
}
END_TEST

/* Pin with a lease, truncate from a child; @by_signal picks the path. */
static void break_cycle(bool by_signal)
{
	const char *p = make_file(by_signal ? "brk-sig" : "brk-poll", 131072,
				  5);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	struct pinfs_break_rec rec[4];
	struct pollfd pfd;
	pid_t tr;
	int n, st;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	if (by_signal)
		ck_assert_int_eq(pinfs_signal_install(BREAK_SIG), 0);
	else
		signal(BREAK_SIG, SIG_IGN); /* POLLPRI alone must do */
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 0, 0,
					 BREAK_SIG), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 131072, PINFS_PIN_WRITE, &m), 0);
	ck_assert(pinfs_mapping_flags(m) & PINFS_PIN_LEASED);

	tr = spawn_truncate(p, 0);
	if (by_signal)
		pfd = (struct pollfd){ .fd = pinfs_break_fd(f),
				       .events = POLLIN };
	else
		pfd = (struct pollfd){ .fd = pinfs_file_fd(f),
				       .events = POLLPRI };
	ck_assert_int_eq(poll_bounded(&pfd, WAIT_MS), 1);
	if (by_signal)
		ck_assert(pinfs_mapping_broken(m));
	n = pinfs_breaks_read(f, rec, 4);
	ck_assert_int_ge(n, 1);
	ck_assert_uint_eq(rec[0].pin_id, pinfs_mapping_id(m));
	ck_assert_uint_eq(rec[0].reason, PINFS_REASON_TRUNCATE);
	ck_assert(pinfs_mapping_broken(m));
	/* The truncate waits for us. */
	ck_assert_int_eq(waitpid(tr, &st, WNOHANG), 0);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	pinfs_file_delete(&f);
}

START_TEST(break_delivered_by_signal)
{
	break_cycle(true);
}
END_TEST

START_TEST(break_delivered_by_poll)
{
	break_cycle(false);
}
END_TEST

START_TEST(unpin_ends_the_pin)
{
	const char *p = make_file("unpin", 65536, 6);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	pid_t tr;
	int st;

	ck_assert_int_eq(pinfs_file_new(p, 0, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 65536, 0, &m), 0);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	ck_assert_int_eq(pinfs_unpin(&m), 0); /* NULL now: no-op */
	/* No pin is left: a truncate proceeds at once. */
	tr = spawn_truncate(p, 4096);
	st = wait_bounded(tr, 2000);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pinfs_file_delete(&f);
}
END_TEST

struct thread_arg {
	struct pinfs_file *f;
	unsigned idx;
	int result;
};

#define THREADS 8
#define SLICE (64u * 1024u)

static void *pin_thread(void *arg)
{
	struct thread_arg *t = arg;

	for (int round = 0; round < 10 && t->result == 0; round++) {
		struct pinfs_mapping *m = NULL;
		int r = pinfs_pin(t->f, t->idx * SLICE, SLICE, PINFS_PIN_WRITE,
				  &m);

		if (r < 0) {
			t->result = r;
			break;
		}
		memset(pinfs_mapping_addr(m), (int)(t->idx + 1 + round),
		       SLICE);
		r = pinfs_sync(m, 0, 0);
		int u = pinfs_unpin(&m);
		t->result = r < 0 ? r : u;
	}
	return NULL;
}

START_TEST(threads_pin_at_once)
{
	const char *p = make_file("thr", THREADS * SLICE, 7);
	struct pinfs_file *f = NULL;
	struct thread_arg args[THREADS];
	pthread_t th[THREADS];
	unsigned char want[SLICE];

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	for (unsigned i = 0; i < THREADS; i++) {
		args[i] = (struct thread_arg){ .f = f, .idx = i };
		ck_assert_int_eq(pthread_create(&th[i], NULL, pin_thread,
						&args[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(args[i].result == 0, "thread %u: %s", i,
			      strerror(-args[i].result));
	}
	for (unsigned i = 0; i < THREADS; i++) {
		memset(want, (int)(i + 1 + 9), SLICE);
		expect_file_bytes(p, i * SLICE, want, SLICE);
	}
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(attach_moves_a_live_pin)
{
	const char *p = make_file("att", 65536, 9), *q = make_file("att2", 65536,
								     10);
	struct pinfs_file *a = NULL, *b = NULL, *other = NULL;
	struct pinfs_mapping *ma = NULL, *mb = NULL;
	int st;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &a), 0);
	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &b), 0);
	ck_assert_int_eq(pinfs_file_new(q, PINFS_OPEN_WRITE, &other), 0);
	ck_assert_int_eq(pinfs_pin(a, 0, 65536, PINFS_PIN_WRITE, &ma), 0);
	memset(pinfs_mapping_addr(ma), 0x5C, 65536);

	/* Same process, another handle of the same file: one buffer. */
	ck_assert_int_eq(pinfs_attach(other, pinfs_mapping_id(ma), &mb),
			 -EINVAL);
	ck_assert_int_eq(pinfs_attach(b, pinfs_mapping_id(ma), &mb), 0);
	ck_assert_uint_eq(pinfs_mapping_id(mb), pinfs_mapping_id(ma));
	ck_assert_uint_eq(pinfs_mapping_len(mb), 65536);
	ck_assert_int_eq(memcmp(pinfs_mapping_addr(ma),
				pinfs_mapping_addr(mb), 65536), 0);
	((unsigned char *)pinfs_mapping_addr(mb))[100] = 0x11;
	ck_assert_int_eq(((unsigned char *)pinfs_mapping_addr(ma))[100], 0x11);

	/* Another process may not. */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pinfs_file *c = NULL;
		struct pinfs_mapping *mc = NULL;

		alarm(10);
		if (pinfs_file_new(p, PINFS_OPEN_WRITE, &c) < 0)
			_exit(99);
		_exit(-pinfs_attach(c, pinfs_mapping_id(ma), &mc));
	}
	st = wait_bounded(pid, WAIT_MS);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), EPERM);

	ck_assert_int_eq(pinfs_unpin(&mb), 0);
	ck_assert_int_eq(pinfs_unpin(&ma), -ENOENT); /* already ended */
	ck_assert_ptr_null(ma);
	pinfs_file_delete(&a);
	pinfs_file_delete(&b);
	pinfs_file_delete(&other);
}
END_TEST

/*
 * Runs in the Check parent (no fork): only it may kill and remount the
 * daemon.  Invariant 5: a mapping outlives a daemon crash, and the holder
 * re-attaches to its pin on the new daemon.
 */
START_TEST(mapping_outlives_daemon_and_reattaches)
{
	const char *p = make_file("rst", 65536, 13);
	struct pinfs_file *f = NULL, *g = NULL;
	struct pinfs_mapping *m = NULL, *m2 = NULL;
	unsigned char want[65536];
	uint64_t id;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 65536, PINFS_PIN_WRITE, &m), 0);
	id = pinfs_mapping_id(m);
	memset(pinfs_mapping_addr(m), 0x77, 65536);
	ck_assert_int_eq(pinfs_sync(m, 0, 0), 0);

	ck_assert_int_eq(fh_kill9(&cf_mnt), 0);
	memset(pinfs_mapping_addr(m), 0x78, 65536); /* no daemon: still ok */
	ck_assert_int_eq(fh_mount(&cf_mnt), 0);

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &g), 0);
	ck_assert_int_eq(pinfs_attach(g, id, &m2), 0);
	memset(want, 0x78, sizeof(want));
	ck_assert_int_eq(memcmp(pinfs_mapping_addr(m2), want, 65536), 0);
	ck_assert_int_eq(pinfs_unpin(&m2), 0);
	pinfs_unpin(&m); /* its daemon is gone: any error is fine */
	pinfs_file_delete(&f);
	pinfs_file_delete(&g);
	expect_file_bytes(p, 0, want, 65536);
}
END_TEST

START_TEST(pinned_span_registers_as_io_uring_fixed_buffer)
{
	/* A real kernel long-term pin over the span (region on tmpfs). */
	const char *p = make_file("uring", 1u << 20, 15);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	struct io_uring ring;
	struct iovec iov;
	int nfd, r;

	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 1u << 20, PINFS_PIN_WRITE, &m), 0);
	ck_assert_int_eq(io_uring_queue_init(4, &ring, 0), 0);
	iov.iov_base = pinfs_mapping_addr(m);
	iov.iov_len = pinfs_mapping_len(m);
	ck_assert_int_eq(io_uring_register_buffers(&ring, &iov, 1), 0);

	/* Read another file's bytes into the pinned buffer by the kernel. */
	const char *src = make_file("uring-src", 65536, 16);
	nfd = open(src, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(nfd, 0);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, nfd, pinfs_mapping_addr(m), 65536, 0, 0);
	ck_assert_int_eq(io_uring_submit(&ring), 1);
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 5 };
	ck_assert_int_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
	r = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	ck_assert_int_eq(r, 65536);
	ck_assert_int_eq(pinfs_sync(m, 0, 65536), 0);
	unsigned char *want = malloc(65536);
	for (size_t k = 0; k < 65536; k++)
		want[k] = pattern_byte(16, k);
	expect_file_bytes(p, 0, want, 65536);
	free(want);
	close(nfd);
	ck_assert_int_eq(io_uring_unregister_buffers(&ring), 0);
	io_uring_queue_exit(&ring);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(break_wakes_io_uring_poll_add)
{
	const char *p = make_file("brk-uring", 65536, 18);
	struct pinfs_file *f = NULL;
	struct pinfs_mapping *m = NULL;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = WAIT_MS / 1000 };
	pid_t tr;
	int st;

	signal(BREAK_SIG, SIG_IGN);
	ck_assert_int_eq(pinfs_file_new(p, PINFS_OPEN_WRITE, &f), 0);
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 0, 0,
					 BREAK_SIG), 0);
	ck_assert_int_eq(pinfs_pin(f, 0, 65536, 0, &m), 0);
	ck_assert_int_eq(io_uring_queue_init(4, &ring, 0), 0);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, pinfs_file_fd(f), POLLPRI);
	ck_assert_int_eq(io_uring_submit(&ring), 1);
	ck_assert_int_eq(io_uring_peek_cqe(&ring, &cqe), -EAGAIN);
	tr = spawn_truncate(p, 0);
	ck_assert_int_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
	ck_assert(cqe->res & POLLPRI);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	ck_assert_int_eq(pinfs_unpin(&m), 0);
	st = wait_bounded(tr, WAIT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pinfs_file_delete(&f);
}
END_TEST

START_TEST(file_info_and_lease_calls)
{
	const char *p = make_file("info", 65536, 19);
	struct pinfs_file *f = NULL;
	struct pinfs_info info;
	struct pinfs_lease l;
	int fd = open(p, O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pinfs_file_from_fd(fd, &f), 0);
	close(fd); /* the library has its own duplicate */
	ck_assert_int_ge(pinfs_file_fd(f), 0);
	ck_assert_int_ne(pinfs_file_fd(f), fd);
	ck_assert_int_ge(pinfs_break_fd(f), 0);

	ck_assert_int_eq(pinfs_file_info(f, &info), 0);
	ck_assert_uint_eq(info.abi_version, PINFS_ABI_VERSION);
	ck_assert_uint_eq(info.block_size, 4096);
	ck_assert_uint_gt(info.region_size, 0);
	ck_assert_int_eq(strncmp(info.broker, "@pinfs-", 7), 0);
	ck_assert_int_eq(pinfs_file_info(f, NULL), -EINVAL);

	ck_assert_int_eq(pinfs_lease_get(f, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_NONE);
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 0, 8192,
					 SIGUSR2), 0);
	ck_assert_int_eq(pinfs_lease_get(f, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_BREAKABLE);
	ck_assert_uint_eq(l.len, 8192);
	ck_assert_uint_eq(l.signo, SIGUSR2);
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_NONE, 0, 0, 0), 0);
	ck_assert_int_eq(pinfs_lease_get(f, &l), 0);
	ck_assert_uint_eq(l.type, PINFS_LEASE_NONE);
	/* Bad input reaches the daemon's checks or ours. */
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 100, 0, 0),
			 -EINVAL); /* unaligned */
	ck_assert_int_eq(pinfs_lease_set(f, PINFS_LEASE_BREAKABLE, 0, 0,
					 NSIG + 5), -EINVAL);
	ck_assert_int_eq(pinfs_breaks_read(f, NULL, 0), 0);
	ck_assert_int_eq(pinfs_breaks_read(f, NULL, 4), -EINVAL);
	pinfs_file_delete(&f);
}
END_TEST

static Suite *client_fuse_suite(void)
{
	Suite *s = suite_create("client-fuse");
	TCase *tc;

#define ADD(name)                                                        \
	do {                                                             \
		tc = tcase_create(#name);                                \
		tcase_set_timeout(tc, 30);                               \
		tcase_add_test(tc, name);                                \
		suite_add_tcase(s, tc);                                  \
	} while (0)
	ADD(pin_maps_file_as_one_buffer);
	ADD(bad_pin_requests);
	ADD(file_info_and_lease_calls);
	ADD(write_pin_then_sync_is_seen_by_read);
	ADD(read_pin_mapping_refuses_writes);
	ADD(break_delivered_by_signal);
	ADD(break_delivered_by_poll);
	ADD(unpin_ends_the_pin);
	ADD(threads_pin_at_once);
	ADD(attach_moves_a_live_pin);
	ADD(pinned_span_registers_as_io_uring_fixed_buffer);
	ADD(break_wakes_io_uring_poll_add);
#undef ADD
	return s;
}

int main(void)
{
	Suite *rs = suite_create("client-fuse-restart");
	TCase *tc = tcase_create("mapping_outlives_daemon_and_reattaches");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mapping_outlives_daemon_and_reattaches);
	suite_add_tcase(rs, tc);
	return cf_main("test_client_fuse", client_fuse_suite(), rs);
}
