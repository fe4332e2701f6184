/* SPDX-License-Identifier: MIT */
/*
 * revoke.c - the revoke engine: one thread running an io_uring loop.
 *
 * It waits, all in one io_uring_submit_and_wait(), for
 *  - an eventfd (POLL_ADD) that the gate, unpins, new holders and waiters
 *    write to wake it;
 *  - each holder's pidfd (POLL_ADD): readable when the holder exits;
 *  - the earliest deadline (IORING_OP_TIMEOUT, absolute CLOCK_MONOTONIC):
 *    a break's lease_break_time, or a revoked pin's kill grace.
 * On each round it sends what the gate queued (break signals, SIGBUS,
 * quarantine notices, poll events: to all holders at once), escalates
 * pins past their deadline (BREAKING -> SIGBUS + REVOKED, then SIGKILL
 * after kill_grace), ends the pins of exited holders, and calls back the
 * waiters whose range has no pin being broken any more.
 *
 * The only file of pinfs that includes liburing.h.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ident.h"
#include "pin_impl.h"

/* user_data tags; holder polls carry the holder's address | UD_HOLDER. */
#define UD_HOLDER 1ull
#define UD_EVENTFD 2ull
#define UD_TIMEOUT 4ull
#define UD_IGNORE 6ull
#define UD_TAG_MASK 7ull

struct deadline {
	uint64_t when, id;
};

struct pin_engine {
	struct io_uring ring;
	int efd;
	pthread_t thread;
	bool stop, efd_armed, timeout_armed;
	uint64_t efd_val, armed_when;
	struct __kernel_timespec ts;
	struct deadline *heap;
	uint32_t n, cap;
};

struct work {
	struct pin_holder *h;
	uint64_t id, ino, off, len, fh;
	uint32_t what; /* one enum pin_pending bit */
	int signo;
	bool notify;
};

/* ---- deadlines: a binary min-heap, stale entries skipped when popped --- */

static bool dl_less(const struct deadline *a, const struct deadline *b)
{
	return a->when < b->when;
}

void pin_deadline_add_locked(struct pin_table *pt, uint64_t when, uint64_t id)
{
	struct pin_engine *e = pt->eng;
	struct deadline *v, t;
	uint32_t i;

	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 64;

		v = realloc(e->heap, cap * sizeof(*v));
		if (!v)
			return; /* the deadline is also checked on every round */
		e->heap = v;
		e->cap = cap;
	}
	i = e->n++;
	e->heap[i] = (struct deadline){ when, id };
	while (i && dl_less(&e->heap[i], &e->heap[(i - 1) / 2])) {
		t = e->heap[i];
		e->heap[i] = e->heap[(i - 1) / 2];
		e->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct deadline dl_pop(struct pin_engine *e)
{
	struct deadline top = e->heap[0], t;
	uint32_t i = 0, c;

	e->heap[0] = e->heap[--e->n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= e->n)
			break;
		if (c + 1 < e->n && dl_less(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!dl_less(&e->heap[c], &e->heap[i]))
			break;
		t = e->heap[i];
		e->heap[i] = e->heap[c];
		e->heap[c] = t;
		i = c;
	}
	return top;
}

/* ---- helpers used by the other files ----------------------------------- */

void pin_engine_kick(struct pin_table *pt)
{
	uint64_t one = 1;

	if (write(pt->eng->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the engine is awake */
	}
}

void pin_watch_locked(struct pin_table *pt, struct pin_holder *h)
{
	if (h->poll_queued)
		return;
	h->poll_queued = true;
	h->next_watch = pt->watch;
	pt->watch = h;
	pin_engine_kick(pt);
}

static int is_breaking(void *arg, struct itree_node *n)
{
	struct pin_range *r = itree_entry(n, struct pin_range, node);

	return r->kind == PIN_KIND_PIN &&
	       ((struct pin *)r)->state == PINFS_STATE_BREAKING;
}

bool pin_range_breaking_locked(struct pin_table *pt, struct pin_inode *in,
			       uint64_t first, uint64_t last)
{
	return itree_overlaps(&in->ranges, first, last, is_breaking, NULL) != 0;
}

static struct io_uring_sqe *get_sqe(struct pin_engine *e)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe) {
		io_uring_submit(&e->ring);
		sqe = io_uring_get_sqe(&e->ring);
	}
	return sqe;
}

