/* SPDX-License-Identifier: MIT */
/*
 * mtab.h - is a region mounted right now?
 *
 * A mounted region is open in its daemon; fsck and a second mount must
 * not touch it.  The daemon mounts with fsname = the region's real path
 * and type fuse.pinfs, so /proc/self/mounts says where it is.
 */
#ifndef PINFS_FUSEFS_MTAB_H
#define PINFS_FUSEFS_MTAB_H

#include <stdbool.h>
#include <stddef.h>

/* True when REGION is mounted as fuse.pinfs; its mountpoint goes to MNT. */
bool mtab_region_mounted(const char *region, char *mnt, size_t len);

#endif /* PINFS_FUSEFS_MTAB_H */
