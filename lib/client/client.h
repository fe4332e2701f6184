/* SPDX-License-Identifier: MIT */
/*
 * client.h - libpinfs internals shared by its files (not installed).
 *
 * file.c     file handles: open, info, leases, the region descriptor cache
 * mapping.c  pin / attach: one span, each extent mapped into it; sync, unpin
 * notify.c   the signal handler, break eventfds, break records
 * broker_client.c  fetching the region descriptor from the daemon
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

/* notify.c */
int cl_note_file_add(int efd);         /* slot or -1 when full */
void cl_note_file_del(int slot);
int cl_note_pin_add(uint64_t pin_id, int efd); /* slot or -1 */
void cl_note_pin_del(int slot);
bool cl_note_pin_broken(int slot);
/* Mark every registered pin with @pin_id broken (from break records). */
void cl_note_mark_broken(uint64_t pin_id);

#endif /* PINFS_CLIENT_H */