/* ---- one round, under the lock ---------------------------------------- */

static void free_holder(struct pin_holder *h)
{
	if (h->pidfd >= 0)
		close(h->pidfd);
	free(h);
}

/* Arm pidfd polls of new holders; cancel (then free) those now unused. */
static void arm_watch_locked(struct pin_table *pt)
{
	struct pin_engine *e = pt->eng;
	struct io_uring_sqe *sqe;
	struct pin_holder *h;

	while ((h = pt->watch)) {
		pt->watch = h->next_watch;
		h->poll_queued = false;
		if (pin_holder_dead(h)) {
			if (!h->poll_armed) {
				free_holder(h);
				continue;
			}
			sqe = get_sqe(e);
			if (!sqe)
				continue; /* freed when its poll completes */
			io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)h |
							       UD_HOLDER);
			io_uring_sqe_set_data64(sqe, UD_IGNORE);
			continue;
		}
		if (h->poll_armed || h->exited || h->pidfd < 0)
			continue;
		sqe = get_sqe(e);
		if (!sqe) {
			pin_watch_locked(pt, h); /* next round */
			break;
		}
		io_uring_prep_poll_add(sqe, h->pidfd, POLLIN);
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)h | UD_HOLDER);
		h->poll_armed = true;
	}
}

/* Escalate every pin whose deadline passed. */
static void expire_locked(struct pin_table *pt)
{
	struct pin_engine *e = pt->eng;
	uint64_t now = pin_now_ns();
	uint64_t grace = pt->opt.kill_grace_ms * NS_PER_MS;
	struct deadline d;
	struct pin *p;

	while (e->n && e->heap[0].when <= now) {
		d = dl_pop(e);
		p = pin_find_locked(pt, d.id);
		if (!p)
			continue;
		if (p->state == PINFS_STATE_BREAKING && p->deadline_ns == d.when) {
			pin_trace_emit(pt->trace, PIN_TR_EXPIRE, p->id, p->ino,
				       p->brk_off, p->brk_len, p->holder->pid,
				       0);
			p->state = PINFS_STATE_REVOKED;
			if (grace) {
				p->kill_ns = now + grace;
				pin_deadline_add_locked(pt, p->kill_ns, p->id);
			}
			pin_queue_work_locked(pt, p, PIN_PEND_SIGBUS);
		} else if (p->state == PINFS_STATE_REVOKED && !p->killed &&
			   grace && p->kill_ns == d.when) {
			p->killed = true;
			pin_queue_work_locked(pt, p, PIN_PEND_SIGKILL);
		}
	}
}

static uint32_t lease_signo_locked(struct pin_table *pt, struct pin *p)
{
	struct pin_file *f;

	if (!pin_is_leased_locked(pt, p))
		return 0;
	f = pin_file_find_locked(pt, p->fh);
	return f ? f->signo : SIGIO;
}

/* Move the queued actions into an array the caller runs unlocked. */
static struct work *take_work_locked(struct pin_table *pt, size_t *count)
{
	static const uint32_t bits[] = { PIN_PEND_BREAK, PIN_PEND_QUAR,
					 PIN_PEND_SIGBUS, PIN_PEND_SIGKILL };
	struct work *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct pin *p;
	unsigned i;

	while ((p = pt->work)) {
		uint32_t signo = lease_signo_locked(pt, p);
		/* Every pin's open file is pollable, leased or not. */
		bool has_fh = p->fh != 0;

		pt->work = p->next_work;
		p->on_work = false;
		for (i = 0; i < 4; i++) {
			if (!(p->pending & bits[i]))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					break; /* lost: the deadline still runs */
				v = nv;
			}
			v[n] = (struct work){
				.h = p->holder, .id = p->id, .ino = p->ino,
				.off = p->brk_off, .len = p->brk_len,
				.fh = p->fh, .what = bits[i],
				.notify = has_fh && bits[i] != PIN_PEND_SIGKILL,
			};
			if (bits[i] == PIN_PEND_SIGBUS)
				v[n].signo = SIGBUS;
			else if (bits[i] == PIN_PEND_SIGKILL)
				v[n].signo = SIGKILL;
			else
				v[n].signo = (int)signo;
			if (bits[i] != PIN_PEND_SIGKILL)
				p->brk_signo = (uint32_t)v[n].signo;
			p->holder->refs++;
			n++;
		}
		p->pending = 0;
	}
	*count = n;
	return v;
}

