/* SPDX-License-Identifier: MIT */
/*
 * posix_io.c - file data: open flags, read/write at odd offsets, sparse
 * files and SEEK_DATA/SEEK_HOLE, truncate, fallocate, copy_file_range,
 * shared mmap (also across a remount), fsync, statfs.
 */
#include "posix_util.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define KiB 1024
#define MiB (1024 * 1024)

/* ---- open flags ---------------------------------------------------- */

START_TEST(test_open_excl)
{
	const char *p = pu_path("f");
	int fd;

	PU_OK(fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644));
	close(fd);
	PU_ERR(open(p, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	PU_ERR(open(pu_path("missing"), O_RDONLY), ENOENT);
	PU_ERR(open(pu_path("f/x"), O_RDONLY), ENOTDIR);
	PU_ERR(open(p, O_RDONLY | O_DIRECTORY), ENOTDIR);
	PU_ERR(open(pu_dir(), O_WRONLY), EISDIR);
	PU_ERR(open(pu_path("missing/x"), O_CREAT | O_WRONLY, 0644), ENOENT);
}
END_TEST

START_TEST(test_open_mode_umask)
{
	struct stat st;
	mode_t old = umask(027);
	int fd = open(pu_path("m"), O_CREAT | O_WRONLY, 0666);

	umask(old);
	ck_assert_int_ge(fd, 0);
	PU_OK(fstat(fd, &st));
	close(fd);
	ck_assert_msg((st.st_mode & 07777) == 0640, "mode %o, expected 640",
		      st.st_mode & 07777);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(test_open_trunc)
{
	const char *p = pu_make_file("t", 10000, 1);
	int fd;

	PU_OK(fd = open(p, O_WRONLY | O_TRUNC));
	ck_assert_int_eq(pu_size(p), 0);
	PU_OK(write(fd, "xy", 2));
	close(fd);
	ck_assert_int_eq(pu_size(p), 2);
	pu_expect_bytes(p, 0, "xy", 2);
}
END_TEST

START_TEST(test_open_append)
{
	const char *p = pu_path("a");
	int fd;

	PU_OK(fd = open(p, O_CREAT | O_WRONLY | O_APPEND, 0644));
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(write(fd, "def", 3), 3);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 6);
	close(fd);
	/* A second O_APPEND descriptor also appends, never overwrites. */
	int fd2 = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(write(fd2, "gh", 2), 2);
	close(fd2);
	ck_assert_int_eq(pu_size(p), 8);
	pu_expect_bytes(p, 0, "abcdefgh", 8);
}
END_TEST

/* ---- read/write ---------------------------------------------------- */

START_TEST(test_rw_odd_offsets)
{
	static const off_t offs[] = { 1, 4095, 4097, 8191, 12289, MiB + 3,
				      2 * MiB - 1, 3 * MiB + 4095 };
	static const size_t lens[] = { 1, 2, 4095, 4097, 9000, 65537, 3, 777 };
	size_t model_len = 4 * MiB;
	unsigned char *model = calloc(1, model_len);
	unsigned char *chunk = malloc(70000);
	const char *p = pu_path("odd");
	off_t end = 0;
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		pu_fill(chunk, lens[i], 100 + i, 0);
		pu_pwrite_all(fd, chunk, lens[i], offs[i]);
		memcpy(model + offs[i], chunk, lens[i]);
		if (offs[i] + (off_t)lens[i] > end)
			end = offs[i] + (off_t)lens[i];
	}
	close(fd);
	ck_assert_int_eq(pu_size(p), end);
	pu_expect_bytes(p, 0, model, (size_t)end);
	free(model);
	free(chunk);
}
END_TEST

