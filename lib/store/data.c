/* SPDX-License-Identifier: MIT */
/*
 * data.c - file data: read, write, truncate, fallocate, seek, copy, and
 * the extent listing.
 *
 * Ordering rule (a crash never exposes stale bytes): blocks newly mapped
 * are fully written (data, and zeros around it) and persisted before the
 * transaction that maps them commits.  Overwrites of written blocks go in
 * place (like ext4's data=ordered: not atomic, durable when write
 * returns); those that change no metadata but the timestamps run under
 * the shared lock (owrite.c).  Data bytes go through
 * region_write_persist (pwrite on page-granular file regions).
 * Zeroing part of a still-mapped block (truncate, punch, zero
 * range) is journaled with the metadata change, so those calls are atomic
 * with respect to a crash.  Zero range and copy_range onto a file are
 * layout changes: their whole blocks are replaced by fresh ones in the
 * same transaction (the old ones freed, or kept in quarantine if a pin
 * holds them).  A partial block at either end of a gated change
 * (truncate's tail, punch, zero range, copy_range) changes in place unless
 * a pin holds it: then the block is first copied to a fresh block (written
 * and persisted before the transaction that maps it commits) and the
 * change applies to the copy, so a revoked holder's later stores never
 * reach the file (invariant 1).
 * Unwritten (preallocated) extents read as zeros
 * and count as holes for SEEK_DATA/SEEK_HOLE, as on ext4 and XFS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "store_int.h"

#define WRITE_CHUNK (8u << 20)
static const uint8_t zero_block[BLK];

static uint64_t blk_up(uint64_t off) { return (off + BLK - 1) / BLK; }

/* A large file's blocks go on the 2 MiB grid (alloc_take's PHASE): an
 * allocation of 1 MiB or more, or any beyond the file's first 2 MiB.  A
 * small file's first blocks pack wherever the cursor is, so small files
 * do not each take a 2 MiB group. */
#define LARGE_WANT (GROUP_BLOCKS / 2)

static uint32_t place_phase(uint64_t fb, uint64_t want)
{
	if (want >= LARGE_WANT || fb >= GROUP_BLOCKS)
		return (uint32_t)(fb % GROUP_BLOCKS);
	return ALLOC_ANY;
}

static int get_reg(struct store *st, uint64_t ino, struct minode **mi)
{
	int err = inode_get(st, ino, mi);

	if (err)
		return err;
	if (S_ISDIR((*mi)->mode))
		return -EISDIR;
	return S_ISREG((*mi)->mode) ? 0 : -EINVAL;
}

/* Blocks of [b0, b1) that no extent maps; *pieces: extents overlapping. */
static uint64_t count_holes(const struct minode *mi, uint64_t b0, uint64_t b1,
			    uint64_t *pieces)
{
	uint64_t mapped = 0, n = 0;

	for (uint32_t i = emap_find(mi, b0);
	     i < mi->next && mi->ext[i].fblk < b1; i++) {
		uint64_t a = mi->ext[i].fblk > b0 ? mi->ext[i].fblk : b0;
		uint64_t e = mi->ext[i].fblk + mi->ext[i].len;

		mapped += (e < b1 ? e : b1) - a;
		n++;
	}
	if (pieces)
		*pieces = n;
	return (b1 - b0) - mapped;
}

/* Worst-case blocks to fill the holes of [b0, b1) and split its pieces. */
static uint64_t blocks_needed(const struct minode *mi, uint64_t b0,
			      uint64_t b1, uint64_t *holes)
{
	uint64_t pieces, h = count_holes(mi, b0, b1, &pieces);

	if (holes)
		*holes = h;
	return h + emap_chain_need(mi, h + 2 * pieces + 2);
}

static uint8_t *rptr(struct store *st, uint64_t rblk, uint64_t off_in)
{
	return st->base + rblk * BLK + off_in;
}

/* ---- read ---- */