static void do_work(struct pin_table *pt, struct work *v, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct work *w = &v[i];
		enum pin_trace_type t = w->what == PIN_PEND_SIGBUS ? PIN_TR_SIGBUS
				      : w->what == PIN_PEND_SIGKILL ? PIN_TR_SIGKILL
				      : PIN_TR_BREAK;

		rc = 0;
		if (w->signo)
			rc = pin_ident_signal(w->h->pidfd, w->signo, w->id);
		if (w->what != PIN_PEND_QUAR || w->signo)
			pin_trace_emit(pt->trace, rc ? PIN_TR_SIGNAL_ERR : t,
				       w->id, w->ino, w->off, w->len, w->h->pid,
				       rc ? rc : w->signo);
	}
	/* The poll events after every signal: all holders hear at once. */
	for (i = 0; i < n; i++)
		if (v[i].notify && pt->opt.poll_notify)
			pt->opt.poll_notify(pt->opt.poll_arg, v[i].fh);
	if (!n)
		return;
	pthread_mutex_lock(&pt->lock);
	for (i = 0; i < n; i++)
		pin_holder_put_locked(pt, v[i].h);
	pthread_mutex_unlock(&pt->lock);
}

static int collect_waiter(void *arg, struct itree_node *n)
{
	struct pin_waiter ***pp = arg;

	*(*pp)++ = itree_entry(n, struct pin_waiter, node);
	return 0;
}

/* Waiters with no pin being broken over their range, out of the tree. */
static struct pin_waiter **take_waiters_locked(struct pin_table *pt,
					       size_t *count, bool all)
{
	struct pin_waiter **v, **p;
	size_t i, n = pt->waiters.count, k = 0;

	*count = 0;
	if (!n)
		return NULL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	p = v;
	itree_overlaps(&pt->waiters, 0, UINT64_MAX, collect_waiter, &p);
	for (i = 0; i < n; i++) {
		struct pin_waiter *w = v[i];
		struct itree_node *in = itree_find_point(&pt->inodes, w->ino);

		if (!all && in &&
		    pin_range_breaking_locked(pt, itree_entry(in, struct pin_inode,
							     node),
					      w->off, w->off + w->len - 1))
			continue;
		itree_remove(&pt->waiters, &w->node);
		v[k++] = w;
	}
	*count = k;
	return v;
}

/* Tell the waiters taken by take_waiters_locked to go on; frees WV. */
static void call_waiters(struct pin_table *pt, struct pin_waiter **wv,
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pin_trace_emit(pt->trace, PIN_TR_WAKE, 0, wv[i]->ino,
			       wv[i]->off, wv[i]->len, 0, 0);
		wv[i]->done(wv[i]->arg, 0);
		free(wv[i]);
	}
	free(wv);
}

static void arm_timeout_locked(struct pin_table *pt)
{
	struct pin_engine *e = pt->eng;
	struct io_uring_sqe *sqe;
	uint64_t next;

	if (!e->n)
		return;
	next = e->heap[0].when;
	if (e->timeout_armed && next >= e->armed_when)
		return;
	sqe = get_sqe(e);
	if (!sqe)
		return;
	e->ts.tv_sec = (long long)(next / 1000000000ull);
	e->ts.tv_nsec = (long long)(next % 1000000000ull);
	if (e->timeout_armed) {
		io_uring_prep_timeout_update(sqe, &e->ts, UD_TIMEOUT,
					     IORING_TIMEOUT_ABS);
		io_uring_sqe_set_data64(sqe, UD_IGNORE);
	} else {
		io_uring_prep_timeout(sqe, &e->ts, 0, IORING_TIMEOUT_ABS);
		io_uring_sqe_set_data64(sqe, UD_TIMEOUT);
		e->timeout_armed = true;
	}
	e->armed_when = next;
}

static int collect_node(void *arg, struct itree_node *n)
{
	struct itree_node ***pp = arg;

	*(*pp)++ = n;
	return 0;
}

