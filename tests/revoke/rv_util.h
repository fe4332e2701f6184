/* SPDX-License-Identifier: MIT */
/*
 * rv_util.h - shared helpers of the real-mount revocation suites.
 *
 * Every test mounts its own pinfs (rv_mount, with the options its case
 * needs, ms-scale lease_break_time / kill_grace) from inside Check's
 * forked test process, and ends with rv_finish(): holders killed, clean
 * unmount (the daemon must exit 0), `pinfs fsck` clean.  If the test
 * fails or dies first, the atexit hook kills every holder and tears the
 * mount down; a Check timeout kills the whole process group (daemon and
 * holders are in it) and the harness reaps the temp dir on the next run.
 *
 * Holders are real processes: `pinfs hold ...` (rv_hold_start, its
 * timestamped output in a log file) or forked children running libpinfs
 * code (rv_child).  All of them get PR_SET_PDEATHSIG(SIGKILL).
 *
 * Every wait is bounded; helpers fail the test (ck_assert) on error.
 */
#ifndef PINFS_TESTS_REVOKE_RV_UTIL_H
#define PINFS_TESTS_REVOKE_RV_UTIL_H

#include "../fuse/harness.h"

#include <check.h>

#include "pinfs/ioctl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RV_BLOCK 4096u
#define RV_WAIT_MS 10000 /* upper bound of any single wait */

extern struct fh_mount rv_mnt;

/* main(): 77 unless the pinfs backend can run here. */
int rv_main_check(void);

/* One test case of a suite: a TCase of its own, with its timeout (s). */
struct rv_case {
	const char *name;
	const TTest *t;
	int timeout;
};
/*
 * The whole main() of a revoke suite: 77 (skip) unless pinfs can run here,
 * else run every case (fork mode) and return 0 when all passed, 1 if not.
 */
int rv_run_suite(const char *name, const struct rv_case *cases, size_t n);

/* Mount a fresh region of @size (e.g. "64M") with -o @opts. */
void rv_mount(const char *opts, const char *size);
/* Kill holders, unmount (daemon exit 0), fsck clean, remove everything. */
void rv_finish(void);
/* Kill every holder started so far and reap it (bounded). */
void rv_kill_holders(void);

/* "<mnt>/<name>", in one of 8 rotating static buffers: copy it to keep
 * it across more calls. */
const char *rv_path(const char *name);

/* ---- files ---------------------------------------------------------- */

unsigned char rv_pattern(uint64_t seed, uint64_t i);
/* Create @path with @len pattern bytes (seed), fsync'd. */
void rv_make_file(const char *path, size_t len, uint64_t seed);
/* Assert bytes [@off, @off+@len) of @path are pattern(seed) (or zero
 * when @seed is RV_ZERO). */
#define RV_ZERO UINT64_MAX
void rv_expect_bytes(const char *path, uint64_t off, size_t len,
		     uint64_t seed);
off_t rv_size(const char *path);
/* Create @path and write pattern(seed) bytes into it until ENOSPC (or
 * @max bytes); fsync.  Returns the bytes written (0 also when the
 * file could not be created: ENOSPC). */
uint64_t rv_fill_file(const char *path, uint64_t seed, uint64_t max);
/* statfs free blocks of the mount. */
uint64_t rv_free_blocks(void);
/* Poll (bounded by @ms) until rv_free_blocks() == @want; returns the
 * last value seen. */
uint64_t rv_free_blocks_wait(uint64_t want, int ms);

/* ---- time and processes ------------------------------------------- */

int64_t rv_now_us(void);              /* CLOCK_MONOTONIC */
/* Wait (bounded) for @pid; returns its wait status, or -1 after a
 * timeout (then the child is SIGKILLed and reaped). */
int rv_wait_exit(pid_t pid, int ms);
/* true while @pid runs (not yet exited; does not reap). */
bool rv_alive(pid_t pid);

/* Fork a child that runs @fn(@arg) and _exits with its return value;
 * tracked and killed at teardown. */
pid_t rv_child(int (*fn)(void *), void *arg);

/* Read exactly @len bytes from @fd within @ms: 0, -ETIMEDOUT, -EPIPE
 * (EOF) or -errno. */