static ssize_t do_read(struct store *st, struct minode *mi, void *buf,
		       size_t size, uint64_t off)
{
	uint64_t pos, end;
	uint8_t *out = buf;

	if (off >= mi->size)
		return 0;
	end = off + (size < mi->size - off ? size : mi->size - off);
	for (pos = off; pos < end;) {
		uint64_t fb = pos / BLK, chunk;
		uint32_t i = emap_find(mi, fb);

		if (i < mi->next && mi->ext[i].fblk <= fb) {
			const struct mext *e = &mi->ext[i];
			uint64_t eend = (e->fblk + e->len) * BLK;

			chunk = (eend < end ? eend : end) - pos;
			if (e->flags & PFS_EXT_UNWRITTEN)
				memset(out, 0, chunk);
			else
				memcpy(out, rptr(st, e->rblk + fb - e->fblk,
						 pos % BLK), chunk);
		} else {
			uint64_t hend = i < mi->next ? mi->ext[i].fblk * BLK
						     : UINT64_MAX;

			chunk = (hend < end ? hend : end) - pos;
			memset(out, 0, chunk);
		}
		out += chunk;
		pos += chunk;
	}
	return (ssize_t)(end - off);
}

ssize_t store_read(struct store *st, uint64_t ino, void *buf, size_t size,
		   uint64_t off)
{
	struct minode *mi;
	ssize_t ret;

	st_rdlock(st);
	ret = get_reg(st, ino, &mi);
	if (!ret) {
		/* whole or nothing of a concurrent overwrite (owrite.c) */
		pthread_rwlock_rdlock(&mi->rw);
		ret = do_read(st, mi, buf, size, off);
		pthread_rwlock_unlock(&mi->rw);
	}
	st_unlock(st);
	return ret;
}

/* ---- write ---- */

/* Zero [old EOF, LIMIT) inside the old last block, directly: those bytes
 * are beyond EOF, so no reader sees them until the extension commits. */
static void zero_past_eof(struct store *st, struct minode *mi, uint64_t limit)
{
	uint64_t rb, bend = blk_up(mi->size) * BLK;

	if (!(mi->size % BLK) || limit <= mi->size)
		return;
	rb = emap_written_block(mi, mi->size / BLK);
	if (!rb)
		return;
	if (limit > bend)
		limit = bend;
	region_memset_persist(st->rg, rptr(st, rb, mi->size % BLK), 0,
			      limit - mi->size);
}

/* Write [pos, wend) into fresh blocks RB.. mapped at fb.., zeroing the
 * parts of the first and last block that the data does not cover: one
 * write, one persist (nothing on media maps these blocks yet). */
static int fill_fresh(struct store *st, uint64_t rb, uint64_t fb,
		      const uint8_t *src, uint64_t pos, uint64_t wend)
{
	uint64_t head = pos - fb * BLK, tail = blk_up(wend) * BLK - wend;
	struct iovec iov[3] = {
		{ (void *)zero_block, head },
		{ (void *)src, wend - pos },
		{ (void *)zero_block, tail },
	};

	return region_write_persist(st->rg, rptr(st, rb, 0), iov, 3);
}

