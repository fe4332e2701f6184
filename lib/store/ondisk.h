/* SPDX-License-Identifier: MIT */
/*
 * ondisk.h - every on-media structure of a pinfs region, in one place.
 *
 * All fields are fixed-width little-endian integers, read and written only
 * through the ld*()/st*() accessors below, and every struct is padded
 * explicitly to a multiple of 8 bytes; the _Static_asserts at the end pin
 * every size and the offsets that docs/format.md names.  In-memory
 * structures (struct minode, struct sb_info ...) are separate and decoded
 * from these after verification.  docs/format.md describes the layout
 * byte by byte.
 */
#ifndef PINFS_ONDISK_H
#define PINFS_ONDISK_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t pfs_le16;
typedef uint32_t pfs_le32;
typedef uint64_t pfs_le64;

static inline uint16_t ld16(pfs_le16 v) { return le16toh(v); }
static inline uint32_t ld32(pfs_le32 v) { return le32toh(v); }
static inline uint64_t ld64(pfs_le64 v) { return le64toh(v); }
static inline pfs_le16 st16(uint16_t v) { return htole16(v); }
static inline pfs_le32 st32(uint32_t v) { return htole32(v); }
static inline pfs_le64 st64(uint64_t v) { return htole64(v); }

#define PFS_BLOCK 4096u

/* ---- superblock: block 0, backup copy in block 1 ----------------------- */

/* 0x50494e4653524731 = ASCII "PINFSRG1" read as a big-endian number. */
#define PFS_SB_MAGIC 0x50494e4653524731ull
#define PFS_VERSION 1u
#define PFS_SB_CRC_OFF 4092u  /* crc32c of bytes [0, 4092) */
/* Feature masks: none defined in version 1; any unknown incompat bit makes
 * open refuse the region, an unknown ro_compat bit forces read-only. */
#define PFS_COMPAT_KNOWN 0ull
#define PFS_RO_COMPAT_KNOWN 0ull
#define PFS_INCOMPAT_KNOWN 0ull

struct pfs_dsb {
	pfs_le64 magic;
	pfs_le32 version;
	pfs_le32 block_size;
	pfs_le64 compat;
	pfs_le64 ro_compat;
	pfs_le64 incompat;
	pfs_le64 region_size;  /* bytes covered by the filesystem */
	pfs_le64 block_count;  /* region_size / 4096 */
	pfs_le64 journal_off, journal_len;
	pfs_le64 rc_off, rc_len;     /* refcount table */
	pfs_le64 itab_off, itab_len; /* inode table */
	pfs_le64 hold_off, hold_len; /* hold table */
	pfs_le64 preg_off, preg_len; /* pin registry */
	pfs_le64 data_off;           /* first data block, 2 MiB aligned */
	pfs_le64 data_blocks;
	pfs_le64 inode_count;        /* including unused inode 0 */
	pfs_le64 root_ino;
	pfs_le32 hold_slots;
	pfs_le32 preg_slots;
	pfs_le32 inode_size;
	pfs_le32 pad0;
	pfs_le64 mkfs_time_ns;
	uint8_t uuid[16];
	/* bytes [208, 4092) are reserved and must be zero; crc32c at 4092 */
};

/* ---- journal: header block, then records ------------------------------- */

#define PFS_JNL_MAGIC 0x50494e46534a4e4cull /* "PINFSJNL" */
#define PFS_JNL_EMPTY 0u
#define PFS_JNL_COMMITTED 1u

struct pfs_jhdr {
	pfs_le64 magic;
	pfs_le64 seq;
	pfs_le32 state;    /* PFS_JNL_EMPTY or PFS_JNL_COMMITTED */
	pfs_le32 nrec;
	pfs_le64 len;      /* bytes of records, from journal_off + 4096 */
	pfs_le32 rec_crc;  /* crc32c of those bytes */
	pfs_le32 pad0;
	pfs_le64 reserved[2];
	pfs_le32 pad1;
	pfs_le32 hdr_crc;  /* crc32c of bytes [0, 60) */
};

/* A record: header, then LEN bytes of new contents, padded to 8. */
struct pfs_jrec {
	pfs_le64 off;      /* region byte offset of the home */
	pfs_le32 len;
	pfs_le32 pad0;
};

/* ---- inodes -------------------------------------------------------------- */

#define PFS_INODE_SIZE 256u
#define PFS_INLINE_EXTENTS 5u
#define PFS_INLINE_BYTES 128u  /* inline area: extents or a symlink target */

struct pfs_dext {
	pfs_le64 fblk;   /* file block */
	pfs_le64 rblk;   /* region block (absolute) */
	pfs_le32 len;    /* blocks; 0 = empty slot */
	pfs_le32 flags;  /* PFS_EXT_* */
};
#define PFS_EXT_UNWRITTEN 1u
#define PFS_EXT_KNOWN_FLAGS PFS_EXT_UNWRITTEN

struct pfs_dinode {
	pfs_le32 mode;   /* 0 = free inode */
	pfs_le32 uid;
	pfs_le32 gid;
	pfs_le32 nlink;
	pfs_le64 size;
	pfs_le64 generation;
	pfs_le64 atime_sec, mtime_sec, ctime_sec, btime_sec;
	pfs_le32 atime_nsec, mtime_nsec, ctime_nsec, btime_nsec;
	pfs_le64 rdev;
	pfs_le64 parent;     /* directories: the directory holding "..". */
	pfs_le64 xattr_blk;  /* region block of the xattr block, 0 = none */
	pfs_le64 ext_head;   /* first extent block of the chain, 0 = none */
	pfs_le32 flags;      /* none defined; must be zero */
	pfs_le32 pad0;
	pfs_le64 reserved;
	uint8_t inl[PFS_INLINE_BYTES]; /* PFS_INLINE_EXTENTS pfs_dext or a
					  symlink target of <= 128 bytes */
};

