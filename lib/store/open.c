/* SPDX-License-Identifier: MIT */
/* open.c - store_open / store_close / info and statfs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static void store_free(struct store *st)
{
	inode_cache_fini(st);
	alloc_fini(&st->al);
	holds_fini(st);
	free(st->orphans);
	free(st->ibits);
	jrnl_close(&st->jr);
	region_close(&st->rg);
	pthread_rwlock_destroy(&st->lock);
	pthread_mutex_destroy(&st->icache_lock);
	free(st->path);
	free(st);
}

static int store_open_locked(struct store *st, const char *path,
			     uint32_t flags, const char **why)
{
	struct minode *root;
	uint64_t size;
	int err;

	err = region_open(path, st->readonly ? REGION_READONLY : 0, 0, &st->rg,
			  why);
	if (err)
		return err;
	st->base = region_base(st->rg);
	size = region_size(st->rg);
	if (size < STORE_MIN_REGION_SIZE) {
		*why = "region is smaller than the pinfs minimum (16 MiB)";
		return -EUCLEAN;
	}
	err = sb_decode(st->base, size, &st->sb, why);
	if (err)
		return err;
	err = jrnl_open(st->rg, st->sb.journal_off, st->sb.journal_len,
			st->sb.journal_off + st->sb.journal_len, &st->jr, NULL,
			why);
	if (err)
		return err;
	err = alloc_init(st, why);
	if (err)
		return err;
	err = holds_load(st, why);
	if (err)
		return err;
	err = inode_scan(st, why);
	if (err)
		return err;
	st->icache = calloc(st->sb.inode_count, sizeof(*st->icache));
	if (!st->icache) {
		*why = "out of memory for the inode cache";
		return -ENOMEM;
	}
	err = inode_get(st, STORE_ROOT_INO, &root);
	if (err || !S_ISDIR(root->mode)) {
		*why = "root inode is missing or corrupt";
		return -EUCLEAN;
	}
	if (!st->readonly && !(flags & STORE_OPEN_NO_RECLAIM)) {
		err = store_reclaim_orphans(st);
		if (err < 0) {
			*why = "cannot reclaim orphan inodes";
			return err;
		}
	}
	return 0;
}

int store_open(const char *path, uint32_t flags, struct store **out,
	       const char **why)
{
	pthread_rwlockattr_t attr;
	const char *dummy;
	struct store *st;
	int err;

	if (!why)
		why = &dummy;
	*why = "";
	if (!path || !out || (flags & ~(STORE_OPEN_READONLY |
					 STORE_OPEN_NO_RECLAIM))) {
		*why = "invalid arguments";
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		*why = "out of memory";
		return -ENOMEM;
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&st->icache_lock, NULL);
	st->readonly = flags & STORE_OPEN_READONLY;
	st->path = strdup(path);
	err = st->path ? store_open_locked(st, path, flags, why) : -ENOMEM;
	if (err) {
		store_free(st);
		return err;
	}
	*out = st;
	return 0;
}

void store_close(struct store **stp)
{
	if (!stp || !*stp)
		return;
	store_free(*stp);
	*stp = NULL;
}

void store_get_info(struct store *st, struct store_info *info)
{
	st_rdlock(st);
	memset(info, 0, sizeof(*info));
	info->region_size = st->sb.region_size;
	info->block_size = BLK;
	info->total_blocks = st->sb.data_blocks;
	info->free_blocks = alloc_nfree(&st->al);
	info->held_blocks = alloc_nheld(&st->al);
	info->total_inodes = st->sb.inode_count - 1;
	info->free_inodes = st->ifree;
	info->data_start = st->sb.data_off;
	info->granularity = region_granularity(st->rg);
	info->region_path = st->path;
	info->is_devdax = region_is_devdax(st->rg);
	st_unlock(st);
}

int store_statfs(struct store *st, struct statvfs *out)
{
	st_rdlock(st);
	memset(out, 0, sizeof(*out));
	out->f_bsize = BLK;
	out->f_frsize = BLK;
	out->f_blocks = st->sb.data_blocks;
	out->f_bfree = alloc_nfree(&st->al);
	out->f_bavail = out->f_bfree;
	out->f_files = st->sb.inode_count - 1;
	out->f_ffree = st->ifree;
	out->f_favail = st->ifree;
	out->f_namemax = STORE_NAME_MAX;
	memcpy(&out->f_fsid, st->sb.uuid, sizeof(out->f_fsid));
	st_unlock(st);
	return 0;
}

void *store_region_base(struct store *st)
{
	return st->base;
}

int store_region_fd(struct store *st)
{
	return region_fd(st->rg);
}
