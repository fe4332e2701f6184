/* SPDX-License-Identifier: MIT */
/*
 * test_harness.c - the mount harness keeps its promises: data survives
 * fh_remount and fh_kill9 + fh_mount, fh_fsck runs, teardown leaves no
 * mount and no temp dir, also when the test process exits early or is
 * killed by SIGTERM, and the watchdog ends a request the daemon never
 * answers (a SIGSTOPped daemon).  Plain program: prints one line per check
 * and "N passed, N failed".
 */
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (cond) {                                       \
			passed++;                                 \
		} else {                                          \
			failed++;                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, \
				__LINE__);                        \
			fprintf(stderr, __VA_ARGS__);             \
			fprintf(stderr, "\n");                    \
		}                                                 \
	} while (0)

static bool mounted_at(const char *mnt)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, mnt))
			found = true;
	if (f)
		fclose(f);
	return found;
}

static int put(const char *mnt, const char *name, const char *text)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", mnt, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int r = (n == (ssize_t)strlen(text) && fsync(fd) == 0) ? 0 : -EIO;
	close(fd);
	return r;
}

static bool has(const char *mnt, const char *name, const char *text)
{
	char p[512], buf[256] = "";
	int fd;

	snprintf(p, sizeof(p), "%s/%s", mnt, name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, (size_t)n);
}

static void check_lifecycle(enum fh_backend b)
{
	struct fh_mount m;

	CHECK(fh_setup(&m, b, NULL) == 0, "fh_setup");
	CHECK(put(m.mnt, "a", "one") == 0, "write a");
	CHECK(fh_remount(&m) == 0, "fh_remount");
	CHECK(has(m.mnt, "a", "one"), "a survives a remount");
	if (fh_has_daemon(&m)) {
		CHECK(fh_unmount(&m) == 0, "fh_unmount");
		CHECK(!mounted_at(m.mnt), "nothing mounted after fh_unmount");
		CHECK(fh_fsck(&m) == 0, "fh_fsck clean");
		CHECK(fh_mount(&m) == 0, "fh_mount again");
		CHECK(put(m.mnt, "b", "two") == 0, "write b");
		CHECK(fh_kill9(&m) == 0, "fh_kill9");
		CHECK(!mounted_at(m.mnt), "nothing mounted after fh_kill9");
		CHECK(fh_mount(&m) == 0, "mount after kill -9");
		CHECK(has(m.mnt, "b", "two"), "fsync'd b survives kill -9");
	}
	char dir[sizeof(m.tmpdir)];
	snprintf(dir, sizeof(dir), "%s", m.tmpdir);
	fh_teardown(&m);
	CHECK(access(dir, F_OK) != 0, "teardown removed %s", dir);
	CHECK(!mounted_at(dir), "teardown left no mount under %s", dir);
}

/* A child mounts, reports its temp dir, then dies by MODE. */
enum death { DIE_EXIT, DIE_SIGTERM };

static void check_cleanup_on(enum fh_backend b, enum death how)
{
	int pfd[2];
	char dir[64] = "";

	if (pipe(pfd) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		static struct fh_mount m;

		close(pfd[0]);
		fh_install_cleanup(&m);
		if (fh_setup(&m, b, NULL) != 0)
			_exit(3);
		if (write(pfd[1], m.tmpdir, strlen(m.tmpdir) + 1) < 0)
			_exit(4);
		if (how == DIE_EXIT)
			exit(1); /* a failing test: atexit tears down */
		pause();
		_exit(5);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], dir, sizeof(dir) - 1);
	close(pfd[0]);
	CHECK(n > 0, "child reported its temp dir");
	if (how == DIE_SIGTERM)
		kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	CHECK(n > 0 && access(dir, F_OK) != 0, "temp dir %s removed after %s",
	      dir, how == DIE_EXIT ? "exit(1)" : "SIGTERM");
	CHECK(n > 0 && !mounted_at(dir), "no mount left under %s after %s", dir,
	      how == DIE_EXIT ? "exit(1)" : "SIGTERM");
}