START_TEST(test_rw_random_model)
{
	size_t flen = 1 * MiB;
	unsigned char *model = calloc(1, flen), *buf = malloc(flen);
	const char *p = pu_path("rnd");
	uint64_t x = 12345;
	off_t end = 0;
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 300; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off_t off = (off_t)((x >> 20) % (flen - 1));
		size_t len = (size_t)((x >> 44) % 20000) + 1;

		if ((size_t)off + len > flen)
			len = flen - (size_t)off;
		pu_fill(buf, len, x, 0);
		pu_pwrite_all(fd, buf, len, off);
		memcpy(model + off, buf, len);
		if (off + (off_t)len > end)
			end = off + (off_t)len;
	}
	/* Reads at odd offsets and sizes against the model. */
	for (int i = 0; i < 100; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off_t off = (off_t)((x >> 20) % (uint64_t)end);
		size_t len = (size_t)((x >> 44) % 50000) + 1;
		ssize_t n = pread(fd, buf, len, off);
		size_t want = (size_t)(end - off) < len ? (size_t)(end - off)
							: len;

		ck_assert_msg(n == (ssize_t)want, "pread(%zu @ %lld) = %zd, "
			      "expected %zu", len, (long long)off, n, want);
		ck_assert_msg(!memcmp(buf, model + off, want),
			      "pread(%zu @ %lld): data differs", len,
			      (long long)off);
	}
	close(fd);
	free(model);
	free(buf);
}
END_TEST

START_TEST(test_rw_past_eof)
{
	const char *p = pu_make_file("e", 5000, 7);
	char buf[8192];
	int fd = open(p, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 5000), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 1 << 30), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 4000), 1000);
	/* read() advances the offset; a sequential read of the file. */
	ck_assert_int_eq(read(fd, buf, 3000), 3000);
	ck_assert_int_eq(read(fd, buf, 3000), 2000);
	ck_assert_int_eq(read(fd, buf, 3000), 0);
	PU_ERR(pread(fd, buf, 10, -1), EINVAL);
	PU_ERR(pwrite(fd, buf, 10, -1), EINVAL);
	/* A zero-length write changes nothing. */
	ck_assert_int_eq(pwrite(fd, buf, 0, 100000), 0);
	close(fd);
	ck_assert_int_eq(pu_size(p), 5000);
	PU_ERR(read(-1, buf, 1), EBADF);
}
END_TEST

START_TEST(test_rw_large)
{
	size_t len = 5 * MiB + 333;
	unsigned char *buf = malloc(len);
	const char *p = pu_path("big");
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	pu_fill(buf, len, 99, 0);
	pu_pwrite_all(fd, buf, len, 0);
	close(fd);
	pu_expect_bytes(p, 0, buf, len);
	free(buf);
}
END_TEST

/*
 * Four processes write disjoint, interleaved stripes of one file at once,
 * each in its own shuffled order, extending it as they go: concurrent
 * requests on one inode must not lose or mix each other's bytes.
 */
START_TEST(test_rw_concurrent_stripes)
{
	enum { PROCS = 4, STRIPE = 12289, PER = 48 };
	const char *p = pu_path("stripes");
	size_t total = (size_t)PROCS * PER * STRIPE;
	int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
	pid_t kids[PROCS];
	for (int k = 0; k < PROCS; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			unsigned char *buf = malloc(STRIPE);
			int f = open(p, O_WRONLY);
			int order[PER];

			for (int i = 0; i < PER; i++)
				order[i] = i;
			for (int i = PER - 1; i > 0; i--) {
				int j = (i * 7919 + k * 104729) % (i + 1), t;

				t = order[i], order[i] = order[j], order[j] = t;
			}
			for (int i = 0; i < PER && f >= 0; i++) {
				size_t idx = (size_t)order[i] * PROCS + (size_t)k;

				pu_fill(buf, STRIPE, 500 + idx, 0);
				if (pwrite(f, buf, STRIPE, (off_t)(idx * STRIPE)) !=
				    STRIPE)
					_exit(1);
			}
			_exit(f >= 0 && fsync(f) == 0 ? 0 : 1);
		}
	}
	for (int k = 0; k < PROCS; k++) {
		int st;

		waitpid(kids[k], &st, 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "striping writer %d failed", k);
	}
	ck_assert_int_eq(pu_size(p), (off_t)total);
	unsigned char *want = malloc(STRIPE);
	for (size_t idx = 0; idx < (size_t)PROCS * PER; idx++) {
		pu_fill(want, STRIPE, 500 + idx, 0);
		pu_expect_bytes(p, (off_t)(idx * STRIPE), want, STRIPE);
	}
	free(want);
}
END_TEST

