/* SPDX-License-Identifier: MIT */
/*
 * ioc.c - leases and pins: the ioctls that create and end them.
 * Listings (breaks, pins, extents) and sync are in list.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pin_impl.h"

bool pin_reserved_zero(const uint64_t *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (r[i])
			return false;
	return true;
}

static bool valid_signo(uint32_t signo)
{
	return signo == 0 || (signo < (uint32_t)SIGRTMAX + 1 &&
			      signo != SIGKILL && signo != SIGSTOP);
}

/* Set (or replace) the lease of file handle FH on inode IN for holder H.
 * Consumes one reference each on IN and H. */
static int lease_set_locked(struct pin_table *pt, struct pin_inode *in,
			    struct pin_holder *h, uint64_t fh, uint32_t type,
			    uint64_t off, uint64_t len, uint32_t signo,
			    uint32_t lflags)
{
	struct pin_file *f = pin_file_find_locked(pt, fh);

	if (f && f->ino != in->ino) {
		pin_inode_put_locked(pt, in);
		pin_holder_put_locked(pt, h);
		return -EINVAL;
	}
	if (f)
		pin_lease_drop_locked(pt, f);
	f = calloc(1, sizeof(*f));
	if (!f) {
		pin_inode_put_locked(pt, in);
		pin_holder_put_locked(pt, h);
		return -ENOMEM;
	}
	f->node.start = f->node.last = fh;
	f->fh = fh;
	f->ino = in->ino;
	f->inode = in;
	f->holder = h;
	f->type = type;
	f->signo = signo ? signo : SIGIO;
	f->lflags = lflags;
	f->off = off;
	f->len = len;
	f->lease.kind = PIN_KIND_LEASE;
	f->lease.node.start = off;
	f->lease.node.last = len ? off + len - 1 : UINT64_MAX;
	itree_insert(&pt->files, &f->node);
	itree_insert(&in->ranges, &f->lease.node);
	pin_trace_emit(pt->trace, PIN_TR_LEASE, 0, in->ino, off, len, h->pid,
		       type);
	return 0;
}

int pin_ioc_setlease(struct pin_table *pt, const struct pin_caller *c,
		     uint64_t ino, uint64_t fh, const struct pinfs_lease *in)
{
	struct store_attr attr;
	struct pin_holder *h;
	struct pin_inode *node;
	struct pin_file *f;
	int rc;

	if (in->abi_version != PINFS_ABI_VERSION || in->flags ||
	    !pin_reserved_zero(in->reserved, 4) || fh == 0 ||
	    in->type > PINFS_LEASE_UNBREAKABLE || !valid_signo(in->signo) ||
	    in->off % PIN_BLOCK || in->len % PIN_BLOCK ||
	    in->off + in->len < in->off || in->off + in->len > INT64_MAX)
		return -EINVAL;
	if (in->type == PINFS_LEASE_NONE) {
		pthread_mutex_lock(&pt->lock);
		f = pin_file_find_locked(pt, fh);
		if (f)
			pin_lease_drop_locked(pt, f);
		pthread_mutex_unlock(&pt->lock);
		return 0;
	}
	rc = store_getattr(pt->st, ino, &attr);
	if (rc)
		return rc;
	if (!S_ISREG(attr.mode))
		return -EINVAL;
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	node = pin_inode_grab(pt, ino);
	if (!node) {
		pin_holder_put_locked(pt, h);
		pthread_mutex_unlock(&pt->lock);
		return -ENOMEM;
	}
	rc = lease_set_locked(pt, node, h, fh, in->type, in->off, in->len,
			      in->signo, 0);
	pthread_mutex_unlock(&pt->lock);
	return rc;
}

