/* SPDX-License-Identifier: MIT */
/*
 * fsck.c - check every structure of a region, and repair what can be
 * repaired: refcounts (leaked or miscounted blocks), link counts, ".."
 * pointers, entries pointing at free inodes, backup superblock, pin
 * registry slots, and orphans (reclaimed).  Orphans (nlink 0, kept for a
 * pin) are a legal state: they are mentioned ("note:") but not counted.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

struct fsck {
	struct store *st;
	store_fsck_report_fn fn;
	void *arg;
	bool repair;
	int problems;
	uint32_t *refs;     /* computed references per data block */
	uint32_t *links;    /* directory entries per inode */
	uint32_t *subdirs;  /* subdirectories per directory */
	uint64_t *listed_in;/* directory listing each directory */
	uint8_t *bad;       /* inode could not be loaded */
	uint64_t *queue;    /* directories to visit, breadth first */
	uint8_t *queued;
};

static void say(struct fsck *f, bool problem, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (problem)
		f->problems++;
	if (f->fn)
		f->fn(f->arg, line);
}

/* ---- superblocks, before the store is opened ---- */

static int fsck_superblocks(struct fsck *f, const char *path)
{
	struct region *rg;
	struct sb_info a, b;
	const char *why = "", *whyb = "";
	uint8_t *base;
	int err, ea, eb;

	err = region_open(path, f->repair ? 0 : REGION_READONLY, 0, &rg, &why);
	if (err) {
		say(f, false, "cannot open region: %s", why);
		return err;
	}
	base = region_base(rg);
	if (region_size(rg) < STORE_MIN_REGION_SIZE) {
		say(f, false, "region is smaller than the pinfs minimum (16 MiB)");
		region_close(&rg);
		return -EUCLEAN;
	}
	ea = sb_decode(base, region_size(rg), &a, &why);
	eb = sb_decode(base + BLK, region_size(rg), &b, &whyb);
	if (ea && eb) {
		say(f, false, "primary superblock: %s; backup: %s", why, whyb);
		region_close(&rg);
		return -EUCLEAN;
	}
	if (ea) {
		say(f, true, "primary superblock is bad (%s); the backup is intact%s",
		    why, f->repair ? ": restored from the backup" : "");
		if (f->repair)
			region_memcpy_persist(rg, base, base + BLK, BLK, 0);
	} else if (eb || memcmp(base, base + BLK, BLK)) {
		say(f, true, "backup superblock %s%s",
		    eb ? "is bad" : "differs from the primary",
		    f->repair ? ": rewritten from the primary" : "");
		if (f->repair)
			region_memcpy_persist(rg, base + BLK, base, BLK, 0);
	}
	if (!jrnl_is_clean(rg, ea ? b.journal_off : a.journal_off, &why))
		say(f, false, "note: %s (replayed at open)", why);
	region_close(&rg);
	/* a bad primary with a good backup: without --repair the rest cannot
	 * be opened; report the one problem and stop */
	return ea && !f->repair ? 1 : 0;
}

/* ---- inodes ---- */

static void add_refs(struct fsck *f, uint64_t rblk, uint64_t n)
{
	for (uint64_t i = rblk - f->st->al.blk0; n--; i++)
		f->refs[i]++;
}

/* false (after repairing: the block is dropped) for a corrupt block */
static bool check_xattr(struct fsck *f, struct minode *mi)
{
	struct store *st = f->st;
	const struct pfs_xhdr *h = (const void *)(st->base + mi->xattr_blk * BLK);

	if (ld64(h->magic) == PFS_XATTR_MAGIC && ld64(h->owner) == mi->ino &&
	    ld32(h->used) <= BLK - PFS_XATTR_HDR &&
	    store_listxattr(st, mi->ino, NULL, 0) >= 0)
		return true;
	say(f, true, "inode %llu: xattr block %llu is corrupt%s",
	    (unsigned long long)mi->ino, (unsigned long long)mi->xattr_blk,
	    f->repair ? ": attributes dropped" : "");
	if (!f->repair)
		return true;
	mi->xattr_blk = 0;
	tx_begin(st);
	inode_log(st, mi);
	tx_commit(st);
	return false;
}

