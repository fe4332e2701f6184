/* SPDX-License-Identifier: MIT */
/*
 * difftest_ops.c - generate and apply the differential tester's
 * operations (difftest.h).
 */
#include "difftest.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	r->s = mix(r->s);
	return r->s;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

void dt_fill(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = 0;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			x = mix(seed + i / 8);
		buf[i] = (unsigned char)(x >> (8 * (i % 8)));
	}
}

const char *dt_name(const struct dt_config *cfg, int i, char *buf,
		    size_t size)
{
	if (i < cfg->files)
		snprintf(buf, size, "d/f%d", i);
	else
		snprintf(buf, size, "d/s/f%d", i - cfg->files);
	return buf;
}

/* An offset: often block-aligned or near a block edge, sometimes odd. */
static off_t pick_off(struct rng *r, off_t max)
{
	off_t o = (off_t)below(r, (uint64_t)max);

	switch (below(r, 4)) {
	case 0:
		return o & ~(off_t)4095;
	case 1:
		return (o & ~(off_t)4095) + (off_t)below(r, 3) - 1 > 0
			       ? (o & ~(off_t)4095) + (off_t)below(r, 3) - 1
			       : 0;
	case 2:
		return (off_t)below(r, 16384);
	default:
		return o;
	}
}

static size_t pick_len(struct rng *r)
{
	switch (below(r, 5)) {
	case 0:
		return (size_t)below(r, 64) + 1;
	case 1:
		return 4096 * ((size_t)below(r, 4) + 1);
	case 2:
		return (size_t)below(r, 256 * 1024) + 1;
	default:
		return (size_t)below(r, 16384) + 1;
	}
}

void dt_generate(const struct dt_config *cfg, uint64_t index,
		 struct dt_op *op)
{
	struct rng r = { mix(cfg->seed * 0x100000001B3ull + index) };
	/* Weights per kind, in enum order. */
	static const unsigned weights[DT_NKINDS] = {
		[DT_WRITE] = 30, [DT_READ] = 14, [DT_TRUNCATE] = 7,
		[DT_PUNCH] = 6, [DT_ZERO] = 5, [DT_MMAP_WRITE] = 6,
		[DT_RENAME] = 5, [DT_RENAME_NOREPLACE] = 2,
		[DT_RENAME_EXCHANGE] = 2, [DT_LINK] = 4, [DT_UNLINK] = 4,
		[DT_FSYNC] = 4, [DT_COPY] = 4, [DT_FALLOC] = 3,
		[DT_REMOUNT] = 1, [DT_XATTR_SET] = 3, [DT_XATTR_GET] = 2,
		[DT_XATTR_REMOVE] = 1, [DT_CHMOD] = 1,
	};
	unsigned total = 0, pick;
	int pool = 2 * cfg->files;

	memset(op, 0, sizeof(*op));
	for (int k = 0; k < DT_NKINDS; k++)
		total += weights[k];
	for (;;) {
		pick = (unsigned)below(&r, total);
		int k = 0;
		while (pick >= weights[k])
			pick -= weights[k++];
		op->kind = (enum dt_kind)k;
		if (op->kind == DT_REMOUNT && !cfg->remount)
			continue;
		if ((op->kind == DT_RENAME_NOREPLACE ||
		     op->kind == DT_RENAME_EXCHANGE) && !cfg->rename2)
			continue;
		break;
	}
	/* Most operations target the first names, so files grow and meet. */
	op->a = (int)(below(&r, 4) ? below(&r, (uint64_t)(pool / 2 + 1))
				   : below(&r, (uint64_t)pool));
	op->b = (int)below(&r, (uint64_t)pool);
	op->off = pick_off(&r, cfg->max_size);
	op->off2 = pick_off(&r, cfg->max_size);
	op->len = pick_len(&r);
	if (op->off + (off_t)op->len > cfg->max_size)
		op->len = (size_t)(cfg->max_size - op->off);
	if (op->off2 + (off_t)op->len > cfg->max_size)
		op->off2 = cfg->max_size - (off_t)op->len;
	op->keep = below(&r, 2);
	op->dseed = next(&r);
	op->xname = (int)below(&r, 4);
	op->xflags = (int)below(&r, 3); /* 0, XATTR_CREATE, XATTR_REPLACE */
	op->mode = (mode_t)(0400 | below(&r, 01000));
}

static const char *kind_name(enum dt_kind k)
{
	static const char *names[DT_NKINDS] = {
		"write", "read", "truncate", "punch", "zero_range",
		"mmap_write", "rename", "rename_noreplace", "rename_exchange",
		"link", "unlink", "fsync", "copy_file_range", "fallocate",
		"remount", "setxattr", "getxattr", "removexattr", "chmod",
	};
	return names[k];
}

