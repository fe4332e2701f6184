/* SPDX-License-Identifier: MIT */
/*
 * ops_dentry.c - expire the kernel's cached names from a worker thread
 * (permissions=daemon, see ops_perm.h).
 *
 * Without default_permissions the kernel walks a cached dentry without
 * asking whether the walker may search its parent.  Names get a nonzero
 * entry timeout only in directories every user may search; when a
 * directory stops being one (chmod), or a name moves into such a
 * directory with its old timeout (rename), the cached names must be
 * expired so the next walk sends a LOOKUP that the daemon checks.
 *
 * The kernel's entry notification locks the parent directory, which the
 * kernel holds while it waits for SETATTR or RENAME on it: calling it
 * from the handler would deadlock.  So handlers queue the work here and
 * return; one thread tells the kernel.  Until it has, a walk through a
 * name cached before the change can still pass (for at most the entry
 * timeout, OPS_ENTRY_TIMEOUT).
 */
#include "ops.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Names read per store_readdir() call when a whole directory expires. */
#define DENTRY_BATCH 64

struct dentry_item {
	uint64_t parent;
	bool all;                         /* every name in PARENT */
	struct dentry_item *next;
	char name[];                      /* when !all */
};

struct dentry_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dentry_item *head, **tail;
	bool stop;
	pthread_t thread;
	struct fuse_session *se;
	struct store *st;
};

void fs_expire_entry(struct fs *fs, uint64_t parent, const char *name)
{
	struct dentry_queue *q = fs->dentries;
	size_t len = name ? strlen(name) + 1 : 0;
	struct dentry_item *it;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	if (q->stop)
		goto out_unlock;
	for (it = q->head; it; it = it->next)
		if (it->parent == parent &&
		    (it->all || (name && !strcmp(it->name, name))))
			goto out_unlock; /* already queued */
	it = malloc(sizeof(*it) + len);
	if (!it) {
		log_msg(LOG_ERR, "directory %llu: no memory to queue a name "
				 "expiry", (unsigned long long)parent);
		goto out_unlock;
	}
	it->parent = parent;
	it->all = !name;
	it->next = NULL;
	if (name)
		memcpy(it->name, name, len);
	*q->tail = it;
	q->tail = &it->next;
	pthread_cond_signal(&q->cond);
out_unlock:
	pthread_mutex_unlock(&q->lock);
}

/* Expire one name (nothing to do when the kernel has not cached it). */
static void expire_one(struct dentry_queue *q, uint64_t parent,
		       const char *name)
{
	size_t len = strlen(name);
	int ret;

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return;
	/* expire only: the dentry stays (a cwd in it keeps working), the
	 * next walk revalidates it with a LOOKUP */
	ret = fuse_lowlevel_notify_expire_entry(q->se, parent, name, len,
						FUSE_LL_EXPIRE_ONLY);
	if (ret && ret != -ENOENT)
		ret = fuse_lowlevel_notify_inval_entry(q->se, parent, name,
						       len);
	/* -ENOENT: not cached (or the directory is not) */
	if (ret && ret != -ENOENT)
		log_msg(LOG_WARNING, "directory %llu: cannot expire a cached "
				     "name: %d", (unsigned long long)parent,
			ret);
}

struct batch {
	size_t n;
	uint64_t next;
	char names[DENTRY_BATCH][STORE_NAME_MAX + 1];
};

static int collect(void *arg, const char *name, uint64_t ino, uint32_t mode,
		   uint64_t next)
{
	struct batch *b = arg;

	(void)ino;
	(void)mode;
	if (b->n == DENTRY_BATCH)
		return 1;
	memcpy(b->names[b->n], name, strnlen(name, STORE_NAME_MAX));
	b->names[b->n][strnlen(name, STORE_NAME_MAX)] = '\0';
	b->n++;
	b->next = next;
	return 0;
}

/* Every name of directory DIR, read in batches (the store's readdir
 * callback must not call the kernel: it may hold the store's locks). */
static void expire_all(struct dentry_queue *q, uint64_t dir)
{
	struct batch *b = malloc(sizeof(*b));
	uint64_t cookie = 0;
	size_t i;
	int ret;

	if (!b) {
		log_msg(LOG_ERR, "directory %llu: no memory to expire its "
				 "cached names", (unsigned long long)dir);
		return;
	}
	do {
		b->n = 0;
		ret = store_readdir(q->st, dir, cookie, collect, b);
		for (i = 0; i < b->n; i++)
			expire_one(q, dir, b->names[i]);
		cookie = b->next;
	} while (ret >= 0 && b->n == DENTRY_BATCH);
	if (ret < 0 && ret != -ENOENT)
		log_msg(LOG_WARNING, "directory %llu: cannot list it to expire "
				     "cached names: %d",
			(unsigned long long)dir, ret);
	free(b);
}

static void *dentry_thread(void *arg)
{
	struct dentry_queue *q = arg;
	struct dentry_item *it;

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
		pthread_mutex_unlock(&q->lock);
		if (it->all)
			expire_all(q, it->parent);
		else
			expire_one(q, it->parent, it->name);
		free(it);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int dentry_start(struct fs *fs)
{
	struct dentry_queue *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->tail = &q->head;
	q->se = fs->se;
	q->st = fs->st;
	ret = pthread_create(&q->thread, NULL, dentry_thread, q);
	if (ret) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -ret;
	}
	fs->dentries = q;
	return 0;
}

/* Finish what is queued (the session must still be mounted), stop. */
void dentry_stop(struct fs *fs)
{
	struct dentry_queue *q = fs->dentries;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	fs->dentries = NULL;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