int rv_read_full(int fd, void *buf, size_t len, int ms);

/*
 * A layout change run by a child process, timed by the parent:
 * RV_OP_TRUNCATE (truncate(path, a)), RV_OP_PUNCH / RV_OP_ZERO
 * (fallocate over [a, a+b)), RV_OP_COPY (copy_file_range of b bytes
 * from path2 at 0 to path at a).  The child's exit status is 0 or the
 * errno.  With @intr_ms > 0 the child arms a SIGALRM (no SA_RESTART)
 * after that many ms.
 */
enum rv_op { RV_OP_TRUNCATE, RV_OP_PUNCH, RV_OP_ZERO, RV_OP_COPY };
struct rv_opproc {
	pid_t pid;
	int64_t start_us, end_us;
	int err;  /* errno of the op (0 ok), -1 timeout/crash */
};
void rv_op_start(struct rv_opproc *p, enum rv_op op, const char *path,
		 const char *path2, uint64_t a, uint64_t b, int intr_ms);
/* Wait (bounded) for the op; fills end_us and err; returns err. */
int rv_op_wait(struct rv_opproc *p, int ms);
/* Run the op in this process: 0 or -errno. */
int rv_op_now(enum rv_op op, const char *path, const char *path2,
	      uint64_t a, uint64_t b);

/* ---- `pinfs hold` holders ------------------------------------------ */

struct rv_holder {
	pid_t pid;
	uint64_t pin_id;
	char log[PATH_MAX];
};
/*
 * Start `pinfs hold ARGS... FILE OFF LEN` (@args: a space-separated
 * option list, may be "") and wait until it has pinned (its "pinned id="
 * line); fails the test if it does not.
 */
void rv_hold_start(struct rv_holder *h, const char *args, const char *path,
		   uint64_t off, uint64_t len);
/* Same, but the holder must fail: returns its exit status, its output
 * in @out. */
int rv_hold_fail(const char *args, const char *path, uint64_t off,
		 uint64_t len, char *out, size_t outlen);
/* Wait (bounded) for a log line containing @needle; its CLOCK_MONOTONIC
 * time in us, or -1 when it did not appear. */
int64_t rv_hold_wait(const struct rv_holder *h, const char *needle, int ms);
/* Time of the first line containing @needle, or -1 (no wait). */
int64_t rv_hold_find(const struct rv_holder *h, const char *needle);
/* Print the holder's log to stderr (for failure messages). */
void rv_hold_dump(const struct rv_holder *h);

/* ---- daemon views ------------------------------------------------- */

/* All pins of the mount (PINFS_IOC_PINS on the mountpoint, paged);
 * returns the count (up to @max stored). */
uint64_t rv_pins(struct pinfs_pin_entry *out, uint64_t max);
/* The entry of @pin_id, false when absent. */
bool rv_pin_get(uint64_t pin_id, struct pinfs_pin_entry *e);
/* Wait (bounded) until @pin_id is gone from the listing. */
bool rv_pin_gone_wait(uint64_t pin_id, int ms);
/* Wait (bounded) until @pin_id is in @state. */
bool rv_pin_state_wait(uint64_t pin_id, uint32_t state, int ms);

/* Extents of a file (pin_id 0) or a pin, through any open fd on the
 * file; returns the count stored. */
unsigned rv_extents(int fd, uint64_t pin_id, struct pinfs_extent *out,
		    unsigned max);

/* The trace ring (`pinfs trace --all`), parsed. */
struct rv_tev {
	int64_t t_us;
	char name[16];
	uint64_t pin, ino, off, len;
	int pid;
	int64_t arg;
};
/* Returns the number of events stored (all kept events). */
int rv_trace(struct rv_tev *ev, int max);
/* Index of the first event named @name (pin @pin, 0 = any) at or after
 * @from, or -1. */
int rv_tev_find(const struct rv_tev *ev, int n, int from, const char *name,
		uint64_t pin);
void rv_trace_dump(const struct rv_tev *ev, int n);

#endif /* PINFS_TESTS_REVOKE_RV_UTIL_H */
