/* SPDX-License-Identifier: MIT */
/*
 * ops_table.c - the one table of FUSE lowlevel operations, and init.
 */
#include "ops.h"
#include "log.h"

/*
 * Capabilities.  DONT_MASK: the kernel leaves the umask to us (we apply
 * the request's).  IOCTL_DIR: info ioctls on the mountpoint.  Off:
 * ATOMIC_O_TRUNC (O_TRUNC must arrive as a setattr so it passes the
 * gate), HANDLE_KILLPRIV v1 (v2 is negotiated by ops_io.c: the daemon
 * clears set-id bits when a write or setattr says so) and WRITEBACK_CACHE (see docs/daemon.md: the kernel
 * would hold dirty pages that a pin holder's direct writes and the
 * revoke gate cannot see).
 */
static void ops_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	/* write-only opens bypass the page cache from protocol 7.39 (Linux
	 * 6.6) on, where a direct write keeps other opens' cached and
	 * mapped pages coherent (docs/daemon.md, "Caching and coherence") */
	atomic_store(&fs->direct_write, !fs->opts->no_direct_write &&
					conn->proto_major == 7 &&
					conn->proto_minor >= 39);
	if (conn->capable & FUSE_CAP_DONT_MASK)
		conn->want |= FUSE_CAP_DONT_MASK;
	if (conn->capable & FUSE_CAP_IOCTL_DIR)
		conn->want |= FUSE_CAP_IOCTL_DIR;
	conn->want &= ~(unsigned)(FUSE_CAP_ATOMIC_O_TRUNC |
				  FUSE_CAP_HANDLE_KILLPRIV |
				  FUSE_CAP_WRITEBACK_CACHE);
#ifdef FUSE_CAP_HANDLE_KILLPRIV_V2
	conn->want &= ~(unsigned)FUSE_CAP_HANDLE_KILLPRIV_V2;
#endif
	log_msg(LOG_DEBUG, "init: kernel protocol %u.%u, capable 0x%x, "
			   "want 0x%x", conn->proto_major, conn->proto_minor,
		conn->capable, conn->want);
}

const struct fuse_lowlevel_ops ops_table = {
	.init = ops_init,
	.lookup = ops_lookup,
	.forget = ops_forget,
	.forget_multi = ops_forget_multi,
	.getattr = ops_getattr,
	.setattr = ops_setattr,
	.readlink = ops_readlink,
	.mknod = ops_mknod,
	.mkdir = ops_mkdir,
	.unlink = ops_unlink,
	.rmdir = ops_rmdir,
	.symlink = ops_symlink,
	.rename = ops_rename,
	.link = ops_link,
	.open = ops_open,
	.read = ops_read,
	.write = ops_write,
	.flush = ops_flush,
	.release = ops_release,
	.fsync = ops_fsync,
	.opendir = ops_opendir,
	.readdir = ops_readdir,
	.readdirplus = ops_readdirplus,
	.releasedir = ops_releasedir,
	.fsyncdir = ops_fsyncdir,
	.statfs = ops_statfs,
	.setxattr = ops_setxattr,
	.getxattr = ops_getxattr,
	.listxattr = ops_listxattr,
	.removexattr = ops_removexattr,
	.access = ops_access,
	.create = ops_create,
	.fallocate = ops_fallocate,
	.lseek = ops_lseek,
	.copy_file_range = ops_copy_file_range,
	.ioctl = ops_ioctl,
	.poll = ops_poll,
};
