/* SPDX-License-Identifier: MIT */
/* fixture.c - see fixture.h. */
#define _XOPEN_SOURCE 700
#include "fixture.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char fx_dir[64];
struct fx F;
const struct store_cred fx_cred = { .uid = 1000, .gid = 1000 };

void fx_dir_setup(void)
{
	snprintf(fx_dir, sizeof(fx_dir), "/dev/shm/pinfs-test-XXXXXX");
	if (!mkdtemp(fx_dir)) {
		perror("mkdtemp");
		abort();
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_dir_teardown(void)
{
	if (fx_dir[0])
		nftw(fx_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", fx_dir, name);
}

void fx_mkfs_open(struct fx *f, uint64_t size, uint64_t inodes)
{
	struct store_mkfs_opts o = { .size = size, .inodes = inodes };
	const char *why = NULL;
	int err;

	memset(f, 0, sizeof(*f));
	fx_path(f->region, sizeof(f->region), "region");
	unlink(f->region);
	ck_assert_int_eq(store_mkfs(f->region, &o), 0);
	err = store_open(f->region, 0, &f->st, &why);
	ck_assert_msg(err == 0, "store_open: %d (%s)", err, why ? why : "");
}

static struct timespec fx_t0;

void fx_setup64(void)
{
	clock_gettime(CLOCK_MONOTONIC, &fx_t0);
	fx_mkfs_open(&F, 64ull << 20, 0);
}

void fx_teardown(void)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("FX_TIMING"))  /* FX_TIMING=1: how long each test ran */
		fprintf(stderr, "test took %.2f s\n",
			(double)(t1.tv_sec - fx_t0.tv_sec) +
				(double)(t1.tv_nsec - fx_t0.tv_nsec) / 1e9);
	store_close(&F.st);
	unlink(F.region);
}

void fx_reopen(struct fx *f, uint32_t flags)
{
	const char *why = NULL;
	int err;

	store_close(&f->st);
	err = store_open(f->region, flags, &f->st, &why);
	ck_assert_msg(err == 0, "store_open: %d (%s)", err, why ? why : "");
}

static void fsck_print(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "fsck: %s\n", line);
}

int fx_fsck(struct fx *f, uint32_t flags)
{
	store_close(&f->st);
	return store_fsck(f->region, flags, fsck_print, NULL);
}

void *fx_slurp(const char *path, size_t *len)
{
	struct stat stb;
	char *buf;
	int fd = open(path, O_RDONLY);
	ssize_t r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &stb), 0);
	buf = malloc((size_t)stb.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	r = pread(fd, buf, (size_t)stb.st_size, 0);
	ck_assert_int_eq(r, stb.st_size);
	close(fd);
	*len = (size_t)stb.st_size;
	return buf;
}

uint64_t fx_create(struct store *st, uint64_t dir, const char *name,
		   uint32_t mode)
{
	struct store_attr a;
	int err = store_mknod(st, dir, name, mode, 0, &fx_cred, &a);

	ck_assert_msg(err == 0, "mknod %s: %d", name, err);
	return a.ino;
}

static uint8_t pat(uint64_t pos, uint8_t seed)
{
	return (uint8_t)((pos * 131 + pos / 4093 + seed) | 1);
}

void fx_write_pattern(struct store *st, uint64_t ino, uint64_t off,
		      size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(off + i, seed);
	ck_assert_int_eq(store_write(st, ino, buf, len, off), (ssize_t)len);
	free(buf);
}

void fx_check_pattern(struct store *st, uint64_t ino, uint64_t off,
		      size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	size_t i;

	ck_assert_int_eq(store_read(st, ino, buf, len, off), (ssize_t)len);
	/* one assertion, not one per byte: each ck_assert is a message to
	 * the parent process */
	for (i = 0; i < len && buf[i] == pat(off + i, seed); i++)
		;
	ck_assert_msg(i == len, "byte %llu: %u != %u",
		      (unsigned long long)(off + i), i < len ? buf[i] : 0,
		      pat(off + i, seed));
	free(buf);
}
