/* SPDX-License-Identifier: MIT */
/*
 * cli_ioctl.c - the daemon's ioctl dispatcher against bad input.
 *
 * Usage: cli_ioctl MOUNTPOINT REGION_SIZE
 * Runs on a live mount (ioctl.sh mounts it): valid INFO and EXTENTS
 * calls work; wrong sizes, wrong directions, unknown numbers, bad
 * versions, flags, reserved words, overflowing ranges and garbage get
 * EINVAL (ENOTTY for unknown commands, ENOENT for pin ids); the mount
 * still answers afterwards.  Exit 0 when every check passed.
 */
#include "pinfs/ioctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ioctl(fd, cmd, arg): 0 or the errno. */
static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

static void expect(int fd, unsigned long cmd, void *arg, int want,
		   const char *what)
{
	int got = ioc(fd, cmd, arg);

	CHECK(got == want, "%s: got %s, want %s", what,
	      got ? strerror(got) : "success", want ? strerror(want) : "success");
}

static void info_valid(int fd, uint64_t region_size)
{
	struct pinfs_info in;

	memset(&in, 0, sizeof(in));
	in.abi_version = PINFS_ABI_VERSION;
	expect(fd, PINFS_IOC_INFO, &in, 0, "info");
	CHECK(in.abi_version == PINFS_ABI_VERSION, "info abi %u", in.abi_version);
	CHECK(in.block_size == 4096, "info block size %llu",
	      (unsigned long long)in.block_size);
	CHECK(in.region_size == region_size, "info region size %llu",
	      (unsigned long long)in.region_size);
	CHECK(in.free_bytes > 0 && in.free_bytes < region_size,
	      "info free %llu", (unsigned long long)in.free_bytes);
	CHECK(in.max_pin_bytes_mount > 0 && in.max_pin_bytes_holder > 0,
	      "info limits");
}

static void info_bad(int fd)
{
	struct pinfs_info in;

	memset(&in, 0, sizeof(in));
	in.abi_version = PINFS_ABI_VERSION + 1;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info abi+1");
	in.abi_version = 0;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info abi 0");
	in.abi_version = PINFS_ABI_VERSION;
	in.flags = 1;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info flags");
	in.flags = 0x80000000u;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info high flag");
	in.flags = 0;
	in.reserved[3] = 1;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info reserved");
	in.reserved[3] = 0;
	in.pad[2] = 1;
	expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info pad");
}

static void extents_init(struct pinfs_extents *x)
{
	memset(x, 0, sizeof(*x));
	x->abi_version = PINFS_ABI_VERSION;
}

static void extents_valid(int fd)
{
	struct pinfs_extents *x = malloc(sizeof(*x));

	extents_init(x);
	expect(fd, PINFS_IOC_EXTENTS, x, 0, "extents");
	CHECK(x->total == 2 && x->count == 2, "extents total %llu count %u",
	      (unsigned long long)x->total, x->count);
	CHECK(x->ext[0].file_off == 0 && x->ext[0].len >= 4096,
	      "extent 0 at %llu", (unsigned long long)x->ext[0].file_off);
	CHECK(x->ext[1].file_off <= (1u << 20) &&
	      x->ext[1].file_off + x->ext[1].len >= (1u << 20) + 4096,
	      "extent 1 at %llu", (unsigned long long)x->ext[1].file_off);
	/* paging: from the second one */
	extents_init(x);
	x->first = 1;
	expect(fd, PINFS_IOC_EXTENTS, x, 0, "extents first=1");
	CHECK(x->total == 2 && x->count == 1, "first=1: total %llu count %u",
	      (unsigned long long)x->total, x->count);
	extents_init(x);
	x->first = 7;
	expect(fd, PINFS_IOC_EXTENTS, x, 0, "extents first=7");
	CHECK(x->count == 0, "first past the end: count %u", x->count);
	/* a range holding only the second extent */
	extents_init(x);
	x->off = 1u << 20;
	x->len = 4096;
	expect(fd, PINFS_IOC_EXTENTS, x, 0, "extents range");
	CHECK(x->total == 1 && x->count == 1, "range: total %llu count %u",
	      (unsigned long long)x->total, x->count);
	free(x);
}

static void extents_bad(int fd)
{
	struct pinfs_extents *x = malloc(sizeof(*x));

	extents_init(x);
	x->abi_version = 0;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents abi 0");
	extents_init(x);
	x->flags = 4;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents flags");
	extents_init(x);
	x->reserved[1] = 9;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents reserved");
	extents_init(x);
	x->pad = 1;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents pad");
	extents_init(x);
	x->off = UINT64_MAX - 10;
	x->len = 100;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents off+len overflow");
	extents_init(x);
	x->off = (uint64_t)INT64_MAX + 1;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents off > INT64_MAX");
	extents_init(x);
	x->off = 4096;
	x->len = UINT64_MAX;
	expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents len huge");
	extents_init(x);
	x->pin_id = 5;
	expect(fd, PINFS_IOC_EXTENTS, x, ENOENT, "extents unknown pin");
	free(x);
}

