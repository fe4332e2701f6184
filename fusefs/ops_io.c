/* SPDX-License-Identifier: MIT */
/*
 * ops_io.c - /dev/fuse read and writev for libfuse (custom I/O).
 *
 * Why: without FUSE_HANDLE_KILLPRIV_V2 the kernel asks the daemon for
 * "security.capability" (a GETXATTR round trip) before every write, to
 * learn whether the write must clear privileges; with it, the
 * superblock is SB_NOSEC and the daemon clears S_ISUID/S_ISGID itself
 * when a write or setattr carries the kill flag.  libfuse 3.14 has no
 * capability bit for it, so the INIT reply gets the flag here (only
 * when the kernel offered it), and each WRITE/SETATTR's kill flag is
 * noted for the handler, which runs on the thread that read it
 * (fuse_session_loop_mt reads and handles a request on one worker).
 *
 * The same amendment asks for FUSE_DIRECT_IO_ALLOW_MMAP (Linux 6.6,
 * protocol 7.39) when offered: write-only opens bypass the page cache
 * (ops_file.c), and with this flag the kernel writes back dirty mapped
 * pages of the file before a direct write and drops the cached pages
 * it covers, so readers and mappings through other opens stay coherent.
 */
#include "ops_io.h"
#include "log.h"

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <linux/fuse.h>

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* flags2 bit of FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36; not in the
 * headers of Debian 12, protocol 7.38) */
#define DIO_ALLOW_MMAP2 (1u << 4)

static _Thread_local bool tl_kill;
static _Atomic uint64_t init_unique; /* 0: no INIT to amend */
static atomic_bool offer_killpriv;   /* the kernel's INIT offered them */
static atomic_bool offer_dio_mmap;
static atomic_bool killpriv_v2;     /* the INIT reply asked for it */
static atomic_bool dio_mmap;

bool ops_io_kill_suidgid(void) { return tl_kill; }
bool ops_io_killpriv_v2(void) { return atomic_load(&killpriv_v2); }
bool ops_io_direct_write_coherent(void) { return atomic_load(&dio_mmap); }

static void note_request(const uint8_t *buf, size_t n)
{
	struct fuse_in_header h;
	const uint8_t *arg = buf + sizeof(h);
	size_t alen;

	tl_kill = false;
	if (n < sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	alen = n - sizeof(h);
	if (h.opcode == FUSE_WRITE &&
	    alen >= offsetof(struct fuse_write_in, write_flags) + 4) {
		uint32_t wf;

		memcpy(&wf, arg + offsetof(struct fuse_write_in, write_flags),
		       sizeof(wf));
		tl_kill = (wf & FUSE_WRITE_KILL_SUIDGID) != 0;
	} else if (h.opcode == FUSE_SETATTR &&
		   alen >= sizeof(struct fuse_setattr_in)) {
		struct fuse_setattr_in s;

		memcpy(&s, arg, sizeof(s));
		tl_kill = (s.valid & FATTR_KILL_SUIDGID) != 0;
	} else if (h.opcode == FUSE_INIT &&
		   alen >= offsetof(struct fuse_init_in, flags) + 4) {
		uint32_t flags, flags2 = 0;

		memcpy(&flags, arg + offsetof(struct fuse_init_in, flags),
		       sizeof(flags));
		if ((flags & FUSE_INIT_EXT) &&
		    alen >= offsetof(struct fuse_init_in, flags2) + 4)
			memcpy(&flags2,
			       arg + offsetof(struct fuse_init_in, flags2),
			       sizeof(flags2));
		atomic_store(&offer_killpriv,
			     (flags & FUSE_HANDLE_KILLPRIV_V2) != 0);
		atomic_store(&offer_dio_mmap, (flags2 & DIO_ALLOW_MMAP2) != 0);
		if (flags & FUSE_HANDLE_KILLPRIV_V2 ||
		    flags2 & DIO_ALLOW_MMAP2)
			atomic_store(&init_unique, h.unique);
	}
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);

	(void)userdata;
	if (n > 0)
		note_request(buf, (size_t)n);
	return n;
}

/* The INIT reply: iov[0] the header, iov[1] struct fuse_init_out. */
static void amend_init(struct iovec *iov, int count)
{
	struct fuse_out_header oh;
	uint64_t want = atomic_load(&init_unique);
	uint32_t flags;
	uint8_t *out;

	if (!want || count < 2 || iov[0].iov_len < sizeof(oh))
		return;
	memcpy(&oh, iov[0].iov_base, sizeof(oh));
	if (oh.unique != want)
		return;
	atomic_store(&init_unique, 0);
	if (oh.error ||
	    iov[1].iov_len < offsetof(struct fuse_init_out, flags) + 4)
		return;
	out = (uint8_t *)iov[1].iov_base + offsetof(struct fuse_init_out, flags);
	memcpy(&flags, out, sizeof(flags));
	if (atomic_load(&offer_killpriv)) {
		flags |= FUSE_HANDLE_KILLPRIV_V2;
		atomic_store(&killpriv_v2, true);
		log_msg(LOG_DEBUG, "init: HANDLE_KILLPRIV_V2 added to the reply");
	}
	if (atomic_load(&offer_dio_mmap) &&
	    iov[1].iov_len >= offsetof(struct fuse_init_out, flags2) + 4) {
		uint8_t *out2 = (uint8_t *)iov[1].iov_base +
				offsetof(struct fuse_init_out, flags2);
		uint32_t flags2;

		memcpy(&flags2, out2, sizeof(flags2));
		flags2 |= DIO_ALLOW_MMAP2;
		memcpy(out2, &flags2, sizeof(flags2));
		flags |= FUSE_INIT_EXT; /* the kernel reads flags2 only then */
		atomic_store(&dio_mmap, true);
		log_msg(LOG_DEBUG, "init: DIRECT_IO_ALLOW_MMAP added to the reply");
	}
	memcpy(out, &flags, sizeof(flags));
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	amend_init(iov, count);
	return writev(fd, iov, count);
}

int ops_io_install(struct fuse_session *se)
{
	static const struct fuse_custom_io io = {
		.read = io_read,
		.writev = io_writev,
	};
	int fd = fuse_session_fd(se);

	if (fd < 0)
		return -EBADF;
	return fuse_session_custom_io(se, &io, fd);
}
