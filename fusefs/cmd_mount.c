/* SPDX-License-Identifier: MIT */
/*
 * cmd_mount.c - `pinfs mount`: check everything that can be checked,
 * then (unless -f) fork; the child opens the store and mounts while the
 * parent waits on a pipe, so every error is reported, with a nonzero
 * exit, before the daemon detaches.
 *
 * Why the child opens the store rather than the parent: anything the
 * store (or later the pin layer) starts at open, threads included, must
 * live in the process that serves; fork() would drop threads.
 */
#include "cli.h"
#include "daemon.h"
#include "mount_opts.h"
#include "mtab.h"
#include "size.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long the parent waits for the daemon to report the mount. */
#define MOUNT_WAIT_MS 60000

static void mount_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs mount [-f] [-o OPTIONS] REGION MOUNTPOINT\n"
		"\n"
		"Mount the pinfs region REGION on MOUNTPOINT.  The daemon detaches\n"
		"once the mount is live; errors are reported before that.\n"
		"\n"
		"  -f             stay in the foreground (log to stderr)\n"
		"  -o OPTIONS     comma-separated mount options (may repeat):\n"
		"     size=SIZE             format REGION first if it does not exist\n"
		"     allow_other           let other users reach the mount\n"
		"     permissions=WHO       who checks access by the mode bits: daemon,\n"
		"                           kernel, or auto (default: the kernel with\n"
		"                           allow_other, else the daemon); see pinfs(8)\n"
		"     default_permissions   the same as permissions=kernel\n"
		"     direct_write=on|off   write-only opens bypass the page cache\n"
		"                           (default on; Linux 6.6 and newer)\n"
		"     ro                    read-only mount (the region is not written)\n"
		"     pin_uid=USER          user allowed to pin (besides the mount\n"
		"                           owner and root); name or number\n"
		"     pin_gid=GROUP         group allowed to pin\n"
		"     policy=NAME|PATH      revoke policy: break (default), deny,\n"
		"                           require-lease, implicit-lease, quarantine,\n"
		"                           remap, or /path/to/plugin.so[:ARGS]\n"
		"     deny_ebusy            the deny policy fails with EBUSY, not ETXTBSY\n"
		"     lease_break_time=MS   wait for lease holders (default 45000)\n"
		"     kill_grace=MS         after SIGBUS, wait before SIGKILL\n"
		"                           (default 10000; 0 = never SIGKILL)\n"
		"     max_pin_bytes=SIZE    pinned bytes allowed on the mount\n"
		"                           (default: no limit but the region)\n"
		"     max_pin_bytes_holder=SIZE  pinned bytes per holder (default:\n"
		"                           no limit but the region)\n"
		"     debug                 log every request (implies -f)\n"
		"     nosuid, nodev, noexec, noatime, sync, ... are passed to the\n"
		"     kernel; defaults, noauto, nofail, _netdev, x-* are ignored\n"
		"  -h, --help     show this help\n"
		"\n"
		"Environment: PINFS_PDEATHSIG=1 with -f makes the daemon unmount\n"
		"when its parent process dies (for test harnesses).\n");
}

struct mount_args {
	bool foreground;
	struct mount_opts opts;
	const char *region;
	const char *mountpoint;
};

/* 0, or an exit status after printing the reason. */
static int parse_args(int argc, char **argv, struct mount_args *ma)
{
	char err[256];
	int i;

	mount_opts_init(&ma->opts);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_is_help(a)) {
			mount_usage(stdout);
			exit(CLI_OK);
		} else if (!strcmp(a, "-f")) {
			ma->foreground = true;
		} else if (!strcmp(a, "-o") || !strncmp(a, "-o", 2)) {
			const char *v = a[2] ? a + 2 : argv[++i];

			if (!v) {
				cli_err("mount", "-o needs a value");
				return CLI_USAGE;
			}
			if (mount_opts_parse(&ma->opts, v, err, sizeof(err))) {
				cli_err("mount", "%s", err);
				return CLI_USAGE;
			}
		} else if (a[0] == '-' && a[1]) {
			cli_err("mount", "unknown option '%s' (try --help)", a);
			return CLI_USAGE;
		} else if (!ma->region) {
			ma->region = a;
		} else if (!ma->mountpoint) {
			ma->mountpoint = a;
		} else {
			cli_err("mount", "too many arguments (try --help)");
			return CLI_USAGE;
		}
	}
	if (!ma->mountpoint) {
		cli_err("mount", "missing %s (try --help)",
			ma->region ? "MOUNTPOINT" : "REGION and MOUNTPOINT");
		return CLI_USAGE;
	}
	if (ma->opts.debug)
		ma->foreground = true;
	return 0;
}

