/* SPDX-License-Identifier: MIT */
/*
 * super.c - mkfs, open, close, superblock verification, info, and the
 * small shared helpers (locks, transactions, the gate).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "store_int.h"

#define MIB (1ull << 20)

/* ---- helpers shared by every module ---- */

void st_rdlock(struct store *st) { pthread_rwlock_rdlock(&st->lock); }
void st_wrlock(struct store *st) { pthread_rwlock_wrlock(&st->lock); }
void st_unlock(struct store *st) { pthread_rwlock_unlock(&st->lock); }

int st_writable(struct store *st)
{
	if (st->broken)
		return -EIO;
	return st->readonly ? -EROFS : 0;
}

void st_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void tx_begin(struct store *st)
{
	jrnl_begin(st->jr);
}

int tx_put(struct store *st, uint64_t off, const void *src, uint32_t len)
{
	int err = jrnl_put(st->jr, off, src, len);

	if (err)
		st->broken = true;
	return err;
}

int tx_commit(struct store *st)
{
	int err = jrnl_commit(st->jr);

	alloc_tx_done(&st->al);
	if (err) {
		st->broken = true;
		return -EIO;
	}
	return 0;
}

void tx_abort(struct store *st)
{
	jrnl_abort(st->jr);
}

int st_gate(struct store *st, uint64_t ino, uint64_t off, uint64_t len,
	    enum store_change why)
{
	if (!st->gate || !len)
		return 0;
	return st->gate(st->gate_arg, ino, off, len, why);
}

void store_set_gate(struct store *st, store_gate_fn fn, void *arg)
{
	st_wrlock(st);
	st->gate = fn;
	st->gate_arg = arg;
	st_unlock(st);
}

/* ---- superblock ---- */

static bool area_ok(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
	return off >= lo && off % BLK == 0 && len % BLK == 0 && off <= hi &&
	       len <= hi - off;
}

int sb_decode(const void *blk, uint64_t actual, struct sb_info *sb,
	      const char **why)
{
	const struct pfs_dsb *d = blk;
	const uint8_t *p = blk;
	uint64_t lo;

	if (ld64(d->magic) != PFS_SB_MAGIC) {
		*why = "not a pinfs region (bad superblock magic)";
		return -EUCLEAN;
	}
	if (crc32c(0, p, PFS_SB_CRC_OFF) !=
	    ld32(*(const pfs_le32 *)(p + PFS_SB_CRC_OFF))) {
		*why = "superblock checksum mismatch";
		return -EUCLEAN;
	}
	if (ld32(d->version) != PFS_VERSION) {
		*why = "unsupported pinfs format version";
		return -EUCLEAN;
	}
	if (ld64(d->incompat) & ~PFS_INCOMPAT_KNOWN) {
		*why = "superblock has an unknown incompatible feature bit";
		return -EUCLEAN;
	}
	for (size_t i = sizeof(*d); i < PFS_SB_CRC_OFF; i++) {
		if (p[i]) {
			*why = "superblock reserved bytes are not zero";
			return -EUCLEAN;
		}
	}
	memset(sb, 0, sizeof(*sb));
	sb->region_size = ld64(d->region_size);
	sb->block_count = ld64(d->block_count);
	sb->journal_off = ld64(d->journal_off);
	sb->journal_len = ld64(d->journal_len);
	sb->rc_off = ld64(d->rc_off);
	sb->rc_len = ld64(d->rc_len);
	sb->itab_off = ld64(d->itab_off);
	sb->itab_len = ld64(d->itab_len);
	sb->hold_off = ld64(d->hold_off);
	sb->hold_len = ld64(d->hold_len);
	sb->preg_off = ld64(d->preg_off);
	sb->preg_len = ld64(d->preg_len);
	sb->data_off = ld64(d->data_off);
	sb->data_blocks = ld64(d->data_blocks);
	sb->data_blk0 = sb->data_off / BLK;
	sb->inode_count = ld64(d->inode_count);
	sb->root_ino = ld64(d->root_ino);
	sb->hold_slots = ld32(d->hold_slots);
	sb->preg_slots = ld32(d->preg_slots);
	sb->mkfs_time_ns = ld64(d->mkfs_time_ns);
	memcpy(sb->uuid, d->uuid, 16);
	if (ld32(d->block_size) != BLK || ld32(d->inode_size) != PFS_INODE_SIZE) {
		*why = "superblock block or inode size is not supported";
		return -EUCLEAN;
	}
	if (sb->region_size < STORE_MIN_REGION_SIZE ||
	    sb->region_size % BLK || sb->block_count != sb->region_size / BLK) {
		*why = "superblock region size is invalid";
		return -EUCLEAN;
	}
	if (sb->region_size > actual) {
		*why = "region is shorter than its superblock says (truncated?)";
		return -EUCLEAN;
	}
	lo = 2 * BLK;
	if (sb->journal_off != lo || sb->journal_len < 64 * 1024 ||
	    !area_ok(sb->journal_off, sb->journal_len, lo, sb->region_size) ||
	    !area_ok(sb->rc_off, sb->rc_len, lo = sb->journal_off + sb->journal_len,
		     sb->region_size) ||
	    !area_ok(sb->itab_off, sb->itab_len, lo = sb->rc_off + sb->rc_len,
		     sb->region_size) ||
	    !area_ok(sb->hold_off, sb->hold_len, lo = sb->itab_off + sb->itab_len,
		     sb->region_size) ||
	    !area_ok(sb->preg_off, sb->preg_len, lo = sb->hold_off + sb->hold_len,
		     sb->region_size) ||
	    sb->data_off < sb->preg_off + sb->preg_len ||
	    sb->data_off % (2 * MIB) || sb->data_blocks == 0 ||
	    !area_ok(sb->data_off, sb->data_blocks * BLK, sb->data_off,
		     sb->region_size)) {
		*why = "superblock area layout is inconsistent";
		return -EUCLEAN;
	}
	if (sb->rc_len / sizeof(pfs_le32) < sb->data_blocks ||
	    sb->inode_count < 2 || sb->inode_count > (1ull << 32) ||
	    sb->itab_len / PFS_INODE_SIZE < sb->inode_count ||
	    sb->root_ino != STORE_ROOT_INO || sb->hold_slots == 0 ||
	    sb->hold_slots > (1u << 20) ||
	    sb->hold_len / sizeof(struct pfs_dhold) < sb->hold_slots ||
	    sb->preg_slots == 0 || sb->preg_slots > (1u << 20) ||
	    sb->preg_len / sizeof(struct pfs_dpreg) < sb->preg_slots) {
		*why = "superblock table sizes are inconsistent";
		return -EUCLEAN;
	}
	return 0;
}

