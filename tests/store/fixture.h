/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - helpers shared by the store and recovery tests.
 *
 * Each TCase gets a fresh directory on /dev/shm (tmpfs) from the
 * unchecked fixture fx_dir_setup (run in the parent), removed with
 * everything in it by fx_dir_teardown even when a test failed; each test
 * (in its forked child) makes its regions inside it.
 */
#ifndef PINFS_TEST_FIXTURE_H
#define PINFS_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct fx {
	char region[160];
	struct store *st;
};

extern char fx_dir[64];
extern struct fx F;
extern const struct store_cred fx_cred;

void fx_dir_setup(void);
void fx_dir_teardown(void);
/* Path NAME inside the test directory. */
void fx_path(char *out, size_t size, const char *name);
/* mkfs a fresh region (SIZE bytes, INODES 0 = default) and open it. */
void fx_mkfs_open(struct fx *f, uint64_t size, uint64_t inodes);
/* Checked fixture: F gets a fresh 64 MiB region. */
void fx_setup64(void);
void fx_teardown(void);
void fx_reopen(struct fx *f, uint32_t flags);
/* Whole file contents of PATH into a malloc'd buffer (*len). */
void *fx_slurp(const char *path, size_t *len);
/* fsck problems of f->region (closes the store first), lines on stderr. */
int fx_fsck(struct fx *f, uint32_t flags);
/* Convenience wrappers that fail the test on error; return the ino. */
uint64_t fx_create(struct store *st, uint64_t dir, const char *name,
		   uint32_t mode);
void fx_write_pattern(struct store *st, uint64_t ino, uint64_t off,
		      size_t len, uint8_t seed);
void fx_check_pattern(struct store *st, uint64_t ino, uint64_t off,
		      size_t len, uint8_t seed);

#endif