/* ---- sparse files, SEEK_DATA / SEEK_HOLE ----------------------------- */

START_TEST(test_sparse_seek)
{
	const char *p = pu_path("sp");
	unsigned char buf[4096];
	struct stat st;
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	pu_fill(buf, sizeof(buf), 5, 0);
	pu_pwrite_all(fd, buf, sizeof(buf), 0);
	pu_pwrite_all(fd, buf, sizeof(buf), 4 * MiB);
	PU_OK(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, 4 * MiB + 4096);
	ck_assert_msg(st.st_blocks * 512 < 1 * MiB,
		      "sparse file of 2 written blocks uses %lld bytes",
		      (long long)st.st_blocks * 512);
	ck_assert_int_eq(lseek(fd, 0, SEEK_DATA), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), 4096);
	ck_assert_int_eq(lseek(fd, 4096, SEEK_DATA), 4 * MiB);
	ck_assert_int_eq(lseek(fd, 5000, SEEK_HOLE), 5000);
	ck_assert_int_eq(lseek(fd, 4 * MiB + 10, SEEK_HOLE), 4 * MiB + 4096);
	PU_ERR(lseek(fd, 4 * MiB + 4096, SEEK_DATA), ENXIO);
	PU_ERR(lseek(fd, 8 * MiB, SEEK_HOLE), ENXIO);
	close(fd);
	pu_expect_zero(p, 4096, 4 * MiB - 4096);
	pu_expect_bytes(p, 4 * MiB, buf, sizeof(buf));
}
END_TEST

START_TEST(test_sparse_hole_at_end)
{
	const char *p = pu_make_file("he", 8192, 3);
	int fd = open(p, O_RDWR);

	ck_assert_int_ge(fd, 0);
	PU_OK(ftruncate(fd, 3 * MiB));
	ck_assert_int_eq(lseek(fd, 0, SEEK_HOLE), 8192);
	PU_ERR(lseek(fd, 8192, SEEK_DATA), ENXIO);
	close(fd);
	pu_expect_zero(p, 8192, 3 * MiB - 8192);
}
END_TEST

/* ---- truncate -------------------------------------------------------- */

START_TEST(test_truncate_down_up)
{
	unsigned char buf[3 * 4096];
	const char *p = pu_make_file("tr", sizeof(buf), 11);
	int fd;

	pu_fill(buf, sizeof(buf), 11, 0);
	PU_OK(truncate(p, 5000));
	ck_assert_int_eq(pu_size(p), 5000);
	PU_OK(truncate(p, 20000));
	ck_assert_int_eq(pu_size(p), 20000);
	/* No stale bytes of the old tail may reappear after extending. */
	pu_expect_bytes(p, 0, buf, 5000);
	pu_expect_zero(p, 5000, 15000);
	PU_OK(fd = open(p, O_RDWR));
	PU_OK(ftruncate(fd, 1));
	PU_OK(ftruncate(fd, 4096 * 2 + 1));
	close(fd);
	pu_expect_bytes(p, 0, buf, 1);
	pu_expect_zero(p, 1, 8192);
	PU_OK(truncate(p, 0));
	ck_assert_int_eq(pu_size(p), 0);
	PU_ERR(truncate(p, -1), EINVAL);
	PU_ERR(truncate(pu_dir(), 0), EISDIR);
	PU_ERR(truncate(pu_path("nope"), 0), ENOENT);
	PU_OK(fd = open(p, O_RDONLY));
	PU_ERR(ftruncate(fd, 10), EINVAL); /* not open for writing */
	close(fd);
}
END_TEST

