/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - the store's internal objects, shared by its modules.
 *
 * Rule of the house: the media is changed only through the journal (or,
 * for blocks that nothing on media references yet, by a direct write that
 * is persisted before the transaction mapping them commits).  Every piece
 * of metadata a transaction may read back has a DRAM mirror (inodes,
 * extents, directory index, refcounts, holds) that the operation updates
 * as it queues records; the homes catch up at commit.  Therefore an
 * operation checks everything that can fail before it changes any mirror;
 * a failure after that point (journal overflow: a bug) marks the store
 * broken and every later call returns -EIO.
 *
 * Locking: one rwlock per store.  Calls that only read take it shared
 * (read, getattr, lookup, readdir, ...); anything that queues a
 * transaction takes it exclusive.  Inodes are decoded lazily; the decode
 * runs under icache_lock so that shared holders may race to it.
 * One exception to "writers are exclusive": an overwrite that changes no
 * metadata but mtime/ctime (owrite.c) runs under the shared lock plus the
 * inode's own rwlock (minode.rw) taken exclusive; shared-lock readers of
 * an inode's data or timestamps take minode.rw shared.  Holders of the
 * store's exclusive lock need not take minode.rw.  Order: store lock,
 * then minode.rw; never two inodes' rw at once.
 */
#ifndef PINFS_STORE_INT_H
#define PINFS_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "journal.h"
#include "ondisk.h"
#include "region.h"
#include "store.h"

#define BLK STORE_BLOCK_SIZE
#define GROUP_BLOCKS 512u   /* 2 MiB */
/* Blocks one transaction may allocate or free; longer operations are cut
 * into several transactions, each leaving a consistent filesystem. */
#define TX_BLOCK_BUDGET 16384u
#define MAX_FILE_BLOCKS (1ull << 40)

struct sb_info {
	uint64_t region_size, block_count;
	uint64_t journal_off, journal_len;
	uint64_t rc_off, rc_len, itab_off, itab_len;
	uint64_t hold_off, hold_len, preg_off, preg_len;
	uint64_t data_off, data_blocks, data_blk0;
	uint64_t inode_count, root_ino;
	uint32_t hold_slots, preg_slots;
	uint64_t mkfs_time_ns;
	uint8_t uuid[16];
};

/* ---- extents ---- */
struct mext {
	uint64_t fblk, rblk;
	uint32_t len, flags;
	uint64_t loc;   /* media slot: < 256 inline index, else rblk << 8 | i */
};
struct echain {
	uint64_t rblk;
	uint32_t nused;
	uint64_t used[3];   /* bitmap of PFS_EXTB_SLOTS slots */
};

/* ---- directories ---- */
struct dent {
	struct dent *hnext;
	uint64_t ino;
	uint32_t slot;
	uint8_t type, namelen;
	char name[];
};
struct dindex {
	struct dent **ht;
	uint32_t hmask, count;
	struct dent **slots;  /* slot -> entry, NULL = free */
	uint32_t nslots;      /* slots backed by blocks */
	uint32_t *free;       /* stack of free slots */
	uint32_t nfree, freecap;
};

struct minode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size, gen, rdev, parent, xattr_blk;
	struct timespec atime, mtime, ctime, btime;
	uint32_t iflags;
	_Alignas(8) uint8_t inl[PFS_INLINE_BYTES];
	uint64_t refs;        /* store_iget references */
	/* see "Locking": overwrites under the shared store lock */
	pthread_rwlock_t rw;
	bool orphan_listed;
	/* extent map, sorted by fblk */
	struct mext *ext;
	uint32_t next, ecap;
	uint8_t inl_used;     /* bitmap of inline slots */
	struct echain *chain; /* chain order: [0] is the head */
	uint32_t nchain;
	uint64_t nblocks;     /* blocks mapped */
	struct dindex *dir;
};

struct alloc {
	uint64_t blk0, n;   /* data blocks [blk0, blk0 + n) */
	pfs_le32 *rc;       /* mirror of the refcount table */
	uint32_t *held;     /* holds per block (up to hold_slots, <= 2^20) */
	uint8_t *pend;      /* freed in the open transaction */
	uint32_t *gfree;    /* free blocks per 2 MiB group */
	uint64_t ngroups, nfree, cursor;
	uint64_t nheld;     /* blocks with a hold count > 0 */
	uint64_t *plist;
	size_t npend, pcap;
};

