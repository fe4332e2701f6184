/* SPDX-License-Identifier: MIT */
/*
 * ops_session.c - the daemon's life: session, kernel mount, threads,
 * signals, unmount (daemon.h).
 */
#include "broker.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "ops_io.h"
#include "ops_pending.h"
#include "pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Worker threads: enough that a few slow requests never starve the
 * ioctls that end a revoke (see docs/daemon.md). */
#define DAEMON_MAX_THREADS 16
#define DAEMON_IDLE_THREADS 4

/*
 * The broker asks who holds a pin.  The pin listing pages by index, so
 * this walks it (O(pins); lib/pin has no lookup by id for us yet).
 */
static int broker_lookup(void *arg, uint64_t pin_id, pid_t *pid, uid_t *uid,
			 bool *write)
{
	struct fs *fs = arg;

	return fs->pt ? pin_holder_of(fs->pt, pin_id, pid, uid, write)
		      : -ENOENT;
}

/* A write pin ended: what its holder stored must show through the mount. */
static void write_end_inval(void *arg, uint64_t ino, uint64_t off,
			    uint64_t len)
{
	fs_invalidate(arg, ino, off, len);
}

/* Pin table (registered as the store's gate), recovery, broker. */
static int start_pins(struct fs *fs, const struct daemon_params *p)
{
	const struct mount_opts *o = p->opts;
	struct pin_options po;
	const char *why = NULL;
	int ret;

	if (o->ro)
		return 0; /* nothing can change layout: no pins */
	pin_options_init(&po);
	po.policy = o->policy;
	po.lease_break_ms = o->lease_break_ms;
	po.kill_grace_ms = o->kill_grace_ms;
	po.max_pin_bytes_mount = o->max_pin_bytes;
	po.max_pin_bytes_holder = o->max_pin_bytes_holder;
	if (o->deny_ebusy)
		po.flags |= PIN_OPT_DENY_EBUSY;
	po.poll_notify = poll_notify_fh;
	po.poll_arg = fs;
	po.write_end = write_end_inval;
	po.write_end_arg = fs;
	ret = pin_table_new(fs->st, &po, &fs->pt, &why);
	if (ret) {
		fprintf(stderr, "pinfs mount: policy=%s: %s\n", o->policy,
			why ? why : strerror(-ret));
		return ret;
	}
	ret = pin_recover(fs->pt);
	if (ret < 0) {
		fprintf(stderr, "pinfs mount: cannot recover pins: %s\n",
			strerror(-ret));
		return ret;
	}
	if (ret > 0)
		log_msg(LOG_INFO, "%d pins survived the last daemon", ret);
	ret = broker_start(p->region, broker_lookup, fs, &fs->broker);
	if (ret) {
		fprintf(stderr, "pinfs mount: cannot start the broker: %s\n",
			strerror(-ret));
		return ret;
	}
	broker_set_trace(fs->broker, pin_table_trace(fs->pt));
	return 0;
}

/* Stop what start_pins and the threads started, in dependency order. */
static void stop_all(struct fs *fs)
{
	pending_quiesce(fs);
	broker_stop(&fs->broker);
	/* wakes every waiter with -ESHUTDOWN; their replies are queued */
	pin_table_delete(&fs->pt);
	pending_stop(fs);
	inval_stop(fs);
	dentry_stop(fs);
}

void daemon_notify_parent(int *fd, unsigned char status)
{
	ssize_t n;

	if (*fd < 0)
		return;
	do
		n = write(*fd, &status, 1);
	while (n < 0 && errno == EINTR);
	close(*fd);
	*fd = -1;
}

/* Append S to the -o string, escaping ',' and '\' for libfuse. */
static int append_escaped(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	for (; *s; s++) {
		if (used + 3 >= len)
			return -ENAMETOOLONG;
		if (*s == ',' || *s == '\\')
			buf[used++] = '\\';
		buf[used++] = *s;
	}
	buf[used] = '\0';
	return 0;
}

