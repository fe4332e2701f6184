/* SPDX-License-Identifier: MIT */
/* pinsrc_libpinfs.c - pinned targets through libpinfs. */
#include "pinsrc.h"

#include <errno.h>
#include <pinfs/ioctl.h>
#include <pinfs/pinfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

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

/* Add [fo, fo + len) of the file at region offset ro to out[*n], clipped
 * to the target, merged with the previous piece when both are contiguous. */
static int piece_add(const struct pinned_target *t, uint64_t fo, uint64_t ro,
		     uint64_t len, struct target_piece *out, unsigned max,
		     unsigned *n)
{
	uint64_t a = fo > t->file_off ? fo : t->file_off;
	uint64_t b = fo + len < t->file_off + t->len ? fo + len :
		     t->file_off + t->len;
	struct target_piece *p = *n ? &out[*n - 1] : NULL;

	if (a >= b)
		return 0;
	ro += a - fo;
	a -= t->file_off;
	b -= t->file_off;
	if (p && p->t_off + p->len == a && p->region_off + p->len == ro) {
		p->len += b - a;
		return 0;
	}
	if ((p && p->t_off + p->len != a) || (!p && a != 0))
		return -EIO; /* a write pin has no holes */
	if (*n == max)
		return -E2BIG;
	out[(*n)++] = (struct target_piece){ a, ro, b - a };
	return 0;
}

int pinsrc_pieces(struct pinsrc *s, const struct pinned_target *t,
		  struct target_piece *out, unsigned max)
{
	struct pinfs_mapping *m = t->owner;
	struct pinfs_extents *x = malloc(sizeof(*x));
	uint64_t first = 0, total = 1;
	unsigned n = 0;
	int ret = 0;

	if (!x)
		return -ENOMEM;
	while (!ret && first < total) {
		memset(x, 0, sizeof(*x));
		x->abi_version = PINFS_ABI_VERSION;
		x->off = t->file_off;
		x->len = t->len;
		x->first = first;
		x->pin_id = pinfs_mapping_id(m);
		if (ioctl(pinfs_file_fd(s->f), PINFS_IOC_EXTENTS, x) < 0) {
			ret = -errno;
			break;
		}
		if (x->count == 0 || x->count > PINFS_EXTENTS_MAX) {
			ret = -EIO;
			break;
		}
		for (uint32_t i = 0; i < x->count && !ret; i++)
			ret = piece_add(t, x->ext[i].file_off,
					x->ext[i].region_off, x->ext[i].len,
					out, max, &n);
		first += x->count;
		total = x->total;
	}
	free(x);
	if (!ret && (n == 0 || out[n - 1].t_off + out[n - 1].len != t->len))
		ret = -EIO;
	return ret ? ret : (int)n;
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
