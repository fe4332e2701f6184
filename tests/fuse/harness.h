/* SPDX-License-Identifier: MIT */
/*
 * harness.h - real-mount harness for the pinfs integration suites.
 *
 * A test program (a Check suite or a plain program) asks the harness for a
 * mounted filesystem, works under fh_mount.mnt, and tears it down.  The
 * harness hides which filesystem it is, so every suite is validated first
 * against references and then runs unchanged against pinfs:
 *
 *   backend       chosen by                         what "region" is
 *   pinfs         PINFS_BIN (path of `pinfs`)       a region file in /dev/shm
 *   passthrough   FH_BACKEND=passthrough and        the source directory in
 *                 PASSTHROUGH_BIN (libfuse's         /dev/shm that the example
 *                 passthrough_ll example)            mirrors
 *   tmpfs         FH_BACKEND=tmpfs                  none: mnt is a directory
 *                                                   in /dev/shm, no daemon
 *
 * With neither PINFS_BIN nor FH_BACKEND set, fh_backend_from_env() says
 * "skip" and the program exits FH_SKIP (77) so meson reports SKIP.
 * FUSE backends also need root and /dev/fuse.
 *
 * A daemon is started with `-f` as a child of the caller, with
 * PR_SET_PDEATHSIG and PINFS_PDEATHSIG=1, its output appended to
 * <tmpdir>/daemon.log; the harness waits (at most FH_MOUNT_WAIT_MS) until
 * statfs(mnt).f_type is FUSE_SUPER_MAGIC.  Unmount is `fusermount3 -u`,
 * then `umount -l`; the daemon gets bounded waits, then SIGTERM, SIGKILL.
 *
 * Every function returns 0 or -errno and prints a one-line reason (plus the
 * daemon log's tail) to stderr on failure.  Only the process that called
 * fh_setup() (fh_mount.owner) ever unmounts or kills: Check's forked test
 * children inherit the atexit/signal cleanup and must not run it.
 */
#ifndef PINFS_TESTS_FUSE_HARNESS_H
#define PINFS_TESTS_FUSE_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define FH_SKIP 77
#define FUSE_SUPER_MAGIC_VALUE 0x65735546L
#define FH_MOUNT_WAIT_MS 10000
#define FH_DEFAULT_REGION_SIZE "256M"

enum fh_backend {
	FH_BACKEND_NONE = 0, /* skip: nothing configured */
	FH_BACKEND_PINFS,
	FH_BACKEND_PASSTHROUGH,
	FH_BACKEND_TMPFS,
};

struct fh_mount {
	enum fh_backend backend;
	char tmpdir[64];       /* /dev/shm/pinfs-test.XXXXXX: mnt, log, region */
	char mnt[128];
	char region[128];      /* region file, or passthrough source dir */
	char log[128];
	char opts[1024];       /* extra -o options given to fh_setup */
	char region_size[32];  /* for pinfs mkfs --size */
	const char *bin;       /* daemon executable */
	pid_t daemon;          /* 0 when none runs */
	pid_t owner;           /* the process allowed to tear down */
	bool mounted;
	bool prepared;         /* tmpdir/region exist */
};

/* Which backend the environment asks for (FH_BACKEND_NONE: skip). */
enum fh_backend fh_backend_from_env(void);
const char *fh_backend_name(enum fh_backend b);

/*
 * 0 when this process can run backend B; FH_SKIP (with a line on stderr
 * saying why) when not: no backend configured, not root, no /dev/fuse,
 * no fusermount3.
 */
int fh_can_run(enum fh_backend b);

/*
 * Make the temp dir and region (pinfs: `pinfs mkfs --size SIZE`, SIZE from
 * FH_REGION_SIZE or FH_DEFAULT_REGION_SIZE) and mount it with
 * `-o allow_other` plus EXTRA_OPTS (may be NULL).  On failure everything
 * made so far is removed.
 */
int fh_setup(struct fh_mount *m, enum fh_backend b, const char *extra_opts);

/* Mount the existing region again at m->mnt (after fh_unmount/fh_kill9). */
int fh_mount(struct fh_mount *m);

/*
 * Clean unmount: `fusermount3 -u`, then wait for the daemon to exit on its
 * own (bounded).  -EIO when the daemon had to be killed or exited nonzero
 * or by a signal (a daemon crash is a test failure).
 */
int fh_unmount(struct fh_mount *m);

/* fh_unmount + fh_mount. */
int fh_remount(struct fh_mount *m);

/*
 * 0 when the daemon still runs.  When it has died (crash, watchdog), says
 * so with its status and log tail, lazily unmounts the dead mount and
 * mounts the region again; returns -EIO then (or the mount's error), so a
 * suite can count daemon deaths and still run its remaining tests.
 */
int fh_ensure_mounted(struct fh_mount *m);

/* SIGKILL the daemon, reap it, lazy-unmount.  -EOPNOTSUPP on tmpfs. */
int fh_kill9(struct fh_mount *m);

/*
 * `pinfs fsck REGION` on the unmounted region; its output goes to stderr.
 * 0 when clean, -EUCLEAN when it reports problems, -EBUSY while mounted.
 * Backends without a region checker return 0.
 */
int fh_fsck(struct fh_mount *m);

/* Unmount (forcibly if needed), kill the daemon, remove tmpdir and region.
 * Idempotent; does nothing in a process other than m->owner. */
void fh_teardown(struct fh_mount *m);

/*
 * Register M for teardown at exit and on SIGINT/SIGTERM/SIGHUP/SIGQUIT/
 * SIGALRM (the handler tears down and re-raises).  One mount at a time.
 */
void fh_install_cleanup(struct fh_mount *m);

/* True for backends whose data lives on tmpfs (passthrough, tmpfs): they
 * lack FALLOC_FL_ZERO_RANGE. */
bool fh_is_reference(const struct fh_mount *m);

/* True when the backend has a daemon that can be remounted/killed. */
bool fh_has_daemon(const struct fh_mount *m);

/*
 * A FUSE request the daemon never answers blocks its caller in an
 * uninterruptible wait: neither Check's timeout nor SIGKILL ends it, only
 * the daemon's death.  fh_watchdog_arm forks a watchdog that dies with the
 * caller (PR_SET_PDEATHSIG) and, unless disarmed first, after SECS prints
 * WHAT, the caller's kernel stack and the daemon's thread stacks, then
 * SIGKILLs the daemon (whose pid it reads from <tmpdir>/daemon.pid, so it
 * follows remounts).  The hung call then fails with ENOTCONN and the test
 * fails instead of hanging.  Returns the watchdog's pid, or -errno.
 */
pid_t fh_watchdog_arm(const struct fh_mount *m, unsigned secs,
		      const char *what);
void fh_watchdog_disarm(pid_t *pid);

/* Print the last LINES lines of the daemon log to stderr. */
void fh_log_tail(const struct fh_mount *m, int lines);

/* Remove PATH recursively without crossing into other mounts. */
int fh_rm_rf(const char *path);

#endif /* PINFS_TESTS_FUSE_HARNESS_H */