/* Commands with the right number but the wrong size or direction. */
static void crafted(int fd)
{
	char *buf = calloc(1, 16384);
	struct pinfs_info *in = (struct pinfs_info *)buf;

	in->abi_version = PINFS_ABI_VERSION;
	expect(fd, _IOWR(PINFS_IOC_MAGIC, 0x01, char[100]), buf, EINVAL,
	       "extents with a 100-byte size");
	expect(fd, _IOWR(PINFS_IOC_MAGIC, 0x01, char[16383]), buf, EINVAL,
	       "extents with the largest size");
	expect(fd, _IOWR(PINFS_IOC_MAGIC, 0x00, char[sizeof(*in) - 8]), buf,
	       EINVAL, "info 8 bytes short");
	expect(fd, _IOWR(PINFS_IOC_MAGIC, 0x00, char[sizeof(*in) + 8]), buf,
	       EINVAL, "info 8 bytes long");
	expect(fd, _IOR(PINFS_IOC_MAGIC, 0x00, struct pinfs_info), buf,
	       EINVAL, "info read-only direction");
	expect(fd, _IOW(PINFS_IOC_MAGIC, 0x00, struct pinfs_info), buf,
	       EINVAL, "info write-only direction");
	expect(fd, _IO(PINFS_IOC_MAGIC, 0x00), NULL, EINVAL,
	       "info without data");
	expect(fd, _IO(PINFS_IOC_MAGIC, 0x01), NULL, EINVAL,
	       "extents without data");
	/* unknown commands */
	expect(fd, _IOWR(PINFS_IOC_MAGIC, 0xff, char[8]), buf, ENOTTY,
	       "unknown number");
	expect(fd, _IOWR(0x42, 0x01, struct pinfs_extents), buf, ENOTTY,
	       "foreign magic");
	expect(fd, _IO(0x42, 0x00), NULL, ENOTTY, "foreign _IO");
	free(buf);
}

static void garbage(int fd)
{
	struct pinfs_extents *x = malloc(sizeof(*x));
	struct pinfs_info in;
	unsigned i, j;

	srand(1234);
	for (i = 0; i < 200; i++) {
		unsigned char *p = (unsigned char *)x;

		for (j = 0; j < sizeof(*x); j++)
			p[j] = (unsigned char)rand();
		if (x->abi_version == PINFS_ABI_VERSION)
			x->abi_version++;
		expect(fd, PINFS_IOC_EXTENTS, x, EINVAL, "extents garbage");
		memcpy(&in, x, sizeof(in));
		expect(fd, PINFS_IOC_INFO, &in, EINVAL, "info garbage");
		/* right version, garbage elsewhere: flags/reserved/range */
		x->abi_version = PINFS_ABI_VERSION;
		x->flags |= 1;
		expect(fd, PINFS_IOC_EXTENTS, x, EINVAL,
		       "extents garbage with the right version");
	}
	free(x);
}

int main(int argc, char **argv)
{
	char path[4096], dirpath[4096];
	struct pinfs_extents *x;
	struct stat sb;
	int fd, dfd;

	if (argc != 3) {
		fprintf(stderr, "usage: cli_ioctl MOUNTPOINT REGION_SIZE\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/sparse", argv[1]);
	snprintf(dirpath, sizeof(dirpath), "%s/dir", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || mkdir(dirpath, 0755)) {
		perror("setup");
		return 1;
	}
	/* two extents: [0, 4K) and [1M, 1M+4K) */
	if (pwrite(fd, "A", 1, 0) != 1 || pwrite(fd, "B", 1, 1 << 20) != 1 ||
	    fsync(fd)) {
		perror("pwrite");
		return 1;
	}
	dfd = open(dirpath, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		perror(dirpath);
		return 1;
	}
	info_valid(fd, strtoull(argv[2], NULL, 0));
	info_valid(dfd, strtoull(argv[2], NULL, 0));
	info_bad(fd);
	extents_valid(fd);
	extents_bad(fd);
	x = calloc(1, sizeof(*x));
	x->abi_version = PINFS_ABI_VERSION;
	expect(dfd, PINFS_IOC_EXTENTS, x, EISDIR, "extents of a directory");
	free(x);
	crafted(fd);
	crafted(dfd);
	garbage(fd);
	/* still alive */
	CHECK(fstat(fd, &sb) == 0 && sb.st_size == (1 << 20) + 1,
	      "file after the bad ioctls: size %lld", (long long)sb.st_size);
	extents_valid(fd);
	close(dfd);
	close(fd);
	if (failures) {
		fprintf(stderr, "%d ioctl checks failed\n", failures);
		return 1;
	}
	printf("all ioctl checks passed\n");
	return 0;
}
