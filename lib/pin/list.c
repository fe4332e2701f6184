/* SPDX-License-Identifier: MIT */
/*
 * list.c - what the pin table tells: pending breaks of a holder, the
 * listing of every pin, a pin's extents, poll state; and sync.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "pin_impl.h"

static bool has_break(const struct pin *p)
{
	return p->state == PINFS_STATE_BREAKING ||
	       p->state == PINFS_STATE_REVOKED ||
	       p->state == PINFS_STATE_QUARANTINED;
}

int pin_ioc_breaks(struct pin_table *pt, const struct pin_caller *c,
		   struct pinfs_breaks *io)
{
	struct pin_holder *h;
	struct pin_list *l;
	uint64_t first = io->first, idx = 0;
	uint32_t n = 0;
	int rc;

	if (io->abi_version != PINFS_ABI_VERSION || io->flags || io->pad ||
	    !pin_reserved_zero(io->reserved, 2))
		return -EINVAL;
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	memset(io, 0, sizeof(*io));
	io->abi_version = PINFS_ABI_VERSION;
	pthread_mutex_lock(&pt->lock);
	for (l = h->pins.next; l != &h->pins; l = l->next) {
		struct pin *p = itree_entry(l, struct pin, hlink);
		struct pinfs_break_rec *r;

		if (!has_break(p))
			continue;
		if (idx++ < first || n == PINFS_BREAKS_MAX)
			continue;
		r = &io->rec[n++];
		r->pin_id = p->id;
		r->ino = p->ino;
		r->off = p->brk_off;
		r->len = p->brk_len;
		r->deadline_ns = p->state == PINFS_STATE_BREAKING ?
					 p->deadline_ns : 0;
		r->reason = p->brk_reason;
		r->state = p->state;
		r->signo = p->brk_signo;
	}
	io->total = idx;
	io->count = n;
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

int pin_ioc_sync(struct pin_table *pt, const struct pin_caller *c,
		 const struct pinfs_sync *in, uint64_t *ino, uint64_t *off,
		 uint64_t *len)
{
	struct pin_holder *h;
	struct pin *p;
	uint64_t a, b;
	pid_t pid;
	int rc;

	if (in->abi_version != PINFS_ABI_VERSION || in->flags ||
	    !pin_reserved_zero(in->reserved, 2) || in->pin_id == 0 ||
	    in->off + in->len < in->off || (in->len == 0 && in->off))
		return -EINVAL;
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	pthread_mutex_lock(&pt->lock);
	p = pin_find_locked(pt, in->pin_id);
	if (!p || p->state == PIN_ST_PREPARING) {
		rc = -ENOENT;
	} else if (p->holder != h) {
		rc = -EPERM;
	} else if (!(p->flags & PINFS_PIN_WRITE)) {
		rc = -EINVAL; /* a read pin wrote nothing */
	} else {
		a = in->len ? in->off : p->off;
		b = in->len ? in->off + in->len : p->off + p->len;
		if (a < p->off || b > p->off + p->len)
			rc = -EINVAL;
		*ino = p->ino;
		*off = a;
		*len = b - a;
	}
	pid = h->pid;
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	if (rc)
		return rc;
	/* The bytes are in the region already; make them durable. */
	rc = store_fsync(pt->st, *ino, true);
	pin_trace_emit(pt->trace, PIN_TR_SYNC, in->pin_id, *ino, *off, *len,
		       pid, rc);
	return rc;
}

struct pins_walk {
	struct pinfs_pins *io;
	uint64_t now, first, idx;
};

static int list_one(void *arg, struct itree_node *n)
{
	struct pins_walk *w = arg;
	struct pin *p = itree_entry(n, struct pin, idnode);
	struct pinfs_pin_entry *e;

	if (p->state == PIN_ST_PREPARING)
		return 0;
	if (w->idx++ < w->first)
		return 0;
	if (w->io->count == PINFS_PINS_MAX)
		return 1;
	e = &w->io->pin[w->io->count++];
	e->pin_id = p->id;
	e->ino = p->ino;
	e->off = p->off;
	e->len = p->len;
	e->age_ns = w->now - p->created_ns;
	e->deadline_ns = p->state == PINFS_STATE_BREAKING ? p->deadline_ns
			 : p->state == PINFS_STATE_REVOKED && !p->killed
				 ? p->kill_ns
				 : 0;
	e->pid = (uint32_t)p->holder->pid;
	e->uid = p->holder->uid;
	e->flags = p->flags;
	e->state = p->state;
	e->reason = p->brk_reason;
	memcpy(e->comm, p->holder->comm, PINFS_COMM_LEN);
	e->comm[PINFS_COMM_LEN - 1] = '\0';
	return 0;
}

