/* SPDX-License-Identifier: MIT */
/*
 * posix_util.c - helpers of the POSIX conformance suite (posix_util.h).
 */
#include "posix_util.h"

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fh_mount pu_mount;
int pu_daemon_deaths;

static char pu_dir_buf[256];
static pid_t pu_dir_pid;

const char *pu_dir(void)
{
	static unsigned counter;

	if (pu_dir_pid != getpid() || !pu_dir_buf[0]) {
		pu_dir_pid = getpid();
		snprintf(pu_dir_buf, sizeof(pu_dir_buf), "%s/t%d.%u",
			 pu_mount.mnt, (int)getpid(), counter++);
		ck_assert_msg(mkdir(pu_dir_buf, 0777) == 0, "mkdir %s: %s",
			      pu_dir_buf, strerrorname_np(errno));
		ck_assert_msg(chmod(pu_dir_buf, 0777) == 0, "chmod %s: %s",
			      pu_dir_buf, strerrorname_np(errno));
	}
	return pu_dir_buf;
}

const char *pu_path(const char *name)
{
	static char bufs[64][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 64];

	snprintf(b, PATH_MAX, "%s/%s", pu_dir(), name);
	return b;
}

void pu_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9E3779B97F4A7C15ull ^ seed;

		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9ull;
		x ^= x >> 32;
		buf[i] = (unsigned char)(x | 1); /* never zero: holes show */
	}
}

void pu_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   off + (off_t)done);

		ck_assert_msg(n > 0, "pwrite(len %zu, off %lld): %s",
			      len - done, (long long)(off + (off_t)done),
			      n < 0 ? strerrorname_np(errno) : "returned 0");
		done += (size_t)n;
	}
}

void pu_pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  off + (off_t)done);

		ck_assert_msg(n > 0, "pread(len %zu, off %lld): %s",
			      len - done, (long long)(off + (off_t)done),
			      n < 0 ? strerrorname_np(errno)
				    : "unexpected EOF");
		done += (size_t)n;
	}
}

const char *pu_make_file(const char *name, size_t len, uint64_t seed)
{
	const char *p = pu_path(name);
	unsigned char *buf = malloc(len ? len : 1);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	ck_assert_msg(fd >= 0, "create %s: %s", p, strerrorname_np(errno));
	ck_assert(buf != NULL);
	pu_fill(buf, len, seed, 0);
	pu_pwrite_all(fd, buf, len, 0);
	ck_assert_int_eq(close(fd), 0);
	free(buf);
	return p;
}

static void first_diff(const unsigned char *a, const unsigned char *b,
		       size_t len, const char *path, off_t off)
{
	for (size_t i = 0; i < len; i++) {
		if (a[i] != b[i])
			ck_abort_msg("%s: byte at offset %lld is 0x%02x, "
				     "expected 0x%02x", path,
				     (long long)(off + (off_t)i), a[i], b[i]);
	}
}

void pu_expect_bytes(const char *path, off_t off, const void *expect,
		     size_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerrorname_np(errno));
	ck_assert(buf != NULL);
	pu_pread_all(fd, buf, len, off);
	close(fd);
	if (memcmp(buf, expect, len))
		first_diff(buf, expect, len, path, off);
	free(buf);
}

void pu_expect_zero(const char *path, off_t off, size_t len)
{
	unsigned char *z = calloc(1, len ? len : 1);

	ck_assert(z != NULL);
	pu_expect_bytes(path, off, z, len);
	free(z);
}

off_t pu_size(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path,
		      strerrorname_np(errno));
	return st.st_size;
}

int pu_run_as(uid_t uid, gid_t gid, gid_t extra_gid, int (*fn)(void *),
	      void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		gid_t groups[1] = { extra_gid };

		if (setgroups(extra_gid ? 1 : 0, groups) < 0 ||
		    setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(250);
		umask(022);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

void pu_tick(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static pid_t pu_watchdog;

static void watchdog_setup(unsigned secs)
{
	pu_watchdog = fh_watchdog_arm(&pu_mount, secs, "a POSIX test");
}

static void watchdog_setup_short(void)
{
	watchdog_setup(PU_TIMEOUT - 10);
}

static void watchdog_setup_slow(void)
{
	watchdog_setup(PU_TIMEOUT_SLOW - 10);
}

static void watchdog_teardown(void)
{
	fh_watchdog_disarm(&pu_watchdog);
}

/* Unchecked: runs in the parent, which owns the mount. */
static void ensure_mounted(void)
{
	if (fh_ensure_mounted(&pu_mount))
		pu_daemon_deaths++;
}

TCase *pu_tcase(Suite *s, const char *name, unsigned timeout)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	tcase_add_unchecked_fixture(tc, ensure_mounted, NULL);
	tcase_add_checked_fixture(tc, timeout > PU_TIMEOUT
				  ? watchdog_setup_slow : watchdog_setup_short,
				  watchdog_teardown);
	suite_add_tcase(s, tc);
	return tc;
}
