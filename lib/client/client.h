/* SPDX-License-Identifier: MIT */
/*
 * client.h - libpinfs internals shared by its files (not installed).
 *
 * file.c     file handles: open, info, leases, the region descriptor cache
 * mapping.c  pin / attach: one span, each extent mapped into it; sync, unpin
 * notify.c   the signal handler, break eventfds, break records
 * broker_client.c  fetching the region descriptor from the daemon
 * devdax.c   devdax regions: the mapping alignment from sysfs
 * flush.c    CPU cache flush (pinfs_sync on devdax, where msync fails)
 */
#ifndef PINFS_CLIENT_H
#define PINFS_CLIENT_H

#include "pinfs/pinfs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* How long a broker exchange may take (ms). */
#define CL_BROKER_TIMEOUT_MS 5000

struct pinfs_file {
	int fd;
	int break_fd;      /* eventfd signalled by the handler */
	int note_slot;     /* in notify.c's file table, or -1 */
	bool writable;     /* opened O_RDWR / O_WRONLY */
	atomic_int refs;   /* the caller's + one per live mapping */
	uint64_t block_size;
	pthread_mutex_t lock; /* guards region_ro, region_rw */
	int region_ro;     /* cached region descriptors from the broker */
	int region_rw;
	char broker[PINFS_BROKER_NAME_MAX + 1];
};

struct pinfs_mapping {
	struct pinfs_file *file;
	uint64_t pin_id;
	uint64_t off, len;         /* as the caller asked */
	uint64_t pin_off, pin_len; /* the pinned, block-aligned range */
	void *span;                /* covers [pin_off, pin_off + pin_len) */
	size_t span_len;
	unsigned flags;            /* enum pinfs_pin_flags, from the daemon */
	int note_slot;             /* in notify.c's pin table, or -1 when
	                              full: then broken stays unknown */
	bool devdax;               /* the region is a devdax device: sync
	                              flushes CPU caches, not msync */
};

/* file.c */
void cl_file_get(struct pinfs_file *f);
void cl_file_put(struct pinfs_file *f);
/* The cached region descriptor for @write access, fetched for @pin_id. */
int cl_file_region_fd(struct pinfs_file *f, uint64_t pin_id, bool write,
		      int *fd_out);

/* mapping.c */
/*
 * Fill @m (file, pin_id, pin_off, pin_len, flags set) from the daemon's
 * answer @p: reserve the span, fetch the region descriptor, map every
 * extent (more pages through PINFS_IOC_EXTENTS).  0 or -errno, and then
 * nothing stays mapped.
 */
int cl_mapping_build(struct pinfs_mapping *m, const struct pinfs_pin *p);
/* Reserve LEN bytes of anonymous PROT memory starting at a multiple of
 * ALIGN (0 or a power of two; a page when smaller): the address, or NULL
 * with errno set. */
void *cl_reserve_span(size_t len, uint64_t align, int prot);

/* devdax.c */
#define CL_DEVDAX_DEFAULT_ALIGN (2ull << 20)
/* The alignment of the devdax device MAJ:MIN read under SYSFS ("/sys"):
 * its align attribute, else its dax region's; 0, or -errno with
 * *align = CL_DEVDAX_DEFAULT_ALIGN when neither is readable or sane. */
int cl_devdax_align_at(const char *sysfs, unsigned maj, unsigned min,
		       uint64_t *align);
/* Is the region descriptor FD a devdax device (a character device), and
 * its mapping alignment (0 for a regular file): 0 or -errno. */
int cl_region_kind(int fd, bool *devdax, uint64_t *align);
/* A piece of a pin at REGION_OFF, SPAN_OFF bytes into the span, LEN
 * long, maps on a device with ALIGN (0: any page): 0 or -EINVAL. */
int cl_devdax_extent_ok(uint64_t align, uint64_t region_off,
			uint64_t span_off, uint64_t len);

/* flush.c */
/* Write back the CPU cache lines over [ADDR, ADDR+LEN), then fence:
 * 0, or -ENOTSUP on an architecture without one. */
int cl_flush_range(const void *addr, size_t len);
/* "clwb", "clflushopt" or "clflush": what cl_flush_range uses here. */
const char *cl_flush_method(void);

/* notify.c */
int cl_note_file_add(int efd);         /* slot or -1 when full */
void cl_note_file_del(int slot);
int cl_note_pin_add(uint64_t pin_id, int efd); /* slot or -1 */
void cl_note_pin_del(int slot);
bool cl_note_pin_broken(int slot);
/* Mark every registered pin with @pin_id broken (from break records). */
void cl_note_mark_broken(uint64_t pin_id);

#endif /* PINFS_CLIENT_H */
