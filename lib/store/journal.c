/* SPDX-License-Identifier: MIT */
/* journal.c - redo journal; the protocol is described in journal.h. */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "ondisk.h"

struct jrnl {
	struct region *rg;
	uint8_t *base;
	uint64_t off, len;    /* journal area in the region */
	uint64_t seq;
	uint8_t *buf;         /* records of the open transaction */
	uint64_t used, cap;
	uint32_t nrec;
	bool active, poisoned;
	bool page_gran;       /* persist = msync of whole pages */
	struct jrange *rng;   /* home ranges of a commit (jrnl_apply) */
	uint32_t nrng;
};

#define JREC_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)

static uint32_t jhdr_crc(const struct pfs_jhdr *h)
{
	return crc32c(0, h, offsetof(struct pfs_jhdr, hdr_crc));
}

static void jhdr_write(struct region *rg, struct pfs_jhdr *dst,
		       uint64_t seq, uint32_t state, uint32_t nrec,
		       uint64_t len, uint32_t rec_crc)
{
	struct pfs_jhdr h;

	memset(&h, 0, sizeof(h));
	h.magic = st64(PFS_JNL_MAGIC);
	h.seq = st64(seq);
	h.state = st32(state);
	h.nrec = st32(nrec);
	h.len = st64(len);
	h.rec_crc = st32(rec_crc);
	h.hdr_crc = st32(jhdr_crc(&h));
	memcpy(dst, &h, sizeof(h));
	region_persist(rg, dst, sizeof(h));
}

void jrnl_format(struct region *rg, uint64_t off, uint64_t len)
{
	(void)len;
	jhdr_write(rg, (void *)((uint8_t *)region_base(rg) + off), 1,
		   PFS_JNL_EMPTY, 0, 0, 0);
}

/* Walk the records of a committed transaction; 0 if all are sane. */
static int jrnl_verify_records(const uint8_t *rec, uint64_t len,
			       uint32_t nrec, uint64_t home_lo,
			       uint64_t rsize)
{
	uint64_t pos = 0;

	for (uint32_t i = 0; i < nrec; i++) {
		const struct pfs_jrec *r = (const void *)(rec + pos);
		uint64_t off, rlen;

		if (pos + sizeof(*r) > len)
			return -EUCLEAN;
		off = ld64(r->off);
		rlen = ld32(r->len);
		if (off < home_lo || off > rsize || rlen > rsize - off)
			return -EUCLEAN;
		pos += sizeof(*r) + JREC_ALIGN(rlen);
		if (pos > len)
			return -EUCLEAN;
	}
	return pos == len ? 0 : -EUCLEAN;
}

/*
 * Step 3: copy every record to its home, then persist the homes.  The
 * order of the home persists among themselves does not matter: all of
 * them happen after the commit point, and a crash before the last one
 * leaves the committed header, whose replay writes every home again.  So
 * the homes are sorted and each covering range is persisted once: on a
 * page-granular region (one msync per persist) homes in the same or in
 * adjacent pages share one call; on cache-line or byte granularity, homes
 * whose cache lines touch.  A pin's hold slot (taken from the top of the
 * hold table) and its registry slot (the lowest free one, the registry
 * follows the hold table) often sit in adjacent pages: one msync, not
 * two.  Without memory for the sort, each home is persisted on its own.
 */
#define JRNL_PAGE 4096u
#define JRNL_LINE 64u

struct jrange {
	uint64_t lo, hi;
};