START_TEST(test_truncate_times)
{
	const char *p = pu_make_file("tt", 100, 1);
	struct stat a, b;

	PU_OK(stat(p, &a));
	pu_tick();
	PU_OK(truncate(p, 50));
	PU_OK(stat(p, &b));
	ck_assert_msg(b.st_mtim.tv_sec > a.st_mtim.tv_sec ||
		      (b.st_mtim.tv_sec == a.st_mtim.tv_sec &&
		       b.st_mtim.tv_nsec > a.st_mtim.tv_nsec),
		      "truncate did not update mtime");
	ck_assert_msg(b.st_ctim.tv_sec > a.st_ctim.tv_sec ||
		      (b.st_ctim.tv_sec == a.st_ctim.tv_sec &&
		       b.st_ctim.tv_nsec > a.st_ctim.tv_nsec),
		      "truncate did not update ctime");
}
END_TEST

/* ---- fallocate ------------------------------------------------------- */

START_TEST(test_fallocate_default)
{
	const char *p = pu_path("fa");
	struct stat st;
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	PU_OK(fallocate(fd, 0, 0, 1 * MiB));
	PU_OK(fstat(fd, &st));
	ck_assert_int_eq(st.st_size, 1 * MiB);
	ck_assert_msg(st.st_blocks * 512 >= 1 * MiB, "st_blocks %lld after "
		      "fallocate of 1 MiB", (long long)st.st_blocks);
	/* Preallocation inside the file leaves the data alone. */
	unsigned char buf[5000];
	pu_fill(buf, sizeof(buf), 2, 0);
	pu_pwrite_all(fd, buf, sizeof(buf), 100);
	PU_OK(fallocate(fd, 0, 0, 8192));
	close(fd);
	pu_expect_zero(p, 0, 100);
	pu_expect_bytes(p, 100, buf, sizeof(buf));
	pu_expect_zero(p, 5100, 1 * MiB - 5100);
	PU_OK(fd = open(p, O_RDONLY));
	PU_ERR(fallocate(fd, 0, 0, 4096), EBADF);
	close(fd);
	PU_OK(fd = open(p, O_RDWR));
	PU_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	PU_ERR(fallocate(fd, 0, -1, 10), EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_fallocate_keep_size)
{
	const char *p = pu_make_file("fk", 1000, 4);
	struct stat a, b;
	int fd = open(p, O_RDWR);

	ck_assert_int_ge(fd, 0);
	PU_OK(fstat(fd, &a));
	PU_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * MiB));
	PU_OK(fstat(fd, &b));
	ck_assert_int_eq(b.st_size, 1000);
	ck_assert_msg(b.st_blocks * 512 >= 2 * MiB, "st_blocks %lld after "
		      "KEEP_SIZE fallocate of 2 MiB", (long long)b.st_blocks);
	/* Extending afterwards shows zeros, not old preallocated junk. */
	PU_OK(ftruncate(fd, 1 * MiB));
	close(fd);
	pu_expect_zero(p, 1000, 1 * MiB - 1000);
}
END_TEST

START_TEST(test_fallocate_punch)
{
	size_t len = 64 * KiB;
	unsigned char *buf = malloc(len);
	const char *p = pu_make_file("fp", len, 8);
	struct stat a, b;
	int fd = open(p, O_RDWR);

	ck_assert_int_ge(fd, 0);
	pu_fill(buf, len, 8, 0);
	PU_OK(fstat(fd, &a));
	PU_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			16 * KiB, 16 * KiB));
	PU_OK(fstat(fd, &b));
	ck_assert_int_eq(b.st_size, (off_t)len);
	ck_assert_msg(b.st_blocks < a.st_blocks, "punch freed no blocks "
		      "(%lld -> %lld)", (long long)a.st_blocks,
		      (long long)b.st_blocks);
	ck_assert_int_eq(lseek(fd, 16 * KiB, SEEK_HOLE), 16 * KiB);
	ck_assert_int_eq(lseek(fd, 16 * KiB, SEEK_DATA), 32 * KiB);
	/* Unaligned punch: partial blocks are zeroed exactly. */
	PU_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			40000, 9000));
	/* Punch past EOF does not grow the file. */
	PU_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)len - 100, 1 * MiB));
	PU_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
	close(fd);
	ck_assert_int_eq(pu_size(p), (off_t)len);
	memset(buf + 16 * KiB, 0, 16 * KiB);
	memset(buf + 40000, 0, 9000);
	memset(buf + len - 100, 0, 100);
	pu_expect_bytes(p, 0, buf, len);
	free(buf);
}
END_TEST

