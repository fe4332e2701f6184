/* SPDX-License-Identifier: MIT */
/*
 * fake_store.h - an in-memory stand-in for the parts of lib/store that
 * the pin layer calls, so its unit tests run without a region.  It keeps
 * the store's contract where the pin layer relies on it: the gate is
 * called with the store's (non-recursive) lock held, held blocks are
 * never allocated, holds are counted per pin id, registry slots persist
 * across pin tables.  Files are block maps over a 16 MiB region.
 */
#ifndef PINFS_TESTS_FAKE_STORE_H
#define PINFS_TESTS_FAKE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define FAKE_BLOCKS 4096u /* 16 MiB region */
#define FAKE_INODES 64u
#define FAKE_SLOTS 512u

struct store *fake_store_new(void);
void fake_store_free(struct store *st);
/* Create regular file INO of SIZE bytes, allocated (or a hole). */
int fake_create(struct store *st, uint64_t ino, uint64_t size, bool alloc);
/* Layout changes, through the gate as the real store does them. */
int fake_truncate(struct store *st, uint64_t ino, uint64_t size);
int fake_punch(struct store *st, uint64_t ino, uint64_t off, uint64_t len);
/* Drop INO's last name (an orphan while referenced). */
int fake_unlink(struct store *st, uint64_t ino);
bool fake_exists(struct store *st, uint64_t ino);
uint64_t fake_size(struct store *st, uint64_t ino);
uint32_t fake_refs(struct store *st, uint64_t ino);
int fake_set_policy_xattr(struct store *st, uint64_t ino, const char *v);
/* Blocks held / held by PIN_ID; allocated to files; free. */
uint32_t fake_held_blocks(struct store *st);
uint32_t fake_free_blocks(struct store *st);
/* Region block index of file block FBLK of INO (0 = hole, else idx+1). */
uint32_t fake_map(struct store *st, uint64_t ino, uint64_t fblk);
/* A daemon restart: in-memory references vanish (orphans stay until
 * store_reclaim_orphans, as with STORE_OPEN_NO_RECLAIM). */
void fake_remount(struct store *st);
/* Calls of store_reclaim_orphans. */
uint32_t fake_reclaims(struct store *st);

#endif