static int write_chunk(struct store *st, struct minode *mi, const uint8_t *buf,
		       uint64_t off, uint64_t end, bool replace)
{
	bool extending = end > mi->size;
	uint64_t pos = off, f0 = blk_up(off), f1 = end / BLK, left;
	int err = 0;

	tx_begin(st);
	/* a layout change (copy onto the range): the whole blocks get fresh
	 * blocks, swapped in by this one transaction; the old ones are freed
	 * (or stay quarantined if held); held partial blocks at the ends are
	 * copied to fresh ones first */
	if (replace)
		err = data_unshare_edges(st, mi, off, end);
	if (replace && f1 > f0 && !err)
		err = emap_remove(st, mi, f0, f1, UINT64_MAX, &left);
	if (off > mi->size)
		zero_past_eof(st, mi, off);
	while (pos < end && !err) {
		uint64_t fb = pos / BLK;
		uint32_t i = emap_find(mi, fb);
		const uint8_t *src = buf + (pos - off);

		if (i < mi->next && mi->ext[i].fblk <= fb) {
			struct mext e = mi->ext[i];
			uint64_t eend = (e.fblk + e.len) * BLK;
			uint8_t *dst = rptr(st, e.rblk + fb - e.fblk, pos % BLK);

			if (eend > end)
				eend = end;
			if (!(e.flags & PFS_EXT_UNWRITTEN)) {
				err = data_put(st, dst, src, eend - pos);
			} else {
				err = fill_fresh(st, e.rblk + fb - e.fblk, fb,
						 src, pos, eend);
				if (!err)
					err = emap_set_flags(st, mi, fb,
							     blk_up(eend), 0,
							     PFS_EXT_UNWRITTEN);
			}
			pos = eend;
		} else {
			uint64_t hend = i < mi->next ? mi->ext[i].fblk
						     : UINT64_MAX;
			uint64_t want = (blk_up(end) < hend ? blk_up(end) : hend) - fb;
			uint64_t goal = 0, rb, got, wend;

			if (i > 0)
				goal = mi->ext[i - 1].rblk + mi->ext[i - 1].len;
			err = alloc_take(st, goal, want, place_phase(fb, want),
					 &rb, &got);
			if (err)
				break;
			wend = (fb + got) * BLK < end ? (fb + got) * BLK : end;
			err = fill_fresh(st, rb, fb, src, pos, wend);
			if (!err)
				err = emap_insert(st, mi, fb, rb, got, 0);
			pos = wend;
		}
	}
	if (err) {
		st->broken = true;
		tx_abort(st);
		return err;
	}
	st_now(&mi->mtime);
	mi->ctime = mi->mtime;
	if (end > mi->size)
		mi->size = end;
	if (jrnl_room(st->jr) == jrnl_capacity(st->jr) && !extending) {
		tx_abort(st);
		data_touch_direct(st, mi);
		return 0;
	}
	inode_log(st, mi);
	return tx_commit(st);
}

/* Blocks that rewriting [b0, b1) entirely with fresh blocks may need. */
static uint64_t blocks_needed_replace(const struct minode *mi, uint64_t b0,
				      uint64_t b1)
{
	return (b1 - b0) + emap_chain_need(mi, b1 - b0 + 3);
}

static ssize_t do_write(struct store *st, struct minode *mi, const void *buf,
			size_t size, uint64_t off, bool replace)
{
	uint64_t end, pos, need;
	int err;

	if (!size)
		return 0;
	if (off >= MAX_FILE_BLOCKS * BLK || size > MAX_FILE_BLOCKS * BLK - off)
		return -EFBIG;
	end = off + size;
	need = replace ? blocks_needed_replace(mi, off / BLK, blk_up(end)) +
				 data_edge_need(st, mi, off, end)
		       : blocks_needed(mi, off / BLK, blk_up(end), NULL);
	if (need > alloc_nfree(&st->al))
		return -ENOSPC;
	for (pos = off; pos < end;) {
		uint64_t cend = (pos / WRITE_CHUNK + 1) * WRITE_CHUNK;

		if (cend > end)
			cend = end;
		err = write_chunk(st, mi, (const uint8_t *)buf + (pos - off),
				  pos, cend, replace);
		if (err)
			return pos > off ? (ssize_t)(pos - off) : err;
		pos = cend;
	}
	return (ssize_t)size;
}

ssize_t store_write(struct store *st, uint64_t ino, const void *buf,
		    size_t size, uint64_t off)
{
	struct minode *mi;
	ssize_t ret;

	/* an overwrite of the file's own written blocks needs only the
	 * shared lock (owrite.c); anything else is exclusive */
	st_rdlock(st);
	ret = st_writable(st);
	if (!ret)
		ret = get_reg(st, ino, &mi);
	if (!ret && data_overwrite_ok(st, mi, off, size)) {
		ret = data_overwrite(st, mi, buf, size, off);
		st_unlock(st);
		return ret;
	}
	st_unlock(st);
	if (ret)
		return ret;
	st_wrlock(st);
	ret = st_writable(st);
	if (!ret)
		ret = get_reg(st, ino, &mi);
	if (!ret)
		ret = do_write(st, mi, buf, size, off, false);
	st_unlock(st);
	return ret;
}

int store_fsync(struct store *st, uint64_t ino, bool datasync)
{
	struct minode *mi;
	int err;

	(void)datasync;
	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (!err && st->broken)
		err = -EIO;
	st_unlock(st);
	return err;
}

/* ---- truncate ---- */

/* Free the blocks from file block FROM on, in as many transactions as
 * needed; the first one is already open and is committed here. */