void dt_format(const struct dt_config *cfg, const struct dt_op *op,
	       char *buf, size_t size)
{
	char a[64], b[64];

	dt_name(cfg, op->a, a, sizeof(a));
	dt_name(cfg, op->b, b, sizeof(b));
	switch (op->kind) {
	case DT_WRITE:
	case DT_READ:
	case DT_MMAP_WRITE:
	case DT_PUNCH:
		snprintf(buf, size, "%s %s off=%lld len=%zu", kind_name(op->kind),
			 a, (long long)op->off, op->len);
		break;
	case DT_ZERO:
	case DT_FALLOC:
		snprintf(buf, size, "%s %s off=%lld len=%zu%s",
			 kind_name(op->kind), a, (long long)op->off, op->len,
			 op->keep ? " KEEP_SIZE" : "");
		break;
	case DT_TRUNCATE:
		snprintf(buf, size, "truncate %s size=%lld", a,
			 (long long)op->off);
		break;
	case DT_COPY:
		snprintf(buf, size, "copy_file_range %s off=%lld -> %s off=%lld "
			 "len=%zu", a, (long long)op->off, b,
			 (long long)op->off2, op->len);
		break;
	case DT_RENAME:
	case DT_RENAME_NOREPLACE:
	case DT_RENAME_EXCHANGE:
	case DT_LINK:
		snprintf(buf, size, "%s %s %s", kind_name(op->kind), a, b);
		break;
	case DT_UNLINK:
	case DT_FSYNC:
		snprintf(buf, size, "%s %s", kind_name(op->kind), a);
		break;
	case DT_XATTR_GET:
		snprintf(buf, size, "getxattr %s user.x%d", a, op->xname);
		break;
	case DT_XATTR_SET:
		snprintf(buf, size, "setxattr %s user.x%d len=%zu flags=%d", a,
			 op->xname, op->len % 101, op->xflags);
		break;
	case DT_XATTR_REMOVE:
		snprintf(buf, size, "removexattr %s user.x%d", a, op->xname);
		break;
	case DT_CHMOD:
		snprintf(buf, size, "chmod %s %o", a, op->mode);
		break;
	default:
		snprintf(buf, size, "%s", kind_name(op->kind));
		break;
	}
}

static void set(struct dt_result *res, const char *step, long ret)
{
	res->step = step;
	res->ret = ret;
	res->err = ret < 0 ? errno : 0;
}

static void do_mmap_write(const struct dt_op *op, int fd,
			  struct dt_result *res)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		set(res, "fstat", -1);
		return;
	}
	/* Only inside the file (a store past EOF is SIGBUS); the range is
	 * derived from the size, equal on both sides or already reported. */
	if (st.st_size == 0) {
		set(res, "size0", 0);
		return;
	}
	off_t off = op->off % st.st_size;
	size_t len = op->len;
	if (off + (off_t)len > st.st_size)
		len = (size_t)(st.st_size - off);
	off_t moff = off & ~(off_t)4095;
	size_t mlen = len + (size_t)(off - moff);
	unsigned char *map = mmap(NULL, mlen, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, moff);
	if (map == MAP_FAILED) {
		set(res, "mmap", -1);
		return;
	}
	unsigned char *src = malloc(len);
	dt_fill(src, len, op->dseed);
	memcpy(map + (off - moff), src, len);
	free(src);
	if (msync(map, mlen, MS_SYNC) < 0) {
		set(res, "msync", -1);
		munmap(map, mlen);
		return;
	}
	set(res, "munmap", munmap(map, mlen));
	if (res->ret == 0)
		res->ret = (long)len;
}

/* ZERO_RANGE where the filesystem lacks it: punch, then extend. */
static long zero_emulated(int fd, const struct dt_op *op)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, op->off,
		      (off_t)op->len) < 0)
		return -1;
	if (!op->keep && op->off + (off_t)op->len > st.st_size)
		return fallocate(fd, 0, op->off, (off_t)op->len);
	return 0;
}