START_TEST(test_fallocate_zero_range)
{
	size_t len = 64 * KiB;
	unsigned char *buf = malloc(len);
	const char *p = pu_make_file("fz", len, 9);
	int fd = open(p, O_RDWR);
	int r;

	ck_assert_int_ge(fd, 0);
	pu_fill(buf, len, 9, 0);
	r = fallocate(fd, FALLOC_FL_ZERO_RANGE, 1000, 20000);
	if (r < 0 && errno == EOPNOTSUPP && fh_is_reference(&pu_mount)) {
		/* tmpfs has no ZERO_RANGE; pinfs must have it. */
		fprintf(stderr, "note: %s lacks FALLOC_FL_ZERO_RANGE\n",
			fh_backend_name(pu_mount.backend));
		close(fd);
		free(buf);
		return;
	}
	ck_assert_msg(r == 0, "fallocate(ZERO_RANGE, 1000, 20000): %s",
		      strerrorname_np(errno));
	memset(buf + 1000, 0, 20000);
	ck_assert_int_eq(pu_size(p), (off_t)len);
	/* Past EOF without KEEP_SIZE: the file grows, zeros. */
	PU_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, (off_t)len - 10, 100000));
	ck_assert_int_eq(pu_size(p), (off_t)len - 10 + 100000);
	PU_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			300000, 4096));
	ck_assert_int_eq(pu_size(p), (off_t)len - 10 + 100000);
	close(fd);
	memset(buf + len - 10, 0, 10);
	pu_expect_bytes(p, 0, buf, len);
	pu_expect_zero(p, (off_t)len, 100000 - 10);
	free(buf);
}
END_TEST

/* ---- copy_file_range ------------------------------------------------- */

START_TEST(test_copy_file_range)
{
	size_t len = 1 * MiB + 123;
	unsigned char *buf = malloc(len);
	const char *src = pu_make_file("src", len, 21);
	const char *dst = pu_path("dst");
	int in = open(src, O_RDONLY);
	int out = open(dst, O_CREAT | O_RDWR, 0644);
	size_t done = 0;

	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	pu_fill(buf, len, 21, 0);
	while (done < len) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, len - done, 0);

		ck_assert_msg(n > 0, "copy_file_range: %s",
			      n < 0 ? strerrorname_np(errno) : "returned 0");
		done += (size_t)n;
	}
	ck_assert_int_eq(pu_size(dst), (off_t)len);
	pu_expect_bytes(dst, 0, buf, len);
	/* Explicit offsets, unaligned, into the middle. */
	loff_t oi = 4097, oo = 10;
	done = 0;
	while (done < 70000) {
		ssize_t n = copy_file_range(in, &oi, out, &oo, 70000 - done, 0);

		ck_assert_msg(n > 0, "copy_file_range(off): %s",
			      n < 0 ? strerrorname_np(errno) : "returned 0");
		done += (size_t)n;
	}
	ck_assert_int_eq(oi, 4097 + 70000);
	memmove(buf + 10, buf + 4097, 70000);
	pu_expect_bytes(dst, 0, buf, len);
	/* Copy past the source's EOF copies nothing. */
	oi = (loff_t)len;
	ck_assert_int_eq(copy_file_range(in, &oi, out, NULL, 100, 0), 0);
	close(in);
	close(out);
	free(buf);
}
END_TEST

/* ---- shared mmap ----------------------------------------------------- */