/* ---- mkfs ---- */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static int mkfs_layout(uint64_t size, uint64_t inodes, struct pfs_dsb *d)
{
	uint64_t blocks = size / BLK, jlen, off, data_off;
	uint32_t hslots = size >= (1ull << 30) ? PFS_HOLD_SLOTS_LARGE
					       : PFS_HOLD_SLOTS;
	uint32_t pslots = size >= (1ull << 30) ? PFS_PREG_SLOTS_LARGE
			  : size >= 64 * MIB   ? PFS_PREG_SLOTS_MID
					       : PFS_PREG_SLOTS;

	if (!inodes) {
		inodes = size / (16 * 1024);
		if (inodes < 1024)
			inodes = 1024;
	}
	if (inodes < 2 || inodes > (1ull << 32))
		return -EINVAL;
	jlen = size >= (1ull << 30) ? 8 * MIB : size >= 256 * MIB ? 4 * MIB
								   : 1 * MIB;
	memset(d, 0, PFS_BLOCK);
	d->magic = st64(PFS_SB_MAGIC);
	d->version = st32(PFS_VERSION);
	d->block_size = st32(BLK);
	d->region_size = st64(size);
	d->block_count = st64(blocks);
	off = 2 * BLK;
	d->journal_off = st64(off);
	d->journal_len = st64(jlen);
	off += jlen;
	d->rc_off = st64(off);
	d->rc_len = st64(round_up(blocks * 4, BLK));
	off += ld64(d->rc_len);
	d->itab_off = st64(off);
	d->itab_len = st64(round_up(inodes * PFS_INODE_SIZE, BLK));
	off += ld64(d->itab_len);
	d->hold_off = st64(off);
	d->hold_len = st64(round_up(hslots * sizeof(struct pfs_dhold), BLK));
	off += ld64(d->hold_len);
	d->preg_off = st64(off);
	d->preg_len = st64(round_up(pslots * sizeof(struct pfs_dpreg), BLK));
	off += ld64(d->preg_len);
	data_off = round_up(off, 2 * MIB);
	if (data_off + 64 * BLK > size)
		return -EINVAL;
	d->data_off = st64(data_off);
	d->data_blocks = st64((size - data_off) / BLK);
	d->inode_count = st64(inodes);
	d->root_ino = st64(STORE_ROOT_INO);
	d->hold_slots = st32(hslots);
	d->preg_slots = st32(pslots);
	d->inode_size = st32(PFS_INODE_SIZE);
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[PFS_BLOCK];

	return !memcmp(p, zero, PFS_BLOCK);
}

