/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the persistent pin registry and recovery at mount.
 *
 * Every live pin has one record in a slot of the store's pin registry.
 * The record and the holds of the pin's extents are written in ONE
 * journal transaction (store_pin_hold), and cleared in one
 * (store_pin_release), so after a crash at any instant a pin has both or
 * neither.  Only a pin with more holds than the journal fits spills them
 * over several transactions; then the record commits in the first on a
 * pin (a record with part of its holds: revived, or released whole at
 * the next mount) and is cleared in the first on an unpin (holds without
 * a record: released at the next mount).  A record without holds is
 * harmless.
 *
 * Record layout (STORE_PREG_RECORD_SIZE = 128 bytes, little-endian):
 *   0  magic "PINR" (0x524e4950 as le32)   4  version (le16) = 1
 *   6  size (le16) = 128                   8  crc32c of the record with
 *                                             this field zero (le32)
 *  12  pin flags (le32)                   16  pin id (le64)
 *  24  ino (le64)   32 off (le64)   40 len (le64)
 *  48  holder start time, clock ticks since boot (le64)
 *  56  holder pid (le32)   60 holder uid (le32)
 *  64  created, CLOCK_REALTIME ns (le64)
 *  72  comm (16 bytes, NUL-padded)
 *  88  reserved, zero (40 bytes)
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "ident.h"
#include "pin_impl.h"

#define PREG_MAGIC 0x524e4950u /* "PINR" */
#define PREG_VERSION 1u

struct preg_rec {
	uint32_t magic;
	uint16_t version, size;
	uint32_t crc;
	uint32_t flags;
	uint64_t pin_id, ino, off, len;
	uint64_t start;
	uint32_t pid, uid;
	uint64_t created;
	char comm[16];
	uint8_t reserved[40];
};
_Static_assert(sizeof(struct preg_rec) == STORE_PREG_RECORD_SIZE, "preg");
_Static_assert(offsetof(struct preg_rec, pin_id) == 16, "preg pin_id");
_Static_assert(offsetof(struct preg_rec, comm) == 72, "preg comm");

/* CRC-32C of N bytes (crc32c.h: the crc32 instruction or slice-by-8). */
static uint32_t rec_crc(const void *buf, size_t n)
{
	return crc32c(0, buf, n);
}

static void encode(const struct pin *p, struct preg_rec *r)
{
	struct timespec ts;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_REALTIME, &ts);
	r->magic = htole32(PREG_MAGIC);
	r->version = htole16(PREG_VERSION);
	r->size = htole16(sizeof(*r));
	r->flags = htole32(p->flags & PINFS_PIN_IN_FLAGS);
	r->pin_id = htole64(p->id);
	r->ino = htole64(p->ino);
	r->off = htole64(p->off);
	r->len = htole64(p->len);
	r->start = htole64(p->holder->start);
	r->pid = htole32((uint32_t)p->holder->pid);
	r->uid = htole32(p->holder->uid);
	r->created = htole64((uint64_t)ts.tv_sec * 1000000000ull +
			     (uint64_t)ts.tv_nsec);
	memcpy(r->comm, p->holder->comm, sizeof(r->comm));
	r->comm[15] = '\0';
	r->crc = htole32(rec_crc(r, sizeof(*r)));
}

/* Verify R in place (the record read back); -EUCLEAN when corrupt. */
static int verify(struct preg_rec *r)
{
	uint32_t crc = le32toh(r->crc);
	unsigned i;

	r->crc = 0;
	if (rec_crc(r, sizeof(*r)) != crc || le32toh(r->magic) != PREG_MAGIC ||
	    le16toh(r->version) != PREG_VERSION ||
	    le16toh(r->size) != sizeof(*r) || r->pin_id == 0 || r->len == 0 ||
	    (le32toh(r->flags) & ~PINFS_PIN_IN_FLAGS) ||
	    le64toh(r->off) + le64toh(r->len) < le64toh(r->off))
		return -EUCLEAN;
	for (i = 0; i < sizeof(r->reserved); i++)
		if (r->reserved[i])
			return -EUCLEAN;
	r->comm[15] = '\0';
	return 0;
}

