/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - run the pinfs FUSE daemon on an open store.
 *
 * The command side (cmd_mount.c) parses options, opens the store and
 * forks; daemon_run() does everything that needs libfuse: session,
 * kernel mount, worker threads, signal handling, unmount.
 */
#ifndef PINFS_FUSEFS_DAEMON_H
#define PINFS_FUSEFS_DAEMON_H

#include "mount_opts.h"

struct store;

struct daemon_params {
	const char *region;     /* real path; also the mount's fsname */
	const char *mountpoint;
	const struct mount_opts *opts;
	/*
	 * -1 in the foreground.  Else the pipe to the waiting parent: the
	 * daemon writes one byte (0 = mounted, else an exit status) once the
	 * mount is live or has failed, then detaches its stdio.
	 */
	int ready_fd;
};

/*
 * Mount and serve until unmounted or signalled (SIGTERM, SIGINT, SIGHUP
 * unmount cleanly).  Does not close ST.  Returns 0 after a clean unmount,
 * else 1 with the reason printed (or logged).
 */
int daemon_run(struct store *st, const struct daemon_params *p);

/* Tell the parent the mount's outcome (no-op when FD < 0); closes FD. */
void daemon_notify_parent(int *fd, unsigned char status);

#endif /* PINFS_FUSEFS_DAEMON_H */
