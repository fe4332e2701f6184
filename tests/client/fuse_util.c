/* SPDX-License-Identifier: MIT */
/*
 * fuse_util.c - shared helpers of the client's real-mount suites
 * (test_client_fuse.c: the library; test_cmds_fuse.c: the commands).
 */
#include "fuse_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fh_mount cf_mnt;

const char *path_of(const char *name)
{
	static char buf[8][PATH_MAX];
	static unsigned next;
	char *p = buf[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s-%d", cf_mnt.mnt, name, (int)getpid());
	return p;
}

unsigned char pattern_byte(uint64_t seed, uint64_t i)
{
	return (unsigned char)((i * 131 + seed * 7 + (i >> 12)) & 0xff);
}

/* Create @name with @len pattern bytes written through the mount. */
const char *make_file(const char *name, size_t len, uint64_t seed)
{
	const char *p = path_of(name);
	unsigned char *buf = malloc(len);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, i);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	free(buf);
	return p;
}

void expect_file_bytes(const char *path, uint64_t off,
			      const void *want, size_t len)
{
	unsigned char *got = malloc(len);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, got, len, (off_t)off), (ssize_t)len);
	ck_assert_msg(memcmp(got, want, len) == 0,
		      "read() of %s differs from the mapping", path);
	close(fd);
	free(got);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (bounded) for @pid; returns its wait status, or -1 after a kill. */
int wait_bounded(pid_t pid, int ms)
{
	int64_t end = now_ms() + ms;
	int st;

	while (now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(2000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* poll(2) one descriptor, going on after EINTR (the break signal itself
 * interrupts it), for at most @ms. */
int poll_bounded(struct pollfd *pfd, int ms)
{
	int64_t end = now_ms() + ms;
	int r;

	do {
		int64_t left = end - now_ms();

		r = poll(pfd, 1, left > 0 ? (int)left : 0);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* truncate(@path, @len) in a child; its exit status is the errno. */
pid_t spawn_truncate(const char *path, off_t len)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(WAIT_MS / 1000 + 5);
		_exit(truncate(path, len) == 0 ? 0 : errno);
	}
	return pid;
}

/* Run `pinfs ARGS...` with stdout to a pipe; returns the pid. */
pid_t spawn_pinfs(int *out_fd, char *const args[])
{
	int pfd[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execv(cf_mnt.bin, args);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* Read from @fd until @needle appears (bounded); the text so far. */
bool read_until(int fd, char *buf, size_t cap, size_t *len,
		       const char *needle, int ms)
{
	int64_t end = now_ms() + ms;

	while (!strstr(buf, needle)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)(end - now_ms());

		if (left <= 0 || *len + 1 >= cap || poll(&pfd, 1, left) != 1)
			return false;
		ssize_t n = read(fd, buf + *len, cap - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return true;
}

int cf_main(const char *prog, Suite *forked, Suite *parent)
{
	enum fh_backend b = fh_backend_from_env();
	int ret, failed;
	SRunner *sr;

	if (b != FH_BACKEND_PINFS) {
		fprintf(stderr, "%s: needs PINFS_BIN (pins exist only on "
				"pinfs)\n", prog);
		return FH_SKIP;
	}
	ret = fh_can_run(b);
	if (ret)
		return ret;
	fh_install_cleanup(&cf_mnt);
	ret = fh_setup(&cf_mnt, b, CF_MOUNT_OPTS);
	if (ret) {
		fprintf(stderr, "%s: cannot mount: %s\n", prog, strerror(-ret));
		return 1;
	}
	sr = srunner_create(forked);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (parent) {
		/* In this process, the harness owner: may kill and remount. */
		sr = srunner_create(parent);
		srunner_set_fork_status(sr, CK_NOFORK);
		srunner_run_all(sr, CK_NORMAL);
		failed += srunner_ntests_failed(sr);
		srunner_free(sr);
	}
	ret = fh_unmount(&cf_mnt);
	if (ret) {
		fprintf(stderr, "%s: unmount: %s\n", prog, strerror(-ret));
		failed++;
	} else if (fh_fsck(&cf_mnt)) {
		fprintf(stderr, "%s: fsck found problems\n", prog);
		failed++;
	}
	fh_teardown(&cf_mnt);
	return failed ? 1 : 0;
}
