/* SPDX-License-Identifier: MIT */
/*
 * mount_opts.c - strict parsing of the pinfs mount options.
 */
#include "mount_opts.h"
#include "size.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const builtin_policies[] = {
	"break", "deny", "require-lease", "implicit-lease", "quarantine",
	"remap", NULL,
};

/* Passed to the kernel mount as they are. */
static const char *const kernel_flags[] = {
	"suid", "nosuid", "dev", "nodev", "exec", "noexec", "async", "sync",
	"dirsync", "atime", "noatime", "diratime", "nodiratime", "relatime",
	"norelatime", "strictatime", "nostrictatime", "lazytime",
	"nolazytime", NULL,
};

/* Meaningful to mount(8) or fstab only. */
static const char *const ignored_flags[] = {
	"defaults", "auto", "noauto", "nofail", "user", "nouser", "users",
	"owner", "group", "_netdev", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

bool mount_opts_policy_builtin(const char *name)
{
	return in_list(builtin_policies, name);
}

void mount_opts_init(struct mount_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->policy, sizeof(o->policy), "break");
	o->lease_break_ms = MOUNT_OPTS_DEFAULT_LEASE_BREAK_MS;
	o->kill_grace_ms = MOUNT_OPTS_DEFAULT_KILL_GRACE_MS;
	o->perm = MOUNT_PERM_AUTO;
}

