/* SPDX-License-Identifier: MIT */
/*
 * workq.h - one worker thread draining a FIFO of requests: the daemon's
 * page-cache invalidations (ops_inval.c) and name expiries (ops_dentry.c),
 * which must not be sent from the handler that asks for them.
 */
#ifndef PINFS_WORKQ_H
#define PINFS_WORKQ_H

#include <stdbool.h>

/* The first member of every queued request. */
struct workq_item {
	struct workq_item *next;
};

/* Runs on the worker, no lock held; owns IT (frees it). */
typedef void workq_run_fn(void *ctx, struct workq_item *it);
/* Called under the queue's lock for each queued item: true when ITEM
 * took REQ in (merged, or the same request), so nothing is queued. */
typedef bool workq_absorb_fn(struct workq_item *item, const void *req);
/* Called under the lock: a new item for REQ, NULL when out of memory. */
typedef struct workq_item *workq_make_fn(const void *req);

struct workq;

/* Start the worker: 0 or -errno. */
int workq_start(struct workq **out, workq_run_fn *run, void *ctx);
/* Queue REQ unless an item absorbs it or the queue is stopping:
 * 0, or -ENOMEM (nothing queued). */
int workq_add(struct workq *q, const void *req, workq_absorb_fn *absorb,
	      workq_make_fn *make);
/* True when nothing is queued and the worker runs nothing. */
bool workq_idle(struct workq *q);
/* Run what is queued, stop the worker, free the queue (NULL is fine). */
void workq_stop(struct workq **q);

#endif