static void check_entries(struct fsck *f, struct minode *d)
{
	struct store *st = f->st;
	struct dindex *dx = d->dir;

	for (uint32_t s = 0; s < dx->nslots; s++) {
		struct dent *de = dx->slots[s];
		struct minode *t;

		if (!de)
			continue;
		if (!st->ibits[de->ino] || inode_get(st, de->ino, &t)) {
			if (st->ibits[de->ino] && f->bad[de->ino])
				continue;
			say(f, true, "directory %llu: entry \"%s\" points to free inode %llu%s",
			    (unsigned long long)d->ino, de->name,
			    (unsigned long long)de->ino,
			    f->repair ? ": entry removed" : "");
			if (f->repair) {
				tx_begin(st);
				dir_remove(st, d, de);
				tx_commit(st);
			}
			continue;
		}
		f->links[t->ino]++;
		if (de->type != mode_to_dt(t->mode)) {
			say(f, true, "directory %llu: entry \"%s\" has the wrong type%s",
			    (unsigned long long)d->ino, de->name,
			    f->repair ? ": fixed" : "");
			if (f->repair) {
				tx_begin(st);
				dir_retarget(st, d, de, t->ino, mode_to_dt(t->mode));
				tx_commit(st);
			}
		}
		if (!S_ISDIR(t->mode))
			continue;
		f->subdirs[d->ino]++;
		if (f->listed_in[t->ino] || t->ino == STORE_ROOT_INO) {
			say(f, true, "directory %llu is listed twice (in %llu and %llu)%s",
			    (unsigned long long)t->ino,
			    (unsigned long long)f->listed_in[t->ino],
			    (unsigned long long)d->ino,
			    f->repair ? ": second entry removed" : "");
			f->links[t->ino]--;
			f->subdirs[d->ino]--;
			if (f->repair) {
				tx_begin(st);
				dir_remove(st, d, de);
				tx_commit(st);
			}
			continue;
		}
		f->listed_in[t->ino] = d->ino;
		if (t->parent != d->ino) {
			say(f, true, "directory %llu: \"..\" is %llu but it is listed in %llu%s",
			    (unsigned long long)t->ino,
			    (unsigned long long)t->parent,
			    (unsigned long long)d->ino,
			    f->repair ? ": fixed" : "");
			if (f->repair) {
				t->parent = d->ino;
				tx_begin(st);
				inode_log(st, t);
				tx_commit(st);
			}
		}
	}
}

/* Repair of an inode that cannot be decoded: free it (its entries and
 * blocks are then found dangling and leaked, and repaired as such). */
static void clear_inode(struct fsck *f, uint64_t ino)
{
	struct store *st = f->st;
	const struct pfs_dinode *old =
		(const void *)(st->base + inode_itab_off(st, ino));
	struct pfs_dinode d;

	memset(&d, 0, sizeof(d));
	d.generation = old->generation;
	tx_begin(st);
	tx_put(st, inode_itab_off(st, ino), &d, sizeof(d));
	if (tx_commit(st))
		return;
	st->ibits[ino] = 0;
	st->ifree++;
}

static void fsck_inodes(struct fsck *f)
{
	struct store *st = f->st;

	for (uint64_t ino = 1; ino < st->sb.inode_count; ino++) {
		struct minode *mi;

		if (!st->ibits[ino])
			continue;
		if (inode_get(st, ino, &mi)) {
			f->bad[ino] = 1;
			say(f, true, "inode %llu: %s%s", (unsigned long long)ino,
			    st->why ? st->why : "cannot be read",
			    f->repair && ino != STORE_ROOT_INO
				    ? ": inode cleared" : "");
			if (f->repair && ino != STORE_ROOT_INO)
				clear_inode(f, ino);
			continue;
		}
		for (uint32_t i = 0; i < mi->next; i++)
			add_refs(f, mi->ext[i].rblk, mi->ext[i].len);
		for (uint32_t c = 0; c < mi->nchain; c++)
			add_refs(f, mi->chain[c].rblk, 1);
		if (mi->xattr_blk && check_xattr(f, mi))
			add_refs(f, mi->xattr_blk, 1);
	}
	/* count the entries of directories reachable from the root only
	 * (breadth first), so that one pass repairs a detached subtree */
	f->queue[0] = STORE_ROOT_INO;
	f->queued[STORE_ROOT_INO] = 1;
	for (uint64_t head = 0, tail = 1; head < tail; head++) {
		struct minode *mi;
		struct dindex *dx;

		if (inode_get(st, f->queue[head], &mi) || !S_ISDIR(mi->mode))
			continue;
		check_entries(f, mi);
		dx = mi->dir;
		for (uint32_t k = 0; k < dx->nslots; k++) {
			struct dent *de = dx->slots[k];

			if (de && de->type == DT_DIR && de->ino < st->sb.inode_count &&
			    f->listed_in[de->ino] == mi->ino && !f->queued[de->ino] &&
			    tail < st->sb.inode_count) {
				f->queued[de->ino] = 1;
				f->queue[tail++] = de->ino;
			}
		}
	}
}

