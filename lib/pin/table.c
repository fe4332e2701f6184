/* SPDX-License-Identifier: MIT */
/*
 * table.c - the pin table: creation, holders, inodes, open files with
 * leases, and the end of a pin.  See pin.h and pin_impl.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "pin_impl.h"

uint64_t pin_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pin_options_init(struct pin_options *o)
{
	memset(o, 0, sizeof(*o));
	o->lease_break_ms = 45000;
	o->kill_grace_ms = 10000;
}

int pin_table_new(struct store *st, const struct pin_options *o,
		  struct pin_table **out, const char **why)
{
	struct pin_table *pt;
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!st || !o || !out)
		return -EINVAL;
	if (o->lease_break_ms == 0 || o->lease_break_ms > 86400000ull ||
	    o->kill_grace_ms > 86400000ull || (o->flags & ~PIN_OPT_DENY_EBUSY)) {
		*why = "lease_break_time must be 1..86400000 ms, kill_grace "
		       "0..86400000 ms";
		return -EINVAL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pthread_mutex_init(&pt->lock, NULL);
	pt->st = st;
	pt->opt = *o;
	pt->opt.policy = NULL; /* the spec is not kept */
	itree_init(&pt->inodes);
	itree_init(&pt->files);
	itree_init(&pt->holders);
	itree_init(&pt->pins);
	itree_init(&pt->waiters);
	itree_init(&pt->byfh);
	pt->next_id = 1;
	pt->next_wait = 1;
	pt->nslots = store_preg_slots(st);
	pt->slots = calloc(pt->nslots ? pt->nslots : 1, 1);
	if (!pt->slots) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = pin_registry_scan(pt);
	if (rc) {
		*why = "cannot read the pin registry";
		goto err_slots;
	}
	rc = pin_trace_new(&pt->trace);
	if (rc)
		goto err_slots;
	rc = pin_policy_setup(pt, o->policy, why);
	if (rc)
		goto err_trace;
	rc = pin_engine_start(pt);
	if (rc) {
		*why = "cannot start the revoke engine (io_uring)";
		goto err_policy;
	}
	store_set_gate(st, pin_gate, pt);
	*out = pt;
	return 0;

err_policy:
	pin_policy_teardown(pt);
err_trace:
	pin_trace_delete(&pt->trace);
err_slots:
	free(pt->slots);
err_free:
	pthread_mutex_destroy(&pt->lock);
	free(pt);
	return rc;
}

static int collect(void *arg, struct itree_node *n)
{
	struct itree_node ***pp = arg;

	*(*pp)++ = n;
	return 0;
}

/* Every node of T, in an array the caller frees (NULL when empty). */
static struct itree_node **all_nodes(struct itree *t)
{
	struct itree_node **v = calloc(t->count + 1, sizeof(*v)), **p = v;

	if (v)
		itree_overlaps(t, 0, UINT64_MAX, collect, &p);
	return v;
}

void pin_table_delete(struct pin_table **ptp)
{
	struct pin_table *pt = *ptp;
	struct itree_node **v;
	uint64_t i, n;

	if (!pt)
		return;
	store_set_gate(pt->st, NULL, NULL);
	pin_engine_stop(pt); /* waiters got -ESHUTDOWN, dead holders freed */
	/* Pins stay in the registry with their holds: nothing is released
	 * on media.  Only the memory goes. */
	n = pt->pins.count;
	v = all_nodes(&pt->pins);
	for (i = 0; v && i < n; i++) {
		struct pin *p = itree_entry(v[i], struct pin, idnode);

		free(p->ext);
		free(p);
	}
	free(v);
	n = pt->files.count;
	v = all_nodes(&pt->files);
	for (i = 0; v && i < n; i++)
		free(itree_entry(v[i], struct pin_file, node));
	free(v);
	n = pt->inodes.count;
	v = all_nodes(&pt->inodes);
	for (i = 0; v && i < n; i++)
		free(itree_entry(v[i], struct pin_inode, node));
	free(v);
	n = pt->holders.count;
	v = all_nodes(&pt->holders);
	for (i = 0; v && i < n; i++) {
		struct pin_holder *h = itree_entry(v[i], struct pin_holder,
						   node);
		if (h->pidfd >= 0)
			close(h->pidfd);
		free(h);
	}
	free(v);
	pin_policy_teardown(pt);
	pin_trace_delete(&pt->trace);
	free(pt->scratch);
	free(pt->slots);
	pthread_mutex_destroy(&pt->lock);
	free(pt);
	*ptp = NULL;
}

