/* SPDX-License-Identifier: MIT */
/*
 * store.h - the pinfs filesystem engine, as its front ends see it.
 *
 * The store keeps a whole POSIX filesystem (inodes, directories, extent
 * maps with per-block reference counts, xattrs, a redo journal) inside one
 * persistent-memory region.  It knows nothing of FUSE, leases or pins: its
 * API speaks of inode numbers, byte offsets and extents, so the daemon, the
 * admin tool, fsck, the tests and the bench all link it alike.
 *
 * Conventions, for every function below unless its comment says otherwise:
 *  - returns 0 (or a non-negative count) on success, -errno on failure;
 *  - a failed call changes nothing, on media or in memory (invariant 3);
 *  - metadata changes are durable when the call returns (each is one
 *    journal transaction); file data written by store_write() is durable
 *    once store_fsync() returns (and in practice already when store_write
 *    returns, since data goes through pmem2 memcpy + persist);
 *  - the store is thread-safe: callers need no lock of their own.
 *
 * The gate.  Every call that changes which region blocks back a file range
 * (truncate that shrinks, punch hole, zero range, copy-on-write of a shared
 * extent, a clone onto a destination range, internal moves) first calls the
 * gate registered with store_set_gate(), once per contiguous logical range,
 * with nothing changed yet.  If the gate returns nonzero the call undoes
 * nothing (it has done nothing) and returns the gate's value; by convention
 * -EAGAIN means "wait for the revoke engine, then retry the same call".  No
 * other path inside the store returns -EAGAIN.
 *
 * Holds.  Blocks that a pin may still reach after they left their file are
 * "held": store_hold() records them persistently under a pin id, and the
 * allocator never hands out a held block until store_release_holds() for
 * that pin.  This is how quarantine (invariant 1) is kept across crashes.
 */
#ifndef PINFS_STORE_H
#define PINFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>

#define STORE_BLOCK_SIZE 4096u
#define STORE_BLOCK_SHIFT 12
#define STORE_ROOT_INO 1ull
#define STORE_NAME_MAX 255u
#define STORE_SYMLINK_MAX 4095u
#define STORE_XATTR_NAME_MAX 255u
#define STORE_XATTR_SIZE_MAX 3968u /* one xattr block, less its header */
/* Smallest region mkfs accepts; store_open refuses anything smaller. */
#define STORE_MIN_REGION_SIZE (16ull << 20)

struct store;

/* ---- region, mkfs, open ------------------------------------------------ */

typedef void (*store_progress_fn)(uint64_t done, uint64_t total, void *arg);

enum store_mkfs_flags {
	STORE_MKFS_FORCE = 1u << 0, /* overwrite an existing pinfs region */
};

struct store_mkfs_opts {
	uint64_t size;        /* bytes; 0 = keep the size of an existing file
	                         or device (a missing file needs a size) */
	uint64_t inodes;      /* 0 = default (one per 16 KiB, at least 1024) */
	uint32_t flags;       /* enum store_mkfs_flags */
	store_progress_fn progress; /* may be NULL */
	void *progress_arg;
};

/*
 * Format REGION (a file, created if missing and opts->size given, or a
 * devdax character device).  Refuses (-EEXIST) to overwrite a region that
 * already carries a valid pinfs superblock unless STORE_MKFS_FORCE.
 * -EINVAL for a size below STORE_MIN_REGION_SIZE or not a multiple of 4 KiB
 * (mkfs rounds a file size down to 2 MiB when it can).
 */
int store_mkfs(const char *region, const struct store_mkfs_opts *opts);

enum store_open_flags {
	STORE_OPEN_READONLY = 1u << 0, /* fsck without --repair: the region
	                                  is mapped privately; a committed
	                                  journal is replayed in that copy
	                                  only; nothing reaches the file */
	STORE_OPEN_NO_RECLAIM = 1u << 1, /* leave orphans for the caller
	                                    (the pin layer reclaims them once
	                                    it re-held registry pins) */
};

/*
 * Open and verify the region, replay the journal, build the in-memory
 * indexes.  A corrupt or foreign region returns -EUCLEAN (bad magic, CRC,
 * version, unknown incompat feature, truncated file ...) and writes
 * nothing; *why (if non-NULL) then points at a static one-line reason.
 */
int store_open(const char *region, uint32_t flags, struct store **out,
	       const char **why);
void store_close(struct store **st);