/* ---- extent blocks ------------------------------------------------------- */

#define PFS_EXTB_MAGIC 0x50494e4653455854ull /* "PINFSEXT" */
#define PFS_EXTB_SLOTS 169u

struct pfs_extb {
	pfs_le64 magic;
	pfs_le64 owner;  /* inode number */
	pfs_le64 next;   /* next extent block, 0 = end of chain */
	pfs_le64 reserved;
	struct pfs_dext slot[PFS_EXTB_SLOTS];
	uint8_t pad[8];
};

/* ---- directory entries (the data of a directory) ------------------------ */

#define PFS_DIRENT_SIZE 272u
#define PFS_DIRENTS_PER_BLOCK 15u

struct pfs_ddirent {
	pfs_le64 ino;     /* 0 = empty slot */
	uint8_t namelen;
	uint8_t type;     /* DT_* */
	uint8_t pad[6];
	char name[256];   /* namelen bytes, no NUL required */
};

/* ---- xattr block ---------------------------------------------------------- */

#define PFS_XATTR_MAGIC 0x50494e4653584154ull /* "PINFSXAT" */
#define PFS_XATTR_HDR 32u

struct pfs_xhdr {
	pfs_le64 magic;
	pfs_le64 owner;
	pfs_le32 count;
	pfs_le32 used;    /* bytes of entries after the header */
	pfs_le64 reserved;
};
/* entries: u8 name_len, u8 pad, le16 value_len, name, value, pad to 4 */
struct pfs_xent {
	uint8_t name_len;
	uint8_t pad;
	pfs_le16 value_len;
};

/* ---- holds and pin registry ----------------------------------------------- */

struct pfs_dhold {
	pfs_le64 pin_id;
	pfs_le64 rblk;
	pfs_le64 nblocks;  /* 0 = empty slot */
};
/* slots chosen by mkfs (superblock hold_slots): */
#define PFS_HOLD_SLOTS 16384u       /* regions below 1 GiB */
#define PFS_HOLD_SLOTS_LARGE 65536u /* 1 GiB and more */

#define PFS_PREG_REC 128u
struct pfs_dpreg {
	pfs_le32 state;    /* 0 empty, 1 used */
	pfs_le32 pad0;
	uint8_t rec[PFS_PREG_REC];
};
/* slots chosen by mkfs (superblock preg_slots): */
#define PFS_PREG_SLOTS 4096u        /* regions below 64 MiB */
#define PFS_PREG_SLOTS_MID 16384u   /* 64 MiB to 1 GiB */
#define PFS_PREG_SLOTS_LARGE 65536u /* 1 GiB and more */

/* ---- compile-time checks of the layout ------------------------------------ */

_Static_assert(sizeof(struct pfs_dsb) == 208, "superblock core");
_Static_assert(offsetof(struct pfs_dsb, region_size) == 40, "sb region");
_Static_assert(offsetof(struct pfs_dsb, data_off) == 136, "sb data_off");
_Static_assert(offsetof(struct pfs_dsb, inode_count) == 152, "sb inodes");
_Static_assert(offsetof(struct pfs_dsb, uuid) == 192, "sb uuid");
_Static_assert(sizeof(struct pfs_jhdr) == 64, "journal header");
_Static_assert(offsetof(struct pfs_jhdr, hdr_crc) == 60, "jhdr crc");
_Static_assert(sizeof(struct pfs_jrec) == 16, "journal record");
_Static_assert(sizeof(struct pfs_dext) == 24, "extent");
_Static_assert(sizeof(struct pfs_dinode) == PFS_INODE_SIZE, "inode");
_Static_assert(offsetof(struct pfs_dinode, size) == 16, "inode size");
_Static_assert(offsetof(struct pfs_dinode, atime_nsec) == 64, "inode ns");
_Static_assert(offsetof(struct pfs_dinode, parent) == 88, "inode parent");
_Static_assert(offsetof(struct pfs_dinode, ext_head) == 104, "inode chain");
_Static_assert(offsetof(struct pfs_dinode, inl) == 128, "inode inline");
_Static_assert(PFS_INLINE_EXTENTS * sizeof(struct pfs_dext) <=
	       PFS_INLINE_BYTES, "inline extents");
_Static_assert(sizeof(struct pfs_extb) == PFS_BLOCK, "extent block");
_Static_assert(offsetof(struct pfs_extb, slot) == 32, "extent slots");
_Static_assert(sizeof(struct pfs_ddirent) == PFS_DIRENT_SIZE, "dirent");
_Static_assert(PFS_DIRENTS_PER_BLOCK * PFS_DIRENT_SIZE <= PFS_BLOCK,
	       "dirents per block");
_Static_assert(sizeof(struct pfs_xhdr) == PFS_XATTR_HDR, "xattr header");
_Static_assert(sizeof(struct pfs_xent) == 4, "xattr entry");
_Static_assert(sizeof(struct pfs_dhold) == 24, "hold");
_Static_assert(sizeof(struct pfs_dpreg) == 136, "preg");

#endif /* PINFS_ONDISK_H */