static void check_watchdog(enum fh_backend b)
{
	struct fh_mount m;
	struct timespec t0, t1;

	if (fh_setup(&m, b, NULL) != 0) {
		CHECK(0, "fh_setup for the watchdog");
		return;
	}
	if (!fh_has_daemon(&m)) {
		fh_teardown(&m);
		return;
	}
	CHECK(put(m.mnt, "w", "x") == 0, "write w");
	kill(m.daemon, SIGSTOP); /* it will never answer */
	/* SIGSTOP lands asynchronously: wait until the daemon shows 'T'. */
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512] = "";
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)m.daemon);
		FILE *f = fopen(path, "re");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'T')
			break;
		usleep(10000);
	}
	pid_t wd = fh_watchdog_arm(&m, 2, "the watchdog self-test");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A new name: neither the lookup nor the create can be cached. */
	char p[256];
	snprintf(p, sizeof(p), "%s/never-seen", m.mnt);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	int r = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fh_watchdog_disarm(&wd);
	CHECK(r == ENOTCONN || r == ECONNABORTED || r == EIO,
	      "a request to a stopped daemon ends with an error (got %s)",
	      r ? strerror(r) : "success");
	CHECK(t1.tv_sec - t0.tv_sec < 30, "the watchdog fired in time");
	CHECK(fh_ensure_mounted(&m) == -EIO, "fh_ensure_mounted saw the death");
	CHECK(has(m.mnt, "w", "x"), "the region mounts again after the watchdog");
	fh_teardown(&m);
}

/* 64-bit FNV-1a of a whole file (the region), 0 when unreadable. */
static uint64_t file_hash(const char *path)
{
	static unsigned char buf[1 << 20];
	uint64_t h = 0xcbf29ce484222325ull;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		const uint64_t *w = (const uint64_t *)buf;
		for (ssize_t i = 0; i < n / 8; i++)
			h = (h ^ w[i]) * 0x100000001b3ull;
	}
	close(fd);
	return h;
}

/* -o ro: reads work, every change fails with EROFS, the region is not
 * written (pinfs's promise). */
static void check_readonly(enum fh_backend b)
{
	struct fh_mount m;
	char p[256];

	if (fh_setup(&m, b, NULL) != 0) {
		CHECK(0, "fh_setup for -o ro");
		return;
	}
	if (!fh_has_daemon(&m)) {
		fh_teardown(&m);
		return;
	}
	CHECK(put(m.mnt, "r", "kept") == 0, "write r");
	CHECK(fh_unmount(&m) == 0, "unmount before -o ro");
	uint64_t before = b == FH_BACKEND_PINFS ? file_hash(m.region) : 0;
	snprintf(m.opts, sizeof(m.opts), "ro");
	CHECK(fh_mount(&m) == 0, "mount -o ro");
	CHECK(has(m.mnt, "r", "kept"), "read on a read-only mount");
	snprintf(p, sizeof(p), "%s/r", m.mnt);
	errno = 0;
	CHECK(open(p, O_WRONLY) < 0 && errno == EROFS, "open for write: %s",
	      strerror(errno));
	snprintf(p, sizeof(p), "%s/new", m.mnt);
	errno = 0;
	CHECK(mkdir(p, 0755) < 0 && errno == EROFS, "mkdir: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/r", m.mnt);
	errno = 0;
	CHECK(unlink(p) < 0 && errno == EROFS, "unlink: %s", strerror(errno));
	errno = 0;
	CHECK(chmod(p, 0600) < 0 && errno == EROFS, "chmod: %s", strerror(errno));
	CHECK(fh_unmount(&m) == 0, "unmount -o ro");
	if (b == FH_BACKEND_PINFS)
		CHECK(file_hash(m.region) == before,
		      "a read-only mount left the region's bytes unchanged");
	CHECK(fh_fsck(&m) == 0, "fsck after -o ro");
	fh_teardown(&m);
}

int main(void)
{
	enum fh_backend b = fh_backend_from_env();
	int ret = fh_can_run(b);

	if (ret)
		return ret;
	check_lifecycle(b);
	check_cleanup_on(b, DIE_EXIT);
	check_cleanup_on(b, DIE_SIGTERM);
	check_watchdog(b);
	check_readonly(b);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