struct store {
	pthread_rwlock_t lock;
	pthread_mutex_t icache_lock;
	struct region *rg;
	uint8_t *base;
	struct sb_info sb;
	struct jrnl *jr;
	struct alloc al;
	struct minode **icache;
	uint8_t *ibits;          /* 1 = inode in use */
	uint64_t ifree, icursor;
	uint64_t *orphans;
	size_t norphans, orphcap;
	struct pfs_dhold *holds; /* mirror of the hold table */
	uint32_t holds_used;
	/* hold index (hold.c): slots chained per pin-id hash bucket, so a
	 * release walks one bucket; free slots on a stack */
	uint32_t *hbucket, *hnext, *hfree;
	uint32_t hmask, nhfree;
	store_gate_fn gate;
	void *gate_arg;
	bool readonly, broken;
	const char *why;         /* reason of the last -EUCLEAN */
	char *path;
};

/* locking (super.c) */
void st_rdlock(struct store *st);
void st_wrlock(struct store *st);
void st_unlock(struct store *st);
/* 0, or -EIO for a broken store, -EROFS for a read-only one. */
int st_writable(struct store *st);

/* transactions (super.c) */
void tx_begin(struct store *st);
int tx_put(struct store *st, uint64_t off, const void *src, uint32_t len);
int tx_commit(struct store *st);
void tx_abort(struct store *st);
int st_gate(struct store *st, uint64_t ino, uint64_t off, uint64_t len,
	    enum store_change why);

/* superblock (super.c) */
int sb_decode(const void *blk, uint64_t actual_size, struct sb_info *sb,
	      const char **why);
void st_now(struct timespec *ts);

/* allocator (alloc.c) */
int alloc_init(struct store *st, const char **why);
void alloc_fini(struct alloc *al);
bool alloc_in_data(const struct alloc *al, uint64_t rblk, uint64_t n);
uint32_t alloc_rc(const struct alloc *al, uint64_t rblk);
/* Take up to WANT free blocks as one run (refcount 1, journaled).
 * PHASE ALLOC_ANY: at GOAL if free, else the next free block after the
 * cursor.  PHASE p < GROUP_BLOCKS (a large file's block p of a 2 MiB
 * group): at GOAL if it is free and p blocks into its group, else p
 * blocks into a wholly free group, so that the file's 2 MiB-aligned
 * ranges land on whole 2 MiB groups of the region; without such a
 * group, as ALLOC_ANY.  -ENOSPC when no block is free. */
#define ALLOC_ANY UINT32_MAX
int alloc_take(struct store *st, uint64_t goal, uint64_t want,
	       uint32_t phase, uint64_t *start, uint64_t *got);
void alloc_ref_dec(struct store *st, uint64_t rblk, uint64_t n);
void alloc_set_rc(struct store *st, uint64_t rblk, uint32_t v);
void alloc_tx_done(struct alloc *al);
void alloc_hold_inc(struct alloc *al, uint64_t rblk, uint64_t n);
void alloc_hold_dec(struct alloc *al, uint64_t rblk, uint64_t n);
uint64_t alloc_nfree(const struct alloc *al);
/* Blocks held by at least one pin (a running count: O(1)). */
uint64_t alloc_nheld(const struct alloc *al);

/* inodes (inode.c) */
int inode_get(struct store *st, uint64_t ino, struct minode **out);
void inode_log(struct store *st, struct minode *mi);
int inode_alloc(struct store *st, uint32_t mode, uint32_t uid, uint32_t gid,
		struct minode **out);
/* Takes MI->rw shared for the timestamps (see "Locking"). */
void inode_to_attr(struct minode *mi, struct store_attr *a);
/* Free MI's blocks and the inode itself, in as many transactions as it
 * takes (each leaves an orphan that open can still reclaim). */
int inode_reap(struct store *st, struct minode *mi);
/* Reap MI now if nothing keeps it, else list it as an orphan. */
int inode_maybe_reap(struct store *st, struct minode *mi);
void inode_cache_fini(struct store *st);
int inode_scan(struct store *st, const char **why);
uint64_t inode_itab_off(const struct store *st, uint64_t ino);
int inode_decode(struct store *st, uint64_t ino, struct minode *mi,
		 const char **why);

