/* SPDX-License-Identifier: MIT */
/*
 * ops_pending.c - keep FUSE requests that wait on pins, answer them later
 * from the retry thread.
 *
 * Lifetime: an op holds references: one for the request's flow (dropped
 * by finish()) and one while wait_again() is inside pin_wait(), since the
 * engine may call back and the retry thread may finish the op before
 * pin_wait() returns.  An op that an UNPIN frees is answered by the
 * thread that ran the UNPIN (pending_inline_begin/end), not queued: one
 * thread hop less between the holder's acknowledgement and the reply.
 * Locking: q->lock guards the run queue; op->lock one
 * op's wait state; q->stop_lock (read side around pin_wait) keeps waits
 * from starting once shutdown began.  Never hold op->lock while calling
 * libfuse: libfuse runs our interrupt callback under the request's lock,
 * and the callback takes op->lock.
 */
#include "ops_pending.h"
#include "log.h"
#include "pin.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct pending_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;
	struct pending_op *head, *tail;
	unsigned live; /* ops not yet answered */
	bool stop;
	pthread_rwlock_t stop_lock;
	bool quiesced;  /* under stop_lock */
	pthread_t thread;
};

struct pending_op *pending_new(fuse_req_t req, uint64_t ino,
			       const char *name, pending_retry_fn retry,
			       enum store_change why, uint64_t off,
			       uint64_t len)
{
	struct pending_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->req = req;
	op->fs = ops_fs(req);
	op->ino = ino;
	op->name = name;
	op->retry = retry;
	op->why = why;
	op->off = off;
	op->len = len;
	atomic_init(&op->refs, 1);
	pthread_mutex_init(&op->lock, NULL);
	return op;
}