struct pin_trace *pin_table_trace(struct pin_table *pt)
{
	return pt->trace;
}

/* ---- holders ------------------------------------------------------------ */

static struct pin_holder *holder_find_locked(struct pin_table *pt, pid_t pid)
{
	struct itree_node *n = itree_find_point(&pt->holders, (uint64_t)pid);

	return n ? itree_entry(n, struct pin_holder, node) : NULL;
}

/*
 * The live holder PID/START, with a new reference; created (taking
 * ownership of PIDFD) when missing.  If one exists, PIDFD is closed.
 * A holder with the same pid but another start time is a dead one the
 * engine has not reaped yet: it leaves the tree.
 */
/* A new reference on H, which may be idle. */
static void holder_ref_locked(struct pin_table *pt, struct pin_holder *h)
{
	if (h->refs++ == 0 && h->in_tree)
		pt->nidle--;
}

void pin_holder_unlink_locked(struct pin_table *pt, struct pin_holder *h)
{
	if (!h->in_tree)
		return;
	itree_remove(&pt->holders, &h->node);
	h->in_tree = false;
	if (h->refs == 0) {
		pt->nidle--;
		/* dead now: the engine cancels its poll, then frees it */
		pin_watch_locked(pt, h);
	}
}

/*
 * The live holder PID/START, with a new reference; created (taking
 * ownership of PIDFD) when missing.  If one exists, PIDFD is closed.
 * A holder with the same pid but another start time is a dead one the
 * engine has not reaped yet: it leaves the tree.
 */
struct pin_holder *pin_holder_get_locked(struct pin_table *pt, pid_t pid,
					 uint64_t start, int pidfd,
					 uint32_t uid, const char *comm)
{
	struct pin_holder *h = holder_find_locked(pt, pid);

	if (h && h->start == start && !h->exited) {
		holder_ref_locked(pt, h);
		if (pidfd >= 0)
			close(pidfd);
		return h;
	}
	if (h)
		pin_holder_unlink_locked(pt, h);
	h = calloc(1, sizeof(*h));
	if (!h) {
		if (pidfd >= 0)
			close(pidfd);
		return NULL;
	}
	h->node.start = h->node.last = (uint64_t)pid;
	h->pid = pid;
	h->start = start;
	h->pidfd = pidfd;
	h->uid = uid;
	if (comm)
		memcpy(h->comm, comm, sizeof(h->comm));
	h->comm[sizeof(h->comm) - 1] = '\0';
	h->refs = 1;
	pin_list_init(&h->pins);
	itree_insert(&pt->holders, &h->node);
	h->in_tree = true;
	pin_watch_locked(pt, h);
	return h;
}

void pin_holder_put_locked(struct pin_table *pt, struct pin_holder *h)
{
	if (--h->refs)
		return;
	if (h->in_tree && !h->exited && pt->nidle < PIN_IDLE_HOLDERS) {
		pt->nidle++; /* idle: kept for the next call */
		return;
	}
	if (h->in_tree) {
		itree_remove(&pt->holders, &h->node);
		h->in_tree = false;
	}
	if (h->poll_armed || h->poll_queued) {
		pin_watch_locked(pt, h); /* the engine cancels, then frees */
		return;
	}
	if (h->pidfd >= 0)
		close(h->pidfd);
	free(h);
}

/*
 * The known holder PID with a new reference, if its process still runs:
 * its pidfd not being readable proves it, so PID cannot belong to another
 * process yet.  NULL otherwise.
 */
static struct pin_holder *holder_alive(struct pin_table *pt, pid_t pid)
{
	struct pin_holder *h;
	struct pollfd pfd;