static void mkfs_write(struct region *rg, struct pfs_dsb *d,
		       const struct store_mkfs_opts *o)
{
	uint8_t *base = region_base(rg);
	uint64_t meta = ld64(d->data_off), step = 256 * BLK;
	struct pfs_dinode root;
	struct timespec now;
	uint32_t crc;

	/* 1. zero the metadata areas (primary superblock first, so that an
	 *    interrupted mkfs leaves no valid pinfs region behind) */
	for (uint64_t off = 0; off < meta; off += BLK) {
		if (!page_is_zero(base + off))
			region_memset_persist(rg, base + off, 0, BLK);
		if (o->progress && (off % step == 0 || off + BLK == meta))
			o->progress(off + BLK, meta, o->progress_arg);
	}
	/* 2. journal header, root inode, persist */
	jrnl_format(rg, ld64(d->journal_off), ld64(d->journal_len));
	st_now(&now);
	memset(&root, 0, sizeof(root));
	root.mode = st32(S_IFDIR | 0755);
	root.uid = st32(geteuid());
	root.gid = st32(getegid());
	root.nlink = st32(2);
	root.generation = st64(1);
	root.atime_sec = root.mtime_sec = root.ctime_sec = root.btime_sec =
		st64((uint64_t)now.tv_sec);
	root.atime_nsec = root.mtime_nsec = root.ctime_nsec = root.btime_nsec =
		st32((uint32_t)now.tv_nsec);
	root.parent = st64(STORE_ROOT_INO);
	region_memcpy_persist(rg, base + ld64(d->itab_off) +
				  STORE_ROOT_INO * PFS_INODE_SIZE,
			      &root, sizeof(root), 0);
	/* 3. backup superblock, persist; 4. primary, persist */
	d->mkfs_time_ns = st64((uint64_t)now.tv_sec * 1000000000ull +
			       (uint64_t)now.tv_nsec);
	if (getrandom(d->uuid, sizeof(d->uuid), 0) != sizeof(d->uuid))
		memcpy(d->uuid, &now, sizeof(d->uuid));
	crc = crc32c(0, d, PFS_SB_CRC_OFF);
	*(pfs_le32 *)((uint8_t *)d + PFS_SB_CRC_OFF) = st32(crc);
	region_memcpy_persist(rg, base + BLK, d, PFS_BLOCK, 0);
	region_memcpy_persist(rg, base, d, PFS_BLOCK, 0);
}

static uint64_t mkfs_round(uint64_t size)
{
	size = size / BLK * BLK;
	if (size / (2 * MIB) * (2 * MIB) >= STORE_MIN_REGION_SIZE)
		size = size / (2 * MIB) * (2 * MIB);
	return size;
}

int store_mkfs(const char *path, const struct store_mkfs_opts *o)
{
	static const struct store_mkfs_opts defaults;
	struct region *rg = NULL;
	struct stat stb;
	const char *why;
	struct sb_info sb;
	uint64_t size;
	uint8_t *d;
	int err;

	if (!o)
		o = &defaults;
	if (!path || !*path)
		return -EINVAL;
	size = o->size;
	if (size && (size % BLK || size < STORE_MIN_REGION_SIZE))
		return -EINVAL;
	if (stat(path, &stb) == 0) {
		err = region_open(path, 0, 0, &rg, &why);
		if (err)
			return err;
		if (region_size(rg) >= 2 * BLK &&
		    sb_decode(region_base(rg), region_size(rg), &sb, &why) == 0 &&
		    !(o->flags & STORE_MKFS_FORCE)) {
			region_close(&rg);
			return -EEXIST;
		}
		if (region_is_devdax(rg)) {
			size = region_size(rg) / BLK * BLK;
		} else {
			size = mkfs_round(size ? size : region_size(rg));
			if (size != region_size(rg)) {
				region_close(&rg);
				if (size >= STORE_MIN_REGION_SIZE &&
				    truncate(path, (off_t)size) < 0)
					return -errno;
			}
		}
	} else if (errno != ENOENT) {
		return -errno;
	} else if (!size) {
		return -EINVAL;
	} else {
		size = mkfs_round(size);
	}
	if (size < STORE_MIN_REGION_SIZE) {
		region_close(&rg);
		return -EINVAL;
	}
	if (!rg) {
		err = region_open(path, REGION_CREATE, size, &rg, &why);
		if (err)
			return err;
	}
	d = calloc(1, PFS_BLOCK);
	if (!d) {
		region_close(&rg);
		return -ENOMEM;
	}
	err = mkfs_layout(size, o->inodes, (struct pfs_dsb *)d);
	if (!err)
		mkfs_write(rg, (struct pfs_dsb *)d, o);
	free(d);
	region_close(&rg);
	return err;
}