static int jrange_cmp(const void *a, const void *b)
{
	const struct jrange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void jrnl_apply(struct jrnl *j, const uint8_t *rec, uint64_t len,
		       uint32_t nrec)
{
	uint64_t align = j->page_gran ? JRNL_PAGE : JRNL_LINE;
	uint64_t rsize = region_size(j->rg), pos = 0;
	uint32_t n = 0, i;
	bool merge = true;

	if (nrec > j->nrng) {
		struct jrange *r = realloc(j->rng, nrec * sizeof(*r));

		if (r) {
			j->rng = r;
			j->nrng = nrec;
		} else {
			merge = false;
		}
	}
	while (pos < len) {
		const struct pfs_jrec *r = (const void *)(rec + pos);
		uint64_t off = ld64(r->off), rlen = ld32(r->len);

		memcpy(j->base + off, rec + pos + sizeof(*r), rlen);
		if (!merge) {
			region_persist(j->rg, j->base + off, rlen);
		} else if (rlen && n < nrec) {
			uint64_t hi = (off + rlen + align - 1) & ~(align - 1);

			j->rng[n].lo = off & ~(align - 1);
			j->rng[n].hi = hi < rsize ? hi : rsize;
			n++;
		}
		pos += sizeof(*r) + JREC_ALIGN(rlen);
	}
	if (!merge || !n)
		return;
	qsort(j->rng, n, sizeof(*j->rng), jrange_cmp);
	for (i = 0; i < n;) {
		uint64_t lo = j->rng[i].lo, hi = j->rng[i].hi;

		for (i++; i < n && j->rng[i].lo <= hi; i++)
			if (j->rng[i].hi > hi)
				hi = j->rng[i].hi;
		region_persist(j->rg, j->base + lo, hi - lo);
	}
}

int jrnl_open(struct region *rg, uint64_t off, uint64_t len, uint64_t home_lo,
	      struct jrnl **out, bool *replayed, const char **why)
{
	uint8_t *base = region_base(rg);
	struct pfs_jhdr *h = (void *)(base + off);
	struct jrnl *j;
	uint64_t rlen;
	bool ro_shared;

	if (replayed)
		*replayed = false;
	if (ld64(h->magic) != PFS_JNL_MAGIC) {
		*why = "journal header has a bad magic number";
		return -EUCLEAN;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->rg = rg;
	j->base = base;
	j->off = off;
	j->len = len;
	j->cap = len - PFS_BLOCK;
	j->page_gran = strcmp(region_granularity(rg), "page") == 0;
	j->buf = malloc(j->cap);
	if (!j->buf) {
		free(j);
		return -ENOMEM;
	}
	j->seq = ld64(h->seq);
	rlen = ld64(h->len);
	/* A read-only open of a file region maps it privately, so a replay
	 * lands in private memory; a device-DAX region refuses private
	 * mappings and is mapped read-only (region_common.c): nothing may be
	 * written there, so a transaction to replay is refused, and a torn
	 * or stale header is left as it is. */
	ro_shared = region_is_readonly(rg) && region_is_devdax(rg);
	/* A header whose own CRC fails was torn while being written: its
	 * transaction never reached the commit point, so it is dropped. */
	if (ld32(h->hdr_crc) == jhdr_crc(h) &&
	    ld32(h->state) == PFS_JNL_COMMITTED) {
		const uint8_t *rec = base + off + PFS_BLOCK;

		if (rlen > j->cap ||
		    crc32c(0, rec, rlen) != ld32(h->rec_crc) ||
		    jrnl_verify_records(rec, rlen, ld32(h->nrec), home_lo,
					region_size(rg))) {
			*why = "committed journal transaction is corrupt";
			jrnl_close(&j);
			return -EUCLEAN;
		}
		if (ro_shared) {
			*why = "the journal holds a committed transaction, "
			       "which a read-only open of a device-DAX region "
			       "cannot replay (mount it read-write, or run "
			       "pinfs fsck --repair)";
			jrnl_close(&j);
			return -EROFS;
		}
		jrnl_apply(j, rec, rlen, ld32(h->nrec));
		if (replayed)
			*replayed = true;
		jhdr_write(rg, h, j->seq + 1, PFS_JNL_EMPTY, 0, 0, 0);
		j->seq++;
	} else if (!ro_shared && (ld32(h->hdr_crc) != jhdr_crc(h) ||
				  ld32(h->state) != PFS_JNL_EMPTY)) {
		jhdr_write(rg, h, j->seq + 1, PFS_JNL_EMPTY, 0, 0, 0);
		j->seq++;
	}
	*out = j;
	return 0;
}

void jrnl_close(struct jrnl **jp)
{
	if (!*jp)
		return;
	free((*jp)->buf);
	free((*jp)->rng);
	free(*jp);
	*jp = NULL;
}

void jrnl_begin(struct jrnl *j)
{
	j->used = 0;
	j->nrec = 0;
	j->active = true;
	j->poisoned = false;
}

int jrnl_put(struct jrnl *j, uint64_t off, const void *src, uint32_t len)
{
	uint64_t need = sizeof(struct pfs_jrec) + JREC_ALIGN(len);
	struct pfs_jrec r;

	if (j->used + need > j->cap) {
		j->poisoned = true;
		return -ENOSPC;
	}
	memset(&r, 0, sizeof(r));
	r.off = st64(off);
	r.len = st32(len);
	memcpy(j->buf + j->used, &r, sizeof(r));
	memcpy(j->buf + j->used + sizeof(r), src, len);
	memset(j->buf + j->used + sizeof(r) + len, 0, JREC_ALIGN(len) - len);
	j->used += need;
	j->nrec++;
	return 0;
}

uint64_t jrnl_room(const struct jrnl *j)
{
	return j->cap - j->used;
}

uint64_t jrnl_capacity(const struct jrnl *j)
{
	return j->cap;
}

int jrnl_commit(struct jrnl *j)
{
	struct pfs_jhdr *h = (void *)(j->base + j->off);
	uint8_t *area = j->base + j->off + PFS_BLOCK;

	j->active = false;
	if (j->poisoned)
		return -EIO;
	if (!j->nrec)
		return 0;
	/* 1. records, persist */
	region_memcpy_persist(j->rg, area, j->buf, j->used, 0);
	/* 2. header: the commit point */
	jhdr_write(j->rg, h, j->seq, PFS_JNL_COMMITTED, j->nrec, j->used,
		   crc32c(0, j->buf, j->used));
	/* 3. homes, persisted by covering range */
	jrnl_apply(j, j->buf, j->used, j->nrec);
	/* 4. empty again */
	j->seq++;
	jhdr_write(j->rg, h, j->seq, PFS_JNL_EMPTY, 0, 0, 0);
	return 0;
}

void jrnl_abort(struct jrnl *j)
{
	j->active = false;
	j->used = 0;
	j->nrec = 0;
}

bool jrnl_active(const struct jrnl *j)
{
	return j->active;
}

uint64_t jrnl_seq(const struct jrnl *j)
{
	return j->seq;
}

bool jrnl_is_clean(struct region *rg, uint64_t off, const char **why)
{
	const struct pfs_jhdr *h =
		(const void *)((uint8_t *)region_base(rg) + off);

	if (ld64(h->magic) != PFS_JNL_MAGIC) {
		*why = "journal header has a bad magic number";
		return false;
	}
	if (ld32(h->hdr_crc) != jhdr_crc(h)) {
		*why = "journal header checksum mismatch";
		return false;
	}
	if (ld32(h->state) != PFS_JNL_EMPTY) {
		*why = "journal holds a transaction that was not replayed";
		return false;
	}
	return true;
}