int pin_registry_hold(struct pin_table *pt, const struct pin *p)
{
	struct store_hold_range one, *r = &one;
	struct preg_rec rec;
	uint32_t i;
	int rc;

	if (p->next > 1) {
		r = calloc(p->next, sizeof(*r));
		if (!r)
			return -ENOMEM;
	}
	/* each extent's blocks, rounded out to whole blocks */
	for (i = 0; i < p->next; i++) {
		uint64_t a = p->ext[i].region_off & ~(PIN_BLOCK - 1);
		uint64_t b = (p->ext[i].region_off + p->ext[i].len +
			      PIN_BLOCK - 1) & ~(PIN_BLOCK - 1);

		r[i].region_off = a;
		r[i].len = b - a;
	}
	encode(p, &rec);
	rc = store_pin_hold(pt->st, p->slot, &rec, p->id, r, p->next);
	if (r != &one)
		free(r);
	return rc;
}

int pin_registry_release(struct pin_table *pt, uint32_t slot,
			 uint64_t pin_id)
{
	return store_pin_release(pt->st, slot, pin_id);
}

/* ---- recovery ------------------------------------------------------------ */

struct idset {
	uint64_t *v;
	size_t n, cap;
};

static int idset_add(struct idset *s, uint64_t id)
{
	uint64_t *v;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		v = realloc(s->v, s->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
	}
	s->v[s->n++] = id;
	return 0;
}

static bool idset_has(const struct idset *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return true;
	return false;
}

struct hold_scan {
	struct idset *kept, stale;
	uint64_t max_id;
};

static int scan_hold(void *arg, uint64_t pin_id, uint64_t region_off,
		     uint64_t len)
{
	struct hold_scan *hs = arg;

	if (pin_id > hs->max_id)
		hs->max_id = pin_id;
	if (idset_has(hs->kept, pin_id) || idset_has(&hs->stale, pin_id))
		return 0;
	return idset_add(&hs->stale, pin_id);
}