/* extent maps (emap.c) */
int emap_load(struct store *st, struct minode *mi, const char **why);
void emap_free(struct minode *mi);
uint32_t emap_find(const struct minode *mi, uint64_t fblk);
/* Chain blocks that adding NNEW extents may need. */
uint64_t emap_chain_need(const struct minode *mi, uint64_t nnew);
int emap_insert(struct store *st, struct minode *mi, uint64_t fblk,
		uint64_t rblk, uint64_t len, uint32_t flags);
/* Unmap [fs, fe) and drop the blocks' references, from the end, at most
 * BUDGET blocks; *left gets 0 when done, else the end still mapped. */
int emap_remove(struct store *st, struct minode *mi, uint64_t fs,
		uint64_t fe, uint64_t budget, uint64_t *left);
/* Set / clear extent flags over [fs, fe) (splitting at the edges). */
int emap_set_flags(struct store *st, struct minode *mi, uint64_t fs,
		   uint64_t fe, uint32_t set, uint32_t clear);
void emap_free_chain(struct store *st, struct minode *mi);
/* Region block of file block FBLK if mapped and written, else 0. */
uint64_t emap_written_block(const struct minode *mi, uint64_t fblk);

/* directories (dir.c) */
int dir_load(struct store *st, struct minode *mi, const char **why);
void dir_free(struct minode *mi);
struct dent *dir_find(const struct minode *mi, const char *name);
uint64_t dir_blocks_needed(const struct minode *mi);
int dir_add(struct store *st, struct minode *mi, const char *name,
	    uint64_t ino, uint8_t type);
void dir_remove(struct store *st, struct minode *mi, struct dent *d);
void dir_retarget(struct store *st, struct minode *mi, struct dent *d,
		  uint64_t ino, uint8_t type);
bool dir_is_empty(const struct minode *mi);
uint8_t mode_to_dt(uint32_t mode);

/* overwrites under the shared lock (owrite.c) */
/* Write LEN bytes at DST inside the region (data blocks): 0 or -errno. */
int data_put(struct store *st, void *dst, const void *src, size_t len);
/* Store MI's mtime/ctime in its home inode, one persist, no journal
 * (no transaction may be open). */
void data_touch_direct(struct store *st, struct minode *mi);
/* True when a write of [off, off + size) can run under the shared lock:
 * inside the size, over written, unshared, unheld blocks only. */
bool data_overwrite_ok(const struct store *st, const struct minode *mi,
		       uint64_t off, size_t size);
/* That write (shared store lock held; takes MI->rw): bytes or -errno. */
ssize_t data_overwrite(struct store *st, struct minode *mi, const void *buf,
		       size_t size, uint64_t off);

/* data helpers (data.c) */
/* Within setattr's transaction: set the size (zeroing the new partial
 * block's tail through the journal); then data_truncate_commit logs the
 * inode, commits, and frees the blocks past EOF in further transactions. */
int data_truncate(struct store *st, struct minode *mi, uint64_t size);
/* -ENOSPC when shrinking to SIZE would need a block it cannot get (a held
 * partial last block is copied to a fresh one first); call before the
 * gate and before the transaction. */
int data_truncate_need(struct store *st, struct minode *mi, uint64_t size);
int data_truncate_commit(struct store *st, struct minode *mi, uint64_t size);

/* held edge blocks of a gated change (edge.c) */
/* Blocks that unsharing the held partial blocks at the ends of [off, end)
 * may take (end == off: the block holding OFF, as truncate's tail). */
uint64_t data_edge_need(const struct store *st, const struct minode *mi,
			uint64_t off, uint64_t end);
/* Within the open transaction: each partial end block of [off, end) that
 * a pin holds is replaced by a fresh copy (persisted before the commit). */
int data_unshare_edges(struct store *st, struct minode *mi, uint64_t off,
		       uint64_t end);

/* holds (hold.c) */
int holds_load(struct store *st, const char **why);
void holds_fini(struct store *st);

#endif /* PINFS_STORE_INT_H */