enum mount_perm mount_opts_perm(const struct mount_opts *o)
{
	if (o->perm != MOUNT_PERM_AUTO)
		return o->perm;
	return o->allow_other ? MOUNT_PERM_KERNEL : MOUNT_PERM_DAEMON;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_id(const char *val, bool group, uint32_t *out)
{
	uint64_t v;

	if (num_parse(val, UINT32_MAX - 1, &v) == 0) {
		*out = (uint32_t)v;
		return 0;
	}
	if (group) {
		struct group *gr = getgrnam(val);

		if (!gr)
			return -ENOENT;
		*out = gr->gr_gid;
	} else {
		struct passwd *pw = getpwnam(val);

		if (!pw)
			return -ENOENT;
		*out = pw->pw_uid;
	}
	return 0;
}

static int set_policy(struct mount_opts *o, const char *val, char *err,
		      size_t errlen)
{
	char path[MOUNT_OPTS_POLICY_MAX];
	struct stat sb;

	if (mount_opts_policy_builtin(val)) {
		snprintf(o->policy, sizeof(o->policy), "%s", val);
		return 0;
	}
	if (val[0] != '/')
		return fail(err, errlen,
			    "unknown policy '%s' (break, deny, require-lease, "
			    "implicit-lease, quarantine, remap, or an absolute "
			    "path to a plugin .so[:ARGS])", val);
	if (strlen(val) >= sizeof(o->policy))
		return fail(err, errlen, "policy path too long");
	/* "/path/plugin.so:ARGS": the file is what precedes the colon */
	snprintf(path, sizeof(path), "%s", val);
	path[strcspn(path, ":")] = '\0';
	if (stat(path, &sb) || !S_ISREG(sb.st_mode))
		return fail(err, errlen, "policy plugin '%s' is not a file",
			    path);
	snprintf(o->policy, sizeof(o->policy), "%s", val);
	return 0;
}

static int add_kernel_flag(struct mount_opts *o, const char *flag, char *err,
			   size_t errlen)
{
	size_t used = strlen(o->kernel);
	int n = snprintf(o->kernel + used, sizeof(o->kernel) - used, "%s%s",
			 used ? "," : "", flag);

	if (n < 0 || (size_t)n >= sizeof(o->kernel) - used) {
		o->kernel[used] = '\0';
		return fail(err, errlen, "too many mount flags");
	}
	return 0;
}

static int parse_ms(const char *key, const char *val, uint32_t min,
		    uint32_t *out, char *err, size_t errlen)
{
	uint64_t v;

	if (num_parse(val, MOUNT_OPTS_MAX_MS, &v) || v < min)
		return fail(err, errlen,
			    "bad value for %s: '%s' (milliseconds, %u..%u)",
			    key, val, min, MOUNT_OPTS_MAX_MS);
	*out = (uint32_t)v;
	return 0;
}

static int parse_bytes(const char *key, const char *val, uint64_t *out,
		       char *err, size_t errlen)
{
	if (size_parse(val, out) || *out == 0)
		return fail(err, errlen,
			    "bad value for %s: '%s' (a size like 64M or 1G)",
			    key, val);
	return 0;
}

static int parse_one(struct mount_opts *o, char *opt, char *err,
		     size_t errlen)
{
	char *val = strchr(opt, '=');
	uint32_t id;

	if (val)
		*val++ = '\0';
	if (!val) {
		if (!strcmp(opt, "allow_other"))
			o->allow_other = true;
		else if (!strcmp(opt, "ro"))
			o->ro = true;
		else if (!strcmp(opt, "rw"))
			o->ro = false;
		else if (!strcmp(opt, "debug"))
			o->debug = true;
		else if (!strcmp(opt, "deny_ebusy"))
			o->deny_ebusy = true;
		else if (!strcmp(opt, "default_permissions"))
			o->perm = MOUNT_PERM_KERNEL;
		else if (in_list(kernel_flags, opt))
			return add_kernel_flag(o, opt, err, errlen);
		else if (in_list(ignored_flags, opt) || !strncmp(opt, "x-", 2))
			return 0;
		else
			return fail(err, errlen, "unknown mount option '%s'",
				    opt);
		return 0;
	}
	if (!strcmp(opt, "size")) {
		if (size_parse(val, &o->size) || o->size == 0)
			return fail(err, errlen,
				    "bad value for size: '%s' (a size like 64M or 1G)",
				    val);
	} else if (!strcmp(opt, "pin_uid")) {
		if (parse_id(val, false, &id))
			return fail(err, errlen, "pin_uid: unknown user '%s'",
				    val);
		o->pin_uid = id;
		o->have_pin_uid = true;
	} else if (!strcmp(opt, "pin_gid")) {
		if (parse_id(val, true, &id))
			return fail(err, errlen, "pin_gid: unknown group '%s'",
				    val);
		o->pin_gid = id;
		o->have_pin_gid = true;
	} else if (!strcmp(opt, "policy")) {
		return set_policy(o, val, err, errlen);
	} else if (!strcmp(opt, "permissions")) {
		if (!strcmp(val, "auto"))
			o->perm = MOUNT_PERM_AUTO;
		else if (!strcmp(val, "daemon"))
			o->perm = MOUNT_PERM_DAEMON;
		else if (!strcmp(val, "kernel"))
			o->perm = MOUNT_PERM_KERNEL;
		else
			return fail(err, errlen,
				    "bad value for permissions: '%s' (auto, "
				    "daemon or kernel)", val);
	} else if (!strcmp(opt, "direct_write")) {
		if (!strcmp(val, "on"))
			o->no_direct_write = false;
		else if (!strcmp(val, "off"))
			o->no_direct_write = true;
		else
			return fail(err, errlen,
				    "bad value for direct_write: '%s' (on or off)",
				    val);
	} else if (!strcmp(opt, "lease_break_time")) {
		return parse_ms(opt, val, 1, &o->lease_break_ms, err, errlen);
	} else if (!strcmp(opt, "kill_grace")) {
		return parse_ms(opt, val, 0, &o->kill_grace_ms, err, errlen);
	} else if (!strcmp(opt, "max_pin_bytes")) {
		return parse_bytes(opt, val, &o->max_pin_bytes, err, errlen);
	} else if (!strcmp(opt, "max_pin_bytes_holder")) {
		return parse_bytes(opt, val, &o->max_pin_bytes_holder, err,
				   errlen);
	} else if (!strncmp(opt, "x-", 2) || !strcmp(opt, "comment") ||
		   !strcmp(opt, "user")) {
		return 0; /* for mount(8) and fstab only */
	} else {
		return fail(err, errlen, "unknown mount option '%s'", opt);
	}
	return 0;
}

int mount_opts_parse(struct mount_opts *o, const char *arg, char *err,
		     size_t errlen)
{
	char *copy, *opt, *save = NULL;
	int ret = 0;

	if (!arg)
		return fail(err, errlen, "missing mount options");
	copy = strdup(arg);
	if (!copy)
		return fail(err, errlen, "out of memory");
	for (opt = strtok_r(copy, ",", &save); opt && !ret;
	     opt = strtok_r(NULL, ",", &save))
		ret = parse_one(o, opt, err, errlen);
	free(copy);
	return ret;
}
