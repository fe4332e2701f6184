/* SPDX-License-Identifier: MIT */
/*
 * harness.c - mount, remount, kill and tear down a filesystem under test.
 * See harness.h for the contract.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FH_CMD_WAIT_MS 10000
#define FH_EXIT_WAIT_MS 10000
#define FH_TERM_WAIT_MS 3000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

enum fh_backend fh_backend_from_env(void)
{
	const char *b = getenv("FH_BACKEND");

	if (b && *b) {
		if (!strcmp(b, "pinfs"))
			return FH_BACKEND_PINFS;
		if (!strcmp(b, "passthrough"))
			return FH_BACKEND_PASSTHROUGH;
		if (!strcmp(b, "tmpfs"))
			return FH_BACKEND_TMPFS;
		fprintf(stderr, "harness: FH_BACKEND=%s is not one of "
				"pinfs, passthrough, tmpfs\n", b);
		return FH_BACKEND_NONE;
	}
	if (getenv("PINFS_BIN") && *getenv("PINFS_BIN"))
		return FH_BACKEND_PINFS;
	return FH_BACKEND_NONE;
}

const char *fh_backend_name(enum fh_backend b)
{
	switch (b) {
	case FH_BACKEND_PINFS:
		return "pinfs";
	case FH_BACKEND_PASSTHROUGH:
		return "passthrough_ll";
	case FH_BACKEND_TMPFS:
		return "tmpfs";
	case FH_BACKEND_NONE:
		break;
	}
	return "none";
}

static const char *backend_bin(enum fh_backend b)
{
	const char *v = NULL;

	if (b == FH_BACKEND_PINFS)
		v = getenv("PINFS_BIN");
	else if (b == FH_BACKEND_PASSTHROUGH)
		v = getenv("PASSTHROUGH_BIN");
	return v && *v ? v : NULL;
}

int fh_can_run(enum fh_backend b)
{
	if (b == FH_BACKEND_NONE) {
		fprintf(stderr, "SKIP: PINFS_BIN is not set (pinfs not built) "
				"and no FH_BACKEND chosen\n");
		return FH_SKIP;
	}
	/* Every suite mounts, chowns or changes uid: all need root. */
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the mount suites need root\n");
		return FH_SKIP;
	}
	if (b == FH_BACKEND_TMPFS)
		return 0;
	if (!backend_bin(b) || access(backend_bin(b), X_OK) != 0) {
		fprintf(stderr, "SKIP: no executable for backend %s\n",
			fh_backend_name(b));
		return FH_SKIP;
	}
	if (access("/dev/fuse", R_OK | W_OK) != 0) {
		fprintf(stderr, "SKIP: /dev/fuse is not usable\n");
		return FH_SKIP;
	}
	if (access("/usr/bin/fusermount3", X_OK) != 0 &&
	    access("/bin/fusermount3", X_OK) != 0) {
		fprintf(stderr, "SKIP: fusermount3 is missing\n");
		return FH_SKIP;
	}
	return 0;
}

bool fh_is_reference(const struct fh_mount *m)
{
	return m->backend == FH_BACKEND_PASSTHROUGH ||
	       m->backend == FH_BACKEND_TMPFS;
}

bool fh_has_daemon(const struct fh_mount *m)
{
	return m->backend == FH_BACKEND_PINFS ||
	       m->backend == FH_BACKEND_PASSTHROUGH;
}

void fh_log_tail(const struct fh_mount *m, int lines)
{
	char buf[65536];
	ssize_t n;
	int fd, seen = 0;
	ssize_t start;

	if (!m->log[0])
		return;
	fd = open(m->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0;
	n = pread(fd, buf, sizeof(buf), from);
	close(fd);
	if (n <= 0)
		return;
	for (start = n - 1; start > 0; start--) {
		if (buf[start - 1] == '\n' && ++seen > lines)
			break;
	}
	fprintf(stderr, "---- %s daemon log (tail) ----\n", fh_backend_name(m->backend));
	fwrite(buf + start, 1, (size_t)(n - start), stderr);
	fprintf(stderr, "---- end of log ----\n");
}

/* Wait up to MS for PID; returns its wait status or -ETIMEDOUT. */
static int wait_pid_ms(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		sleep_ms(5);
	}
}