struct store_info {
	uint64_t region_size;
	uint64_t block_size;
	uint64_t total_blocks, free_blocks, held_blocks;
	uint64_t total_inodes, free_inodes;
	uint64_t data_start;      /* byte offset of the first data block */
	const char *granularity;  /* "page", "cache-line", "byte" */
	const char *region_path;
	bool is_devdax;
};
/* Both O(1): the counts are running counters. */
void store_get_info(struct store *st, struct store_info *info);
int store_statfs(struct store *st, struct statvfs *out);

/*
 * The region mapping, for the broker and the bench: base address, size,
 * and the descriptor libpmem2 maps (owned by the store; dup it to share).
 */
void *store_region_base(struct store *st);
int store_region_fd(struct store *st);

/* ---- attributes -------------------------------------------------------- */

struct store_attr {
	uint64_t ino;
	uint64_t generation;
	uint32_t mode, uid, gid, nlink;
	uint64_t size;
	uint64_t blocks;   /* 512-byte units allocated, as st_blocks */
	uint64_t rdev;
	struct timespec atime, mtime, ctime, btime;
};

enum store_setattr_valid {
	STORE_SET_MODE = 1u << 0,
	STORE_SET_UID = 1u << 1,
	STORE_SET_GID = 1u << 2,
	STORE_SET_SIZE = 1u << 3,   /* truncate; shrinking passes the gate */
	STORE_SET_ATIME = 1u << 4,
	STORE_SET_MTIME = 1u << 5,
	STORE_SET_ATIME_NOW = 1u << 6,
	STORE_SET_MTIME_NOW = 1u << 7,
	STORE_SET_CTIME = 1u << 8,
};

int store_getattr(struct store *st, uint64_t ino, struct store_attr *out);
/*
 * Change the fields named by VALID (enum store_setattr_valid), bump ctime,
 * and return the new attributes in *out.  Changing uid or gid of a
 * non-directory clears S_ISUID, and S_ISGID when group-exec is set, as
 * Linux does.  Permission checks are the caller's (the daemon mounts with
 * default_permissions and checks ownership for the rest).
 */
int store_setattr(struct store *st, uint64_t ino, const struct store_attr *in,
		  uint32_t valid, struct store_attr *out);

/* ---- namespace --------------------------------------------------------- */

struct store_cred {
	uint32_t uid, gid;
};

int store_lookup(struct store *st, uint64_t dir, const char *name,
		 struct store_attr *out);
/*
 * Create NAME in DIR with MODE (S_IFREG, S_IFDIR, S_IFIFO, S_IFSOCK,
 * S_IFCHR, S_IFBLK; symlinks use store_symlink).  Owner is cred->uid; group
 * is DIR's gid when DIR is setgid (and a new directory inherits S_ISGID),
 * else cred->gid.  -EEXIST, -ENAMETOOLONG, -ENOSPC, -ENOTDIR as usual.
 */
int store_mknod(struct store *st, uint64_t dir, const char *name,
		uint32_t mode, uint64_t rdev, const struct store_cred *cred,
		struct store_attr *out);
int store_symlink(struct store *st, uint64_t dir, const char *name,
		  const char *target, const struct store_cred *cred,
		  struct store_attr *out);
/* Copies at most SIZE bytes (no NUL); returns the target's length. */
ssize_t store_readlink(struct store *st, uint64_t ino, char *buf, size_t size);
int store_link(struct store *st, uint64_t ino, uint64_t newdir,
	       const char *newname, struct store_attr *out);
/* Unlink a non-directory.  An inode whose nlink reaches 0 while it is
 * referenced (store_iget) lives on as an orphan until its last store_iput. */
int store_unlink(struct store *st, uint64_t dir, const char *name);
int store_rmdir(struct store *st, uint64_t dir, const char *name);

enum store_rename_flags {
	STORE_RENAME_NOREPLACE = 1u << 0,
	STORE_RENAME_EXCHANGE = 1u << 1,
};
int store_rename(struct store *st, uint64_t olddir, const char *oldname,
		 uint64_t newdir, const char *newname, uint32_t flags);

/*
 * Call FN for each entry of DIR from COOKIE on ("." and ".." included; the
 * first call uses cookie 0).  FN returns nonzero to stop (e.g. buffer
 * full); the entry it stopped on is not consumed.  NEXT is the cookie that
 * resumes after this entry; cookies stay valid across unrelated changes.
 * FN runs without the store's lock (entries are copied out in batches), so
 * it may call back into the store (readdirplus: store_getattr/store_iget);
 * an entry removed meanwhile may still be listed (lookup then says ENOENT).
 */
