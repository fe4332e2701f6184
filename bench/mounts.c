/* SPDX-License-Identifier: MIT */
/* mounts.c - start and stop pinfs, passthrough_ll and tmpfs directories. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "report.h"
#include "stats.h"

#define EXAMPLES "/usr/share/doc/libfuse3-dev/examples"
#define MOUNT_TIMEOUT_NS (15ull * 1000000000ull)

static char pt_bin[MOUNT_PATH + 32]; /* built passthrough_ll, once per run */

void mount_clear(struct bench_mount *m)
{
	memset(m, 0, sizeof(*m));
	m->h_dir = m->h_src = m->h_log = m->h_pid = m->h_mount = -1;
}

static bool is_exec(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int mount_find_pinfs(const struct bench_opts *o, char *buf, size_t len)
{
	char self[PATH_MAX], *slash, *path, *save = NULL, *dir;
	const char *env = getenv("PINFS_BIN");
	ssize_t n;

	if (o->pinfs_bin) {
		snprintf(buf, len, "%s", o->pinfs_bin);
		return is_exec(buf) ? 0 : -ENOENT;
	}
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return is_exec(buf) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/../fusefs/pinfs", self);
			if (is_exec(buf))
				return 0;
			snprintf(buf, len, "%s/pinfs", self);
			if (is_exec(buf))
				return 0;
		}
	}
	path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	for (dir = path ? strtok_r(path, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/pinfs", dir);
		if (is_exec(buf)) {
			free(path);
			return 0;
		}
	}
	free(path);
	return -ENOENT;
}

/* Run argv to completion with stdout/stderr into log (or /dev/null): its
 * exit status, or -errno. */