static int build_optstr(const struct daemon_params *p, char *buf, size_t len)
{
	const struct mount_opts *o = p->opts;
	size_t used;
	int n;

	snprintf(buf, len, "fsname=");
	if (append_escaped(buf, len, p->region))
		return -ENAMETOOLONG;
	used = strlen(buf);
	n = snprintf(buf + used, len - used,
		     ",subtype=pinfs%s%s%s%s%s",
		     mount_opts_perm(o) == MOUNT_PERM_KERNEL ?
			     ",default_permissions" : "",
		     o->allow_other ? ",allow_other" : "",
		     o->ro ? ",ro" : "", o->kernel[0] ? "," : "", o->kernel);
	return n < 0 || (size_t)n >= len - used ? -ENAMETOOLONG : 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	log_use_syslog();
}

static int serve(struct fs *fs, const struct daemon_params *p, int *ready_fd)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (fuse_session_mount(fs->se, p->mountpoint)) {
		fprintf(stderr, "pinfs mount: cannot mount %s on %s\n",
			p->region, p->mountpoint);
		return 1;
	}
	ret = ops_io_install(fs->se);
	if (ret) {
		fprintf(stderr, "pinfs mount: cannot set up device I/O: %s\n",
			strerror(-ret));
		fuse_session_unmount(fs->se);
		return 1;
	}
	daemon_notify_parent(ready_fd, 0);
	if (p->ready_fd >= 0) {
		if (chdir("/"))
			log_msg(LOG_WARNING, "chdir /: %s", strerror(errno));
		detach_stdio();
	}
	log_msg(LOG_INFO, "mounted %s on %s (permissions checked by the %s)",
		p->region, p->mountpoint, fs->perm_daemon ? "daemon" : "kernel");
	if (fs->perm_daemon && p->opts->allow_other)
		log_msg(LOG_WARNING, "permissions=daemon with allow_other: the "
				     "modes of FIFOs, sockets and device nodes "
				     "are not enforced (see pinfs(8))");
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		log_msg(LOG_ERR, "out of memory");
		ret = 1;
	} else {
		fuse_loop_cfg_set_max_threads(cfg, DAEMON_MAX_THREADS);
		fuse_loop_cfg_set_idle_threads(cfg, DAEMON_IDLE_THREADS);
		ret = fuse_session_loop_mt(fs->se, cfg) < 0 ? 1 : 0;
		fuse_loop_cfg_destroy(cfg);
	}
	stop_all(fs);
	fuse_session_unmount(fs->se);
	log_msg(LOG_INFO, "unmounted %s", p->mountpoint);
	return ret;
}

int daemon_run(struct store *st, const struct daemon_params *p)
{
	struct fs fs = {
		.st = st, .opts = p->opts, .region = p->region, .next_fh = 1,
		.perm_daemon = mount_opts_perm(p->opts) == MOUNT_PERM_DAEMON,
	};
	char optstr[4096 + 256];
	char *argv[5];
	struct fuse_args args;
	int ready_fd = p->ready_fd;
	int argc = 0, ret = 1;

	if (build_optstr(p, optstr, sizeof(optstr))) {
		fprintf(stderr, "pinfs mount: region path too long\n");
		goto out_notify;
	}
	argv[argc++] = "pinfs";
	argv[argc++] = "-o";
	argv[argc++] = optstr;
	if (p->opts->debug)
		argv[argc++] = "-d";
	argv[argc] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	log_set_debug(p->opts->debug);
	fs.se = fuse_session_new(&args, &ops_table, sizeof(ops_table), &fs);
	fuse_opt_free_args(&args);
	if (!fs.se) {
		fprintf(stderr, "pinfs mount: cannot start a FUSE session\n");
		goto out_notify;
	}
	if (fuse_set_signal_handlers(fs.se)) {
		fprintf(stderr, "pinfs mount: cannot set signal handlers\n");
		goto out_destroy;
	}
	if (inval_start(&fs) || dentry_start(&fs) || pending_start(&fs) ||
	    poll_start(&fs)) {
		fprintf(stderr, "pinfs mount: cannot start worker threads\n");
		goto out_threads;
	}
	if (start_pins(&fs, p))
		goto out_threads;
	ret = serve(&fs, p, &ready_fd);
out_threads:
	stop_all(&fs);
	poll_stop(&fs);
	fuse_remove_signal_handlers(fs.se);
out_destroy:
	fuse_session_destroy(fs.se);
out_notify:
	daemon_notify_parent(&ready_fd, 1);
	return ret;
}
