/* SPDX-License-Identifier: MIT */
/*
 * cmd_mount_helper.c - /sbin/mount.fuse.pinfs, the helper mount(8) runs
 * for `mount -t fuse.pinfs REGION MNT` and fstab lines of type
 * fuse.pinfs:
 *
 *     mount.fuse.pinfs REGION MOUNTPOINT [-sfnv] [-o OPTIONS] [-t TYPE]
 *
 * It becomes `pinfs mount -o OPTIONS REGION MOUNTPOINT` (daemonized).
 * -f (fake) checks the arguments and mounts nothing; -n, -s and -v are
 * accepted (options stay strict).  Exit statuses follow mount(8):
 * 0 mounted, 1 bad invocation, 32 mount failure.
 */
#include "cli.h"
#include "mount_opts.h"

#include <stdio.h>
#include <string.h>

#define HELPER_EXIT_USAGE 1
#define HELPER_EXIT_FAIL 32

static void helper_usage(FILE *out)
{
	fprintf(out,
		"Usage: mount.fuse.pinfs REGION MOUNTPOINT [-sfnv] [-o OPTIONS] [-t fuse.pinfs]\n"
		"Called by mount(8); see mount.fuse.pinfs(8) and 'pinfs mount --help'.\n");
}

int mount_helper_main(int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	const char *opts = NULL, *type = NULL;
	bool fake = false;
	char *margv[8];
	int i, npos = 0, margc = 0, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (cli_is_help(a)) {
			helper_usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "-t")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mount.fuse.pinfs: %s needs a value\n", a);
				return HELPER_EXIT_USAGE;
			}
			*(a[1] == 'o' ? &opts : &type) = argv[++i];
		} else if (a[0] == '-' && a[1] && strspn(a + 1, "sfnvw") ==
						    strlen(a + 1)) {
			if (strchr(a, 'f'))
				fake = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mount.fuse.pinfs: unknown option '%s'\n", a);
			return HELPER_EXIT_USAGE;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			fprintf(stderr, "mount.fuse.pinfs: too many arguments\n");
			return HELPER_EXIT_USAGE;
		}
	}
	if (npos != 2) {
		helper_usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if (type && strcmp(type, "fuse.pinfs") && strcmp(type, "pinfs")) {
		fprintf(stderr, "mount.fuse.pinfs: wrong type '%s'\n", type);
		return HELPER_EXIT_USAGE;
	}
	margv[margc++] = "mount";
	if (opts) {
		margv[margc++] = "-o";
		margv[margc++] = (char *)opts;
	}
	margv[margc++] = (char *)pos[0];
	margv[margc++] = (char *)pos[1];
	margv[margc] = NULL;
	if (fake) {
		struct mount_opts mo;
		char err[256];

		mount_opts_init(&mo);
		if (opts && mount_opts_parse(&mo, opts, err, sizeof(err))) {
			fprintf(stderr, "mount.fuse.pinfs: %s\n", err);
			return HELPER_EXIT_USAGE;
		}
		return 0;
	}
	ret = cmd_mount(margc, margv);
	if (ret == CLI_OK)
		return 0;
	return ret == CLI_USAGE ? HELPER_EXIT_USAGE : HELPER_EXIT_FAIL;
}
