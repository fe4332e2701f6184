/* SPDX-License-Identifier: MIT */
/*
 * ops_pending.c - keep FUSE requests that wait on pins, answer them later
 * from the retry thread.
 *
 * Locking: q->lock guards the run queue and the live count; op->lock
 * guards one op's wait state.  Never hold op->lock while calling into
 * libfuse (fuse_req_interrupt_func takes the request's lock, under which
 * libfuse runs our interrupt callback, which takes op->lock).
 */
#include "ops_pending.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct pending_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;
	struct pending_op *head, *tail;
	unsigned live; /* parked or queued ops */
	bool stop;
	pthread_t thread;
};

struct pending_op *pending_new(fuse_req_t req, uint64_t ino,
			       const char *name, pending_retry_fn retry)
{
	struct pending_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->req = req;
	op->fs = ops_fs(req);
	op->ino = ino;
	op->name = name;
	op->retry = retry;
	pthread_mutex_init(&op->lock, NULL);
	return op;
}

/*
 * Final answer.  ERR != 0: stop interrupt callbacks (this waits for one
 * in progress), reply ERR.  ERR == 0: retry() replied already (the
 * callbacks were stopped before it ran; REQ is gone).  Then free OP.
 */
static void finish(struct pending_op *op, int err)
{
	struct pending_queue *q = op->fs->pending;

	if (err) {
		fuse_req_interrupt_func(op->req, NULL, NULL);
		ops_reply_err(op->req, err, op->name);
	}
	pthread_mutex_destroy(&op->lock);
	free(op->data);
	free(op);
	pthread_mutex_lock(&q->lock);
	if (--q->live == 0)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

/* The pin layer's wake callback: queue OP for the retry thread. */
static void pending_wake(void *arg, int status)
{
	struct pending_op *op = arg;
	struct pending_queue *q = op->fs->pending;

	pthread_mutex_lock(&op->lock);
	op->waiting = false;
	op->status = status;
	pthread_mutex_unlock(&op->lock);

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

/* libfuse calls this (possibly at once, from fuse_req_interrupt_func). */
static void pending_interrupted(fuse_req_t req, void *arg)
{
	struct pending_op *op = arg;
	bool cancel;
	uint64_t token;

	(void)req;
	pthread_mutex_lock(&op->lock);
	op->interrupted = true;
	cancel = op->waiting;
	token = op->token;
	pthread_mutex_unlock(&op->lock);
	if (cancel)
		op->fs->pin.cancel(op->fs->pin.ctx, token);
}

/* Ask the pin layer to wake OP; on failure answer it.  */
static void wait_again(struct pending_op *op)
{
	struct fs *fs = op->fs;
	uint64_t token = 0;
	bool interrupted;
	int ret;

	pthread_mutex_lock(&op->lock);
	interrupted = op->interrupted;
	op->waiting = !interrupted;
	pthread_mutex_unlock(&op->lock);
	if (interrupted) {
		finish(op, -EINTR);
		return;
	}
	ret = fs->pin.wait(fs->pin.ctx, op->ino, pending_wake, op, &token);
	if (ret) {
		pthread_mutex_lock(&op->lock);
		op->waiting = false;
		pthread_mutex_unlock(&op->lock);
		finish(op, ret == -EAGAIN ? -EIO : ret);
		return;
	}
	pthread_mutex_lock(&op->lock);
	op->token = token;
	interrupted = op->interrupted && op->waiting;
	pthread_mutex_unlock(&op->lock);
	/* interrupted between wait() and here: the callback saw token 0 */
	if (interrupted)
		fs->pin.cancel(fs->pin.ctx, token);
}

void pending_park(struct pending_op *op)
{
	struct fs *fs = op->fs;
	struct pending_queue *q = fs->pending;

	if (!fs->have_pin || !q) {
		log_msg(LOG_ERR, "%s: inode %llu: store asked to wait for pins "
				 "but no pin layer is attached",
			op->name, (unsigned long long)op->ino);
		ops_reply_err(op->req, -EIO, op->name);
		pthread_mutex_destroy(&op->lock);
		free(op->data);
		free(op);
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

static void *retry_thread(void *arg)
{
	struct pending_queue *q = arg;
	struct pending_op *op;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head && q->stop)
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
	ret = pthread_create(&q->thread, NULL, retry_thread, q);
	if (ret) {
		free(q);
		return -ret;
	}
	fs->pending = q;
	return 0;
}

void pending_stop(struct fs *fs)
{
	struct pending_queue *q = fs->pending;
	struct timespec until;

	if (!q)
		return;
	/* the pin layer is stopped first and wakes its waiters; give the
	 * retry thread a bounded time to answer them */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&q->lock);
	while (q->live && pthread_cond_timedwait(&q->idle, &q->lock, &until) == 0)
		;
	if (q->live)
		log_msg(LOG_WARNING, "%u requests still wait on pins at exit",
			q->live);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q);
	fs->pending = NULL;
}
