/* SPDX-License-Identifier: MIT */
/*
 * mounts.h - the FUSE file systems a bench run starts and stops.
 *
 * pinfs: `pinfs mkfs --size SIZE REGION`, then `pinfs mount -f -o OPTS
 * REGION MNT` in the foreground, so the bench owns the daemon's pid.
 * passthrough_ll: libfuse's example, compiled at bench time from
 * /usr/share/doc/libfuse3-dev/examples into a temporary directory (never
 * copied into the tree) and mounted over a tmpfs directory.  Both are
 * registered with the cleanup stack the moment they exist.
 */
#ifndef PINFS_BENCH_MOUNTS_H
#define PINFS_BENCH_MOUNTS_H

#include <stdint.h>
#include <sys/types.h>

#include "bench.h"

#define MOUNT_PATH 256

struct bench_mount {
	char dir[MOUNT_PATH];    /* the mount point */
	char src[MOUNT_PATH];    /* passthrough: its source dir; pinfs: region */
	char log[MOUNT_PATH];    /* the daemon's stderr */
	pid_t pid;
	int h_dir, h_src, h_log, h_pid, h_mount; /* cleanup handles */
	char why[160];           /* when starting failed: why, in words */
};

/* Start pinfs on a fresh region file of region_size bytes (the --region
 * file when given, else a file in workdir), extra_opts appended to -o
 * (may be NULL): 0, or -errno with m->why set. */
int mount_pinfs(const struct bench_opts *o, uint64_t region_size,
		const char *extra_opts, struct bench_mount *m);
/* Build passthrough_ll (once per run) and mount it over a new tmpfs dir:
 * 0, or -errno with m->why set. */
int mount_passthrough(const struct bench_opts *o, struct bench_mount *m);
/* A plain directory in workdir (tmpfs by default): the raw reference. */
int mount_tmpdir(const struct bench_opts *o, const char *tag,
		 struct bench_mount *m);
/* An empty mount that mount_stop() may be called on. */
void mount_clear(struct bench_mount *m);
/* Unmount, stop the daemon, remove what was created. */
void mount_stop(struct bench_mount *m);

/* The pinfs program: --pinfs-bin, $PINFS_BIN, the build tree next to this
 * program (../fusefs/pinfs), then PATH: 0 or -ENOENT. */
int mount_find_pinfs(const struct bench_opts *o, char *buf, size_t len);

#endif /* PINFS_BENCH_MOUNTS_H */
