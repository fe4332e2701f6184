/* SPDX-License-Identifier: MIT */
/*
 * test_libpinfs.c - libpinfs without a mount: argument checks, refusal of
 * files that are not on pinfs, the signal helper and break descriptors
 * (poll, epoll, io_uring), and the exported symbol set.  Suite 'unit'.
 */
#include "pinfs/pinfs.h"

#include "../../lib/client/client.h"

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void send_break(int sig, uint64_t pin_id)
{
	union sigval v = { .sival_ptr = (void *)(uintptr_t)pin_id };

	ck_assert_int_eq(sigqueue(getpid(), sig, v), 0);
}

START_TEST(open_rejects_bad_arguments)
{
	struct pinfs_file *f = NULL;

	ck_assert_int_eq(pinfs_file_new(NULL, 0, &f), -EINVAL);
	ck_assert_int_eq(pinfs_file_new("/", 0, NULL), -EINVAL);
	ck_assert_int_eq(pinfs_file_new("/", 0x80, &f), -EINVAL);
	ck_assert_int_eq(pinfs_file_new("/nonexistent/x", 0, &f), -ENOENT);
	ck_assert_int_eq(pinfs_file_from_fd(-1, &f), -EINVAL);
	ck_assert_int_eq(pinfs_file_from_fd(12345, &f), -EBADF);
	ck_assert_ptr_null(f);
	pinfs_file_delete(NULL);
	pinfs_file_delete(&f);
	ck_assert_int_eq(pinfs_file_fd(NULL), -EINVAL);
	ck_assert_int_eq(pinfs_break_fd(NULL), -EINVAL);
	ck_assert_int_eq(pinfs_unpin(NULL), 0);
	ck_assert_int_eq(pinfs_pin(NULL, 0, 4096, 0, NULL), -EINVAL);
	ck_assert_int_eq(pinfs_attach(NULL, 1, NULL), -EINVAL);
	ck_assert_int_eq(pinfs_sync(NULL, 0, 0), -EINVAL);
	ck_assert_int_eq(pinfs_lease_set(NULL, PINFS_LEASE_BREAKABLE, 0, 0,
					 0), -EINVAL);
}
END_TEST

START_TEST(file_not_on_pinfs_is_enotty)
{
	char path[64];
	struct pinfs_file *f = NULL;
	int fd, before, after;

	snprintf(path, sizeof(path), "/dev/shm/pinfs-lib-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pinfs_file_new(path, PINFS_OPEN_WRITE, &f), -ENOTTY);
	ck_assert_int_eq(pinfs_file_new("/dev/null", 0, &f), -ENOTTY);
	/* from_fd works on a duplicate and leaks none on failure. */
	before = dup(0);
	close(before);
	ck_assert_int_eq(pinfs_file_from_fd(fd, &f), -ENOTTY);
	after = dup(0);
	close(after);
	ck_assert_int_eq(before, after);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC); /* still open */
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(signal_install_checks)
{
	ck_assert_int_eq(pinfs_signal_install(SIGKILL), -EINVAL);
	ck_assert_int_eq(pinfs_signal_install(SIGSTOP), -EINVAL);
	ck_assert_int_eq(pinfs_signal_install(-1), -EINVAL);
	ck_assert_int_eq(pinfs_signal_install(NSIG), -EINVAL);
	ck_assert_int_eq(pinfs_signal_uninstall(SIGUSR1), -ENOENT);
	ck_assert_int_eq(pinfs_signal_install(SIGUSR1), 0);
	ck_assert_int_eq(pinfs_signal_install(SIGUSR1), 0); /* idempotent */
	ck_assert_int_eq(pinfs_signal_uninstall(SIGUSR1), 0);
	ck_assert_int_eq(pinfs_signal_uninstall(SIGUSR1), -ENOENT);
}
END_TEST

START_TEST(break_for_a_pin_wakes_its_file_only)
{
	int efd_a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int efd_b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int fa = cl_note_file_add(efd_a), fb = cl_note_file_add(efd_b);
	int pa = cl_note_pin_add(1001, efd_a), pb = cl_note_pin_add(1002,
								     efd_b);

	ck_assert_int_ge(pa, 0);
	ck_assert_int_ge(pb, 0);
	ck_assert_int_eq(pinfs_signal_install(SIGRTMIN + 1), 0);
	send_break(SIGRTMIN + 1, 1002);
	ck_assert(readable(efd_b, 1000));
	ck_assert(!readable(efd_a, 0));
	ck_assert(cl_note_pin_broken(pb));
	ck_assert(!cl_note_pin_broken(pa));
	ck_assert_uint_eq(drain(efd_b), 1);

	/* Unknown pin id: every file is told. */
	send_break(SIGRTMIN + 1, 77);
	ck_assert(readable(efd_a, 1000));
	ck_assert(readable(efd_b, 1000));
	drain(efd_a);
	drain(efd_b);

	/* A torn-down pin no longer hears its breaks. */
	cl_note_pin_del(pa);
	cl_note_file_del(fa);
	send_break(SIGRTMIN + 1, 1001);
	ck_assert(!readable(efd_a, 50));
	ck_assert(readable(efd_b, 1000)); /* unknown now: broadcast */

	/* Break records mark pins too. */
	pa = cl_note_pin_add(1003, efd_a);
	ck_assert(!cl_note_pin_broken(pa));
	cl_note_mark_broken(1003);
	ck_assert(cl_note_pin_broken(pa));
	cl_note_pin_del(pa);
	cl_note_pin_del(pb);
	cl_note_file_del(fb);
	close(efd_a);
	close(efd_b);
	ck_assert_int_eq(pinfs_signal_uninstall(SIGRTMIN + 1), 0);
}
END_TEST

static volatile sig_atomic_t old_handler_ran;

static void old_handler(int sig)
{
	(void)sig;
	old_handler_ran++;
}

START_TEST(plain_kill_goes_to_the_previous_handler)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int fs = cl_note_file_add(efd);
	struct sigaction sa = { .sa_handler = old_handler }, cur;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR2, &sa, NULL), 0);
	ck_assert_int_eq(pinfs_signal_install(SIGUSR2), 0);
	ck_assert_int_eq(kill(getpid(), SIGUSR2), 0);
	ck_assert_int_eq(old_handler_ran, 1);
	ck_assert(!readable(efd, 0));
	/* sigqueue is a break even with a previous handler. */
	send_break(SIGUSR2, 5);
	ck_assert(readable(efd, 1000));
	ck_assert_int_eq(old_handler_ran, 1);
	ck_assert_int_eq(pinfs_signal_uninstall(SIGUSR2), 0);
	ck_assert_int_eq(sigaction(SIGUSR2, NULL, &cur), 0);
	ck_assert(cur.sa_handler == old_handler);
	cl_note_file_del(fs);
	close(efd);
}
END_TEST