static int free_from(struct store *st, struct minode *mi, uint64_t from,
		     uint64_t to)
{
	uint64_t left;
	int err;

	for (;;) {
		err = emap_remove(st, mi, from, to, TX_BLOCK_BUDGET, &left);
		if (err) {
			tx_abort(st);
			return err;
		}
		err = tx_commit(st);
		if (err || !left)
			return err;
		to = left;
		tx_begin(st);
	}
}

/* Queue the zeroing of [off, end of its block) if that block is written. */
static void zero_partial_tx(struct store *st, struct minode *mi, uint64_t off,
			    uint64_t end)
{
	uint64_t rb = emap_written_block(mi, off / BLK);

	if (rb && end > off)
		tx_put(st, rb * BLK + off % BLK, zero_block,
		       (uint32_t)(end - off));
}

int data_truncate_need(struct store *st, struct minode *mi, uint64_t size)
{
	if (size >= mi->size || !(size % BLK))
		return 0;
	return data_edge_need(st, mi, size, size) > alloc_nfree(&st->al) ? -ENOSPC
								  : 0;
}

int data_truncate(struct store *st, struct minode *mi, uint64_t size)
{
	int err;

	if (size > MAX_FILE_BLOCKS * BLK)
		return -EFBIG;
	if (size > mi->size) {
		zero_past_eof(st, mi, size);
		mi->size = size;
		return 0;
	}
	if (size % BLK) {
		err = data_unshare_edges(st, mi, size, size);
		if (err)
			return err;
		zero_partial_tx(st, mi, size, blk_up(size) * BLK);
	}
	mi->size = size;
	return 0;
}

/* Called by setattr with its transaction open; commits it. */
int data_truncate_commit(struct store *st, struct minode *mi, uint64_t size)
{
	inode_log(st, mi);
	return free_from(st, mi, blk_up(size), MAX_FILE_BLOCKS);
}

/* ---- fallocate ---- */

static int prealloc(struct store *st, struct minode *mi, uint64_t b0,
		    uint64_t b1)
{
	uint64_t fb = b0, done = 0;
	int err = 0;

	while (fb < b1) {
		uint32_t i = emap_find(mi, fb);
		uint64_t hend, rb, got, want;

		if (i < mi->next && mi->ext[i].fblk <= fb) {
			fb = mi->ext[i].fblk + mi->ext[i].len;
			continue;
		}
		hend = i < mi->next && mi->ext[i].fblk < b1 ? mi->ext[i].fblk : b1;
		want = hend - fb;
		if (want > TX_BLOCK_BUDGET)
			want = TX_BLOCK_BUDGET;
		err = alloc_take(st, i > 0 ? mi->ext[i - 1].rblk +
						     mi->ext[i - 1].len : 0,
				 want, place_phase(fb, want), &rb, &got);
		if (!err)
			err = emap_insert(st, mi, fb, rb, got, PFS_EXT_UNWRITTEN);
		if (err)
			break;
		fb += got;
		done += got;
		if (done >= TX_BLOCK_BUDGET || jrnl_room(st->jr) < 65536) {
			inode_log(st, mi);
			err = tx_commit(st);
			if (err)
				return err;
			tx_begin(st);
			done = 0;
		}
	}
	if (err)
		st->broken = true;
	return err;
}

/* Unmap [f0, f1) within the open transaction, committing intermediate
 * transactions for huge ranges; the last one stays open. */
static int unmap_range(struct store *st, struct minode *mi, uint64_t f0,
		       uint64_t f1)
{
	uint64_t left, to = f1;
	int err;

	for (;;) {
		err = emap_remove(st, mi, f0, to, TX_BLOCK_BUDGET, &left);
		if (err || !left)
			return err;
		inode_log(st, mi);
		err = tx_commit(st);
		if (err)
			return err;
		tx_begin(st);
		to = left;
	}
}

