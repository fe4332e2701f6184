/* SPDX-License-Identifier: MIT */
/*
 * ops.h - shared state and helpers of the FUSE glue (fusefs/ops*.c).
 *
 * Only the ops*.c files include fuse_lowlevel.h.  Each handler decodes
 * the request, calls one store function and replies; errors travel as
 * -errno until ops_reply_err(), the one place that turns them into the
 * positive errno FUSE wants (and refuses to send 512..999, which the
 * kernel would reject, leaving the caller hung).
 */
#ifndef PINFS_FUSEFS_OPS_H
#define PINFS_FUSEFS_OPS_H

#define FUSE_USE_VERSION 314 /* libfuse 3.14 */
#include <fuse_lowlevel.h>

#include "mount_opts.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

/* Kernel caches of attributes and names: modest, see docs/daemon.md. */
#define OPS_ATTR_TIMEOUT 1.0
#define OPS_ENTRY_TIMEOUT 1.0

struct inval_queue;
struct dentry_queue;
struct pending_queue;
struct poll_table;
struct pin_table;
struct broker;

/* The daemon: pointers to each module's object, no shared lock. */
struct fs {
	struct store *st;
	struct fuse_session *se;
	const struct mount_opts *opts;
	const char *region;           /* real path */
	struct inval_queue *inval;
	struct dentry_queue *dentries; /* name expiry (ops_dentry.c) */
	struct pending_queue *pending;
	struct poll_table *polls;
	struct pin_table *pt;         /* NULL on a read-only mount */
	bool perm_daemon;             /* the daemon checks permissions */
	struct broker *broker;
	atomic_uint_fast64_t next_fh; /* open file ids (leases hang on them) */
	atomic_bool direct_write;     /* write-only opens bypass the page cache */
};

static inline struct fs *ops_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The lowlevel operations table (ops_table.c). */
extern const struct fuse_lowlevel_ops ops_table;

/* Reply with -NEG_ERRNO made positive; odd values become EIO (logged). */
void ops_reply_err(fuse_req_t req, int neg_errno, const char *op);

void ops_attr_to_stat(const struct store_attr *a, struct stat *st);
/* Take a lookup reference on A->ino and reply with the entry, cached
 * by the kernel for ENTRY_TIMEOUT seconds (perm_entry_timeout()). */
void ops_reply_entry(fuse_req_t req, const struct store_attr *a,
		     double entry_timeout, const char *op);
struct store_cred ops_cred(fuse_req_t req);
/* Apply the caller's umask (FUSE_CAP_DONT_MASK is on). */
uint32_t ops_umask(fuse_req_t req, uint32_t mode);
/* True when the caller is in group GID (primary or supplementary). */
bool ops_in_group(fuse_req_t req, gid_t gid);
/* The same as 1 or 0, or -errno when the groups cannot be read. */
int ops_group_member(fuse_req_t req, gid_t gid);

/* ops_entry.c */
void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void ops_forget_multi(fuse_req_t req, size_t count,
		      struct fuse_forget_data *forgets);
void ops_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_readlink(fuse_req_t req, fuse_ino_t ino);
void ops_statfs(fuse_req_t req, fuse_ino_t ino);
void ops_access(fuse_req_t req, fuse_ino_t ino, int mask);
/* May the caller access A for MASK (R_OK|W_OK|X_OK), by the mode bits?
 * (ops_perm.c; perm_check() with a bool answer) */
bool ops_may(fuse_req_t req, const struct store_attr *a, int mask);

/* ops_setattr.c */
void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		 int to_set, struct fuse_file_info *fi);

/* ops_ns.c */
void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev);
void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode);
void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name);
void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname);
void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags);

/* ops_dir.c */
void ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi);
void ops_releasedir(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi);
void ops_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi);

/* ops_file.c */
void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi);
void ops_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi);
void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	       off_t off, struct fuse_file_info *fi);
void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
	       struct fuse_file_info *fi);
void ops_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	       struct fuse_file_info *fi);

/* ops_layout.c: calls that may change layout (and so may wait on pins) */
void ops_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		   off_t length, struct fuse_file_info *fi);
void ops_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			 struct fuse_file_info *fi_in, fuse_ino_t ino_out,
			 off_t off_out, struct fuse_file_info *fi_out,
			 size_t len, int flags);

/* ops_xattr.c */
void ops_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags);
void ops_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size);
void ops_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void ops_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ops_ioctl.c */
void ops_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
	       struct fuse_file_info *fi, unsigned flags, const void *in_buf,
	       size_t in_bufsz, size_t out_bufsz);

/* ops_poll.c: poll on open files (POLLPRI = a break is pending) */
void ops_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
	      struct fuse_pollhandle *ph);
int poll_start(struct fs *fs);
void poll_stop(struct fs *fs);
/* The pin layer's notice that FH has a new break event. */
void poll_notify_fh(void *fs, uint64_t fh);
/* Forget the poll handle of a closed file. */
void poll_release(struct fs *fs, uint64_t fh);

/* ops_inval.c: page-cache invalidation from a worker thread */
int inval_start(struct fs *fs);
void inval_stop(struct fs *fs);
/*
 * Drop the kernel's cached pages of [off, off+len) of INO (len 0 = to the
 * end) so that read() and mmaps of the file on the mount refetch them.
 * Asynchronous (a worker thread calls the kernel); callable from any
 * thread, including handlers of that inode.
 */
void fs_invalidate(struct fs *fs, uint64_t ino, uint64_t off, uint64_t len);
/* True when no invalidation is queued or being sent. */
bool fs_invalidations_done(struct fs *fs);

/* ops_dentry.c: expiry of the kernel's cached names (see ops_perm.h) */
int dentry_start(struct fs *fs);
void dentry_stop(struct fs *fs);
/*
 * Make the kernel revalidate (LOOKUP) its cached name NAME in directory
 * PARENT, or every cached name in PARENT when NAME is NULL, on the next
 * walk.  Asynchronous (a worker thread calls the kernel, which locks
 * PARENT); callable from any handler.
 */
void fs_expire_entry(struct fs *fs, uint64_t parent, const char *name);

#endif /* PINFS_FUSEFS_OPS_H */
