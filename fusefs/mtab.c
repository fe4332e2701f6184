/* SPDX-License-Identifier: MIT */
/*
 * mtab.c - find a region among the mounted pinfs filesystems.
 */
#include "mtab.h"

#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mtab_region_mounted(const char *region, char *mnt, size_t len)
{
	char real[PATH_MAX];
	struct mntent ent;
	char buf[4 * PATH_MAX];
	bool found = false;
	FILE *f;

	if (!realpath(region, real))
		return false;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return false;
	while (getmntent_r(f, &ent, buf, sizeof(buf))) {
		if (strcmp(ent.mnt_type, "fuse.pinfs") ||
		    strcmp(ent.mnt_fsname, real))
			continue;
		snprintf(mnt, len, "%s", ent.mnt_dir);
		found = true;
		break;
	}
	endmntent(f);
	return found;
}
