/* SPDX-License-Identifier: MIT */
/*
 * fuse_util.h - shared helpers of the client's real-mount suites.
 *
 * cf_main() mounts pinfs once with the tests harness (tests/fuse/
 * harness.h; skip 77 without PINFS_BIN, root or /dev/fuse), runs a suite
 * in Check's fork mode and optionally one in this process (tests that
 * kill and remount the daemon: only the harness owner may), unmounts,
 * runs fsck, and tears down.  Every wait below is bounded.
 */
#ifndef PINFS_TESTS_CLIENT_FUSE_UTIL_H
#define PINFS_TESTS_CLIENT_FUSE_UTIL_H

#include "../fuse/harness.h"

#include <check.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WAIT_MS 10000
/* Short break deadline; holders are never killed (kill_grace=0). */
#define CF_MOUNT_OPTS "lease_break_time=400,kill_grace=0"

extern struct fh_mount cf_mnt;

/* cf_mnt.mnt/NAME-<pid>, in one of 8 rotating buffers. */
const char *path_of(const char *name);
/* Byte I of pattern SEED. */
unsigned char pattern_byte(uint64_t seed, uint64_t i);
/* Create NAME with LEN pattern bytes written (and fsynced) through the
 * mount; returns its path. */
const char *make_file(const char *name, size_t len, uint64_t seed);
/* read() of PATH at OFF equals WANT. */
void expect_file_bytes(const char *path, uint64_t off, const void *want,
		       size_t len);
int64_t now_ms(void);
/* waitpid within MS; the wait status, or -1 after a SIGKILL. */
int wait_bounded(pid_t pid, int ms);
/* poll(2) one descriptor for at most MS, through EINTR. */
int poll_bounded(struct pollfd *pfd, int ms);
/* truncate(PATH, LEN) in a child whose exit status is the errno. */
pid_t spawn_truncate(const char *path, off_t len);
/* `pinfs ARGS...` (ARGS[0] = the program) with stdout to *OUT_FD. */
pid_t spawn_pinfs(int *out_fd, char *const args[]);
/* Read FD into BUF until NEEDLE appears or MS pass. */
bool read_until(int fd, char *buf, size_t cap, size_t *len,
		const char *needle, int ms);

int cf_main(const char *prog, Suite *forked, Suite *parent);

#endif /* PINFS_TESTS_CLIENT_FUSE_UTIL_H */