	pthread_mutex_lock(&pt->lock);
	h = holder_find_locked(pt, pid);
	if (!h || h->exited) {
		pthread_mutex_unlock(&pt->lock);
		return NULL;
	}
	holder_ref_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	pfd = (struct pollfd){ .fd = h->pidfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) == 0)
		return h;
	pthread_mutex_lock(&pt->lock);
	pin_holder_put_locked(pt, h);
	pthread_mutex_unlock(&pt->lock);
	return NULL;
}

int pin_holder_resolve(struct pin_table *pt, const struct pin_caller *c,
		       struct pin_holder **out)
{
	struct pin_holder *h;
	uint64_t start;
	pid_t tgid;
	char comm[16] = "";
	int rc, fd;

	if (c->tid <= 0)
		return -EINVAL;
	/* Fast path: the main thread of a known holder calls again. */
	h = holder_alive(pt, c->tid);
	if (h) {
		*out = h;
		return 0;
	}
	rc = pin_ident_tgid(c->tid, &tgid);
	if (rc)
		return rc;
	/* Another thread of a known, live holder. */
	h = tgid != c->tid ? holder_alive(pt, tgid) : NULL;
	if (h) {
		*out = h;
		return 0;
	}
	rc = pin_ident_start_time(tgid, &start);
	if (rc)
		return rc;
	fd = pin_ident_pidfd(tgid, start);
	if (fd < 0)
		return fd;
	pin_ident_comm(tgid, comm);
	pthread_mutex_lock(&pt->lock);
	h = pin_holder_get_locked(pt, tgid, start, fd, c->uid, comm);
	pthread_mutex_unlock(&pt->lock);
	if (!h)
		return -ENOMEM;
	*out = h;
	return 0;
}

/* ---- inodes, files ------------------------------------------------------- */

struct pin_inode *pin_inode_get_locked(struct pin_table *pt, uint64_t ino,
				       struct pin_policy *pol)
{
	struct itree_node *n = itree_find_point(&pt->inodes, ino);
	struct pin_inode *in;

	if (n) {
		in = itree_entry(n, struct pin_inode, node);
		in->refs++;
		return in;
	}
	in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->node.start = in->node.last = ino;
	in->ino = ino;
	itree_init(&in->ranges);
	in->refs = 1;
	in->policy = pol;
	itree_insert(&pt->inodes, &in->node);
	return in;
}

void pin_inode_put_locked(struct pin_table *pt, struct pin_inode *in)
{
	if (--in->refs)
		return;
	itree_remove(&pt->inodes, &in->node);
	free(in);
}

struct pin *pin_find_locked(struct pin_table *pt, uint64_t id)
{
	struct itree_node *n = itree_find_point(&pt->pins, id);

	return n ? itree_entry(n, struct pin, idnode) : NULL;
}

struct pin_file *pin_file_find_locked(struct pin_table *pt, uint64_t fh)
{
	struct itree_node *n = itree_find_point(&pt->files, fh);

	return n ? itree_entry(n, struct pin_file, node) : NULL;
}

void pin_fh_set_locked(struct pin_table *pt, struct pin *p, uint64_t fh)
{
	if (p->fh)
		itree_remove(&pt->byfh, &p->fhnode);
	p->fh = fh;
	if (fh) {
		p->fhnode.start = p->fhnode.last = fh;
		itree_insert(&pt->byfh, &p->fhnode);
	}
}

static uint64_t range_last(uint64_t off, uint64_t len)
{
	return len == 0 ? UINT64_MAX : off + len - 1;
}

bool pin_is_leased_locked(struct pin_table *pt, const struct pin *p)
{
	struct pin_file *f;

	if (!p->fh)
		return false;
	f = pin_file_find_locked(pt, p->fh);
	return f && f->type != PINFS_LEASE_NONE && f->holder == p->holder &&
	       f->ino == p->ino && f->off <= p->off &&
	       range_last(f->off, f->len) >= p->off + p->len - 1;
}

bool pin_conflicts(const struct pin *p)
{
	return p->state == PINFS_STATE_ACTIVE ||
	       p->state == PINFS_STATE_BREAKING;
}

/* Drop F's lease and F itself (only files with a lease are kept). */
void pin_lease_drop_locked(struct pin_table *pt, struct pin_file *f)
{
	pin_trace_emit(pt->trace, PIN_TR_UNLEASE, 0, f->ino, f->off, f->len,
		       f->holder->pid, f->type);
	itree_remove(&f->inode->ranges, &f->lease.node);
	pin_inode_put_locked(pt, f->inode);
	pin_holder_put_locked(pt, f->holder);
	itree_remove(&pt->files, &f->node);
	free(f);
}