/* The holder exited: its pins end (onto *FIN), its leases go. */
static void holder_exit_locked(struct pin_table *pt, struct pin_holder *h,
			       struct pin **fin)
{
	struct itree_node **v, **pp;
	struct pin_list *l, *next;
	struct pin *p;
	size_t i, n;

	h->exited = true;
	pin_trace_emit(pt->trace, PIN_TR_EXIT, 0, 0, 0, 0, h->pid, 0);
	if (h->refs == 0) { /* idle: nothing of it to end */
		pt->nidle--;
		itree_remove(&pt->holders, &h->node);
		h->in_tree = false;
		if (!h->poll_queued)
			free_holder(h);
		return;
	}
	if (h->in_tree) {
		itree_remove(&pt->holders, &h->node);
		h->in_tree = false;
	}
	for (l = h->pins.next; l != &h->pins; l = next) {
		next = l->next;
		p = itree_entry(l, struct pin, hlink);
		if (p->state == PIN_ST_PREPARING)
			continue; /* pin_ioc_pin sees h->exited and undoes it */
		pin_end_locked(pt, p);
		p->next_work = *fin;
		*fin = p;
	}
	h->refs++; /* keep H while its leases go */
	n = pt->files.count;
	v = calloc(n + 1, sizeof(*v));
	pp = v;
	if (v)
		itree_overlaps(&pt->files, 0, UINT64_MAX, collect_node, &pp);
	for (i = 0; v && i < n; i++) {
		struct pin_file *f = itree_entry(v[i], struct pin_file, node);

		if (f->holder == h)
			pin_lease_drop_locked(pt, f);
	}
	free(v);
	pin_holder_put_locked(pt, h);
}

static void handle_cqe(struct pin_table *pt, struct io_uring_cqe *cqe,
		       struct pin **fin)
{
	struct pin_engine *e = pt->eng;
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct pin_holder *h;

	if ((ud & UD_TAG_MASK) == UD_HOLDER) {
		h = (struct pin_holder *)(uintptr_t)(ud & ~UD_TAG_MASK);
		pthread_mutex_lock(&pt->lock);
		h->poll_armed = false;
		if (pin_holder_dead(h)) {
			if (!h->poll_queued)
				free_holder(h);
		} else if (cqe->res > 0) {
			holder_exit_locked(pt, h, fin);
		} else if (!h->exited) {
			pin_watch_locked(pt, h); /* spurious: poll again */
		}
		pthread_mutex_unlock(&pt->lock);
	} else if (ud == UD_EVENTFD) {
		e->efd_armed = false;
		if (read(e->efd, &e->efd_val, sizeof(e->efd_val)) < 0) {
			/* EAGAIN: already drained */
		}
	} else if (ud == UD_TIMEOUT) {
		e->timeout_armed = false;
	}
}

static void *engine_main(void *arg)
{
	struct pin_table *pt = arg;
	struct pin_engine *e = pt->eng;
	struct io_uring_cqe *cqe;
	struct pin_waiter **wv;
	struct pin *fin, *p;
	struct work *work;
	size_t nw, nwait;
	unsigned head, seen;

	for (;;) {
		pthread_mutex_lock(&pt->lock);
		if (e->stop) {
			pthread_mutex_unlock(&pt->lock);
			break;
		}
		arm_watch_locked(pt);
		expire_locked(pt);
		work = take_work_locked(pt, &nw);
		wv = take_waiters_locked(pt, &nwait, false);
		arm_timeout_locked(pt);
		pthread_mutex_unlock(&pt->lock);

		/* Signals first, then the waiting changes go on. */
		do_work(pt, work, nw);
		free(work);
		call_waiters(pt, wv, nwait);

		if (!e->efd_armed) {
			struct io_uring_sqe *sqe = get_sqe(e);

			if (sqe) {
				io_uring_prep_poll_add(sqe, e->efd, POLLIN);
				io_uring_sqe_set_data64(sqe, UD_EVENTFD);
				e->efd_armed = true;
			}
		}
		io_uring_submit_and_wait(&e->ring, 1);
		fin = NULL;
		seen = 0;
		io_uring_for_each_cqe(&e->ring, head, cqe) {
			handle_cqe(pt, cqe, &fin);
			seen++;
		}
		io_uring_cq_advance(&e->ring, seen);
		while ((p = fin)) {
			fin = p->next_work;
			pin_finish(pt, p);
		}
	}
	return NULL;
}

