/* SPDX-License-Identifier: MIT */
/*
 * plugin_test.c - a policy plugin for the tests, and the smallest example
 * of the plugin API: "nopunch" refuses hole punches over pins and lets
 * every other change through (the pins' blocks stay held by pinfs).
 * Its init fails when given the argument "fail".
 */
#include <errno.h>
#include <string.h>

#include <pinfs/policy.h>

static int np_init(void **state, const char *args)
{
	*state = NULL;
	return args && !strcmp(args, "fail") ? -EINVAL : 0;
}

static int np_conflict(void *state,
		       const struct pinfs_policy_change_desc *chg,
		       const struct pinfs_policy_pin *pin)
{
	return chg->why == PINFS_CHANGE_PUNCH ? PINFS_ACT_DENY
					      : PINFS_ACT_IGNORE;
}

static const struct pinfs_policy_ops ops = {
	.api_version = PINFS_POLICY_API_VERSION,
	.struct_size = sizeof(struct pinfs_policy_ops),
	.name = "nopunch",
	.init = np_init,
	.on_conflict = np_conflict,
};

const struct pinfs_policy_ops *pinfs_policy_v1(void)
{
	return &ops;
}
