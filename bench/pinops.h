/* SPDX-License-Identifier: MIT */
/*
 * pinops.h - bare pin-layer ioctls on an open file of a pinfs mount.
 *
 * The revoke mode's holder speaks the ioctl ABI directly (no mapping: what
 * is timed is the lease/pin/unpin protocol and the revoke), so its costs
 * compare with two bare FUSE ioctls (PINFS_IOC_INFO).  Built from
 * pinops_ioctl.c when include/pinfs/ioctl.h defines the pin calls, else
 * from pinops_none.c, whose calls answer -ENOTSUP.
 */
#ifndef PINFS_BENCH_PINOPS_H
#define PINFS_BENCH_PINOPS_H

#include <stdbool.h>
#include <stdint.h>

/* NULL when the pin calls are built in, else why they are not. */
const char *pinops_missing(void);
/* PINFS_IOC_INFO: 0 or -errno. */
int pinops_info(int fd);
/* A breakable lease on [off, off + len) (len 0: to the end) delivering
 * signo on a break: 0 or -errno. */
int pinops_lease(int fd, uint64_t off, uint64_t len, int signo);
/* A write pin on [off, off + len): 0 and *pin_id, or -errno. */
int pinops_pin(int fd, uint64_t off, uint64_t len, uint64_t *pin_id);
int pinops_unpin(int fd, uint64_t pin_id);

#endif /* PINFS_BENCH_PINOPS_H */
