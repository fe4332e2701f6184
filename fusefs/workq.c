/* SPDX-License-Identifier: MIT */
/* workq.c - one worker thread draining a FIFO of requests (workq.h). */
#include "workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct workq_item *head, **tail;
	bool stop;
	bool busy;                  /* the worker runs an item */
	pthread_t thread;
	workq_run_fn *run;
	void *ctx;
};

static void *worker(void *arg)
{
	struct workq *q = arg;
	struct workq_item *it;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head)
			break;
		it = q->head;
		q->head = it->next;
		if (!q->head)
			q->tail = &q->head;
		q->busy = true;
		pthread_mutex_unlock(&q->lock);
		q->run(q->ctx, it);
		pthread_mutex_lock(&q->lock);
		q->busy = false;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int workq_start(struct workq **out, workq_run_fn *run, void *ctx)
{
	struct workq *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->tail = &q->head;
	q->run = run;
	q->ctx = ctx;
	ret = pthread_create(&q->thread, NULL, worker, q);
	if (ret) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -ret;
	}
	*out = q;
	return 0;
}

int workq_add(struct workq *q, const void *req, workq_absorb_fn *absorb,
	      workq_make_fn *make)
{
	struct workq_item *it;
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stop)
		goto out;
	for (it = q->head; it; it = it->next)
		if (absorb(it, req))
			goto out;
	it = make(req);
	if (!it) {
		ret = -ENOMEM;
		goto out;
	}
	it->next = NULL;
	*q->tail = it;
	q->tail = &it->next;
	pthread_cond_signal(&q->cond);
out:
	pthread_mutex_unlock(&q->lock);
	return ret;
}

bool workq_idle(struct workq *q)
{
	bool idle;

	pthread_mutex_lock(&q->lock);
	idle = !q->head && !q->busy;
	pthread_mutex_unlock(&q->lock);
	return idle;
}

void workq_stop(struct workq **qp)
{
	struct workq *q = *qp;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	*qp = NULL;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