static int falloc_locked(struct store *st, struct minode *mi, int mode,
			 uint64_t off, uint64_t len)
{
	uint64_t end = off + len, b0 = off / BLK, b1 = blk_up(end);
	bool keep = mode & FALLOC_FL_KEEP_SIZE;
	int op = mode & ~FALLOC_FL_KEEP_SIZE;
	struct timespec now;
	int err;

	if (op == FALLOC_FL_PUNCH_HOLE) {
		uint64_t f0 = blk_up(off), f1 = end / BLK;

		if (!keep)
			return -EOPNOTSUPP;
		if (emap_chain_need(mi, 1) + data_edge_need(st, mi, off, end) >
		    alloc_nfree(&st->al))
			return -ENOSPC;
		err = st_gate(st, mi->ino, off, len, STORE_CHANGE_PUNCH);
		if (err)
			return err;
		st_now(&now);
		tx_begin(st);
		err = data_unshare_edges(st, mi, off, end);
		if (err) {
			st->broken = true;
			tx_abort(st);
			return err;
		}
		if (off % BLK)
			zero_partial_tx(st, mi, off,
					f0 * BLK < end ? f0 * BLK : end);
		if (end % BLK && end / BLK >= f0 && end / BLK * BLK >= off)
			zero_partial_tx(st, mi, end / BLK * BLK, end);
		mi->mtime = mi->ctime = now;
		inode_log(st, mi);
		return f1 > f0 ? free_from(st, mi, f0, f1) : tx_commit(st);
	}
	if (op == FALLOC_FL_ZERO_RANGE) {
		uint64_t f0 = blk_up(off), f1 = end / BLK;

		if ((f1 > f0 ? blocks_needed_replace(mi, f0, f1) : 0) +
		    data_edge_need(st, mi, off, end) > alloc_nfree(&st->al))
			return -ENOSPC;
		err = st_gate(st, mi->ino, off, len, STORE_CHANGE_ZERO);
		if (err)
			return err;
		tx_begin(st);
		err = data_unshare_edges(st, mi, off, end);
		if (err) {
			st->broken = true;
			tx_abort(st);
			return err;
		}
		if (!keep && end > mi->size)
			zero_past_eof(st, mi, end);
		if (off % BLK)
			zero_partial_tx(st, mi, off,
					f0 * BLK < end ? f0 * BLK : end);
		if (end % BLK && end / BLK >= f0 && end / BLK * BLK >= off)
			zero_partial_tx(st, mi, end / BLK * BLK, end);
		if (f1 > f0) {
			/* a layout change: the whole blocks are unmapped (freed,
			 * or quarantined if held) and fresh unwritten blocks
			 * take their place, so nothing a revoked pin still
			 * reaches stays in the file */
			err = unmap_range(st, mi, f0, f1);
			if (!err)
				err = prealloc(st, mi, f0, f1);
			if (err) {
				st->broken = true;
				tx_abort(st);
				return err;
			}
		}
	} else if (op == 0) {
		if (blocks_needed(mi, b0, b1, NULL) > alloc_nfree(&st->al))
			return -ENOSPC;
		tx_begin(st);
		if (!keep && end > mi->size)
			zero_past_eof(st, mi, end);
		err = prealloc(st, mi, b0, b1);
		if (err) {
			tx_abort(st);
			return err;
		}
	} else {
		return -EOPNOTSUPP;
	}
	st_now(&now);
	mi->ctime = now;
	if (!keep && end > mi->size) {
		mi->size = end;
		mi->mtime = now;
	}
	inode_log(st, mi);
	return tx_commit(st);
}

int store_fallocate(struct store *st, uint64_t ino, int mode, uint64_t off,
		    uint64_t len)
{
	struct minode *mi;
	int err;

	if (!len)
		return -EINVAL;
	if (off >= MAX_FILE_BLOCKS * BLK || len > MAX_FILE_BLOCKS * BLK - off)
		return -EFBIG;
	st_wrlock(st);
	err = st_writable(st);
	if (!err)
		err = inode_get(st, ino, &mi);
	if (!err && !S_ISREG(mi->mode))
		err = S_ISDIR(mi->mode) ? -EISDIR : -ENODEV;
	if (!err)
		err = falloc_locked(st, mi, mode, off, len);
	st_unlock(st);
	return err;
}

/* ---- seek, copy, extents ---- */

