/* SPDX-License-Identifier: MIT */
/*
 * ops_io.h - the daemon's own /dev/fuse read and write (libfuse's
 * fuse_session_custom_io), to negotiate FUSE_HANDLE_KILLPRIV_V2 and
 * FUSE_DIRECT_IO_ALLOW_MMAP, which libfuse 3.14 cannot ask for.  See
 * docs/daemon.md, "Set-id bits" and "Caching and coherence".
 */
#ifndef PINFS_FUSEFS_OPS_IO_H
#define PINFS_FUSEFS_OPS_IO_H

#include <stdbool.h>

struct fuse_session;

/* Route the mounted session SE's device I/O through ops_io.c.  Call
 * after fuse_session_mount(), before the loop.  0 or -errno. */
int ops_io_install(struct fuse_session *se);

/* True when the request this thread is handling (a WRITE or SETATTR)
 * asks the daemon to clear S_ISUID and S_ISGID (the kernel's
 * FUSE_WRITE_KILL_SUIDGID / FATTR_KILL_SUIDGID, sent when the caller
 * lacks CAP_FSETID, and for every chown). */
bool ops_io_kill_suidgid(void);

/* True once the INIT reply negotiated HANDLE_KILLPRIV_V2: the kernel
 * then never sends a mode change on behalf of a writer. */
bool ops_io_killpriv_v2(void);

/* True once the INIT reply negotiated DIRECT_IO_ALLOW_MMAP (Linux 6.6+):
 * a direct write then leaves no stale cached or mapped page behind. */
bool ops_io_direct_write_coherent(void);

#endif