START_TEST(test_mmap_coherent)
{
	size_t len = 64 * KiB;
	unsigned char *buf = malloc(len), *got = malloc(len);
	const char *p = pu_path("mm");
	int fd = open(p, O_CREAT | O_RDWR, 0644);

	ck_assert_int_ge(fd, 0);
	PU_OK(ftruncate(fd, (off_t)len));
	unsigned char *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
	ck_assert_msg(map != MAP_FAILED, "mmap MAP_SHARED: %s",
		      strerrorname_np(errno));
	/* Stores through the mapping are seen by read(). */
	pu_fill(buf, len, 31, 0);
	memcpy(map, buf, len);
	pu_pread_all(fd, got, len, 0);
	ck_assert_msg(!memcmp(got, buf, len), "read() misses mmap stores");
	/* write() is seen through the mapping. */
	pu_fill(buf + 5000, 10000, 32, 0);
	pu_pwrite_all(fd, buf + 5000, 10000, 5000);
	ck_assert_msg(!memcmp(map, buf, len), "mapping misses write()");
	PU_OK(msync(map, len, MS_SYNC));
	PU_OK(munmap(map, len));
	close(fd);
	pu_expect_bytes(p, 0, buf, len);
	/* A fresh open and mapping see the same bytes. */
	PU_OK(fd = open(p, O_RDONLY));
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert(map != MAP_FAILED);
	ck_assert(!memcmp(map, buf, len));
	munmap(map, len);
	close(fd);
	free(buf);
	free(got);
}
END_TEST

/* Does pinfs send write-only opens' writes past the page cache here?
 * (direct_write=on, the default, from Linux 6.6 on; docs/daemon.md) */
static bool expect_direct_writes(void)
{
	const char *o = getenv("FH_MOUNT_OPTS");
	struct utsname u;
	int major = 0, minor = 0;

	if (pu_mount.backend != FH_BACKEND_PINFS ||
	    (o && strstr(o, "direct_write=off")))
		return false;
	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 6);
}

/* A writer that opened write-only and readers or mappings through other
 * opens: every write is seen at once, also over a dirty mapped page and
 * into a partly cached page, and the size moves with it.  On pinfs the
 * written pages must not be left in the page cache when its writes are
 * direct (and must be, when they go through it). */
START_TEST(test_writeonly_coherent)
{
	size_t len = 256 * KiB, resident = 0;
	unsigned char *buf = malloc(len), *got = malloc(len);
	unsigned char vec[64];
	const char *p = pu_path("wo");
	int rw = open(p, O_CREAT | O_RDWR, 0644), w;
	struct stat st;

	ck_assert_int_ge(rw, 0);
	pu_fill(buf, len, 41, 0);
	pu_pwrite_all(rw, buf, len, 0);
	PU_OK(fdatasync(rw));
	PU_OK(posix_fadvise(rw, 0, 0, POSIX_FADV_DONTNEED));
	unsigned char *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_SHARED, rw, 0);
	ck_assert(map != MAP_FAILED);
	PU_OK(w = open(p, O_WRONLY));
	/* whole pages, nothing cached for them yet */
	pu_fill(buf, 64 * KiB, 42, 0);
	pu_pwrite_all(w, buf, 64 * KiB, 0);
	PU_OK(mincore(map, 64 * KiB, vec));
	for (int i = 0; i < 16; i++)
		resident += vec[i] & 1;
	if (expect_direct_writes())
		ck_assert_msg(resident == 0, "%zu written pages cached", resident);
	else if (pu_mount.backend == FH_BACKEND_PINFS)
		ck_assert_msg(resident == 16, "%zu of 16 pages cached", resident);
	pu_pread_all(rw, got, len, 0);
	ck_assert_msg(!memcmp(got, buf, len), "read() misses the write");
	ck_assert_msg(!memcmp(map, buf, len), "mapping misses the write");
	/* over a page dirtied through the mapping */
	map[100 * KiB] = 'C';
	buf[100 * KiB] = 'C';
	pu_fill(buf + 100 * KiB + 4096, 4096, 43, 0);
	pu_pwrite_all(w, buf + 100 * KiB + 4096, 4096, 100 * KiB + 4096);
	memset(buf + 96 * KiB, 'D', 4096);
	pu_pwrite_all(w, buf + 96 * KiB, 4096, 96 * KiB);
	ck_assert(!memcmp(map, buf, len));
	PU_OK(msync(map, len, MS_SYNC));
	pu_pread_all(rw, got, len, 0);
	ck_assert_msg(!memcmp(got, buf, len), "dirty mapped page lost a write");
	/* a few bytes into a cached page */
	memcpy(buf + 5, "xyz", 3);
	pu_pwrite_all(w, "xyz", 3, 5);
	pu_pread_all(rw, got, 16, 0);
	ck_assert(!memcmp(got, buf, 16));
	ck_assert(!memcmp(map, buf, 16));
	/* extending, and appending through a third open */
	pu_pwrite_all(w, "E", 1, len + 10);
	PU_OK(fstat(rw, &st));
	ck_assert_int_eq(st.st_size, (off_t)len + 11);
	{
		int a = open(p, O_WRONLY | O_APPEND);

		ck_assert_int_ge(a, 0);
		ck_assert_int_eq(write(a, "Z", 1), 1);
		close(a);
	}
	PU_OK(fstat(rw, &st));
	ck_assert_int_eq(st.st_size, (off_t)len + 12);
	pu_pread_all(rw, got, 2, len + 10);
	ck_assert(got[0] == 'E' && got[1] == 'Z');
	PU_OK(munmap(map, len));
	close(w);
	close(rw);
	pu_expect_bytes(p, 0, buf, len);
	free(buf);
	free(got);
}
END_TEST