int pin_ioc_getlease(struct pin_table *pt, const struct pin_caller *c,
		     uint64_t ino, uint64_t fh, struct pinfs_lease *io)
{
	struct pin_file *f;

	/* Everything but abi_version is out: it must come in as zeros. */
	if (io->abi_version != PINFS_ABI_VERSION || io->type || io->off ||
	    io->len || io->signo || io->flags ||
	    !pin_reserved_zero(io->reserved, 4))
		return -EINVAL;
	memset(io, 0, sizeof(*io));
	io->abi_version = PINFS_ABI_VERSION;
	pthread_mutex_lock(&pt->lock);
	f = pin_file_find_locked(pt, fh);
	if (f && f->ino == ino) {
		io->type = f->type;
		io->off = f->off;
		io->len = f->len;
		io->signo = f->signo;
		io->flags = f->lflags;
	}
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

/* Bytes [a, b) of INO need blocks of their own: write zeros over holes
 * and unwritten extents, and (write pins) rewrite shared extents so that
 * copy-on-write makes them exclusive. */
static int rewrite(struct pin_table *pt, uint64_t ino, uint64_t a,
		   uint64_t b, bool copy)
{
	size_t chunk = 1u << 20, n;
	char *buf = calloc(1, chunk);
	ssize_t r;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (a < b && !rc) {
		struct store_attr attr;

		/* Never extend the file: a truncate may have run since the
		 * range was checked (it then also fails the pin's gen check).
		 * A store call that fills without extending would close the
		 * remaining window between this check and the write. */
		rc = store_getattr(pt->st, ino, &attr);
		if (rc || a >= attr.size)
			break;
		if (b > attr.size)
			b = attr.size;
		n = b - a < chunk ? (size_t)(b - a) : chunk;
		if (copy) {
			r = store_read(pt->st, ino, buf, n, a);
			if (r < 0) {
				rc = (int)r;
				break;
			}
		}
		r = store_write(pt->st, ino, buf, n, a);
		if (r < 0)
			rc = (int)r;
		else if ((size_t)r != n)
			rc = -EIO;
		a += n;
	}
	free(buf);
	return rc;
}

/* Make every byte of [off, end) of INO backed by written, exclusive
 * (for write pins) blocks. */
static int prepare_range(struct pin_table *pt, uint64_t ino, uint64_t off,
			 uint64_t end, bool write)
{
	struct store_extent e[64];
	uint64_t pos = off, total = 0;
	int n, i, rc;

	while (pos < end) {
		n = store_extents(pt->st, ino, pos, end - pos, 0, e, 64,
				  &total);
		if (n < 0)
			return n;
		for (i = 0; i < n && pos < end; i++) {
			uint64_t es = e[i].file_off, ee = es + e[i].len;
			bool shared = (e[i].flags & STORE_EXT_SHARED) != 0;
			bool again = (e[i].flags & STORE_EXT_UNWRITTEN) ||
				     (write && shared);

			if (es > pos) { /* a hole */
				rc = rewrite(pt, ino, pos, es < end ? es : end,
					     false);
				if (rc)
					return rc;
			}
			if (again) {
				rc = rewrite(pt, ino, es > pos ? es : pos,
					     ee < end ? ee : end, shared);
				if (rc)
					return rc;
			}
			pos = ee > pos ? ee : pos;
		}
		if (n == 0 || (uint64_t)n >= total) {
			if (pos < end) /* a hole to the end */
				return rewrite(pt, ino, pos, end, false);
			break;
		}
	}
	return 0;
}

/* Read the extents of P's range into p->ext, clipped to the range; they
 * must cover it without gaps. */
static int load_extents(struct pin_table *pt, struct pin *p)
{
	struct store_extent *se;
	uint64_t total = 0, pos = p->off, end = p->off + p->len;
	int n, i;

	n = store_extents(pt->st, p->ino, p->off, p->len, 0, NULL, 0, &total);
	if (n < 0)
		return n;
	if (total == 0)
		return -EAGAIN; /* punched since prepare_range: try again */
	if (total > UINT32_MAX)
		return -EFBIG;
	se = calloc(total, sizeof(*se));
	p->ext = calloc(total, sizeof(*p->ext));
	if (!se || !p->ext) {
		free(se);
		return -ENOMEM;
	}
	n = store_extents(pt->st, p->ino, p->off, p->len, 0, se,
			  (uint32_t)total, NULL);
	if (n < 0 || (uint64_t)n != total) {
		free(se);
		return n < 0 ? n : -EAGAIN;
	}
	for (i = 0; i < n; i++) {
		uint64_t es = se[i].file_off, ee = es + se[i].len;
		uint64_t a = es > p->off ? es : p->off, b = ee < end ? ee : end;
		struct pinfs_extent *x = &p->ext[i];

		if (a != pos || (se[i].flags & STORE_EXT_UNWRITTEN)) {
			free(se);
			return -EAGAIN; /* changed under us: try again */
		}
		x->file_off = a;
		x->region_off = se[i].region_off + (a - es);
		x->len = b - a;
		x->flags = PINFS_EXT_PINNED;
		if (se[i].flags & STORE_EXT_SHARED)
			x->flags |= PINFS_EXT_SHARED;
		x->refcount = se[i].refcount;
		pos = b;
	}
	free(se);
	if (pos < end)
		return -EAGAIN;
	p->next = (uint32_t)n;
	return 0;
}

void pin_fill_reply(struct pin *p, struct pinfs_pin *io)
{
	uint32_t n = p->next < PINFS_EXTENTS_MAX ? p->next : PINFS_EXTENTS_MAX;

	io->flags = p->flags;
	io->off = p->off;
	io->len = p->len;
	io->pin_id = p->id;
	io->total = p->next;
	io->count = n;
	io->state = p->state;
	if (n)
		memcpy(io->ext, p->ext, n * sizeof(io->ext[0]));
	/* ext[n..] is not written: a reply carries only the COUNT entries
	 * (fusefs/ops_ioctl.c reply_size) */
}

static bool waiter_overlaps_locked(struct pin_table *pt, uint64_t ino,
				   uint64_t first, uint64_t last);

/*
 * Under the lock: the policy's word, the lease, conflicts, limits; then
 * P enters every index as PREPARING (it conflicts with nothing yet).
 */
static int admit_locked(struct pin_table *pt, struct pin *p, uint64_t *gen)
{
	struct pinfs_policy_pin desc;
	struct pin_policy *pol;
	struct pin_holder *h = p->holder;
	uint64_t last = p->off + p->len - 1;
	int verdict, rc;

	pol = pin_policy_of_locked(pt, p->inode);
	pin_policy_desc(pt, p, &desc);
	verdict = pol->ops->on_pin ? pol->ops->on_pin(pol->state, &desc)
				   : PINFS_PIN_ALLOW;
	if (verdict == PINFS_PIN_REFUSE) {
		rc = -EPERM;
		goto err_inode;
	}
	if (pin_range_breaking_locked(pt, p->inode, p->off, last) ||
	    waiter_overlaps_locked(pt, p->ino, p->off, last)) {
		rc = -EAGAIN;
		goto err_inode;
	}
	if ((pt->opt.max_pin_bytes_holder &&
	     h->pinned_bytes + p->len > pt->opt.max_pin_bytes_holder)) {
		rc = -EDQUOT;
		goto err_inode;
	}
	if (pt->opt.max_pin_bytes_mount &&
	    pt->pinned_bytes + p->len > pt->opt.max_pin_bytes_mount) {
		rc = -ENOSPC;
		goto err_inode;
	}
	rc = pin_slot_alloc_locked(pt, &p->slot);
	if (rc)
		goto err_inode;
	if (verdict == PINFS_PIN_IMPLICIT_LEASE) {
		/* A whole-file lease; one the file has already is widened,
		 * keeping its type and signal. */
		struct pin_file *f = pin_file_find_locked(pt, p->fh);
		bool keep = f && f->holder == h && f->ino == p->ino;

		p->inode->refs++;
		h->refs++;
		rc = lease_set_locked(pt, p->inode, h, p->fh,
				      keep ? f->type : PINFS_LEASE_BREAKABLE,
				      0, 0, keep ? f->signo : 0,
				      PINFS_LEASE_IMPLICIT);
		if (rc) {
			pt->slots[p->slot] = 0;
			p->slot = UINT32_MAX;
			goto err_inode;
		}
		p->flags |= PINFS_PIN_IMPLICIT;
	}
	p->id = pt->next_id++;
	p->idnode.start = p->idnode.last = p->id;
	p->r.kind = PIN_KIND_PIN;
	p->r.node.start = p->off;
	p->r.node.last = last;
	p->state = PIN_ST_PREPARING;
	itree_insert(&pt->pins, &p->idnode);
	itree_insert(&p->inode->ranges, &p->r.node);
	p->fhnode.start = p->fhnode.last = p->fh; /* p->fh != 0 */
	itree_insert(&pt->byfh, &p->fhnode);
	pin_list_add(&h->pins, &p->hlink);
	h->pinned_bytes += p->len;
	pt->pinned_bytes += p->len;
	*gen = p->inode->gen;
	return 0;

err_inode:
	pin_inode_put_locked(pt, p->inode);
	p->inode = NULL;
	return rc;
}

static int check_wait(void *arg, struct itree_node *n)
{
	struct pin_waiter *w = itree_entry(n, struct pin_waiter, node);
	const uint64_t *q = arg; /* ino, first, last */

	return w->ino == q[0] && w->off <= q[2] &&
	       w->off + w->len - 1 >= q[1];
}

static bool waiter_overlaps_locked(struct pin_table *pt, uint64_t ino,
				   uint64_t first, uint64_t last)
{
	uint64_t q[3] = { ino, first, last };

	return itree_overlaps(&pt->waiters, 0, UINT64_MAX, check_wait, q) != 0;
}

int pin_ioc_pin(struct pin_table *pt, const struct pin_caller *c,
		uint64_t ino, uint64_t fh, struct pinfs_pin *io)
{
	struct store_attr attr;
	struct pin_holder *h;
	struct pin *p;
	uint64_t gen, end, data_end;
	int rc, tries;

	if (io->abi_version != PINFS_ABI_VERSION ||
	    (io->flags & ~PINFS_PIN_IN_FLAGS) || !pin_reserved_zero(io->reserved, 2) ||
	    io->pin_id || fh == 0 || io->len == 0 || io->off % PIN_BLOCK ||
	    io->len % PIN_BLOCK || io->off + io->len < io->off ||
	    io->off + io->len > INT64_MAX)
		return -EINVAL;
	if ((io->flags & PINFS_PIN_WRITE) && !(c->flags & PIN_CALLER_MAY_WRITE))
		return -EACCES;
	rc = store_getattr(pt->st, ino, &attr);
	if (rc)
		return rc;
	if (!S_ISREG(attr.mode))
		return -EINVAL;
	end = io->off + io->len;
	if (end > ((attr.size + PIN_BLOCK - 1) & ~(PIN_BLOCK - 1)))
		return -ENXIO; /* past the end of the file */
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto err_holder;
	}
	p->ino = ino;
	p->off = io->off;
	p->len = io->len;
	p->fh = fh;
	p->flags = io->flags & PINFS_PIN_IN_FLAGS;
	p->holder = h;
	p->slot = UINT32_MAX;
	p->created_ns = pin_now_ns();
	pin_list_init(&p->hlink);
	p->inode = pin_inode_grab(pt, ino); /* takes the lock */
	rc = p->inode ? admit_locked(pt, p, &gen) : -ENOMEM;
	pthread_mutex_unlock(&pt->lock);
	if (rc)
		goto err_pin;

	/* Outside the lock: the store may pass the gate (CoW) here. */
	data_end = end < attr.size ? end : attr.size;
	rc = store_iget(pt->st, ino);
	p->have_iref = rc == 0;
	/* A change the gate let by meanwhile (this pin does not conflict
	 * yet) can punch the range again: a few tries, then EAGAIN. */
	for (tries = 0; !rc && tries < 4; tries++) {
		pthread_mutex_lock(&pt->lock);
		gen = p->inode->gen;
		pthread_mutex_unlock(&pt->lock);
		rc = store_getattr(pt->st, ino, &attr);
		if (rc)
			break;
		if (end > ((attr.size + PIN_BLOCK - 1) & ~(PIN_BLOCK - 1))) {
			rc = -EAGAIN; /* shrunk meanwhile */
			break;
		}
		data_end = end < attr.size ? end : attr.size;
		rc = prepare_range(pt, ino, p->off, data_end,
				   (p->flags & PINFS_PIN_WRITE) != 0);
		if (!rc)
			rc = load_extents(pt, p);
		if (rc != -EAGAIN)
			break;
		free(p->ext);
		p->ext = NULL;
		rc = 0;
	}
	if (!rc && !p->ext)
		rc = -EAGAIN;
	if (!rc)
		rc = pin_registry_hold(pt, p); /* record + holds: one tx */
	pthread_mutex_lock(&pt->lock);
	if (!rc && p->inode->gen != gen)
		rc = -EAGAIN; /* a layout change slipped in: undo, retry */
	if (!rc && h->exited)
		rc = -ESRCH; /* the holder died meanwhile */
	if (rc) {
		pin_end_locked(pt, p);
		pthread_mutex_unlock(&pt->lock);
		pin_finish(pt, p); /* drops the holder reference too */
		return rc;
	}
	p->state = PINFS_STATE_ACTIVE;
	p->was_live = true;
	if (pin_is_leased_locked(pt, p))
		p->flags |= PINFS_PIN_LEASED;
	pin_fill_reply(p, io);
	pthread_mutex_unlock(&pt->lock);
	pin_trace_emit(pt->trace, PIN_TR_PIN, p->id, ino, p->off, p->len,
		       h->pid, p->flags);
	return 0;

err_pin:
	free(p);
err_holder:
	pthread_mutex_lock(&pt->lock);
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	return rc;
}