/* Run ARGV with output appended to LOG (or /dev/null); bounded. Returns the
 * exit code, or -errno (-ETIMEDOUT after killing it). */
static int run_cmd(char *const argv[], const char *log, int ms)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log && *log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = wait_pid_ms(pid, ms);
	if (st == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -ETIMEDOUT;
	}
	if (st < 0)
		return st;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return -EINTR;
}

static bool is_fuse_mounted(const char *mnt)
{
	struct statfs sf;

	return statfs(mnt, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC_VALUE;
}

/* True while MNT is still a mount point (even a dead FUSE one). */
static bool is_mountpoint(const char *mnt)
{
	char line[PATH_MAX * 2];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		char *mp = sp ? sp + 1 : NULL;
		char *end = mp ? strchr(mp, ' ') : NULL;

		if (!end)
			continue;
		*end = '\0';
		if (!strcmp(mp, mnt)) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static int write_log_line(const struct fh_mount *m, const char *what)
{
	int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	dprintf(fd, "==== harness: %s ====\n", what);
	close(fd);
	return 0;
}

static int spawn_daemon(struct fh_mount *m)
{
	char opts[1400];
	char *argv[10];
	int i = 0;
	pid_t parent = getpid();

	if (m->backend == FH_BACKEND_PINFS) {
		snprintf(opts, sizeof(opts), "allow_other%s%s",
			 m->opts[0] ? "," : "", m->opts);
		argv[i++] = (char *)m->bin;
		argv[i++] = (char *)"mount";
		argv[i++] = (char *)"-f";
		argv[i++] = (char *)"-o";
		argv[i++] = opts;
		argv[i++] = m->region;
		argv[i++] = m->mnt;
	} else {
		snprintf(opts, sizeof(opts),
			 "source=%s,xattr,allow_other,default_permissions%s%s",
			 m->region, m->opts[0] ? "," : "", m->opts);
		argv[i++] = (char *)m->bin;
		argv[i++] = (char *)"-f";
		argv[i++] = (char *)"-o";
		argv[i++] = opts;
		argv[i++] = m->mnt;
	}
	argv[i] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(126);
		setenv("PINFS_PDEATHSIG", "1", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	m->daemon = pid;
	char pidfile[PATH_MAX];
	snprintf(pidfile, sizeof(pidfile), "%s/daemon.pid", m->tmpdir);
	FILE *f = fopen(pidfile, "we");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	return 0;
}

int fh_mount(struct fh_mount *m)
{
	int ret;

	if (m->backend == FH_BACKEND_TMPFS) {
		/* A private tmpfs (as root) keeps statfs free of neighbours;
		 * it stays mounted across fh_remount so data survives. */
		if (!m->mounted && geteuid() == 0 && !is_mountpoint(m->mnt) &&
		    mount("tmpfs", m->mnt, "tmpfs", 0, "size=512m,mode=0755") < 0)
			return -errno;
		m->mounted = true;
		return 0;
	}
	if (m->mounted || m->daemon)
		return -EBUSY;
	write_log_line(m, "mount");
	ret = spawn_daemon(m);
	if (ret)
		return ret;
	long long end = now_ms() + FH_MOUNT_WAIT_MS;
	for (;;) {
		if (is_fuse_mounted(m->mnt)) {
			m->mounted = true;
			return 0;
		}
		int st = wait_pid_ms(m->daemon, 0);
		if (st >= 0) {
			m->daemon = 0;
			fprintf(stderr, "harness: %s daemon exited (%s %d) "
					"before mounting %s\n",
				fh_backend_name(m->backend),
				WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
				m->mnt);
			fh_log_tail(m, 30);
			return -EIO;
		}
		if (now_ms() >= end)
			break;
		sleep_ms(10);
	}
	fprintf(stderr, "harness: %s did not mount %s within %d ms\n",
		fh_backend_name(m->backend), m->mnt, FH_MOUNT_WAIT_MS);
	fh_log_tail(m, 30);
	kill(m->daemon, SIGKILL);
	waitpid(m->daemon, NULL, 0);
	m->daemon = 0;
	if (is_mountpoint(m->mnt))
		umount2(m->mnt, MNT_DETACH);
	return -ETIMEDOUT;
}

/* Stop the daemon: wait MS for it to exit on its own, then TERM, KILL.
 * Returns 0 if it exited 0 by itself, -EIO otherwise. */
static int reap_daemon(struct fh_mount *m, int ms)
{
	int ret = 0, st;

	if (!m->daemon)
		return 0;
	st = wait_pid_ms(m->daemon, ms);
	if (st == -ETIMEDOUT) {
		fprintf(stderr, "harness: daemon %d still running %d ms after "
				"unmount; SIGTERM\n", (int)m->daemon, ms);
		kill(m->daemon, SIGTERM);
		st = wait_pid_ms(m->daemon, FH_TERM_WAIT_MS);
		if (st == -ETIMEDOUT) {
			kill(m->daemon, SIGKILL);
			waitpid(m->daemon, &st, 0);
		}
		ret = -EIO;
	} else if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		fprintf(stderr, "harness: daemon exited with %s %d\n",
			WIFEXITED(st) ? "status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		ret = -EIO;
	}
	m->daemon = 0;
	return ret;
}

static int do_umount(struct fh_mount *m)
{
	char *fu[] = { (char *)"fusermount3", (char *)"-u", m->mnt, NULL };
	int r;

	if (!is_mountpoint(m->mnt))
		return 0;
	r = run_cmd(fu, m->log, FH_CMD_WAIT_MS);
	if (r == 0 && !is_mountpoint(m->mnt))
		return 0;
	fprintf(stderr, "harness: fusermount3 -u %s failed (%d); umount -l\n",
		m->mnt, r);
	if (umount2(m->mnt, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		return -errno;
	return -EBUSY;
}

int fh_unmount(struct fh_mount *m)
{
	int ret, r2;

	if (m->backend == FH_BACKEND_TMPFS)
		return 0; /* see fh_mount: the tmpfs stays */
	write_log_line(m, "unmount");
	ret = do_umount(m);
	r2 = reap_daemon(m, FH_EXIT_WAIT_MS);
	m->mounted = false;
	if (ret || r2)
		fh_log_tail(m, 30);
	return ret ? ret : r2;
}

int fh_remount(struct fh_mount *m)
{
	int ret = fh_unmount(m);

	if (ret)
		return ret;
	return fh_mount(m);
}

int fh_ensure_mounted(struct fh_mount *m)
{
	int st, ret;

	if (!fh_has_daemon(m) || !m->daemon)
		return 0;
	st = wait_pid_ms(m->daemon, 0);
	if (st == -ETIMEDOUT) {
		struct statfs sf;

		if (statfs(m->mnt, &sf) == 0)
			return 0;
		/* The connection is gone: the daemon is dying or stuck. */
		st = wait_pid_ms(m->daemon, FH_TERM_WAIT_MS);
		if (st == -ETIMEDOUT) {
			kill(m->daemon, SIGKILL);
			waitpid(m->daemon, &st, 0);
		}
	}
	fprintf(stderr, "harness: the %s daemon (pid %d) died: %s %d; "
			"mounting the region again\n", fh_backend_name(m->backend),
		(int)m->daemon, st >= 0 && WIFEXITED(st) ? "exit status" : "signal",
		st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	fh_log_tail(m, 30);
	m->daemon = 0;
	m->mounted = false;
	if (is_mountpoint(m->mnt))
		umount2(m->mnt, MNT_DETACH);
	ret = fh_mount(m);
	return ret ? ret : -EIO;
}

int fh_kill9(struct fh_mount *m)
{
	if (!fh_has_daemon(m))
		return -EOPNOTSUPP;
	if (!m->daemon)
		return -ESRCH;
	write_log_line(m, "kill -9");
	kill(m->daemon, SIGKILL);
	waitpid(m->daemon, NULL, 0);
	m->daemon = 0;
	if (umount2(m->mnt, MNT_DETACH) < 0 && errno != EINVAL) {
		int e = errno;

		fprintf(stderr, "harness: umount -l %s: %s\n", m->mnt,
			strerror(e));
		return -e;
	}
	m->mounted = false;
	return 0;
}

int fh_fsck(struct fh_mount *m)
{
	if (m->backend != FH_BACKEND_PINFS)
		return 0;
	if (m->mounted || m->daemon)
		return -EBUSY;
	char *argv[] = { (char *)m->bin, (char *)"fsck", m->region, NULL };
	char flog[PATH_MAX + 16];
	snprintf(flog, sizeof(flog), "%s/fsck.log", m->tmpdir);
	unlink(flog);
	int r = run_cmd(argv, flog, 120000);
	if (r == 0)
		return 0;
	fprintf(stderr, "harness: pinfs fsck %s: exit %d\n", m->region, r);
	FILE *f = fopen(flog, "re");
	if (f) {
		char line[1024];
		while (fgets(line, sizeof(line), f))
			fprintf(stderr, "  fsck: %s", line);
		fclose(f);
	}
	return -EUCLEAN;
}

static int mkfs_region(struct fh_mount *m)
{
	char *argv[] = { (char *)m->bin, (char *)"mkfs", (char *)"--size",
			 m->region_size, m->region, NULL };
	int r = run_cmd(argv, m->log, 120000);

	if (r == 0)
		return 0;
	fprintf(stderr, "harness: pinfs mkfs --size %s %s: exit %d\n",
		m->region_size, m->region, r);
	fh_log_tail(m, 20);
	return -EIO;
}

/*
 * A run killed by SIGKILL (a meson timeout) leaves its mount and temp dir
 * behind.  Each temp dir names its owner pid in "owner"; remove those whose
 * owner is gone.
 */
static void reap_stale(void)
{
	static const char *globs[] = { "/dev/shm" };

	for (size_t g = 0; g < 1; g++) {
		DIR *d = opendir(globs[g]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			char path[PATH_MAX], own[PATH_MAX + 8], mnt[PATH_MAX + 8];
			int pid = 0;
			FILE *f;

			if (strncmp(de->d_name, "pinfs-test.", 11))
				continue;
			snprintf(path, sizeof(path), "%s/%s", globs[g], de->d_name);
			snprintf(own, sizeof(own), "%s/owner", path);
			f = fopen(own, "re");
			if (!f)
				continue;
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
			if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
				continue;
			snprintf(mnt, sizeof(mnt), "%s/mnt", path);
			if (is_mountpoint(mnt))
				umount2(mnt, MNT_DETACH);
			snprintf(mnt, sizeof(mnt), "%s/src", path);
			if (is_mountpoint(mnt))
				umount2(mnt, MNT_DETACH);
			fprintf(stderr, "harness: removing stale %s (owner %d gone)\n",
				path, pid);
			fh_rm_rf(path);
		}
		closedir(d);
	}
}

int fh_setup(struct fh_mount *m, enum fh_backend b, const char *extra_opts)
{
	const char *size = getenv("FH_REGION_SIZE");
	int ret;

	reap_stale();
	memset(m, 0, sizeof(*m));
	m->backend = b;
	m->owner = getpid();
	m->bin = backend_bin(b);
	snprintf(m->region_size, sizeof(m->region_size), "%s",
		 size && *size ? size : FH_DEFAULT_REGION_SIZE);
	if (extra_opts)
		snprintf(m->opts, sizeof(m->opts), "%s", extra_opts);
	if (b == FH_BACKEND_NONE || (b != FH_BACKEND_TMPFS && !m->bin))
		return -EINVAL;

	snprintf(m->tmpdir, sizeof(m->tmpdir), "/dev/shm/pinfs-test.XXXXXX");
	if (!mkdtemp(m->tmpdir))
		return -errno;
	m->prepared = true;
	{
		char own[PATH_MAX + 8];
		FILE *f;

		snprintf(own, sizeof(own), "%s/owner", m->tmpdir);
		f = fopen(own, "we");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->tmpdir);
	snprintf(m->log, sizeof(m->log), "%s/daemon.log", m->tmpdir);
	if (mkdir(m->mnt, 0755) < 0) {
		ret = -errno;
		goto err_teardown;
	}
	/* The mount root must be reachable by the unprivileged test users. */
	chmod(m->tmpdir, 0755);

	if (b == FH_BACKEND_PINFS) {
		snprintf(m->region, sizeof(m->region), "%s/region", m->tmpdir);
		ret = mkfs_region(m);
		if (ret)
			goto err_teardown;
	} else if (b == FH_BACKEND_PASSTHROUGH) {
		/* A private tmpfs, so statfs and ENOSPC are the test's own. */
		snprintf(m->region, sizeof(m->region), "%s/src", m->tmpdir);
		if (mkdir(m->region, 0755) < 0 ||
		    mount("tmpfs", m->region, "tmpfs", 0,
			  "size=512m,mode=0755") < 0) {
			ret = -errno;
			goto err_teardown;
		}
	}
	ret = fh_mount(m);
	if (ret)
		goto err_teardown;
	return 0;

err_teardown:
	fh_teardown(m);
	return ret;
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	/* Best effort: fh_rm_rf checks the result at the end. */
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int fh_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return -errno;
	return lstat(path, &st) == 0 ? -ENOTEMPTY : 0;
}

void fh_teardown(struct fh_mount *m)
{
	if (!m->prepared || getpid() != m->owner)
		return;
	if (fh_has_daemon(m)) {
		if (is_mountpoint(m->mnt)) {
			write_log_line(m, "teardown");
			do_umount(m);
		}
		if (m->daemon)
			reap_daemon(m, FH_TERM_WAIT_MS);
		if (is_mountpoint(m->mnt))
			umount2(m->mnt, MNT_DETACH);
	}
	if (m->backend == FH_BACKEND_TMPFS && is_mountpoint(m->mnt))
		umount2(m->mnt, MNT_DETACH);
	if (m->backend == FH_BACKEND_PASSTHROUGH && m->region[0] &&
	    is_mountpoint(m->region))
		umount2(m->region, MNT_DETACH);
	m->mounted = false;
	if (getenv("FH_KEEP") && *getenv("FH_KEEP"))
		fprintf(stderr, "harness: kept %s\n", m->tmpdir);
	else if (m->tmpdir[0])
		fh_rm_rf(m->tmpdir);
	m->prepared = false;
}

static struct fh_mount *cleanup_mount;

static void cleanup_atexit(void)
{
	if (cleanup_mount)
		fh_teardown(cleanup_mount);
}

static void cleanup_signal(int sig)
{
	if (cleanup_mount && getpid() == cleanup_mount->owner)
		fh_teardown(cleanup_mount);
	signal(sig, SIG_DFL);
	raise(sig);
}

void fh_install_cleanup(struct fh_mount *m)
{
	static bool registered;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	cleanup_mount = m;
	if (registered)
		return;
	registered = true;
	atexit(cleanup_atexit);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cleanup_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