START_TEST(plain_kill_without_previous_handler_is_a_break)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int fs = cl_note_file_add(efd);

	ck_assert_int_eq(pinfs_signal_install(SIGIO), 0);
	ck_assert_int_eq(kill(getpid(), SIGIO), 0); /* would kill if unhandled */
	ck_assert(readable(efd, 1000));
	cl_note_file_del(fs);
	close(efd);
}
END_TEST

START_TEST(break_fd_fits_epoll_and_io_uring)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int fs = cl_note_file_add(efd);
	int ps = cl_note_pin_add(9, efd);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 2 };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ck_assert_int_eq(pinfs_signal_install(SIGRTMIN + 2), 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 0), 0);
	send_break(SIGRTMIN + 2, 9);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 1000), 1);
	drain(efd);

	ck_assert_int_eq(io_uring_queue_init(4, &ring, 0), 0);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, efd, POLLIN);
	ck_assert_int_eq(io_uring_submit(&ring), 1);
	ck_assert_int_eq(io_uring_peek_cqe(&ring, &cqe), -EAGAIN);
	send_break(SIGRTMIN + 2, 9);
	ck_assert_int_eq(io_uring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
	ck_assert(cqe->res & POLLIN);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(ep);
	cl_note_pin_del(ps);
	cl_note_file_del(fs);
	close(efd);
}
END_TEST

START_TEST(only_pinfs_symbols_are_exported)
{
	void *h = dlopen(LIBPINFS_PATH, RTLD_NOW | RTLD_LOCAL);

	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	ck_assert_ptr_nonnull(dlsym(h, "pinfs_pin"));
	ck_assert_ptr_nonnull(dlsym(h, "pinfs_unpin"));
	ck_assert_ptr_nonnull(dlsym(h, "pinfs_signal_install"));
	ck_assert_ptr_null(dlsym(h, "cl_broker_fetch"));
	ck_assert_ptr_null(dlsym(h, "cl_note_pin_add"));
	ck_assert_ptr_null(dlsym(h, "cl_file_region_fd"));
	dlclose(h);
}
END_TEST

static Suite *libpinfs_suite(void)
{
	Suite *s = suite_create("libpinfs");
	TCase *tc;

#define ADD(name)                                                        \
	do {                                                             \
		tc = tcase_create(#name);                                \
		tcase_set_timeout(tc, 10);                               \
		tcase_add_test(tc, name);                                \
		suite_add_tcase(s, tc);                                  \
	} while (0)
	ADD(open_rejects_bad_arguments);
	ADD(file_not_on_pinfs_is_enotty);
	ADD(signal_install_checks);
	ADD(break_for_a_pin_wakes_its_file_only);
	ADD(plain_kill_goes_to_the_previous_handler);
	ADD(plain_kill_without_previous_handler_is_a_break);
	ADD(break_fd_fits_epoll_and_io_uring);
	ADD(only_pinfs_symbols_are_exported);
#undef ADD
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(libpinfs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
