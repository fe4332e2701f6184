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
#include "workq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Names read per store_readdir() call when a whole directory expires. */
#define DENTRY_BATCH 64

struct dentry_item {
	struct workq_item link;           /* first */
	uint64_t parent;
	bool all;                         /* every name in PARENT */
	char name[];                      /* when !all */
};

struct dentry_queue {
	struct workq *wq;
	struct fuse_session *se;
	struct store *st;
};

struct dentry_req {
	uint64_t parent;
	const char *name;                 /* NULL: every name */
};

static bool absorb(struct workq_item *queued, const void *req)
{
	const struct dentry_item *it = (const struct dentry_item *)queued;
	const struct dentry_req *r = req;

	/* already queued */
	return it->parent == r->parent &&
	       (it->all || (r->name && !strcmp(it->name, r->name)));
}

static struct workq_item *make(const void *req)
{
	const struct dentry_req *r = req;
	size_t len = r->name ? strlen(r->name) + 1 : 0;
	struct dentry_item *it = malloc(sizeof(*it) + len);

	if (!it)
		return NULL;
	it->parent = r->parent;
	it->all = !r->name;
	if (r->name)
		memcpy(it->name, r->name, len);
	return &it->link;
}

void fs_expire_entry(struct fs *fs, uint64_t parent, const char *name)
{
	struct dentry_queue *q = fs->dentries;
	struct dentry_req req = { parent, name };

	if (q && workq_add(q->wq, &req, absorb, make))
		log_msg(LOG_ERR, "directory %llu: no memory to queue a name "
				 "expiry", (unsigned long long)parent);
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

static void run(void *ctx, struct workq_item *item)
{
	struct dentry_queue *q = ctx;
	struct dentry_item *it = (struct dentry_item *)item;

	if (it->all)
		expire_all(q, it->parent);
	else
		expire_one(q, it->parent, it->name);
	free(it);
}

int dentry_start(struct fs *fs)
{
	struct dentry_queue *q = calloc(1, sizeof(*q));
	int ret;

	if (!q)
		return -ENOMEM;
	q->se = fs->se;
	q->st = fs->st;
	ret = workq_start(&q->wq, run, q);
	if (ret) {
		free(q);
		return ret;
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
	workq_stop(&q->wq);
	fs->dentries = NULL;
	free(q);
}
