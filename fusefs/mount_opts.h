/* SPDX-License-Identifier: MIT */
/*
 * mount_opts.h - the options of `pinfs mount -o ...` (and of fstab lines).
 *
 * Parsing is strict: an unknown option or a malformed value is an error
 * with a one-line reason, before anything is opened or written.  The pin
 * options are parsed and validated here and carried to the pin layer
 * unchanged.  Generic mount flags (nosuid, nodev, noexec, noatime, ...)
 * are passed on to the kernel mount; fstab-only words (defaults, noauto,
 * nofail, user, _netdev, x-*, comment=) are accepted and ignored.
 */
#ifndef PINFS_FUSEFS_MOUNT_OPTS_H
#define PINFS_FUSEFS_MOUNT_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MOUNT_OPTS_DEFAULT_LEASE_BREAK_MS 45000u /* the kernel's 45 s */
#define MOUNT_OPTS_DEFAULT_KILL_GRACE_MS 10000u
#define MOUNT_OPTS_MAX_MS 86400000u /* one day */
#define MOUNT_OPTS_POLICY_MAX PATH_MAX
#define MOUNT_OPTS_KERNEL_MAX 512

/*
 * Who checks access by the mode bits (permissions=, docs/daemon.md):
 * the daemon on every request, or the kernel (default_permissions).
 * AUTO (the default): the kernel on a mount other users reach
 * (allow_other), since only its checks cover FIFOs, sockets and device
 * nodes; the daemon on a mount only its owner reaches.
 */
enum mount_perm {
	MOUNT_PERM_AUTO = 0,
	MOUNT_PERM_DAEMON,
	MOUNT_PERM_KERNEL,
};

struct mount_opts {
	uint64_t size;          /* size=: format a missing region file */
	enum mount_perm perm;   /* permissions=, default_permissions */
	bool allow_other;
	bool ro;
	bool debug;
	bool deny_ebusy;        /* deny policy answers EBUSY, not ETXTBSY */
	bool no_direct_write;   /* direct_write=off: every open is cached */
	bool have_pin_uid, have_pin_gid;
	uid_t pin_uid;          /* pin_uid=: who may pin (besides root) */
	gid_t pin_gid;          /* pin_gid= */
	char policy[MOUNT_OPTS_POLICY_MAX]; /* built-in name or plugin path */
	uint32_t lease_break_ms; /* lease_break_time= */
	uint32_t kill_grace_ms;  /* kill_grace=, 0 = never SIGKILL */
	uint64_t max_pin_bytes;        /* per mount; 0 = region size */
	uint64_t max_pin_bytes_holder; /* per holder; 0 = region size */
	/* generic flags for the kernel, comma-separated ("nosuid,nodev") */
	char kernel[MOUNT_OPTS_KERNEL_MAX];
};

/* Fill O with the defaults. */
void mount_opts_init(struct mount_opts *o);

/*
 * Parse one -o argument ("a,b=c,...") into O (later options override
 * earlier ones).  Returns 0, or -EINVAL with a one-line reason in ERR.
 */
int mount_opts_parse(struct mount_opts *o, const char *arg, char *err,
		     size_t errlen);

/* Who checks permissions on a mount with options O: AUTO resolved. */
enum mount_perm mount_opts_perm(const struct mount_opts *o);

/* True when NAME is one of the built-in revoke policies. */
bool mount_opts_policy_builtin(const char *name);

#endif /* PINFS_FUSEFS_MOUNT_OPTS_H */
