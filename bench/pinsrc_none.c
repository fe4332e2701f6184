/* SPDX-License-Identifier: MIT */
/* pinsrc_none.c - built while libpinfs is not part of the build. */
#include "pinsrc.h"

#include <errno.h>

const char *pinsrc_missing(void)
{
	return "awaits libpinfs (the bench was built without it)";
}

int pinsrc_open(const char *path, int signo, struct pinsrc **out)
{
	return -ENOTSUP;
}

void pinsrc_close(struct pinsrc **sp)
{
}

int pinsrc_lease(struct pinsrc *s, uint64_t off, uint64_t len)
{
	return -ENOTSUP;
}

int pinsrc_pin(struct pinsrc *s, uint64_t off, uint64_t len,
	       struct pinned_target *t)
{
	return -ENOTSUP;
}

int pinsrc_pieces(struct pinsrc *s, const struct pinned_target *t,
		  struct target_piece *out, unsigned max)
{
	return -ENOTSUP;
}

int pinsrc_unpin(struct pinned_target *t)
{
	return -ENOTSUP;
}

int pinsrc_break_fd(const struct pinsrc *s)
{
	return -ENOTSUP;
}