static void fsck_links(struct fsck *f)
{
	struct store *st = f->st;

	for (uint64_t ino = 1; ino < st->sb.inode_count; ino++) {
		struct minode *mi;
		uint32_t want;

		if (!st->ibits[ino] || f->bad[ino] || inode_get(st, ino, &mi))
			continue;
		if (S_ISDIR(mi->mode)) {
			bool listed = ino == STORE_ROOT_INO || f->listed_in[ino];

			want = listed ? 2 + f->subdirs[ino] : 0;
		} else {
			want = f->links[ino];
		}
		if (mi->nlink == want)
			continue;
		if (!want && !mi->nlink)
			continue;
		say(f, true, "inode %llu: link count %u, but %u found%s",
		    (unsigned long long)ino, mi->nlink, want,
		    f->repair ? ": fixed" : "");
		if (f->repair) {
			mi->nlink = want;
			tx_begin(st);
			inode_log(st, mi);
			tx_commit(st);
		}
	}
}

/* Last: orphans (including those the link repair just made) are freed
 * with their blocks, after the refcounts were made right. */
static void fsck_orphans(struct fsck *f)
{
	struct store *st = f->st;

	for (uint64_t ino = 1; ino < st->sb.inode_count; ino++) {
		struct minode *mi;
		int err;

		if (!st->ibits[ino] || f->bad[ino] || inode_get(st, ino, &mi) ||
		    mi->nlink)
			continue;
		say(f, false, "note: inode %llu is an orphan (nlink 0)%s",
		    (unsigned long long)ino,
		    f->repair ? ": reclaimed" : ", reclaimed at mount");
		if (f->repair && (err = inode_maybe_reap(st, mi)))
			say(f, true, "inode %llu: cannot reclaim (error %d)",
			    (unsigned long long)ino, err);
	}
}

static void fsck_refcounts(struct fsck *f)
{
	struct store *st = f->st;
	struct alloc *al = &st->al;
	uint64_t i = 0, fixed = 0, quarantined = 0;

	while (i < al->n) {
		uint32_t rc = ld32(al->rc[i]), want = f->refs[i];
		uint64_t j = i + 1;

		if (rc == want) {
			quarantined += !rc && al->held[i];
			i++;
			continue;
		}
		while (j < al->n && ld32(al->rc[j]) == rc && f->refs[j] == want)
			j++;
		if (!want)
			say(f, true, "blocks %llu-%llu: refcount %u but no file uses them (leaked)%s",
			    (unsigned long long)(al->blk0 + i),
			    (unsigned long long)(al->blk0 + j - 1), rc,
			    f->repair ? ": freed" : "");
		else
			say(f, true, "blocks %llu-%llu: refcount %u but %u references%s",
			    (unsigned long long)(al->blk0 + i),
			    (unsigned long long)(al->blk0 + j - 1), rc, want,
			    f->repair ? ": fixed" : "");
		if (f->repair) {
			for (uint64_t k = i; k < j; k++) {
				if (!fixed)
					tx_begin(st);
				alloc_set_rc(st, al->blk0 + k, f->refs[k]);
				if (++fixed == TX_BLOCK_BUDGET) {
					tx_commit(st);
					fixed = 0;
				}
			}
		}
		i = j;
	}
	if (fixed)
		tx_commit(st);
	if (quarantined)
		say(f, false, "note: %llu free blocks are held (quarantined)",
		    (unsigned long long)quarantined);
}

static void fsck_preg(struct fsck *f)
{
	struct store *st = f->st;

	for (uint32_t i = 0; i < st->sb.preg_slots; i++) {
		const struct pfs_dpreg *p = (const void *)(st->base +
			st->sb.preg_off + (uint64_t)i * sizeof(*p));

		if (ld32(p->state) <= 1 && !p->pad0)
			continue;
		say(f, true, "pin registry slot %u is corrupt%s", i,
		    f->repair ? ": cleared" : "");
		if (f->repair) {
			struct pfs_dpreg z;

			memset(&z, 0, sizeof(z));
			tx_begin(st);
			tx_put(st, st->sb.preg_off + (uint64_t)i * sizeof(z),
			       &z, sizeof(z));
			tx_commit(st);
		}
	}
}