int store_seek(struct store *st, uint64_t ino, uint64_t off, int whence,
	       uint64_t *out)
{
	struct minode *mi;
	uint64_t pos;
	int err;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (err)
		goto out;
	if (off >= mi->size) {
		err = -ENXIO;
		goto out;
	}
	if (whence == SEEK_DATA) {
		pos = UINT64_MAX;
		for (uint32_t i = emap_find(mi, off / BLK); i < mi->next; i++) {
			if (!(mi->ext[i].flags & PFS_EXT_UNWRITTEN)) {
				pos = mi->ext[i].fblk * BLK;
				if (pos < off)
					pos = off;
				break;
			}
		}
		if (pos >= mi->size)
			err = -ENXIO;
		else
			*out = pos;
		goto out;
	}
	pos = off;
	for (uint32_t i = emap_find(mi, off / BLK); i < mi->next; i++) {
		const struct mext *e = &mi->ext[i];

		if ((e->flags & PFS_EXT_UNWRITTEN) || e->fblk * BLK > pos)
			break;
		pos = (e->fblk + e->len) * BLK;
	}
	*out = pos < mi->size ? pos : mi->size;
out:
	st_unlock(st);
	return err;
}

ssize_t store_copy_range(struct store *st, uint64_t ino_in, uint64_t off_in,
			 uint64_t ino_out, uint64_t off_out, size_t len)
{
	struct minode *in, *out;
	size_t done = 0, bufsz = 1u << 20;
	uint8_t *buf = NULL;
	ssize_t ret;

	st_wrlock(st);
	ret = st_writable(st);
	if (!ret)
		ret = get_reg(st, ino_in, &in);
	if (!ret)
		ret = get_reg(st, ino_out, &out);
	if (ret)
		goto out;
	if (in == out && off_in < off_out + len && off_out < off_in + len) {
		ret = -EINVAL;
		goto out;
	}
	if (off_in >= in->size || !len) {
		ret = 0;
		goto out;
	}
	if (len > in->size - off_in)
		len = in->size - off_in;
	if (off_out >= MAX_FILE_BLOCKS * BLK ||
	    len > MAX_FILE_BLOCKS * BLK - off_out) {
		ret = -EFBIG;
		goto out;
	}
	if (blocks_needed_replace(out, off_out / BLK, blk_up(off_out + len)) +
	    data_edge_need(st, out, off_out, off_out + len) > alloc_nfree(&st->al)) {
		ret = -ENOSPC;
		goto out;
	}
	ret = st_gate(st, ino_out, off_out, len, STORE_CHANGE_CLONE_DEST);
	if (ret)
		goto out;
	buf = malloc(bufsz);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < len) {
		size_t n = len - done < bufsz ? len - done : bufsz;
		ssize_t r = do_read(st, in, buf, n, off_in + done);

		if (r > 0)
			r = do_write(st, out, buf, (size_t)r, off_out + done,
				     true);
		if (r <= 0) {
			if (!done)
				ret = r;
			break;
		}
		done += (size_t)r;
	}
	if (done)
		ret = (ssize_t)done;
out:
	free(buf);
	st_unlock(st);
	return ret;
}

int store_extents(struct store *st, uint64_t ino, uint64_t off, uint64_t len,
		  uint64_t first, struct store_extent *out, uint32_t max,
		  uint64_t *total)
{
	uint64_t b0 = off / BLK, b1, k = 0;
	struct minode *mi;
	int n = 0, err;

	b1 = len > MAX_FILE_BLOCKS * BLK - off ? MAX_FILE_BLOCKS
					       : blk_up(off + len);
	st_rdlock(st);
	err = inode_get(st, ino, &mi);
	if (err)
		goto out;
	for (uint32_t i = emap_find(mi, b0); i < mi->next &&
					     mi->ext[i].fblk < b1; i++, k++) {
		const struct mext *e = &mi->ext[i];
		uint32_t rc;

		if (k < first || (uint32_t)n >= max)
			continue;
		rc = alloc_rc(&st->al, e->rblk);
		out[n].file_off = e->fblk * BLK;
		out[n].region_off = e->rblk * BLK;
		out[n].len = (uint64_t)e->len * BLK;
		out[n].flags = ((e->flags & PFS_EXT_UNWRITTEN) ?
					STORE_EXT_UNWRITTEN : 0) |
			       (rc > 1 ? STORE_EXT_SHARED : 0);
		out[n].refcount = rc;
		n++;
	}
	if (total)
		*total = k;
out:
	st_unlock(st);
	return err ? err : n;
}
