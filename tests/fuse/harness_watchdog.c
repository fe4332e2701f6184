/* SPDX-License-Identifier: MIT */
/*
 * harness_watchdog.c - end FUSE requests the daemon never answers (see
 * fh_watchdog_arm in harness.h): print where the caller and the daemon's
 * threads are blocked, then kill the daemon so the caller gets ENOTCONN.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void dump_file(const char *title, const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	fprintf(stderr, "  %s:\n", title);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	close(fd);
}

static void watchdog_fire(const struct fh_mount *m, pid_t victim,
			  unsigned secs, const char *what)
{
	char path[PATH_MAX], title[300];
	int daemon = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.pid", m->tmpdir);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &daemon) != 1)
			daemon = 0;
		fclose(f);
	}
	fprintf(stderr, "harness: WATCHDOG: %s still running after %u s: a "
			"FUSE request is not being answered; killing the "
			"daemon (pid %d)\n", what, secs, daemon);
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)victim);
	dump_file("blocked caller's syscall (number and arguments)", path);
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)victim);
	dump_file("blocked caller's kernel stack", path);
	if (daemon > 0) {
		snprintf(path, sizeof(path), "/proc/%d/task", daemon);
		DIR *d = opendir(path);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(title, sizeof(title), "daemon thread %s",
				 de->d_name);
			snprintf(path, sizeof(path), "/proc/%d/task/%s/stack",
				 daemon, de->d_name);
			dump_file(title, path);
		}
		if (d)
			closedir(d);
		kill(daemon, SIGKILL);
	}
}

pid_t fh_watchdog_arm(const struct fh_mount *m, unsigned secs,
		      const char *what)
{
	pid_t parent = getpid();
	pid_t pid;

	if (!fh_has_daemon(m))
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		/* Never run the caller's cleanup from here. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		struct timespec ts = { (time_t)secs, 0 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (getppid() == parent)
			watchdog_fire(m, parent, secs, what);
		_exit(0);
	}
	return pid;
}

void fh_watchdog_disarm(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