typedef int (*store_dirent_fn)(void *arg, const char *name, uint64_t ino,
			       uint32_t mode, uint64_t next);
int store_readdir(struct store *st, uint64_t dir, uint64_t cookie,
		  store_dirent_fn fn, void *arg);

/* Lookup/open references (FUSE nlookup, pins).  An inode is freed when
 * its nlink is 0 and its reference count drops to 0. */
int store_iget(struct store *st, uint64_t ino);
void store_iput(struct store *st, uint64_t ino, uint64_t n);

/* ---- data -------------------------------------------------------------- */

ssize_t store_read(struct store *st, uint64_t ino, void *buf, size_t size,
		   uint64_t off);
/* Allocates as needed (2 MiB-aligned extents preferred for large files).
 * -ENOSPC leaves the file unchanged.  Shared (refcount > 1) extents cannot
 * arise yet (no clone call); copy-on-write through the gate as
 * STORE_CHANGE_COW comes with reflink. */
ssize_t store_write(struct store *st, uint64_t ino, const void *buf,
		    size_t size, uint64_t off);
int store_fsync(struct store *st, uint64_t ino, bool datasync);

/* FALLOC_FL_* modes: 0 and KEEP_SIZE (preallocate), PUNCH_HOLE|KEEP_SIZE,
 * ZERO_RANGE (with or without KEEP_SIZE).  Others: -EOPNOTSUPP. */
int store_fallocate(struct store *st, uint64_t ino, int mode, uint64_t off,
		    uint64_t len);
/* SEEK_DATA / SEEK_HOLE; -ENXIO past EOF as lseek(2). */
int store_seek(struct store *st, uint64_t ino, uint64_t off, int whence,
	       uint64_t *out);
/* A plain copy for now (no sharing); returns bytes copied.  The
 * destination range passes the gate as STORE_CHANGE_CLONE_DEST and its
 * whole blocks are replaced by fresh ones (so are those of a zero range);
 * partial blocks at the ends are written in place unless a pin holds them
 * (store_block_held): a held one is first copied to a fresh block that
 * replaces it, as for every gated change (truncate's last block, punch
 * and zero range edges), so a revoked holder's stores never reach the
 * file.  Each held edge then needs a free block (-ENOSPC otherwise). */
ssize_t store_copy_range(struct store *st, uint64_t ino_in, uint64_t off_in,
			 uint64_t ino_out, uint64_t off_out, size_t len);

enum store_extent_flags {
	STORE_EXT_UNWRITTEN = 1u << 0, /* preallocated, reads as zeros */
	STORE_EXT_SHARED = 1u << 1,    /* refcount > 1 */
};
struct store_extent {
	uint64_t file_off;   /* bytes */
	uint64_t region_off; /* bytes from the start of the region */
	uint64_t len;        /* bytes */
	uint32_t flags;      /* enum store_extent_flags */
	uint32_t refcount;   /* of the first block */
};
/*
 * Copy the extents of INO that overlap [off, off+len) into OUT (at most
 * MAX), in file order, starting with the FIRST-th overlapping one.  Returns
 * the number copied; *total (if non-NULL) gets how many overlap in all.
 */
int store_extents(struct store *st, uint64_t ino, uint64_t off, uint64_t len,
		  uint64_t first, struct store_extent *out, uint32_t max,
		  uint64_t *total);

/* ---- xattrs (user.* and trusted.pinfs.*; the daemon filters) ----------- */

enum store_xattr_flags {
	STORE_XATTR_CREATE = 1u << 0,
	STORE_XATTR_REPLACE = 1u << 1,
};
int store_setxattr(struct store *st, uint64_t ino, const char *name,
		   const void *value, size_t size, uint32_t flags);
/* SIZE 0 asks for the length.  -ENODATA, -ERANGE as getxattr(2).
 * setxattr: -E2BIG for a value over STORE_XATTR_SIZE_MAX, -ENOSPC when the
 * inode's xattr block (4064 bytes for all entries) is full. */
ssize_t store_getxattr(struct store *st, uint64_t ino, const char *name,
		       void *value, size_t size);
ssize_t store_listxattr(struct store *st, uint64_t ino, char *list,
			size_t size);
int store_removexattr(struct store *st, uint64_t ino, const char *name);

/* ---- the gate ---------------------------------------------------------- */

