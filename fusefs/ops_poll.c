/* SPDX-License-Identifier: MIT */
/*
 * ops_poll.c - poll(2)/epoll/io_uring POLL_ADD on files of the mount.
 *
 * A regular file is always readable and writable; POLLPRI says a break
 * is pending for a pin taken through this open file (pin_file_poll).
 * The kernel gives a poll handle when it wants to be told of changes: we
 * keep the newest handle per open file (fh) and, when the pin layer
 * reports a new break on that fh, notify it once; the kernel then polls
 * again and gets the current state.
 */
#include "ops.h"
#include "log.h"
#include "pin.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#define POLL_BUCKETS 256

struct poll_entry {
	uint64_t fh;
	struct fuse_pollhandle *ph;
	struct poll_entry *next;
};

struct poll_table {
	pthread_mutex_t lock;
	struct poll_entry *bucket[POLL_BUCKETS];
};

static struct poll_entry **find(struct poll_table *t, uint64_t fh)
{
	struct poll_entry **pp = &t->bucket[fh % POLL_BUCKETS];

	while (*pp && (*pp)->fh != fh)
		pp = &(*pp)->next;
	return pp;
}

/* Keep PH as FH's newest handle (destroying the one it replaces). */
static int keep_handle(struct poll_table *t, uint64_t fh,
		       struct fuse_pollhandle *ph)
{
	struct fuse_pollhandle *old = NULL;
	struct poll_entry **pp, *e;

	pthread_mutex_lock(&t->lock);
	pp = find(t, fh);
	if (*pp) {
		old = (*pp)->ph;
		(*pp)->ph = ph;
	} else {
		e = malloc(sizeof(*e));
		if (!e) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		*e = (struct poll_entry){ .fh = fh, .ph = ph };
		*pp = e;
	}
	pthread_mutex_unlock(&t->lock);
	if (old)
		fuse_pollhandle_destroy(old);
	return 0;
}

void ops_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	      struct fuse_pollhandle *ph)
{
	struct fs *fs = ops_fs(req);
	unsigned revents = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

	if (ph && (!fs->polls || keep_handle(fs->polls, fi->fh, ph))) {
		fuse_pollhandle_destroy(ph);
		ops_reply_err(req, -ENOMEM, "poll");
		return;
	}
	if (fs->pt)
		revents |= pin_file_poll(fs->pt, fi->fh);
	fuse_reply_poll(req, revents);
}

void poll_notify_fh(void *arg, uint64_t fh)
{
	struct fs *fs = arg;
	struct poll_table *t = fs->polls;
	struct poll_entry **pp, *e;
	struct fuse_pollhandle *ph = NULL;
	int ret;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	pp = find(t, fh);
	if (*pp) {
		e = *pp;
		ph = e->ph;
		*pp = e->next;
		free(e);
	}
	pthread_mutex_unlock(&t->lock);
	if (!ph)
		return; /* nobody polls: they read the break on their own */
	ret = fuse_lowlevel_notify_poll(ph);
	if (ret && ret != -ENOENT)
		log_msg(LOG_WARNING, "poll notify of fh %llu failed: %d",
			(unsigned long long)fh, ret);
	fuse_pollhandle_destroy(ph);
}

void poll_release(struct fs *fs, uint64_t fh)
{
	struct poll_table *t = fs->polls;
	struct poll_entry **pp, *e = NULL;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	pp = find(t, fh);
	if (*pp) {
		e = *pp;
		*pp = e->next;
	}
	pthread_mutex_unlock(&t->lock);
	if (e) {
		fuse_pollhandle_destroy(e->ph);
		free(e);
	}
}

int poll_start(struct fs *fs)
{
	struct poll_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	fs->polls = t;
	return 0;
}

void poll_stop(struct fs *fs)
{
	struct poll_table *t = fs->polls;
	struct poll_entry *e, *next;
	unsigned i;

	if (!t)
		return;
	for (i = 0; i < POLL_BUCKETS; i++) {
		for (e = t->bucket[i]; e; e = next) {
			next = e->next;
			fuse_pollhandle_destroy(e->ph);
			free(e);
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t);
	fs->polls = NULL;
}
