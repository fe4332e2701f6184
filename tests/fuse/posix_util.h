/* SPDX-License-Identifier: MIT */
/*
 * posix_util.h - shared helpers of the POSIX conformance suite.
 *
 * The suite mounts once (in main, the Check parent) and each test works in
 * a fresh directory of its own under the mount (pu_dir()), so tests never
 * see each other's files.  Assertion macros print the call, the expected
 * and the observed errno by name, so a failure reads as "op, expected, got".
 */
#ifndef PINFS_TESTS_FUSE_POSIX_UTIL_H
#define PINFS_TESTS_FUSE_POSIX_UTIL_H

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "harness.h"

extern struct fh_mount pu_mount;
/* Daemon deaths seen between TCases (each fails the run). */
extern int pu_daemon_deaths;

/* Unprivileged identities used by the permission tests. */
#define PU_UID_A 60001
#define PU_GID_A 60001
#define PU_UID_B 60002
#define PU_GID_B 60002
#define PU_GID_SHARED 60500

/* A fresh directory (mode 0777) for the running test; created on first use. */
const char *pu_dir(void);
/* pu_dir()/NAME in one of 64 rotating static buffers. */
const char *pu_path(const char *name);

/* Deterministic bytes: byte i of stream SEED. */
void pu_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off);

/* Whole-buffer I/O, aborting the test on error or short transfer. */
void pu_pwrite_all(int fd, const void *buf, size_t len, off_t off);
void pu_pread_all(int fd, void *buf, size_t len, off_t off);
/* Create NAME with LEN pattern bytes of SEED; returns the path. */
const char *pu_make_file(const char *name, size_t len, uint64_t seed);
/* Assert the file's bytes [off, off+len) equal EXPECT. */
void pu_expect_bytes(const char *path, off_t off, const void *expect,
		     size_t len);
/* Assert the file's bytes [off, off+len) are all zero. */
void pu_expect_zero(const char *path, off_t off, size_t len);
off_t pu_size(const char *path);

/*
 * Run FN(ARG) in a child as UID/GID (no supplementary groups except
 * EXTRA_GID when nonzero); returns FN's result (0 or an errno value, at
 * most 255) or -1 if the child died.
 */
int pu_run_as(uid_t uid, gid_t gid, gid_t extra_gid, int (*fn)(void *),
	      void *arg);

/* Sleep long enough for timestamps to move (coarse clocks tick ~4 ms). */
void pu_tick(void);

#define PU_OK(expr)                                                        \
	do {                                                               \
		errno = 0;                                                 \
		long pu_r_ = (long)(expr);                                 \
		ck_assert_msg(pu_r_ >= 0, "%s: expected success, got %ld " \
			      "(%s)", #expr, pu_r_,                        \
			      strerrorname_np(errno));                     \
	} while (0)

#define PU_ERR(expr, err)                                                  \
	do {                                                               \
		errno = 0;                                                 \
		long pu_r_ = (long)(expr);                                 \
		int pu_e_ = errno;                                         \
		ck_assert_msg(pu_r_ == -1 && pu_e_ == (err),               \
			      "%s: expected -1 %s, got %ld (%s)", #expr,   \
			      strerrorname_np(err), pu_r_,                 \
			      pu_r_ == -1 ? strerrorname_np(pu_e_) : "no error"); \
	} while (0)

/* Result of pu_run_as: an errno value (0 = success). */
#define PU_AS(expect, uid, gid, fn, arg)                                    \
	do {                                                                \
		int pu_g_ = pu_run_as((uid), (gid), 0, (fn), (arg));        \
		ck_assert_msg(pu_g_ == (expect),                            \
			      "%s as uid %d: expected %s, got %s", #fn,     \
			      (int)(uid),                                   \
			      (expect) ? strerrorname_np(expect) : "success", \
			      pu_g_ < 0 ? "child died"                      \
			      : pu_g_ ? strerrorname_np(pu_g_) : "success"); \
	} while (0)

/* Build the TCases of each part of the suite. */
void posix_add_io(Suite *s);
void posix_add_ns(Suite *s);
void posix_add_attr(Suite *s);
void posix_add_perm(Suite *s);
void posix_add_persist(Suite *s);

/* Per-test timeout of the TCases (seconds), and of the slow one. */
#define PU_TIMEOUT 60
#define PU_TIMEOUT_SLOW 900

/*
 * A TCase added to S with Check's timeout TIMEOUT and a watchdog
 * (fh_watchdog_arm) 10 s shorter, so that a request the daemon never
 * answers fails the test with the stacks printed instead of hanging it.
 */
TCase *pu_tcase(Suite *s, const char *name, unsigned timeout);

#endif /* PINFS_TESTS_FUSE_POSIX_UTIL_H */
