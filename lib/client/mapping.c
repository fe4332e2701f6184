/* SPDX-License-Identifier: MIT */
/*
 * mapping.c - pin a range and map it as one contiguous span.
 *
 * The span is reserved first (anonymous, PROT_NONE for a write pin; a
 * read-only zero mapping for a read pin, so holes and unwritten extents
 * read as zeros), then each extent of the pin is mapped over its place
 * with MAP_SHARED | MAP_FIXED from the region descriptor.  A write pin
 * must be covered completely: a hole would turn stores into lost writes.
 * The span is MADV_DONTFORK: children of the holder do not inherit it.
 *
 * On a devdax region (the descriptor is a character device) the kernel
 * maps only whole units of the device's alignment (2 MiB by default):
 * the span is reserved at that alignment, and a pin whose pieces (region
 * offset, place in the span, length) are not multiples of it fails with
 * EINVAL before anything of it is mapped; pinfs_pin then unpins.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096u;
}

/* Map one page of extents; *covered advances over the mapped bytes. */
static int map_extents(struct pinfs_mapping *m, int region_fd,
		       uint64_t align, const struct pinfs_extent *ext,
		       uint32_t n, uint64_t *covered)
{
	bool write = m->flags & PINFS_PIN_WRITE;
	uint64_t pg = page_size(), end = m->pin_off + m->pin_len;

	for (uint32_t i = 0; i < n; i++) {
		const struct pinfs_extent *e = &ext[i];
		uint64_t s, t;

		if (e->len == 0 || e->file_off + e->len < e->file_off)
			return -EIO;
		s = e->file_off > m->pin_off ? e->file_off : m->pin_off;
		t = e->file_off + e->len < end ? e->file_off + e->len : end;
		if (s >= t)
			continue; /* outside the pin */
		/* Sorted, non-overlapping extents, as the ABI promises. */
		if (s < m->pin_off + *covered && write)
			return -EIO;
		uint64_t roff = e->region_off + (s - e->file_off);
		if (roff % pg || (s - m->pin_off) % pg || (t - s) % pg)
			return -EIO;
		if (write && s != m->pin_off + *covered)
			return -EIO; /* a hole under a write pin */
		*covered = t - m->pin_off;
		if (!write && (e->flags & PINFS_EXT_UNWRITTEN))
			continue; /* reads as zeros: keep the zero page */
		/* devdax: never round out to a neighbour's blocks */
		if (cl_devdax_extent_ok(align, roff, s - m->pin_off, t - s))
			return -EINVAL;
		void *at = (char *)m->span + (s - m->pin_off);
		size_t len = (size_t)(t - s);
		len = (len + pg - 1) & ~(pg - 1);
		void *p = mmap(at, len, write ? PROT_READ | PROT_WRITE
					      : PROT_READ,
			       MAP_SHARED | MAP_FIXED, region_fd,
			       (off_t)roff);
		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

/* The extents after the first page: PINFS_IOC_EXTENTS by pin id. */
static int map_rest(struct pinfs_mapping *m, int region_fd, uint64_t align,
		    uint64_t first, uint64_t total, uint64_t *covered)
{
	struct pinfs_extents *x;
	int r = 0;

	x = malloc(sizeof(*x));
	if (!x)
		return -ENOMEM;
	while (first < total) {
		memset(x, 0, sizeof(*x)); /* all of it: the kernel copies it in */
		x->abi_version = PINFS_ABI_VERSION;
		x->off = m->pin_off;
		x->len = m->pin_len;
		x->first = first;
		x->pin_id = m->pin_id;
		if (ioctl(m->file->fd, PINFS_IOC_EXTENTS, x) < 0) {
			r = -errno;
			break;
		}
		if (x->count == 0 || x->count > PINFS_EXTENTS_MAX) {
			r = -EIO;
			break;
		}
		r = map_extents(m, region_fd, align, x->ext, x->count,
				covered);
		if (r < 0)
			break;
		first += x->count;
		total = x->total;
	}
	free(x);
	return r;
}

/* See client.h: over-reserve, then trim the head and the tail. */
void *cl_reserve_span(size_t len, uint64_t align, int prot)
{
	uint64_t pg = page_size(), extra = align > pg ? align - pg : 0;
	uint8_t *p, *a;

	if (len + extra < len || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, len + extra, prot,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (!extra)
		return p;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len + extra > a + len)
		munmap(a + len, (size_t)(p + len + extra - (a + len)));
	return a;
}

int cl_mapping_build(struct pinfs_mapping *m, const struct pinfs_pin *p)
{
	bool write = m->flags & PINFS_PIN_WRITE;
	uint64_t covered = 0, pg = page_size(), align = 0;
	int region_fd, r;

	if (p->count > PINFS_EXTENTS_MAX || p->count > p->total)
		return -EIO;
	r = cl_file_region_fd(m->file, m->pin_id, write, &region_fd);
	if (r < 0)
		return r;
	r = cl_region_kind(region_fd, &m->devdax, &align);
	if (r < 0)
		return r;
	/* devdax: the pin must be whole units of the alignment */
	if (m->devdax && (m->pin_off % align || m->pin_len % align))
		return -EINVAL;
	m->span_len = (size_t)((m->pin_len + pg - 1) & ~(pg - 1));
	m->span = cl_reserve_span(m->span_len, align,
			       write ? PROT_NONE : PROT_READ);
	if (!m->span)
		return -errno;
	r = map_extents(m, region_fd, align, p->ext, p->count, &covered);
	if (r == 0)
		r = map_rest(m, region_fd, align, p->count, p->total,
			     &covered);
	if (r == 0 && write && covered != m->pin_len)
		r = -EIO;
	/* A fork child is no holder: it must not keep access to blocks the
	 * daemon may reuse once the holder unpins (as ibv_fork_init does). */
	if (r == 0 && madvise(m->span, m->span_len, MADV_DONTFORK) < 0)
		r = -errno;
	if (r < 0)
		goto err_unmap;
	return 0;

err_unmap:
	munmap(m->span, m->span_len);
	m->span = NULL;
	return r;
}

static int unpin_ioctl(int fd, uint64_t pin_id)
{
	struct pinfs_unpin u;

	memset(&u, 0, sizeof(u));
	u.abi_version = PINFS_ABI_VERSION;
	u.pin_id = pin_id;
	return ioctl(fd, PINFS_IOC_UNPIN, &u) < 0 ? -errno : 0;
}

static struct pinfs_mapping *mapping_alloc(struct pinfs_file *f)
{
	struct pinfs_mapping *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->file = f;
	m->note_slot = -1;
	return m;
}

/* Shared tail of pinfs_pin / pinfs_attach: the daemon said yes in @p. */
static int finish(struct pinfs_file *f, struct pinfs_mapping *m,
		  const struct pinfs_pin *p, bool unpin_on_error,
		  struct pinfs_mapping **out)
{
	int r;

	m->pin_id = p->pin_id;
	m->flags = p->flags | (m->flags & PINFS_PIN_WRITE);
	m->note_slot = cl_note_pin_add(m->pin_id, f->break_fd);
	r = cl_mapping_build(m, p);
	if (r < 0) {
		cl_note_pin_del(m->note_slot);
		if (unpin_on_error)
			unpin_ioctl(f->fd, m->pin_id);
		free(m);
		return r;
	}
	cl_file_get(f);
	*out = m;
	return 0;
}

int pinfs_pin(struct pinfs_file *f, uint64_t off, uint64_t len,
	      unsigned flags, struct pinfs_mapping **out)
{
	struct pinfs_mapping *m;
	struct pinfs_pin *p;
	uint64_t bs, start, end;
	int r;

	if (!f || !out || len == 0 || off + len < off ||
	    (flags & ~(unsigned)PINFS_PIN_IN_FLAGS))
		return -EINVAL;
	if ((flags & PINFS_PIN_WRITE) && !f->writable)
		return -EBADF;
	bs = f->block_size > page_size() ? f->block_size : page_size();
	start = off & ~(bs - 1);
	end = off + len + bs - 1;
	if (end < off + len)
		return -EINVAL;
	end &= ~(bs - 1);

	p = calloc(1, sizeof(*p));
	m = mapping_alloc(f);
	if (!p || !m) {
		r = -ENOMEM;
		goto out_free;
	}
	p->abi_version = PINFS_ABI_VERSION;
	p->flags = flags;
	p->off = start;
	p->len = end - start;
	if (ioctl(f->fd, PINFS_IOC_PIN, p) < 0) {
		r = -errno;
		goto out_free;
	}
	m->off = off;
	m->len = len;
	m->flags = flags;
	m->pin_off = start;
	m->pin_len = end - start;
	r = finish(f, m, p, true, out);
	m = NULL; /* finish() owns it */
out_free:
	free(m);
	free(p);
	return r;
}

int pinfs_attach(struct pinfs_file *f, uint64_t pin_id,
		 struct pinfs_mapping **out)
{
	struct pinfs_mapping *m;
	struct pinfs_pin *p;
	int r;

	if (!f || !out || pin_id == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	m = mapping_alloc(f);
	if (!p || !m) {
		r = -ENOMEM;
		goto out_free;
	}
	p->abi_version = PINFS_ABI_VERSION;
	p->pin_id = pin_id;
	if (ioctl(f->fd, PINFS_IOC_ATTACH, p) < 0) {
		r = -errno;
		goto out_free;
	}
	if (p->pin_id != pin_id || p->len == 0 ||
	    p->off + p->len < p->off || p->off % page_size()) {
		r = -EIO;
		goto out_free;
	}
	m->off = m->pin_off = p->off;
	m->len = m->pin_len = p->len;
	/* On failure keep the pin: the daemon holds it for this process. */
	r = finish(f, m, p, false, out);
	m = NULL;
out_free:
	free(m);
	free(p);
	return r;
}

int pinfs_sync(struct pinfs_mapping *m, uint64_t off, uint64_t len)
{
	struct pinfs_sync s;
	uint64_t pg = page_size(), a, b;

	if (!m)
		return -EINVAL;
	if (!(m->flags & PINFS_PIN_WRITE))
		return -EBADF;
	if (len == 0) {
		off = m->pin_off;
		len = m->pin_len;
	}
	if (off < m->pin_off || off + len < off ||
	    off + len > m->pin_off + m->pin_len)
		return -EINVAL;
	/* Flush the pages (a no-op on tmpfs, a cache flush on DAX); devdax
	 * refuses msync (no fsync method): flush the CPU caches here. */
	a = (off - m->pin_off) & ~(pg - 1);
	b = off + len - m->pin_off;
	if (m->devdax) {
		int r = cl_flush_range((char *)m->span + (off - m->pin_off),
				       (size_t)len);

		if (r < 0)
			return r;
	} else if (msync((char *)m->span + a, (size_t)(b - a), MS_SYNC) < 0) {
		return -errno;
	}
	memset(&s, 0, sizeof(s));
	s.abi_version = PINFS_ABI_VERSION;
	s.pin_id = m->pin_id;
	s.off = off;
	s.len = len;
	if (ioctl(m->file->fd, PINFS_IOC_SYNC, &s) < 0)
		return -errno;
	return 0;
}

int pinfs_unpin(struct pinfs_mapping **mp)
{
	struct pinfs_mapping *m = mp ? *mp : NULL;
	int r;

	if (!m)
		return 0;
	/* Unmap first: after the unpin the blocks may go to another file. */
	munmap(m->span, m->span_len);
	r = unpin_ioctl(m->file->fd, m->pin_id);
	cl_note_pin_del(m->note_slot);
	cl_file_put(m->file);
	free(m);
	*mp = NULL;
	return r;
}

void *pinfs_mapping_addr(const struct pinfs_mapping *m)
{
	return (char *)m->span + (m->off - m->pin_off);
}

uint64_t pinfs_mapping_off(const struct pinfs_mapping *m)
{
	return m->off;
}

uint64_t pinfs_mapping_len(const struct pinfs_mapping *m)
{
	return m->len;
}

uint64_t pinfs_mapping_id(const struct pinfs_mapping *m)
{
	return m->pin_id;
}

unsigned pinfs_mapping_flags(const struct pinfs_mapping *m)
{
	return m->flags;
}

bool pinfs_mapping_broken(const struct pinfs_mapping *m)
{
	return m->note_slot >= 0 && cl_note_pin_broken(m->note_slot);
}
