/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the built-in revocation policies and the plugin loader.
 * docs/policies.md says what each policy does and where it comes from.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pin_impl.h"

static int leased(const struct pinfs_policy_pin *pin)
{
	return (pin->flags & PINFS_POLICY_PIN_LEASED) != 0;
}

/* break: leased pins are broken and waited for; others get SIGBUS now. */
static int break_conflict(void *state,
			  const struct pinfs_policy_change_desc *chg,
			  const struct pinfs_policy_pin *pin)
{
	return leased(pin) ? PINFS_ACT_BREAK : PINFS_ACT_REVOKE;
}

static int deny_conflict(void *state,
			 const struct pinfs_policy_change_desc *chg,
			 const struct pinfs_policy_pin *pin)
{
	return PINFS_ACT_DENY;
}

static int require_pin(void *state, const struct pinfs_policy_pin *pin)
{
	return leased(pin) ? PINFS_PIN_ALLOW : PINFS_PIN_REFUSE;
}

static int implicit_pin(void *state, const struct pinfs_policy_pin *pin)
{
	return leased(pin) ? PINFS_PIN_ALLOW : PINFS_PIN_IMPLICIT_LEASE;
}

static int quarantine_conflict(void *state,
			       const struct pinfs_policy_change_desc *chg,
			       const struct pinfs_policy_pin *pin)
{
	return PINFS_ACT_QUARANTINE;
}

/* remap: a move (copy-on-write, clone onto the range, defrag) leaves the
 * pin's blocks where they are: the change goes on and the holder is told
 * to re-pin the new extents (its old blocks stay held until it unpins);
 * removing the data (truncate, punch, zero) breaks as `break` does. */
static int remap_conflict(void *state,
			  const struct pinfs_policy_change_desc *chg,
			  const struct pinfs_policy_pin *pin)
{
	if (chg->why == PINFS_CHANGE_COW || chg->why == PINFS_CHANGE_MOVE ||
	    chg->why == PINFS_CHANGE_CLONE_DEST)
		return PINFS_ACT_QUARANTINE;
	return break_conflict(state, chg, pin);
}

#define BUILTIN(nm, pin_fn, conflict_fn)                                     \
	{ .api_version = PINFS_POLICY_API_VERSION,                           \
	  .struct_size = sizeof(struct pinfs_policy_ops), .name = nm,        \
	  .on_pin = pin_fn, .on_conflict = conflict_fn }

static const struct pinfs_policy_ops builtins[PIN_NBUILTIN] = {
	BUILTIN("break", NULL, break_conflict),
	BUILTIN("deny", NULL, deny_conflict),
	BUILTIN("require-lease", require_pin, break_conflict),
	BUILTIN("implicit-lease", implicit_pin, break_conflict),
	BUILTIN("quarantine", NULL, quarantine_conflict),
	BUILTIN("remap", NULL, remap_conflict),
};

static bool valid_name(const char *name)
{
	size_t i, n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > PINFS_POLICY_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

struct pin_policy *pin_policy_find(struct pin_table *pt, const char *name)
{
	unsigned i;

	if (!name)
		return NULL;
	for (i = 0; i < PIN_NBUILTIN; i++)
		if (!strcmp(pt->builtin[i].ops->name, name))
			return &pt->builtin[i];
	if (pt->plugin.ops && !strcmp(pt->plugin.ops->name, name))
		return &pt->plugin;
	return NULL;
}

/* dlopen SPEC ("/path/plugin.so[:args]") into pt->plugin. */
static int load_plugin(struct pin_table *pt, const char *spec,
		       const char **why)
{
	const struct pinfs_policy_ops *ops;
	pinfs_policy_v1_fn entry;
	char *path = strdup(spec), *args;
	void *dl;
	int rc;

	if (!path)
		return -ENOMEM;
	args = strchr(path, ':');
	if (args)
		*args++ = '\0';
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		free(path);
		*why = "policy plugin: dlopen failed";
		return -EINVAL;
	}
	*(void **)(&entry) = dlsym(dl, "pinfs_policy_v1");
	ops = entry ? entry() : NULL;
	if (!ops) {
		*why = "policy plugin: no pinfs_policy_v1 or it returned NULL";
		rc = -EINVAL;
		goto err_close;
	}
	if (ops->api_version != PINFS_POLICY_API_VERSION ||
	    ops->struct_size != sizeof(*ops)) {
		*why = "policy plugin: API version or struct size mismatch";
		rc = -EINVAL;
		goto err_close;
	}
	if (!valid_name(ops->name) || !ops->on_conflict) {
		*why = "policy plugin: bad name or no on_conflict";
		rc = -EINVAL;
		goto err_close;
	}
	if (pin_policy_find(pt, ops->name)) {
		*why = "policy plugin: name taken by a built-in policy";
		rc = -EINVAL;
		goto err_close;
	}
	pt->plugin.state = NULL;
	if (ops->init) {
		rc = ops->init(&pt->plugin.state, args);
		if (rc) {
			*why = "policy plugin: init failed";
			rc = rc < 0 ? rc : -EINVAL;
			goto err_close;
		}
	}
	pt->plugin.ops = ops;
	pt->plugin.dl = dl;
	free(path);
	return 0;

err_close:
	dlclose(dl);
	free(path);
	return rc;
}