int pin_ioc_unpin(struct pin_table *pt, const struct pin_caller *c,
		  const struct pinfs_unpin *in)
{
	struct pin_holder *h;
	struct pin *p;
	int rc;

	if (in->abi_version != PINFS_ABI_VERSION || in->flags ||
	    !pin_reserved_zero(in->reserved, 2) || in->pin_id == 0)
		return -EINVAL;
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	pthread_mutex_lock(&pt->lock);
	p = pin_find_locked(pt, in->pin_id);
	if (!p || p->state == PIN_ST_PREPARING)
		rc = -ENOENT;
	else if (p->holder != h)
		rc = -EPERM;
	if (rc) {
		pin_holder_put_locked(pt, h);
		pthread_mutex_unlock(&pt->lock);
		return rc;
	}
	pin_trace_emit(pt->trace, PIN_TR_ACK, p->id, p->ino, p->off, p->len,
		       h->pid, p->state);
	pin_end_locked(pt, p);
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	pin_finish(pt, p);
	return 0;
}

int pin_ioc_attach(struct pin_table *pt, const struct pin_caller *c,
		   uint64_t ino, uint64_t fh, struct pinfs_pin *io)
{
	struct pin_holder *h;
	struct pin *p;
	int rc;

	if (io->abi_version != PINFS_ABI_VERSION || io->flags ||
	    !pin_reserved_zero(io->reserved, 2) || io->pin_id == 0 || fh == 0)
		return -EINVAL;
	rc = pin_holder_resolve(pt, c, &h);
	if (rc)
		return rc;
	pthread_mutex_lock(&pt->lock);
	p = pin_find_locked(pt, io->pin_id);
	if (!p || p->state == PIN_ST_PREPARING)
		rc = -ENOENT;
	else if (p->holder != h)
		rc = -EPERM; /* another process, or the pid was reused */
	else if (p->ino != ino)
		rc = -EINVAL;
	if (!rc) {
		pin_fh_set_locked(pt, p, fh);
		p->flags &= ~(uint32_t)(PINFS_PIN_RECOVERED | PINFS_PIN_LEASED);
		if (pin_is_leased_locked(pt, p))
			p->flags |= PINFS_PIN_LEASED;
		pin_fill_reply(p, io);
		pin_trace_emit(pt->trace, PIN_TR_ATTACH, p->id, p->ino, p->off,
			       p->len, h->pid, p->state);
	}
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	return rc;
}

/* For registry.c: extents of a recovered pin (no lock held). */
int pin_load_extents(struct pin_table *pt, struct pin *p)
{
	return load_extents(pt, p);
}