static void op_put(struct pending_op *op)
{
	if (atomic_fetch_sub(&op->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&op->lock);
	free(op->data);
	free(op);
}

/*
 * Final answer.  ERR != 0: stop interrupt callbacks (this waits for one
 * in progress), reply ERR.  ERR == 0: retry() replied already (callbacks
 * were stopped before it ran; the request is gone).
 */
static void finish(struct pending_op *op, int err)
{
	struct pending_queue *q = op->fs->pending;

	if (err) {
		fuse_req_interrupt_func(op->req, NULL, NULL);
		ops_reply_err(op->req, err, op->name);
	}
	op_put(op);
	pthread_mutex_lock(&q->lock);
	if (--q->live == 0)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

/* Ops woken on this thread while it runs pending_inline (the UNPIN
 * handler): answered by this thread at pending_inline_end. */
static __thread struct {
	bool on;
	struct pending_op *head, *tail;
} here;

/* Queue OP for the retry thread with STATUS (0 = retry the call). */
static void enqueue(struct pending_op *op, int status)
{
	struct pending_queue *q = op->fs->pending;

	pthread_mutex_lock(&op->lock);
	op->waiting = false;
	op->have_handle = false;
	op->status = status;
	pthread_mutex_unlock(&op->lock);

	if (here.on) {
		op->next = NULL;
		if (here.tail)
			here.tail->next = op;
		else
			here.head = op;
		here.tail = op;
		return;
	}
	pthread_mutex_lock(&q->lock);
	op->next = NULL;
	if (q->tail)
		q->tail->next = op;
	else
		q->head = op;
	q->tail = op;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/* pin_wait's callback, on the engine thread. */
static void pending_done(void *arg, int result)
{
	enqueue(arg, result);
}

/* Cancel OP's wait; if the engine will not call back, answer EINTR. */
static void cancel_wait(struct pending_op *op, uint64_t handle)
{
	if (pin_wait_cancel(op->fs->pt, handle) == 0)
		enqueue(op, -EINTR);
}

/* libfuse calls this (possibly at once, from fuse_req_interrupt_func). */
static void pending_interrupted(fuse_req_t req, void *arg)
{
	struct pending_op *op = arg;
	bool cancel;
	uint64_t handle;

	(void)req;
	pthread_mutex_lock(&op->lock);
	op->interrupted = true;
	cancel = op->waiting && op->have_handle;
	handle = op->handle;
	if (cancel)
		op->have_handle = false; /* cancel once */
	pthread_mutex_unlock(&op->lock);
	if (cancel)
		cancel_wait(op, handle);
}

/* Ask the pin layer to wake OP; on failure answer it. */
static void wait_again(struct pending_op *op)
{
	struct pending_queue *q = op->fs->pending;
	uint64_t handle = 0;
	unsigned gen;
	bool cancel, current;
	int ret;

	pthread_mutex_lock(&op->lock);
	if (op->interrupted) {
		pthread_mutex_unlock(&op->lock);
		finish(op, -EINTR);
		return;
	}
	op->waiting = true;
	gen = ++op->gen;
	pthread_mutex_unlock(&op->lock);

	atomic_fetch_add(&op->refs, 1);
	pthread_rwlock_rdlock(&q->stop_lock);
	if (q->quiesced)
		ret = -ESHUTDOWN;
	else
		ret = pin_wait_last(op->fs->pt, pending_done, op, &handle);
	/* the gate recorded nothing on this thread: wait on our own range */
	if (ret == -EINVAL && !q->quiesced)
		ret = pin_wait(op->fs->pt, op->ino, op->off, op->len, op->why,
			       pending_done, op, &handle);
	pthread_rwlock_unlock(&q->stop_lock);
	if (ret) {
		pthread_mutex_lock(&op->lock);
		op->waiting = false;
		pthread_mutex_unlock(&op->lock);
		log_msg(LOG_WARNING, "%s: inode %llu: cannot wait for pins: %d",
			op->name, (unsigned long long)op->ino, ret);
		finish(op, ret == -EAGAIN ? -EIO : ret);
		op_put(op);
		return;
	}
	pthread_mutex_lock(&op->lock);
	/* still this wait (the engine has not called back yet)? */
	current = op->waiting && op->gen == gen;
	cancel = current && op->interrupted;
	if (current && !cancel) {
		op->handle = handle;
		op->have_handle = true;
	}
	pthread_mutex_unlock(&op->lock);
	/* interrupted between pin_wait() and here: the callback could not
	 * cancel without the handle */
	if (cancel)
		cancel_wait(op, handle);
	op_put(op);
}

void pending_park(struct pending_op *op)
{
	struct fs *fs = op->fs;
	struct pending_queue *q = fs->pending;

	if (!fs->pt || !q) {
		log_msg(LOG_ERR, "%s: inode %llu: store asked to wait for pins "
				 "but no pin table is attached",
			op->name, (unsigned long long)op->ino);
		ops_reply_err(op->req, -EIO, op->name);
		op_put(op);
		return;
	}
	pthread_mutex_lock(&q->lock);
	q->live++;
	pthread_mutex_unlock(&q->lock);
	fuse_req_interrupt_func(op->req, pending_interrupted, op);
	wait_again(op);
}

static void run_one(struct pending_op *op)
{
	int status, ret;
	bool interrupted;

	pthread_mutex_lock(&op->lock);
	status = op->status;
	interrupted = op->interrupted;
	pthread_mutex_unlock(&op->lock);
	if (interrupted && !status)
		status = -EINTR;
	if (status) {
		finish(op, status);
		return;
	}
	fuse_req_interrupt_func(op->req, NULL, NULL);
	ret = op->retry(op);
	if (ret == -EAGAIN) {
		fuse_req_interrupt_func(op->req, pending_interrupted, op);
		wait_again(op);
		return;
	}
	finish(op, ret);
}

void pending_inline_begin(void)
{
	here.on = true;
	inval_inline_begin();
}

void pending_inline_end(struct fs *fs)
{
	struct pending_op *op;

	/* run_one may park an op again (more pins), which never lands
	 * here: the waits it registers are called back later; its own
	 * invalidations (a truncate's) go to the queue as usual */
	here.on = false;
	inval_inline_stop();
	while ((op = here.head)) {
		here.head = op->next;
		if (!here.head)
			here.tail = NULL;
		run_one(op);
	}
	/* the waiting caller has its answer; now the holder's writes */
	inval_inline_flush(fs);
}

static void *retry_thread(void *arg)
{
	struct pending_queue *q = arg;
	struct pending_op *op;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head)
			break;
		op = q->head;
		q->head = op->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		run_one(op);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int pending_start(struct fs *fs)
{
	struct pending_queue *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->idle, NULL);
	pthread_rwlock_init(&q->stop_lock, NULL);
	ret = pthread_create(&q->thread, NULL, retry_thread, q);
	if (ret) {
		pthread_rwlock_destroy(&q->stop_lock);
		pthread_cond_destroy(&q->idle);
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -ret;
	}
	fs->pending = q;
	return 0;
}

void pending_quiesce(struct fs *fs)
{
	struct pending_queue *q = fs->pending;

	if (!q)
		return;
	pthread_rwlock_wrlock(&q->stop_lock);
	q->quiesced = true;
	pthread_rwlock_unlock(&q->stop_lock);
}

void pending_stop(struct fs *fs)
{
	struct pending_queue *q = fs->pending;
	struct timespec until;

	if (!q)
		return;
	pending_quiesce(fs);
	/* pin_table_delete() has woken the waiters: give the retry thread
	 * a bounded time to answer them */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&q->lock);
	while (q->live &&
	       pthread_cond_timedwait(&q->idle, &q->lock, &until) == 0)
		;
	if (q->live)
		log_msg(LOG_WARNING, "%u requests still wait on pins at exit",
			q->live);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_rwlock_destroy(&q->stop_lock);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q);
	fs->pending = NULL;
}
