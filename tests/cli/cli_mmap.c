/* SPDX-License-Identifier: MIT */
/*
 * cli_mmap.c - shared mmap of a file on the mount agrees with read/write.
 *
 * Usage: cli_mmap write DIR   - run the coherence checks; leave DIR/m.dat
 *        cli_mmap verify DIR  - after a remount: DIR/m.dat holds what the
 *                               mapping stored before
 * Exit 0 when every check passed.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_SIZE (1u << 20)
#define PAGE 4096u

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

static unsigned char pattern(uint64_t off, unsigned seed)
{
	return (unsigned char)((off * 31 + seed * 7 + (off >> 12)) & 0xff);
}

static void fill(unsigned char *p, uint64_t off, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(off + i, seed);
}

/* First offset in [off, off+len) where P differs from SEED's pattern. */
static long mismatch(const unsigned char *p, uint64_t off, size_t len,
		     unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(off + i, seed))
			return (long)(off + i);
	return -1;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int run_write(const char *dir)
{
	char path[4096], path2[4096];
	unsigned char *buf = malloc(FILE_SIZE), *map, *map2;
	int fd, fd2, fd3;
	long bad;

	snprintf(path, sizeof(path), "%s/m.dat", dir);
	snprintf(path2, sizeof(path2), "%s/src.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !buf) {
		perror(path);
		return 1;
	}
	/* 1. write(), then a shared mapping sees it */
	fill(buf, 0, FILE_SIZE, 1);
	CHECK(pwrite(fd, buf, FILE_SIZE, 0) == FILE_SIZE, "pwrite");
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap MAP_SHARED");
		return 1;
	}
	bad = mismatch(map, 0, FILE_SIZE, 1);
	CHECK(bad < 0, "mapping differs from write() at %ld", bad);

	/* 2. stores through the mapping, msync, then read() sees them
	 *    (through a second descriptor too) */
	fill(map + 8 * PAGE, 8 * PAGE, 16 * PAGE, 2);
	CHECK(msync(map, FILE_SIZE, MS_SYNC) == 0, "msync: %s", strerror(errno));
	fd2 = open(path, O_RDONLY);
	CHECK(pread(fd2, buf, 16 * PAGE, 8 * PAGE) == 16 * PAGE, "pread");
	bad = mismatch(buf, 8 * PAGE, 16 * PAGE, 2);
	CHECK(bad < 0, "read() differs from the mapping's stores at %ld", bad);

	/* 3. write() after mapping: a second mapping and the first agree */
	fill(buf, 64 * PAGE, 4 * PAGE, 3);
	CHECK(pwrite(fd, buf, 4 * PAGE, 64 * PAGE) == 4 * PAGE,
	      "pwrite 3");
	map2 = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd2, 0);
	CHECK(map2 != MAP_FAILED, "second mmap: %s", strerror(errno));
	if (map2 != MAP_FAILED) {
		CHECK(memcmp(map, map2, FILE_SIZE) == 0, "two mappings differ");
		bad = mismatch(map2 + 64 * PAGE, 64 * PAGE, 4 * PAGE, 3);
		CHECK(bad < 0, "second mapping misses write() at %ld", bad);
	}

	/* 4. punch a hole: the mapping and read() see zeros there */
	CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			128 * PAGE, 16 * PAGE) == 0,
	      "punch: %s", strerror(errno));
	CHECK(all_zero(map + 128 * PAGE, 16 * PAGE), "mapping after punch");
	CHECK(pread(fd2, buf, 16 * PAGE, 128 * PAGE) == 16 * PAGE &&
	      all_zero(buf, 16 * PAGE), "read() after punch");
	bad = mismatch(map + 144 * PAGE, 144 * PAGE, PAGE, 1);
	CHECK(bad < 0, "punch touched bytes after the hole at %ld", bad);

	/* 5. copy_file_range into a mapped range: the mapping sees it */
	fd3 = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fill(buf, 0, 8 * PAGE, 4);
	CHECK(fd3 >= 0 && pwrite(fd3, buf, 8 * PAGE, 0) == 8 * PAGE, "src");
	{
		loff_t in = 0, out = 200 * PAGE;
		ssize_t n = copy_file_range(fd3, &in, fd, &out, 8 * PAGE, 0);

		CHECK(n == 8 * PAGE, "copy_file_range: %zd %s", n,
		      n < 0 ? strerror(errno) : "");
	}
	/* pattern(off) is position-dependent: compare with the source */
	CHECK(memcmp(map + 200 * PAGE, buf, 8 * PAGE) == 0,
	      "mapping misses copy_file_range data");

	/* 6. truncate down and up: the mapping reads zeros past the cut */
	CHECK(ftruncate(fd, 256 * PAGE) == 0, "ftruncate down");
	CHECK(ftruncate(fd, FILE_SIZE) == 0, "ftruncate up");
	CHECK(all_zero(map + 256 * PAGE, FILE_SIZE - 256 * PAGE),
	      "mapping after truncate down and up");

	/* 7. final stores through the mapping, for `verify` after remount */
	fill(map, 0, 4 * PAGE, 5);
	CHECK(msync(map, FILE_SIZE, MS_SYNC) == 0, "msync 2");
	CHECK(fsync(fd) == 0, "fsync");
	munmap(map, FILE_SIZE);
	if (map2 != MAP_FAILED)
		munmap(map2, FILE_SIZE);
	close(fd);
	close(fd2);
	close(fd3);
	free(buf);
	return failures ? 1 : 0;
}

static int run_verify(const char *dir)
{
	unsigned char *buf = malloc(FILE_SIZE);
	char path[4096];
	struct stat sb;
	long bad;
	int fd;

	snprintf(path, sizeof(path), "%s/m.dat", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf || fstat(fd, &sb)) {
		perror(path);
		return 1;
	}
	CHECK(sb.st_size == FILE_SIZE, "size %lld", (long long)sb.st_size);
	CHECK(pread(fd, buf, FILE_SIZE, 0) == FILE_SIZE, "pread");
	bad = mismatch(buf, 0, 4 * PAGE, 5);
	CHECK(bad < 0, "mapped stores lost at %ld", bad);
	bad = mismatch(buf + 8 * PAGE, 8 * PAGE, 16 * PAGE, 2);
	CHECK(bad < 0, "earlier mapped stores lost at %ld", bad);
	CHECK(all_zero(buf + 128 * PAGE, 16 * PAGE), "hole not zero");
	CHECK(all_zero(buf + 256 * PAGE, FILE_SIZE - 256 * PAGE),
	      "truncated tail not zero");
	close(fd);
	free(buf);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc != 3 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: cli_mmap write|verify DIR\n");
		return 2;
	}
	ret = !strcmp(argv[1], "write") ? run_write(argv[2]) : run_verify(argv[2]);
	if (ret)
		fprintf(stderr, "%d mmap checks failed\n", failures);
	else
		printf("all mmap checks passed (%s)\n", argv[1]);
	return ret;
}
