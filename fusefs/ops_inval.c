/* SPDX-License-Identifier: MIT */
/*
 * ops_inval.c - page-cache invalidation from a worker thread.
 *
 * fuse_lowlevel_notify_inval_inode() is synchronous: called from the
 * handler of the same inode (or while the kernel holds a page lock for a
 * read we serve) it deadlocks.  So handlers and the pin layer queue the
 * range here and return; one thread tells the kernel.  Requests for the
 * same inode are merged while they wait.  The UNPIN handler sends its own
 * (inval_inline_*, below).
 */
#include "ops_pending.h"
#include "ops.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>

struct inval_item {
	uint64_t ino, off, end; /* end 0 = to the end of the file */
	struct inval_item *next;
};

struct inval_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct inval_item *head;
	bool stop;
	pthread_t thread;
	struct fuse_session *se;
};

static void merge(struct inval_item *it, uint64_t off, uint64_t end)
{
	if (off < it->off)
		it->off = off;
	if (it->end && (!end || end > it->end))
		it->end = end;
}

/*
 * Invalidations asked for on a thread between inval_inline_begin() and
 * inval_inline_stop() are kept on that thread and sent from it by
 * inval_inline_flush(), synchronously.  For the UNPIN handler: an ioctl
 * request holds no inode or page lock in the kernel, so the notification
 * can wait there for page locks that other requests hold (other workers
 * answer those) without deadlock, and the end of a write pin costs no
 * wake-up of the invalidation thread.
 */
static __thread struct {
	bool on;
	struct inval_item *head;
} mine;

/* Add [off, end) of INO to the list at *HEAD (merged per inode);
 * false when out of memory. */
static bool list_add(struct inval_item **head, uint64_t ino, uint64_t off,
		     uint64_t end)
{
	struct inval_item *it;

	for (it = *head; it; it = it->next) {
		if (it->ino == ino) {
			merge(it, off, end);
			return true;
		}
	}
	it = malloc(sizeof(*it));
	if (!it)
		return false;
	*it = (struct inval_item){ .ino = ino, .off = off, .end = end,
				   .next = *head };
	*head = it;
	return true;
}

static void notify(struct fuse_session *se, struct inval_item *it)
{
	int ret = fuse_lowlevel_notify_inval_inode(
		se, it->ino, (off_t)it->off,
		it->end ? (off_t)(it->end - it->off) : 0);

	/* -ENOENT: the kernel has no cached inode, nothing to drop */
	if (ret && ret != -ENOENT)
		log_msg(LOG_WARNING, "inode %llu: cache invalidation failed: %d",
			(unsigned long long)it->ino, ret);
}

void inval_inline_begin(void)
{
	mine.on = true;
}

void inval_inline_stop(void)
{
	mine.on = false;
}

void inval_inline_flush(struct fs *fs)
{
	struct inval_item *it;

	mine.on = false;
	while ((it = mine.head)) {
		mine.head = it->next;
		if (fs->inval)
			notify(fs->inval->se, it);
		free(it);
	}
}

void fs_invalidate(struct fs *fs, uint64_t ino, uint64_t off, uint64_t len)
{
	struct inval_queue *q = fs->inval;
	struct inval_item *it;
	uint64_t end = (len && off + len > off) ? off + len : 0;

	if (!q)
		return;
	if (mine.on && list_add(&mine.head, ino, off, end))
		return;
	pthread_mutex_lock(&q->lock);
	if (q->stop)
		goto out_unlock;
	for (it = q->head; it; it = it->next) {
		if (it->ino == ino) {
			merge(it, off, end);
			goto out_unlock;
		}
	}
	it = malloc(sizeof(*it));
	if (!it) {
		log_msg(LOG_ERR, "inode %llu: no memory to queue a cache "
				 "invalidation", (unsigned long long)ino);
		goto out_unlock;
	}
	*it = (struct inval_item){ .ino = ino, .off = off, .end = end,
				   .next = q->head };
	q->head = it;
	pthread_cond_signal(&q->cond);
out_unlock:
	pthread_mutex_unlock(&q->lock);
}

static void *inval_thread(void *arg)
{
	struct inval_queue *q = arg;
	struct inval_item *it;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head)
			break;
		it = q->head;
		q->head = it->next;
		pthread_mutex_unlock(&q->lock);
		notify(q->se, it);
		free(it);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int inval_start(struct fs *fs)
{
	struct inval_queue *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->se = fs->se;
	ret = pthread_create(&q->thread, NULL, inval_thread, q);
	if (ret) {
		free(q);
		return -ret;
	}
	fs->inval = q;
	return 0;
}

/* Finish what is queued (the session must still be mounted), stop. */
void inval_stop(struct fs *fs)
{
	struct inval_queue *q = fs->inval;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	fs->inval = NULL;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
