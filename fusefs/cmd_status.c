/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c - `pinfs status MOUNTPOINT [--json]`: what a mount holds,
 * from PINFS_IOC_INFO on the mountpoint and /proc/self/mounts.
 */
#include "cli.h"
#include "size.h"

#include "pinfs/ioctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void status_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs status MOUNTPOINT [--json]\n"
		"\n"
		"Show the pinfs mount at MOUNTPOINT: region, sizes, free and pinned\n"
		"bytes, pin limits, the broker socket and the mount options.\n"
		"\n"
		"  -j, --json   print one JSON object instead of lines\n"
		"  -h, --help   show this help\n");
}

/* The region (fsname) and kernel options of the mount at MNT. */
static int find_mount(const char *mnt, char *region, size_t rlen, char *opts,
		      size_t olen)
{
	char real[PATH_MAX], buf[4 * PATH_MAX];
	struct mntent ent;
	int ret = -ENOENT;
	FILE *f;

	if (!realpath(mnt, real))
		return -errno;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while (getmntent_r(f, &ent, buf, sizeof(buf))) {
		if (strcmp(ent.mnt_dir, real) || strcmp(ent.mnt_type, "fuse.pinfs"))
			continue;
		snprintf(region, rlen, "%s", ent.mnt_fsname);
		snprintf(opts, olen, "%s", ent.mnt_opts);
		ret = 0; /* the last one listed is the one on top */
	}
	endmntent(f);
	return ret;
}

static void json_str(const char *key, const char *s, bool comma)
{
	printf("\"%s\": \"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	printf("\"%s", comma ? ", " : "");
}

static void print_status(const char *mnt, const char *region,
			 const char *opts, const struct pinfs_info *in,
			 bool json)
{
	char a[32], b[32], c[32];

	if (json) {
		putchar('{');
		json_str("mountpoint", mnt, true);
		json_str("region", region, true);
		printf("\"abi_version\": %u, \"region_size\": %llu, "
		       "\"block_size\": %llu, \"free_bytes\": %llu, "
		       "\"pinned_bytes\": %llu, \"max_pin_bytes_mount\": %llu, "
		       "\"max_pin_bytes_holder\": %llu, ",
		       in->abi_version, (unsigned long long)in->region_size,
		       (unsigned long long)in->block_size,
		       (unsigned long long)in->free_bytes,
		       (unsigned long long)in->pinned_bytes,
		       (unsigned long long)in->max_pin_bytes_mount,
		       (unsigned long long)in->max_pin_bytes_holder);
		json_str("broker", in->broker, true);
		json_str("options", opts, false);
		printf("}\n");
		return;
	}
	printf("mountpoint:   %s\n", mnt);
	printf("region:       %s\n", region);
	printf("size:         %s (%llu-byte blocks)\n",
	       size_format(in->region_size, a, sizeof(a)),
	       (unsigned long long)in->block_size);
	printf("free:         %s\n", size_format(in->free_bytes, a, sizeof(a)));
	printf("pinned:       %s (limits: %s per mount, %s per holder)\n",
	       size_format(in->pinned_bytes, a, sizeof(a)),
	       size_format(in->max_pin_bytes_mount, b, sizeof(b)),
	       size_format(in->max_pin_bytes_holder, c, sizeof(c)));
	printf("broker:       %s\n", in->broker[0] ? in->broker : "(none: read-only)");
	printf("options:      %s\n", opts);
	printf("abi version:  %u\n", in->abi_version);
}

int cmd_status(int argc, char **argv)
{
	char region[PATH_MAX] = "", opts[1024] = "";
	struct pinfs_info in;
	const char *mnt;
	int fd;
	bool json;
	int ret;

	ret = cli_parse_json_arg(argc, argv, "MOUNTPOINT", status_usage, &json,
				 &mnt);
	if (ret >= 0)
		return ret;
	fd = open(mnt, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		cli_err("status", "%s: %s", mnt, strerror(errno));
		return CLI_FAIL;
	}
	memset(&in, 0, sizeof(in));
	in.abi_version = PINFS_ABI_VERSION;
	ret = ioctl(fd, PINFS_IOC_INFO, &in) < 0 ? -errno : 0;
	close(fd);
	if (ret == -ENOTTY) {
		cli_err("status", "%s is not a pinfs mount", mnt);
		return CLI_FAIL;
	}
	if (ret) {
		cli_err("status", "%s: %s", mnt, strerror(-ret));
		return CLI_FAIL;
	}
	find_mount(mnt, region, sizeof(region), opts, sizeof(opts));
	print_status(mnt, region, opts, &in, json);
	return CLI_OK;
}