/* Bring back the pin of record R (its holder lives: FD is its pidfd). */
static int revive(struct pin_table *pt, const struct preg_rec *r,
		  uint32_t slot, int fd)
{
	struct pin *p = calloc(1, sizeof(*p));

	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->id = le64toh(r->pin_id);
	p->ino = le64toh(r->ino);
	p->off = le64toh(r->off);
	p->len = le64toh(r->len);
	p->flags = le32toh(r->flags) | PINFS_PIN_RECOVERED;
	p->slot = slot;
	p->created_ns = pin_now_ns();
	pin_list_init(&p->hlink);
	p->have_iref = store_iget(pt->st, p->ino) == 0;
	if (pin_load_extents(pt, p)) {
		/* The file changed or went: the pin keeps its holds only. */
		free(p->ext);
		p->ext = NULL;
		p->next = 0;
	}
	p->inode = pin_inode_grab(pt, p->ino); /* takes the lock */
	p->holder = pin_holder_get_locked(pt, (pid_t)le32toh(r->pid),
					  le64toh(r->start), fd,
					  le32toh(r->uid), r->comm);
	if (!p->inode || !p->holder) {
		if (p->holder)
			pin_holder_put_locked(pt, p->holder);
		if (p->inode)
			pin_inode_put_locked(pt, p->inode);
		pthread_mutex_unlock(&pt->lock);
		if (p->have_iref)
			store_iput(pt->st, p->ino, 1);
		free(p->ext);
		free(p);
		return -ENOMEM;
	}
	p->idnode.start = p->idnode.last = p->id;
	p->r.kind = PIN_KIND_PIN;
	p->r.node.start = p->off;
	p->r.node.last = p->off + p->len - 1;
	p->state = PINFS_STATE_ACTIVE;
	p->was_live = true;
	itree_insert(&pt->pins, &p->idnode);
	itree_insert(&p->inode->ranges, &p->r.node);
	pin_list_add(&p->holder->pins, &p->hlink);
	p->holder->pinned_bytes += p->len;
	pt->pinned_bytes += p->len;
	pt->slots[slot] = 1;
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

static int max_hold_id(void *arg, uint64_t pin_id, uint64_t region_off,
		       uint64_t len)
{
	uint64_t *max = arg;

	if (pin_id > *max)
		*max = pin_id;
	return 0;
}

int pin_registry_scan(struct pin_table *pt)
{
	struct preg_rec r;
	uint64_t max = 0;
	uint32_t slot;
	int rc;

	for (slot = 0; slot < pt->nslots; slot++) {
		rc = store_preg_get(pt->st, slot, &r);
		if (rc == -ENOENT)
			continue;
		pt->slots[slot] = 1; /* until pin_recover says otherwise */
		if (rc == -EUCLEAN)
			continue; /* corrupt: pin_recover clears it */
		if (rc)
			return rc;
		if (le64toh(r.pin_id) > max)
			max = le64toh(r.pin_id);
	}
	rc = store_for_each_hold(pt->st, max_hold_id, &max);
	if (rc)
		return rc;
	pt->next_id = max + 1;
	return 0;
}

int pin_recover(struct pin_table *pt)
{
	struct idset kept = { 0 };
	struct hold_scan hs = { .kept = &kept };
	struct preg_rec r;
	uint64_t max_id = 0;
	uint32_t slot;
	size_t i;
	int rc, fd, nkept = 0;

	for (slot = 0; slot < pt->nslots; slot++) {
		rc = store_preg_get(pt->st, slot, &r);
		if (rc == -ENOENT)
			continue;
		if (rc && rc != -EUCLEAN)
			goto out;
		if (rc || verify(&r)) {
			/* Corrupt record: its holds (if any) are released
			 * below as holds without a record. */
			pin_trace_emit(pt->trace, PIN_TR_RECOVER, 0, 0, slot, 0,
				       0, -EUCLEAN);
			pin_registry_release(pt, slot, 0);
			pt->slots[slot] = 0;
			continue;
		}
		if (le64toh(r.pin_id) > max_id)
			max_id = le64toh(r.pin_id);
		fd = pin_ident_pidfd((pid_t)le32toh(r.pid), le64toh(r.start));
		pin_trace_emit(pt->trace, PIN_TR_RECOVER, le64toh(r.pin_id),
			       le64toh(r.ino), le64toh(r.off), le64toh(r.len),
			       (pid_t)le32toh(r.pid), fd >= 0);
		if (fd < 0) {
			/* The holder (pid and start time) is gone. */
			pin_registry_release(pt, slot, le64toh(r.pin_id));
			pthread_mutex_lock(&pt->lock);
			pt->slots[slot] = 0;
			pthread_mutex_unlock(&pt->lock);
			continue;
		}
		rc = revive(pt, &r, slot, fd);
		if (rc)
			goto out;
		rc = idset_add(&kept, le64toh(r.pin_id));
		if (rc)
			goto out;
		nkept++;
	}
	rc = store_for_each_hold(pt->st, scan_hold, &hs);
	if (rc)
		goto out;
	for (i = 0; i < hs.stale.n; i++) {
		rc = store_release_holds(pt->st, hs.stale.v[i]);
		if (rc)
			goto out;
	}
	pthread_mutex_lock(&pt->lock);
	if (hs.max_id > max_id)
		max_id = hs.max_id;
	if (max_id >= pt->next_id)
		pt->next_id = max_id + 1;
	pthread_mutex_unlock(&pt->lock);
	rc = store_reclaim_orphans(pt->st);
	if (rc)
		goto out;
	rc = nkept;
out:
	free(kept.v);
	free(hs.stale.v);
	return rc;
}