enum store_change {
	STORE_CHANGE_TRUNCATE = 1,  /* shrink: [new size, old size) */
	STORE_CHANGE_PUNCH,
	STORE_CHANGE_ZERO,
	STORE_CHANGE_COW,
	STORE_CHANGE_CLONE_DEST,
	STORE_CHANGE_MOVE,
};

/*
 * Called with the store's locks held: it must not call back into the
 * store and must not block.  Return 0 to let the change proceed, or a
 * -errno that the store call returns unchanged (-EAGAIN: retry later).
 */
typedef int (*store_gate_fn)(void *arg, uint64_t ino, uint64_t off,
			     uint64_t len, enum store_change why);
void store_set_gate(struct store *st, store_gate_fn fn, void *arg);

/* ---- holds (quarantine) ------------------------------------------------ */

/*
 * Hold [region_off, region_off+len) (block-aligned) for PIN_ID,
 * persistently: the allocator skips it until store_release_holds(PIN_ID).
 * The blocks may belong to a file or not; holds are counted, so two pins
 * may hold one block.  -ENOSPC when the hold table is full.
 */
int store_hold(struct store *st, uint64_t pin_id, uint64_t region_off,
	       uint64_t len);
/* Drop every hold of PIN_ID; blocks no file references become free.
 * Costs about the pin's own holds (holds are indexed by pin id). */
int store_release_holds(struct store *st, uint64_t pin_id);
bool store_block_held(struct store *st, uint64_t region_off);
/* Call FN for each hold record (a pin may have several), from a snapshot
 * taken under the lock; FN runs unlocked and may call into the store.
 * Stops at and returns FN's first nonzero value. */
int store_for_each_hold(struct store *st,
			int (*fn)(void *arg, uint64_t pin_id,
				  uint64_t region_off, uint64_t len),
			void *arg);

/* ---- pin registry records (opaque to the store, persistent) ------------ */

#define STORE_PREG_RECORD_SIZE 128u
/* Write/clear slot SLOT of the persistent pin registry atomically
 * (journaled); REC is STORE_PREG_RECORD_SIZE bytes, or NULL to clear. */
int store_preg_put(struct store *st, uint32_t slot, const void *rec);
/* 0 with *rec filled, or -ENOENT for an empty slot. */
int store_preg_get(struct store *st, uint32_t slot, void *rec);
uint32_t store_preg_slots(struct store *st);

/* ---- a pin's record and holds together (hold.c) ----------------------- */

struct store_hold_range {
	uint64_t region_off, len; /* block-aligned, len > 0 */
};
/*
 * Write registry slot SLOT (REC: STORE_PREG_RECORD_SIZE bytes) and hold
 * the N ranges R for PIN_ID in one journal transaction: a crash keeps all
 * or nothing.  Holds beyond what one transaction fits go into following
 * ones, so the record always commits with or before its holds.  All is
 * checked first: -EINVAL (slot, range), -ENOSPC (hold table full) change
 * nothing; -EIO/-EROFS as other writes.
 */
int store_pin_hold(struct store *st, uint32_t slot, const void *rec,
		   uint64_t pin_id, const struct store_hold_range *r,
		   uint32_t n);
/* Clear registry slot SLOT (UINT32_MAX: no record) and drop every hold of
 * PIN_ID in one transaction (a huge release spills holds into following
 * ones; the record is cleared in the first).  0, -EINVAL or -errno. */
int store_pin_release(struct store *st, uint32_t slot, uint64_t pin_id);

/* Free the orphans (nlink 0, no store_iget references) left by a crash or
 * by STORE_OPEN_NO_RECLAIM; orphans still referenced stay, and a read-only
 * store frees nothing.  0 or -errno. */
int store_reclaim_orphans(struct store *st);

/* ---- fsck -------------------------------------------------------------- */

enum store_fsck_flags {
	STORE_FSCK_REPAIR = 1u << 0,
};
/* One line per problem, plain words, e.g. "inode 12: size 8192 but ...". */
typedef void (*store_fsck_report_fn)(void *arg, const char *line);
/*
 * Check every structure of REGION (not open elsewhere).  Returns the
 * number of problems found (0 = clean), or -errno when it could not check
 * at all (-EUCLEAN with a reason for a region it cannot read).  With
 * STORE_FSCK_REPAIR it fixes what it found and still counts it.
 */
int store_fsck(const char *region, uint32_t flags, store_fsck_report_fn fn,
	       void *arg);

#endif /* PINFS_STORE_H */
