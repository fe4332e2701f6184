/* SPDX-License-Identifier: MIT */
/* pinsrc_libpinfs.c - pinned targets through libpinfs. */
#include "pinsrc.h"

#include <errno.h>
#include <pinfs/pinfs.h>
#include <stdlib.h>

struct pinsrc {
	struct pinfs_file *f;
	int signo;
};

const char *pinsrc_missing(void)
{
	return NULL;
}

int pinsrc_open(const char *path, int signo, struct pinsrc **out)
{
	struct pinsrc *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->signo = signo;
	ret = pinfs_file_new(path, PINFS_OPEN_WRITE, &s->f);
	if (!ret && signo)
		ret = pinfs_signal_install(signo);
	if (ret) {
		pinfs_file_delete(&s->f);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void pinsrc_close(struct pinsrc **sp)
{
	if (!*sp)
		return;
	pinfs_file_delete(&(*sp)->f);
	free(*sp);
	*sp = NULL;
}

int pinsrc_lease(struct pinsrc *s, uint64_t off, uint64_t len)
{
	return pinfs_lease_set(s->f, PINFS_LEASE_BREAKABLE, off, len, s->signo);
}

static bool mapping_broken(const struct pinned_target *t)
{
	return pinfs_mapping_broken(t->owner);
}

int pinsrc_pin(struct pinsrc *s, uint64_t off, uint64_t len,
	       struct pinned_target *t)
{
	struct pinfs_mapping *m;
	int ret = pinfs_pin(s->f, off, len, PINFS_PIN_WRITE, &m);

	if (ret)
		return ret;
	*t = (struct pinned_target){
		.base = pinfs_mapping_addr(m),
		.len = (size_t)len,
		.kind = "pinned",
		.broken = mapping_broken,
		.owner = m,
		.file_off = off,
	};
	return 0;
}

int pinsrc_unpin(struct pinned_target *t)
{
	struct pinfs_mapping *m = t->owner;

	t->owner = NULL;
	t->base = NULL;
	return pinfs_unpin(&m);
}

int pinsrc_break_fd(const struct pinsrc *s)
{
	return pinfs_break_fd(s->f);
}