int pin_policy_setup(struct pin_table *pt, const char *spec,
		     const char **why)
{
	unsigned i;
	int rc;

	for (i = 0; i < PIN_NBUILTIN; i++)
		pt->builtin[i].ops = &builtins[i];
	if (!spec || !*spec) {
		pt->mount_policy = &pt->builtin[0];
		return 0;
	}
	if (strchr(spec, '/')) {
		rc = load_plugin(pt, spec, why);
		if (rc)
			return rc;
		pt->mount_policy = &pt->plugin;
		return 0;
	}
	pt->mount_policy = pin_policy_find(pt, spec);
	if (!pt->mount_policy) {
		*why = "unknown policy (break, deny, require-lease, "
		       "implicit-lease, quarantine, remap or /path/plugin.so)";
		return -EINVAL;
	}
	return 0;
}

void pin_policy_teardown(struct pin_table *pt)
{
	if (!pt->plugin.ops)
		return;
	if (pt->plugin.ops->fini)
		pt->plugin.ops->fini(pt->plugin.state);
	dlclose(pt->plugin.dl);
	pt->plugin.ops = NULL;
	pt->plugin.dl = NULL;
}

struct pin_policy *pin_policy_of_locked(struct pin_table *pt,
					struct pin_inode *in)
{
	return in && in->policy ? in->policy : pt->mount_policy;
}

void pin_policy_desc(struct pin_table *pt, const struct pin *p,
		     struct pinfs_policy_pin *out)
{
	memset(out, 0, sizeof(*out));
	out->pin_id = p->id;
	out->ino = p->ino;
	out->off = p->off;
	out->len = p->len;
	out->pid = (uint32_t)p->holder->pid;
	out->uid = p->holder->uid;
	if (p->flags & PINFS_PIN_WRITE)
		out->flags |= PINFS_POLICY_PIN_WRITE;
	if (pin_is_leased_locked(pt, p))
		out->flags |= PINFS_POLICY_PIN_LEASED;
	if (p->flags & PINFS_PIN_RECOVERED)
		out->flags |= PINFS_POLICY_PIN_RECOVERED;
}

/* INO's policy xattr (no lock held): the policy named, or NULL. */
static struct pin_policy *read_xattr(struct pin_table *pt, uint64_t ino)
{
	char buf[PINFS_POLICY_NAME_MAX + 2];
	ssize_t n;

	n = store_getxattr(pt->st, ino, PIN_POLICY_XATTR, buf,
			   sizeof(buf) - 1);
	if (n <= 0)
		return NULL; /* none (or unreadable): the mount's policy */
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pin_policy_find(pt, buf);
}

int pin_file_policy_set(struct pin_table *pt, uint64_t ino, const char *name)
{
	struct pin_policy *pol = NULL;
	struct itree_node *n;

	if (name) {
		pol = pin_policy_find(pt, name);
		if (!pol)
			return -EINVAL;
	}
	pthread_mutex_lock(&pt->lock);
	n = itree_find_point(&pt->inodes, ino);
	if (n)
		itree_entry(n, struct pin_inode, node)->policy = pol;
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

struct pin_inode *pin_inode_grab(struct pin_table *pt, uint64_t ino)
{
	struct pin_policy *pol = NULL;
	struct itree_node *n;
	bool have_pol = false;

	for (;;) {
		pthread_mutex_lock(&pt->lock);
		n = itree_find_point(&pt->inodes, ino);
		if (n || have_pol)
			return pin_inode_get_locked(pt, ino, pol);
		/* A new record: read the xattr without the lock, look again. */
		pthread_mutex_unlock(&pt->lock);
		pol = read_xattr(pt, ino);
		have_pol = true;
	}
}
