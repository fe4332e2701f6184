/* SPDX-License-Identifier: MIT */
/*
 * cleanup.h - undo everything the bench set up, whatever happens.
 *
 * Each mount, child process, directory and file the bench creates is
 * pushed here.  cleanup_undo() undoes one entry on the normal path;
 * cleanup_all() undoes what is left in reverse order, and runs from atexit
 * and from the handlers of SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGALRM
 * (the --timeout watchdog), so an interrupted bench leaves no mount or
 * daemon behind; on that path FUSE connections are aborted first, so a hung
 * daemon cannot hang the clean-up.  Only the process that
 * called cleanup_init() undoes anything: forked children never do.
 * Everything used from the signal path is async-signal-safe.
 */
#ifndef PINFS_BENCH_CLEANUP_H
#define PINFS_BENCH_CLEANUP_H

#include <sys/types.h>

int cleanup_init(void);
/* Each push returns a handle >= 0, or -ENOSPC / -ENAMETOOLONG. */
int cleanup_push_mount(const char *path); /* unmount (lazily if busy) */
int cleanup_push_pid(pid_t pid);          /* SIGTERM, then SIGKILL; reap */
int cleanup_push_dir(const char *path);   /* empty (flat), rmdir */
int cleanup_push_file(const char *path);  /* unlink */
/* Record the FUSE connection number (the minor of the mount's st_dev) of
 * a mount entry, so the signal path can abort it. */
void cleanup_mount_conn(int handle, unsigned conn);
/* Undo one entry now (no-op for a handle < 0 or already undone). */
void cleanup_undo(int handle);
/* Wait up to ms milliseconds for the child of a pid entry to exit: its
 * exit status (128 + signal if killed), or -ETIMEDOUT after stopping it
 * as cleanup_undo() does.  The entry is gone either way. */
int cleanup_wait(int handle, int ms);
/* Forget an entry without undoing it (a child that exited by itself). */
void cleanup_forget(int handle);
void cleanup_all(void);

#endif /* PINFS_BENCH_CLEANUP_H */
