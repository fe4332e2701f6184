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
#include "workq.h"

#include <errno.h>
#include <stdlib.h>

struct inval_item {
	struct workq_item link;  /* first: the queue's (or mine's) chain */
	uint64_t ino, off, end;  /* end 0 = to the end of the file */
};

struct inval_queue {
	struct workq *wq;
	struct fuse_session *se;
};

static struct inval_item *next_of(struct inval_item *it)
{
	return (struct inval_item *)it->link.next;
}

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

	for (it = *head; it; it = next_of(it)) {
		if (it->ino == ino) {
			merge(it, off, end);
			return true;
		}
	}
	it = malloc(sizeof(*it));
	if (!it)
		return false;
	*it = (struct inval_item){ .link.next = (struct workq_item *)*head,
				   .ino = ino, .off = off, .end = end };
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
		mine.head = next_of(it);
		if (fs->inval)
			notify(fs->inval->se, it);
		free(it);
	}
}

static bool absorb(struct workq_item *queued, const void *req)
{
	struct inval_item *it = (struct inval_item *)queued;
	const struct inval_item *r = req;

	if (it->ino != r->ino)
		return false;
	merge(it, r->off, r->end);
	return true;
}

static struct workq_item *make(const void *req)
{
	struct inval_item *it = malloc(sizeof(*it));

	if (it)
		*it = *(const struct inval_item *)req;
	return it ? &it->link : NULL;
}

void fs_invalidate(struct fs *fs, uint64_t ino, uint64_t off, uint64_t len)
{
	struct inval_queue *q = fs->inval;
	struct inval_item req = { .ino = ino, .off = off };

	req.end = (len && off + len > off) ? off + len : 0;
	if (!q)
		return;
	if (mine.on && list_add(&mine.head, ino, off, req.end))
		return;
	if (workq_add(q->wq, &req, absorb, make))
		log_msg(LOG_ERR, "inode %llu: no memory to queue a cache "
				 "invalidation", (unsigned long long)ino);
}

bool fs_invalidations_done(struct fs *fs)
{
	return !fs->inval || workq_idle(fs->inval->wq);
}

static void run(void *ctx, struct workq_item *item)
{
	struct inval_queue *q = ctx;

	notify(q->se, (struct inval_item *)item);
	free(item);
}

int inval_start(struct fs *fs)
{
	struct inval_queue *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	q->se = fs->se;
	ret = workq_start(&q->wq, run, q);
	if (ret) {
		free(q);
		return ret;
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
	workq_stop(&q->wq);
	fs->inval = NULL;
	free(q);
}