static int run_wait(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* First line of a log file, for error messages. */
static void log_line(const char *log, char *buf, size_t len)
{
	FILE *f = fopen(log, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int make_dir(const struct bench_opts *o, const char *tag,
		    char *out, int *handle)
{
	snprintf(out, MOUNT_PATH, "%s/pinfs-bench.%d.%s", o->workdir,
		 (int)getpid(), tag);
	if (mkdir(out, 0755) < 0)
		return -errno;
	*handle = cleanup_push_dir(out);
	return *handle < 0 ? *handle : 0;
}

int mount_tmpdir(const struct bench_opts *o, const char *tag,
		 struct bench_mount *m)
{
	int ret;

	mount_clear(m);
	ret = make_dir(o, tag, m->dir, &m->h_dir);
	if (ret < 0)
		snprintf(m->why, sizeof(m->why), "mkdir in %s: %s", o->workdir,
			 strerror(-ret));
	return ret;
}

/* Fork the daemon with stderr into m->log; wait until m->dir is a mount
 * point (its st_dev differs from its parent's). */
static int start_daemon(struct bench_mount *m, char *const argv[])
{
	char parent[MOUNT_PATH + 4];
	struct stat pst, st;
	uint64_t t0;
	int lfd, status;

	lfd = open(m->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (lfd < 0)
		return -errno;
	m->h_log = cleanup_push_file(m->log);
	m->pid = fork();
	if (m->pid < 0) {
		close(lfd);
		return -errno;
	}
	if (m->pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, STDIN_FILENO);
		dup2(lfd, STDOUT_FILENO);
		dup2(lfd, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(lfd);
	m->h_pid = cleanup_push_pid(m->pid);
	/* pushed after the pid, so the unmount happens before the kill */
	m->h_mount = cleanup_push_mount(m->dir);
	snprintf(parent, sizeof(parent), "%s/..", m->dir);
	if (stat(parent, &pst) < 0)
		return -errno;
	t0 = stats_now_ns();
	for (;;) {
		if (stat(m->dir, &st) == 0 && st.st_dev != pst.st_dev) {
			cleanup_mount_conn(m->h_mount, minor(st.st_dev));
			return 0;
		}
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			char line[120];

			cleanup_forget(m->h_pid);
			m->h_pid = -1;
			m->pid = 0;
			log_line(m->log, line, sizeof(line));
			snprintf(m->why, sizeof(m->why), "%s exited: %s",
				 argv[0], line[0] ? line : "(no message)");
			return -ECHILD;
		}
		if (stats_now_ns() - t0 > MOUNT_TIMEOUT_NS) {
			snprintf(m->why, sizeof(m->why),
				 "%s did not mount within 15 s", argv[0]);
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
}

static int build_passthrough(const struct bench_opts *o, char *why,
			     size_t wlen)
{
	char dir[MOUNT_PATH], cmd[1024], log[MOUNT_PATH + 8];
	int h, ret;

	if (pt_bin[0])
		return 0;
	if (access(EXAMPLES "/passthrough_ll.c", R_OK) < 0) {
		snprintf(why, wlen, "no %s/passthrough_ll.c (libfuse3-dev)",
			 EXAMPLES);
		return -ENOENT;
	}
	ret = make_dir(o, "build", dir, &h);
	if (ret < 0) {
		snprintf(why, wlen, "mkdir: %s", strerror(-ret));
		return ret;
	}
	snprintf(pt_bin, sizeof(pt_bin), "%s/passthrough_ll", dir);
	snprintf(log, sizeof(log), "%s/cc.log", dir);
	cleanup_push_file(pt_bin);
	cleanup_push_file(log);
	snprintf(cmd, sizeof(cmd),
		 "cc -O2 -w -I" EXAMPLES " -o '%s' " EXAMPLES
		 "/passthrough_ll.c $(pkg-config --cflags --libs fuse3) "
		 "> '%s' 2>&1", pt_bin, log);
	{
		char *argv[] = { "sh", "-c", cmd, NULL };

		progress("fs: compiling libfuse's passthrough_ll example");
		ret = run_wait(argv, NULL);
	}
	if (ret != 0) {
		char line[120];

		log_line(log, line, sizeof(line));
		snprintf(why, wlen, "compiling passthrough_ll failed: %s", line);
		pt_bin[0] = '\0';
		return -EIO;
	}
	return 0;
}

int mount_passthrough(const struct bench_opts *o, struct bench_mount *m)
{
	char srcopt[MOUNT_PATH + 16];
	int ret;

	mount_clear(m);
	if (o->no_mount) {
		snprintf(m->why, sizeof(m->why), "skipped (--no-mount)");
		return -ENOTSUP;
	}
	ret = build_passthrough(o, m->why, sizeof(m->why));
	if (ret < 0)
		return ret;
	ret = make_dir(o, "pt-src", m->src, &m->h_src);
	if (ret < 0)
		goto err_why;
	ret = make_dir(o, "pt-mnt", m->dir, &m->h_dir);
	if (ret < 0)
		goto err_why;
	snprintf(m->log, sizeof(m->log), "%s/pinfs-bench.%d.pt.log",
		 o->workdir, (int)getpid());
	snprintf(srcopt, sizeof(srcopt), "source=%s", m->src);
	{
		char *argv[] = { pt_bin, "-f", "-o", srcopt, m->dir, NULL };

		ret = start_daemon(m, argv);
	}
	if (ret < 0 && !m->why[0])
		goto err_why;
	return ret;
err_why:
	snprintf(m->why, sizeof(m->why), "passthrough_ll: %s", strerror(-ret));
	return ret;
}

int mount_pinfs(const struct bench_opts *o, uint64_t region_size,
		const char *extra_opts, struct bench_mount *m)
{
	char bin[PATH_MAX], size[32], opts[256], line[120];
	int ret;

	mount_clear(m);
	if (o->no_mount) {
		snprintf(m->why, sizeof(m->why), "skipped (--no-mount)");
		return -ENOTSUP;
	}
	if (mount_find_pinfs(o, bin, sizeof(bin)) < 0) {
		snprintf(m->why, sizeof(m->why),
			 "awaits the pinfs daemon (program not built yet)");
		return -ENOENT;
	}
	ret = make_dir(o, "pinfs-mnt", m->dir, &m->h_dir);
	if (ret < 0) {
		snprintf(m->why, sizeof(m->why), "mkdir: %s", strerror(-ret));
		return ret;
	}
	if (o->region) {
		snprintf(m->src, sizeof(m->src), "%s", o->region);
	} else {
		snprintf(m->src, sizeof(m->src), "%s/pinfs-bench.%d.region",
			 o->workdir, (int)getpid());
		m->h_src = cleanup_push_file(m->src);
	}
	snprintf(m->log, sizeof(m->log), "%s/pinfs-bench.%d.pinfs.log",
		 o->workdir, (int)getpid());
	snprintf(size, sizeof(size), "%llu", (unsigned long long)region_size);
	unlink(m->log);
	{
		char *argv[] = { bin, "mkfs", "--force", "--size", size, m->src,
				 NULL };

		ret = run_wait(argv, m->log);
	}
	if (ret != 0) {
		log_line(m->log, line, sizeof(line));
		snprintf(m->why, sizeof(m->why), "pinfs mkfs failed: %s",
			 ret < 0 ? strerror(-ret) : line);
		return ret < 0 ? ret : -EIO;
	}
	snprintf(opts, sizeof(opts), "%s", extra_opts ? extra_opts : "");
	if (opts[0]) {
		char *argv[] = { bin, "mount", "-f", "-o", opts, m->src, m->dir,
				 NULL };

		ret = start_daemon(m, argv);
	} else {
		char *argv[] = { bin, "mount", "-f", m->src, m->dir, NULL };

		ret = start_daemon(m, argv);
	}
	return ret;
}

void mount_stop(struct bench_mount *m)
{
	int st;

	cleanup_undo(m->h_mount);
	/* the daemon of an unmounted FUSE fs exits by itself; give it 2 s */
	for (int i = 0; m->pid > 0 && i < 200; i++) {
		if (waitpid(m->pid, &st, WNOHANG) == m->pid) {
			cleanup_forget(m->h_pid);
			m->h_pid = -1;
			break;
		}
		usleep(10000);
	}
	cleanup_undo(m->h_pid);
	cleanup_undo(m->h_log);
	cleanup_undo(m->h_src);
	cleanup_undo(m->h_dir);
	m->h_mount = m->h_pid = m->h_log = m->h_src = m->h_dir = -1;
	m->pid = 0;
}