/* Create the region when it is missing and size= was given. */
static int ensure_region(const struct mount_args *ma)
{
	struct store_mkfs_opts mo = { .size = ma->opts.size };
	struct stat sb;
	char min[32];
	int ret;

	if (stat(ma->region, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			cli_err("mount", "%s is a directory, not a region",
				ma->region);
			return CLI_FAIL;
		}
		return 0;
	}
	if (errno != ENOENT) {
		cli_err("mount", "%s: %s", ma->region, strerror(errno));
		return CLI_FAIL;
	}
	if (!ma->opts.size) {
		cli_err("mount", "%s does not exist (format it with pinfs mkfs, "
				 "or mount with -o size=SIZE)", ma->region);
		return CLI_FAIL;
	}
	if (ma->opts.ro) {
		cli_err("mount", "%s does not exist and ro forbids creating it",
			ma->region);
		return CLI_FAIL;
	}
	if (mo.size < STORE_MIN_REGION_SIZE || mo.size % STORE_BLOCK_SIZE) {
		cli_err("mount", "size=%llu: need a multiple of 4K, at least %s",
			(unsigned long long)mo.size,
			size_format(STORE_MIN_REGION_SIZE, min, sizeof(min)));
		return CLI_USAGE;
	}
	ret = store_mkfs(ma->region, &mo);
	if (ret) {
		cli_err("mount", "cannot format %s: %s", ma->region,
			strerror(-ret));
		return CLI_FAIL;
	}
	printf("pinfs mount: formatted %s\n", ma->region);
	return 0;
}

static int check_mountpoint(const char *mnt)
{
	struct stat sb;

	if (stat(mnt, &sb)) {
		cli_err("mount", "mountpoint %s: %s", mnt, strerror(errno));
		return CLI_FAIL;
	}
	if (!S_ISDIR(sb.st_mode)) {
		cli_err("mount", "mountpoint %s is not a directory", mnt);
		return CLI_FAIL;
	}
	return 0;
}

/* Open the store and serve; runs in the daemon (child or foreground). */
static int run_daemon(const char *region, const char *mnt,
		      const struct mount_opts *opts, int ready_fd)
{
	struct daemon_params p = {
		.region = region, .mountpoint = mnt, .opts = opts,
		.ready_fd = ready_fd,
	};
	struct store *st = NULL;
	struct store_info info;
	const char *why = NULL;
	char sz[32];
	int ret;

	/* orphans are reclaimed by pin_recover once pins are re-held */
	ret = store_open(region, opts->ro ? STORE_OPEN_READONLY :
					    STORE_OPEN_NO_RECLAIM, &st, &why);
	if (ret) {
		cli_err("mount", "cannot mount %s: %s", region,
			why ? why : strerror(-ret));
		daemon_notify_parent(&p.ready_fd, CLI_FAIL);
		return CLI_FAIL;
	}
	store_get_info(st, &info);
	printf("pinfs mount: %s: %s region, %llu-byte blocks, granularity %s%s\n",
	       region, size_format(info.region_size, sz, sizeof(sz)),
	       (unsigned long long)info.block_size, info.granularity,
	       info.is_devdax ? " (devdax)" : "");
	fflush(stdout);
	ret = daemon_run(st, &p);
	store_close(&st);
	return ret ? CLI_FAIL : CLI_OK;
}

/* Parent: wait for the child's one-byte report. */
static int wait_child(pid_t pid, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char status = CLI_FAIL;
	ssize_t n = 0;
	int ret, wstatus;

	do
		ret = poll(&pfd, 1, MOUNT_WAIT_MS);
	while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		cli_err("mount", "the daemon did not report within %d s; "
				 "stopping it", MOUNT_WAIT_MS / 1000);
		kill(pid, SIGTERM);
		close(fd);
		return CLI_FAIL;
	}
	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n == 1 && status == 0)
		return CLI_OK;
	/* it failed (and said why) or died: reap it */
	if (waitpid(pid, &wstatus, 0) == pid && n != 1) {
		if (WIFSIGNALED(wstatus))
			cli_err("mount", "the daemon died of signal %d",
				WTERMSIG(wstatus));
		else
			cli_err("mount", "the daemon exited during start-up");
	}
	return status ? status : CLI_FAIL;
}

int cmd_mount(int argc, char **argv)
{
	struct mount_args ma = { 0 };
	char region[PATH_MAX], mnt[PATH_MAX], other[PATH_MAX];
	int pfd[2], ret;
	pid_t pid;

	ret = parse_args(argc, argv, &ma);
	if (!ret)
		ret = check_mountpoint(ma.mountpoint);
	if (!ret)
		ret = ensure_region(&ma);
	if (ret)
		return ret;
	if (!realpath(ma.region, region)) {
		cli_err("mount", "%s: %s", ma.region, strerror(errno));
		return CLI_FAIL;
	}
	if (!realpath(ma.mountpoint, mnt)) {
		cli_err("mount", "%s: %s", ma.mountpoint, strerror(errno));
		return CLI_FAIL;
	}
	if (mtab_region_mounted(region, other, sizeof(other))) {
		cli_err("mount", "%s is already mounted on %s", ma.region, other);
		return CLI_FAIL;
	}
	if (ma.foreground) {
		if (getenv("PINFS_PDEATHSIG") &&
		    !strcmp(getenv("PINFS_PDEATHSIG"), "1"))
			prctl(PR_SET_PDEATHSIG, SIGTERM);
		return run_daemon(region, mnt, &ma.opts, -1);
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		cli_err("mount", "pipe: %s", strerror(errno));
		return CLI_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("mount", "fork: %s", strerror(errno));
		return CLI_FAIL;
	}
	if (pid > 0) {
		close(pfd[1]);
		return wait_child(pid, pfd[0]);
	}
	close(pfd[0]);
	setsid();
	_exit(run_daemon(region, mnt, &ma.opts, pfd[1]));
}