#define REMOUNT_NAME "mmap-remount.dat"
#define REMOUNT_LEN (256 * KiB)
static int remount_rc = -1;

START_TEST(test_mmap_msync_before_remount)
{
	char p[PATH_MAX];
	unsigned char *buf = malloc(REMOUNT_LEN);
	int fd;

	snprintf(p, sizeof(p), "%s/%s", pu_mount.mnt, REMOUNT_NAME);
	PU_OK(fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644));
	PU_OK(ftruncate(fd, REMOUNT_LEN));
	unsigned char *map = mmap(NULL, REMOUNT_LEN, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
	ck_assert_msg(map != MAP_FAILED, "mmap: %s", strerrorname_np(errno));
	close(fd);
	pu_fill(buf, REMOUNT_LEN, 41, 0);
	memcpy(map, buf, REMOUNT_LEN);
	PU_OK(msync(map, REMOUNT_LEN, MS_SYNC));
	PU_OK(munmap(map, REMOUNT_LEN));
	free(buf);
}
END_TEST

/* Unchecked fixture: runs in the Check parent, which owns the mount. */
static void remount_fixture(void)
{
	remount_rc = fh_remount(&pu_mount);
}

START_TEST(test_mmap_after_remount)
{
	char p[PATH_MAX];
	unsigned char *buf = malloc(REMOUNT_LEN);

	ck_assert_msg(remount_rc == 0, "remount failed (%s); see the daemon "
		      "log above", strerror(-remount_rc));
	snprintf(p, sizeof(p), "%s/%s", pu_mount.mnt, REMOUNT_NAME);
	ck_assert_msg(access(p, F_OK) == 0, "%s missing after remount "
		      "(run the TCase mmap_remount_write first)", p);
	pu_fill(buf, REMOUNT_LEN, 41, 0);
	ck_assert_int_eq(pu_size(p), REMOUNT_LEN);
	pu_expect_bytes(p, 0, buf, REMOUNT_LEN);
	free(buf);
}
END_TEST

/* ---- fsync, statfs --------------------------------------------------- */

START_TEST(test_fsync)
{
	const char *p = pu_make_file("fs", 10000, 3);
	int fd = open(p, O_RDWR), dfd = open(pu_dir(), O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dfd, 0);
	PU_OK(pwrite(fd, "x", 1, 20000));
	PU_OK(fsync(fd));
	PU_OK(fdatasync(fd));
	PU_OK(fsync(dfd));
	PU_OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	PU_OK(syncfs(fd));
	close(fd);
	close(dfd);
	ck_assert_int_eq(pu_size(p), 20001);
}
END_TEST