void pin_file_release(struct pin_table *pt, uint64_t fh)
{
	struct pin_file *f;
	struct itree_node *n;

	pthread_mutex_lock(&pt->lock);
	/* Its pins outlive it, leaseless: a later open that gets the same
	 * fh value must not pass for theirs (leased or not). */
	while ((n = itree_find_point(&pt->byfh, fh))) {
		struct pin *p = itree_entry(n, struct pin, fhnode);

		pin_fh_set_locked(pt, p, 0);
		p->flags &= ~(uint32_t)PINFS_PIN_LEASED;
	}
	f = pin_file_find_locked(pt, fh);
	if (f)
		pin_lease_drop_locked(pt, f);
	pthread_mutex_unlock(&pt->lock);
}

/* ---- the end of a pin ------------------------------------------------------- */

void pin_queue_work_locked(struct pin_table *pt, struct pin *p,
			   uint32_t pending)
{
	p->pending |= pending;
	if (!p->on_work) {
		p->on_work = true;
		p->next_work = pt->work;
		pt->work = p;
	}
}

/* Take P out of every index; the caller then calls pin_finish() with the
 * lock dropped. */
void pin_end_locked(struct pin_table *pt, struct pin *p)
{
	struct pin **pp;

	if (p->on_work) {
		for (pp = &pt->work; *pp; pp = &(*pp)->next_work) {
			if (*pp == p) {
				*pp = p->next_work;
				break;
			}
		}
		p->on_work = false;
	}
	itree_remove(&p->inode->ranges, &p->r.node);
	itree_remove(&pt->pins, &p->idnode);
	pin_fh_set_locked(pt, p, 0);
	pin_list_del(&p->hlink);
	p->holder->pinned_bytes -= p->len;
	pt->pinned_bytes -= p->len;
	p->state = PIN_ST_ENDED;
}

/*
 * Release what an ended pin owned on media: its registry record and its
 * holds in one store transaction (registry.c); then the inode reference.
 */
void pin_finish(struct pin_table *pt, struct pin *p)
{
	bool wake;

	pin_registry_release(pt, p->slot, p->id);
	if ((p->flags & PINFS_PIN_WRITE) && p->was_live && pt->opt.write_end)
		pt->opt.write_end(pt->opt.write_end_arg, p->ino, p->off, p->len);
	if (p->have_iref)
		store_iput(pt->st, p->ino, 1);
	pin_trace_emit(pt->trace, PIN_TR_RELEASE, p->id, p->ino, p->off,
		       p->len, p->holder->pid, 0);
	pthread_mutex_lock(&pt->lock);
	if (p->slot != UINT32_MAX)
		pt->slots[p->slot] = 0;
	pin_inode_put_locked(pt, p->inode);
	pin_holder_put_locked(pt, p->holder);
	wake = pt->waiters.count != 0;
	pthread_mutex_unlock(&pt->lock);
	/* Waiters this end frees go on from this thread (the unpin's, for
	 * an acknowledged break): no hop through the engine. */
	if (wake)
		pin_wake_waiters(pt);
	free(p->ext);
	free(p);
}

int pin_slot_alloc_locked(struct pin_table *pt, uint32_t *slot)
{
	uint32_t i, k;

	/* Next fit from the last slot taken: O(1) while slots are free. */
	for (k = 0; k < pt->nslots; k++) {
		i = (pt->slot_hint + k) % pt->nslots;
		if (!pt->slots[i]) {
			pt->slots[i] = 1;
			pt->slot_hint = i + 1;
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
}

void pin_fill_info(struct pin_table *pt, struct pinfs_info *info)
{
	pthread_mutex_lock(&pt->lock);
	info->max_pin_bytes_holder = pt->opt.max_pin_bytes_holder;
	info->max_pin_bytes_mount = pt->opt.max_pin_bytes_mount;
	info->pinned_bytes = pt->pinned_bytes;
	pthread_mutex_unlock(&pt->lock);
}