/*
 * Repair of a root inode that keeps the store from opening: first reset
 * the fields that fail verification (keeping its entries); if it still
 * cannot be loaded, make it an empty directory (its former children are
 * then unreachable, and their link counts are repaired to 0).
 */
static int rebuild_root(struct fsck *f, const char *path, bool empty)
{
	struct pfs_dinode d;
	struct region *rg;
	struct sb_info sb;
	const char *why;
	uint8_t *home;
	int err;

	err = region_open(path, 0, 0, &rg, &why);
	if (err)
		return err;
	err = sb_decode(region_base(rg), region_size(rg), &sb, &why);
	if (err)
		goto out;
	home = (uint8_t *)region_base(rg) + sb.itab_off +
	       STORE_ROOT_INO * PFS_INODE_SIZE;
	memcpy(&d, home, sizeof(d));
	d.mode = st32(S_IFDIR | (ld32(d.mode) & 07777));
	d.flags = d.pad0 = 0;
	d.reserved = 0;
	d.atime_nsec = d.mtime_nsec = d.ctime_nsec = d.btime_nsec = 0;
	d.parent = st64(STORE_ROOT_INO);
	d.size = st64(ld64(d.size) / BLK * BLK);
	if (!d.nlink)
		d.nlink = st32(2);
	if (empty || ld64(d.xattr_blk) < sb.data_blk0 ||
	    ld64(d.xattr_blk) >= sb.data_blk0 + sb.data_blocks)
		d.xattr_blk = 0;
	if (empty || ld64(d.ext_head) < sb.data_blk0 ||
	    ld64(d.ext_head) >= sb.data_blk0 + sb.data_blocks)
		d.ext_head = 0;
	if (empty) {
		d.size = 0;
		memset(d.inl, 0, sizeof(d.inl));
	}
	region_memcpy_persist(rg, home, &d, sizeof(d), 0);
	say(f, false, "root inode %s", empty ? "rebuilt as an empty directory"
					     : "fields reset");
out:
	region_close(&rg);
	return err;
}

static int fsck_open(struct fsck *f, const char *region)
{
	const char *why = "";
	int err;

	for (int attempt = 0;; attempt++) {
		err = store_open(region, STORE_OPEN_NO_RECLAIM |
				 (f->repair ? 0 : STORE_OPEN_READONLY), &f->st,
				 &why);
		if (!err || !f->repair || attempt == 2 ||
		    !strstr(why, "root inode"))
			break;
		if (!attempt)
			say(f, true, "%s: repairing", why);
		err = rebuild_root(f, region, attempt == 1);
		if (err)
			break;
	}
	if (err)
		say(f, false, "cannot open the filesystem: %s", why);
	return err;
}

int store_fsck(const char *region, uint32_t flags, store_fsck_report_fn fn,
	       void *arg)
{
	struct fsck f = { .fn = fn, .arg = arg };
	uint64_t n;
	int err;

	if (!region || (flags & ~STORE_FSCK_REPAIR))
		return -EINVAL;
	f.repair = flags & STORE_FSCK_REPAIR;
	err = fsck_superblocks(&f, region);
	if (err)
		return err < 0 ? err : f.problems;
	err = fsck_open(&f, region);
	if (err)
		return err;
	n = f.st->sb.inode_count;
	f.refs = calloc(f.st->al.n, sizeof(*f.refs));
	f.links = calloc(n, sizeof(*f.links));
	f.subdirs = calloc(n, sizeof(*f.subdirs));
	f.listed_in = calloc(n, sizeof(*f.listed_in));
	f.bad = calloc(n, 1);
	f.queue = calloc(n, sizeof(*f.queue));
	f.queued = calloc(n, 1);
	if (!f.refs || !f.links || !f.subdirs || !f.listed_in || !f.bad ||
	    !f.queue || !f.queued) {
		err = -ENOMEM;
		goto out;
	}
	fsck_inodes(&f);
	fsck_links(&f);
	fsck_refcounts(&f);
	fsck_preg(&f);
	fsck_orphans(&f);
	if (f.st->broken) {
		say(&f, true, "repair failed: the journal overflowed");
		err = -EIO;
	}
out:
	free(f.refs);
	free(f.links);
	free(f.subdirs);
	free(f.listed_in);
	free(f.bad);
	free(f.queue);
	free(f.queued);
	store_close(&f.st);
	return err ? err : f.problems;
}