int pin_engine_start(struct pin_table *pt)
{
	struct pin_engine *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		rc = -errno;
		goto err_free;
	}
	rc = io_uring_queue_init(256, &e->ring, 0);
	if (rc)
		goto err_efd;
	pt->eng = e;
	rc = -pthread_create(&e->thread, NULL, engine_main, pt);
	if (rc)
		goto err_ring;
	return 0;

err_ring:
	pt->eng = NULL;
	io_uring_queue_exit(&e->ring);
err_efd:
	close(e->efd);
err_free:
	free(e);
	return rc;
}

void pin_engine_stop(struct pin_table *pt)
{
	struct pin_engine *e = pt->eng;
	struct pin_waiter **wv;
	struct pin_holder *h;
	size_t n, i;

	pthread_mutex_lock(&pt->lock);
	e->stop = true;
	pin_engine_kick(pt);
	pthread_mutex_unlock(&pt->lock);
	pthread_join(e->thread, NULL);

	pthread_mutex_lock(&pt->lock);
	wv = take_waiters_locked(pt, &n, true);
	while ((h = pt->watch)) {
		pt->watch = h->next_watch;
		h->poll_queued = false;
		if (pin_holder_dead(h))
			free_holder(h);
	}
	pthread_mutex_unlock(&pt->lock);
	for (i = 0; i < n; i++) {
		wv[i]->done(wv[i]->arg, -ESHUTDOWN);
		free(wv[i]);
	}
	free(wv);
	io_uring_queue_exit(&e->ring);
	close(e->efd);
	free(e->heap);
	free(e);
	pt->eng = NULL;
}

/* ---- waiting for revocation ------------------------------------------ */

int pin_wait(struct pin_table *pt, uint64_t ino, uint64_t off, uint64_t len,
	     enum store_change why, pin_done_fn done, void *arg,
	     uint64_t *handle)
{
	struct pin_waiter *w;

	if (!done || !handle || len == 0 || off + (len - 1) < off)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ino = ino;
	w->off = off;
	w->len = len;
	w->why = (uint32_t)why;
	w->done = done;
	w->arg = arg;
	pthread_mutex_lock(&pt->lock);
	w->handle = pt->next_wait++;
	w->node.start = w->node.last = w->handle;
	itree_insert(&pt->waiters, &w->node);
	*handle = w->handle;
	pin_trace_emit(pt->trace, PIN_TR_WAIT, 0, ino, off, len, 0, why);
	pthread_mutex_unlock(&pt->lock);
	/* The breaks the gate just queued go out from this thread, now: no
	 * hop through the engine before the holders hear.  The engine still
	 * wakes (deadlines, and a waiter that is free already). */
	pin_send_work(pt);
	pin_engine_kick(pt);
	return 0;
}

void pin_send_work(struct pin_table *pt)
{
	struct work *work;
	size_t n;

	pthread_mutex_lock(&pt->lock);
	work = take_work_locked(pt, &n);
	pthread_mutex_unlock(&pt->lock);
	do_work(pt, work, n);
	free(work);
}

void pin_wake_waiters(struct pin_table *pt)
{
	struct pin_waiter **wv;
	size_t n;

	pthread_mutex_lock(&pt->lock);
	wv = take_waiters_locked(pt, &n, false);
	pthread_mutex_unlock(&pt->lock);
	call_waiters(pt, wv, n);
}

int pin_wait_cancel(struct pin_table *pt, uint64_t handle)
{
	struct itree_node *n;

	pthread_mutex_lock(&pt->lock);
	n = itree_find_point(&pt->waiters, handle);
	if (n)
		itree_remove(&pt->waiters, n);
	pthread_mutex_unlock(&pt->lock);
	if (!n)
		return -ENOENT;
	pin_trace_emit(pt->trace, PIN_TR_WAKE, 0, 0, 0, 0, 0, -EINTR);
	free(itree_entry(n, struct pin_waiter, node));
	return 0;
}