START_TEST(test_statfs)
{
	struct statfs a, b;
	struct statvfs v;
	const char *p;

	PU_OK(statfs(pu_dir(), &a));
	PU_OK(statvfs(pu_dir(), &v));
	ck_assert_int_gt(a.f_bsize, 0);
	ck_assert_int_gt(a.f_blocks, 0);
	ck_assert_uint_le(a.f_bfree, a.f_blocks);
	ck_assert_uint_le(a.f_bavail, a.f_bfree);
	ck_assert_uint_le(a.f_ffree, a.f_files);
	ck_assert_int_ge(a.f_namelen, 255);
	ck_assert_uint_eq(v.f_blocks, a.f_blocks);
	p = pu_make_file("fill", 4 * MiB, 5);
	PU_OK(statfs(pu_dir(), &b));
	ck_assert_msg((a.f_bfree - b.f_bfree) * (uint64_t)a.f_bsize >= 4 * MiB,
		      "4 MiB written but f_bfree went %llu -> %llu (bsize %ld)",
		      (unsigned long long)a.f_bfree,
		      (unsigned long long)b.f_bfree, (long)a.f_bsize);
	PU_OK(unlink(p));
	/* The kernel forgets the unlinked inode asynchronously: poll. */
	for (int i = 0; i < 200; i++) {
		PU_OK(statfs(pu_dir(), &b));
		if (b.f_bfree + (1 * MiB) / a.f_bsize >= a.f_bfree)
			break;
		pu_tick();
	}
	ck_assert_msg(b.f_bfree + (1 * MiB) / a.f_bsize >= a.f_bfree,
		      "unlink did not give the blocks back (%llu -> %llu)",
		      (unsigned long long)a.f_bfree,
		      (unsigned long long)b.f_bfree);
}
END_TEST

void posix_add_io(Suite *s)
{
	TCase *tc;

	tc = pu_tcase(s, "open_flags", PU_TIMEOUT);
	tcase_add_test(tc, test_open_excl);
	tcase_add_test(tc, test_open_mode_umask);
	tcase_add_test(tc, test_open_trunc);
	tcase_add_test(tc, test_open_append);
	tc = pu_tcase(s, "read_write", PU_TIMEOUT);
	tcase_add_test(tc, test_rw_odd_offsets);
	tcase_add_test(tc, test_rw_random_model);
	tcase_add_test(tc, test_rw_past_eof);
	tcase_add_test(tc, test_rw_large);
	tcase_add_test(tc, test_rw_concurrent_stripes);
	tc = pu_tcase(s, "sparse", PU_TIMEOUT);
	tcase_add_test(tc, test_sparse_seek);
	tcase_add_test(tc, test_sparse_hole_at_end);
	tc = pu_tcase(s, "truncate", PU_TIMEOUT);
	tcase_add_test(tc, test_truncate_down_up);
	tcase_add_test(tc, test_truncate_times);
	tc = pu_tcase(s, "fallocate", PU_TIMEOUT);
	tcase_add_test(tc, test_fallocate_default);
	tcase_add_test(tc, test_fallocate_keep_size);
	tcase_add_test(tc, test_fallocate_punch);
	tcase_add_test(tc, test_fallocate_zero_range);
	tc = pu_tcase(s, "copy_file_range", PU_TIMEOUT);
	tcase_add_test(tc, test_copy_file_range);
	tc = pu_tcase(s, "mmap", PU_TIMEOUT);
	tcase_add_test(tc, test_mmap_coherent);
	tcase_add_test(tc, test_writeonly_coherent);
	tc = pu_tcase(s, "mmap_remount_write", PU_TIMEOUT);
	tcase_set_tags(tc, "remount");
	tcase_add_test(tc, test_mmap_msync_before_remount);
	tc = pu_tcase(s, "mmap_remount_check", PU_TIMEOUT);
	tcase_set_tags(tc, "remount");
	tcase_add_unchecked_fixture(tc, remount_fixture, NULL);
	tcase_add_test(tc, test_mmap_after_remount);
	tc = pu_tcase(s, "fsync_statfs", PU_TIMEOUT);
	tcase_add_test(tc, test_fsync);
	tcase_add_test(tc, test_statfs);
}
