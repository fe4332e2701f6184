/* SPDX-License-Identifier: MIT */
/*
 * test_posix.c - POSIX conformance suite over a real mount.
 *
 * main() (the Check parent) mounts the backend the environment names (see
 * harness.h), runs the TCases of posix_io.c, posix_ns.c, posix_attr.c,
 * posix_perm.c and posix_persist.c in fork mode, then unmounts and, for pinfs, runs
 * `pinfs fsck` on the region: an unclean region fails the run.
 * Tags: "slow" (the 100 000-entry directory), "remount" (needs the parent
 * to remount between two TCases), "owner" (needs a daemon that creates
 * inodes as the caller: libfuse's passthrough_ll does not), "rename2"
 * (renameat2 flags), "enospc" (fills the filesystem).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_util.h"

/* A daemon that died in the last TCase, or in any before. */
static void ensure_final(void)
{
	if (fh_ensure_mounted(&pu_mount))
		pu_daemon_deaths++;
	if (pu_daemon_deaths)
		fprintf(stderr, "test_posix: the daemon died %d time(s) during "
				"the run\n", pu_daemon_deaths);
}

int main(void)
{
	enum fh_backend b = fh_backend_from_env();
	int ret = fh_can_run(b), failed;
	SRunner *sr;
	Suite *s;

	if (ret)
		return ret;
	umask(022);
	fh_install_cleanup(&pu_mount);
	ret = fh_setup(&pu_mount, b, getenv("FH_MOUNT_OPTS"));
	if (ret) {
		fprintf(stderr, "test_posix: cannot mount %s: %s\n",
			fh_backend_name(b), strerror(-ret));
		return 1;
	}
	fprintf(stderr, "test_posix: %s mounted at %s\n", fh_backend_name(b),
		pu_mount.mnt);

	s = suite_create("posix");
	posix_add_io(s);
	posix_add_ns(s);
	posix_add_attr(s);
	posix_add_perm(s);
	posix_add_persist(s);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ensure_final();

	ret = fh_unmount(&pu_mount);
	if (ret) {
		fprintf(stderr, "test_posix: unmount failed: %s\n",
			strerror(-ret));
		failed++;
	} else if (fh_fsck(&pu_mount)) {
		fprintf(stderr, "test_posix: fsck found problems\n");
		failed++;
	}
	fh_teardown(&pu_mount);
	return failed || pu_daemon_deaths ? 1 : 0;
}
