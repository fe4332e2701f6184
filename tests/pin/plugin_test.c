/* SPDX-License-Identifier: MIT */
/*
 * plugin_test.c - a policy plugin for the tests, and the smallest example
 * of the plugin API: "nopunch" refuses hole punches over pins and lets
 * every other change through (the pins' blocks stay held by pinfs).
 * Arguments for the tests: "fail" makes init fail; "break" answers BREAK
 * to every conflict; "bogus" answers 42 (no such action).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <pinfs/policy.h>

enum np_mode { NP_NOPUNCH = 1, NP_BREAK, NP_BOGUS };

static int np_init(void **state, const char *args)
{
	uintptr_t mode = NP_NOPUNCH;

	if (args && !strcmp(args, "fail"))
		return -EINVAL;
	if (args && !strcmp(args, "break"))
		mode = NP_BREAK;
	else if (args && !strcmp(args, "bogus"))
		mode = NP_BOGUS;
	*state = (void *)mode;
	return 0;
}

static int np_conflict(void *state,
		       const struct pinfs_policy_change_desc *chg,
		       const struct pinfs_policy_pin *pin)
{
	switch ((uintptr_t)state) {
	case NP_BREAK:
		return PINFS_ACT_BREAK;
	case NP_BOGUS:
		return 42;
	default:
		return chg->why == PINFS_CHANGE_PUNCH ? PINFS_ACT_DENY
						      : PINFS_ACT_IGNORE;
	}
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