void dt_apply(const struct dt_config *cfg, const struct dt_op *op,
	      const char *root, bool ref, struct dt_result *res)
{
	char a[64], b[64], pa[512], pb[512];
	int fd = -1, fd2 = -1;

	memset(res, 0, sizeof(*res));
	snprintf(pa, sizeof(pa), "%s/%s", root, dt_name(cfg, op->a, a, sizeof(a)));
	snprintf(pb, sizeof(pb), "%s/%s", root, dt_name(cfg, op->b, b, sizeof(b)));
	switch (op->kind) {
	case DT_WRITE: {
		unsigned char *buf = malloc(op->len);

		dt_fill(buf, op->len, op->dseed);
		fd = open(pa, O_CREAT | O_RDWR, 0644);
		if (fd < 0)
			set(res, "open", -1);
		else
			set(res, "pwrite", pwrite(fd, buf, op->len, op->off));
		free(buf);
		break;
	}
	case DT_READ:
		fd = open(pa, O_RDONLY);
		if (fd < 0) {
			set(res, "open", -1);
			break;
		}
		res->data = malloc(op->len);
		set(res, "pread", pread(fd, res->data, op->len, op->off));
		res->dlen = res->ret > 0 ? (size_t)res->ret : 0;
		break;
	case DT_TRUNCATE:
		set(res, "truncate", truncate(pa, op->off));
		break;
	case DT_PUNCH:
		fd = open(pa, O_RDWR);
		if (fd < 0)
			set(res, "open", -1);
		else
			set(res, "fallocate", fallocate(fd, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, op->off,
					(off_t)op->len));
		break;
	case DT_ZERO:
		fd = open(pa, O_RDWR);
		if (fd < 0) {
			set(res, "open", -1);
			break;
		}
		set(res, "fallocate", fallocate(fd, FALLOC_FL_ZERO_RANGE |
				(op->keep ? FALLOC_FL_KEEP_SIZE : 0), op->off,
				(off_t)op->len));
		if (res->ret < 0 && res->err == EOPNOTSUPP &&
		    (ref ? cfg->zero_emulate : cfg->zero_emulate_test))
			set(res, "fallocate", zero_emulated(fd, op));
		break;
	case DT_FALLOC:
		fd = open(pa, O_RDWR);
		if (fd < 0)
			set(res, "open", -1);
		else
			set(res, "fallocate", fallocate(fd, op->keep ?
					FALLOC_FL_KEEP_SIZE : 0, op->off,
					(off_t)op->len));
		break;
	case DT_MMAP_WRITE:
		fd = open(pa, O_RDWR);
		if (fd < 0)
			set(res, "open", -1);
		else
			do_mmap_write(op, fd, res);
		break;
	case DT_RENAME:
		set(res, "rename", rename(pa, pb));
		break;
	case DT_RENAME_NOREPLACE:
	case DT_RENAME_EXCHANGE:
		set(res, "renameat2", syscall(SYS_renameat2, AT_FDCWD, pa,
				AT_FDCWD, pb, op->kind == DT_RENAME_EXCHANGE
				? RENAME_EXCHANGE : RENAME_NOREPLACE));
		break;
	case DT_LINK:
		set(res, "link", link(pa, pb));
		break;
	case DT_UNLINK:
		set(res, "unlink", unlink(pa));
		break;
	case DT_FSYNC:
		fd = open(pa, O_RDWR);
		if (fd < 0)
			set(res, "open", -1);
		else
			set(res, op->keep ? "fdatasync" : "fsync",
			    op->keep ? fdatasync(fd) : fsync(fd));
		break;
	case DT_COPY: {
		loff_t oi = op->off, oo = op->off2;

		fd = open(pa, O_RDONLY);
		if (fd < 0) {
			set(res, "open src", -1);
			break;
		}
		fd2 = open(pb, O_CREAT | O_WRONLY, 0644);
		if (fd2 < 0) {
			set(res, "open dst", -1);
			break;
		}
		/* Loop over short copies: filesystems may copy less. */
		long total = 0;
		for (;;) {
			ssize_t n = copy_file_range(fd, &oi, fd2, &oo,
						    op->len - (size_t)total, 0);
			if (n < 0) {
				set(res, "copy_file_range", -1);
				break;
			}
			total += n;
			if (n == 0 || (size_t)total == op->len) {
				set(res, "copy_file_range", total);
				break;
			}
		}
		break;
	}
	case DT_XATTR_SET: {
		char xn[16];
		size_t vlen = op->len % 101;
		unsigned char v[101];

		snprintf(xn, sizeof(xn), "user.x%d", op->xname);
		dt_fill(v, vlen, op->dseed);
		set(res, "setxattr", setxattr(pa, xn, v, vlen, op->xflags));
		break;
	}
	case DT_XATTR_GET: {
		char xn[16];

		snprintf(xn, sizeof(xn), "user.x%d", op->xname);
		res->data = malloc(128);
		set(res, "getxattr", getxattr(pa, xn, res->data, 128));
		res->dlen = res->ret > 0 ? (size_t)res->ret : 0;
		break;
	}
	case DT_XATTR_REMOVE: {
		char xn[16];

		snprintf(xn, sizeof(xn), "user.x%d", op->xname);
		set(res, "removexattr", removexattr(pa, xn));
		break;
	}
	case DT_CHMOD:
		set(res, "chmod", chmod(pa, op->mode));
		break;
	case DT_REMOUNT:
	case DT_NKINDS:
		set(res, "none", 0);
		break;
	}
	if (fd >= 0 && close(fd) < 0 && res->ret >= 0)
		set(res, "close", -1);
	if (fd2 >= 0 && close(fd2) < 0 && res->ret >= 0)
		set(res, "close", -1);
}