int pin_ioc_pins(struct pin_table *pt, const struct pin_caller *c,
		 struct pinfs_pins *io)
{
	struct pins_walk w = { .io = io, .first = io->first };

	if (io->abi_version != PINFS_ABI_VERSION || io->flags || io->pad ||
	    !pin_reserved_zero(io->reserved, 2))
		return -EINVAL;
	memset(io, 0, sizeof(*io));
	io->abi_version = PINFS_ABI_VERSION;
	w.now = pin_now_ns();
	pthread_mutex_lock(&pt->lock);
	io->total = pt->pins.count;
	itree_overlaps(&pt->pins, 0, UINT64_MAX, list_one, &w);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

int pin_ioc_extents(struct pin_table *pt, const struct pin_caller *c,
		    struct pinfs_extents *io)
{
	uint64_t first = io->first, last, idx = 0;
	struct pin *p;
	uint32_t i, n = 0;
	int rc = 0;

	if (io->abi_version != PINFS_ABI_VERSION || io->flags || io->pad ||
	    !pin_reserved_zero(io->reserved, 2) || io->pin_id == 0 ||
	    io->off > INT64_MAX ||
	    (io->len && io->len > (uint64_t)INT64_MAX - io->off))
		return -EINVAL;
	last = io->len ? io->off + io->len - 1 : UINT64_MAX;
	pthread_mutex_lock(&pt->lock);
	p = pin_find_locked(pt, io->pin_id);
	if (!p || p->state == PIN_ST_PREPARING) {
		rc = -ENOENT;
		goto out;
	}
	for (i = 0; i < p->next; i++) {
		const struct pinfs_extent *x = &p->ext[i];

		if (x->file_off > last || x->file_off + x->len - 1 < io->off)
			continue;
		if (idx++ < first || n == PINFS_EXTENTS_MAX)
			continue;
		io->ext[n++] = *x;
	}
	io->total = idx;
	io->count = n;
out:
	pthread_mutex_unlock(&pt->lock);
	return rc;
}

static int fh_has_break(void *arg, struct itree_node *n)
{
	return has_break(itree_entry(n, struct pin, fhnode));
}

uint32_t pin_file_poll(struct pin_table *pt, uint64_t fh)
{
	uint32_t ev = 0;

	if (!fh)
		return 0;
	pthread_mutex_lock(&pt->lock);
	/* The pins taken (or re-attached) through FH, leased or not. */
	if (itree_overlaps(&pt->byfh, fh, fh, fh_has_break, NULL))
		ev = POLLPRI;
	pthread_mutex_unlock(&pt->lock);
	return ev;
}

int pin_holder_of(struct pin_table *pt, uint64_t pin_id, pid_t *pid,
		  uid_t *uid, bool *write)
{
	struct pin *p;
	int rc = -ENOENT;

	if (!pt || !pin_id)
		return -ENOENT;
	pthread_mutex_lock(&pt->lock);
	p = pin_find_locked(pt, pin_id);
	if (p && p->state != PIN_ST_PREPARING && p->state != PIN_ST_ENDED) {
		if (pid)
			*pid = p->holder->pid;
		if (uid)
			*uid = (uid_t)p->holder->uid;
		if (write)
			*write = (p->flags & PINFS_PIN_WRITE) != 0;
		rc = 0;
	}
	pthread_mutex_unlock(&pt->lock);
	return rc;
}

static int is_pin(void *arg, struct itree_node *n)
{
	struct pin_range *r = itree_entry(n, struct pin_range, node);

	return r->kind == PIN_KIND_PIN &&
	       ((struct pin *)r)->state != PIN_ST_PREPARING;
}

bool pin_range_pinned(struct pin_table *pt, uint64_t ino, uint64_t off,
		      uint64_t len)
{
	struct itree_node *n;
	uint64_t last;
	bool r = false;

	if (len == 0)
		return false;
	last = off + len - 1 < off ? UINT64_MAX : off + len - 1;
	pthread_mutex_lock(&pt->lock);
	n = itree_find_point(&pt->inodes, ino);
	if (n)
		r = itree_overlaps(&itree_entry(n, struct pin_inode, node)->ranges,
				   off, last, is_pin, NULL) != 0;
	pthread_mutex_unlock(&pt->lock);
	return r;
}
