/* SPDX-License-Identifier: MIT */
/*
 * cmd_mkfs.c - `pinfs mkfs`: format a region.
 */
#include "cli.h"
#include "mtab.h"
#include "region.h"
#include "size.h"
#include "store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkfs_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs mkfs [--size SIZE] [--inodes N] [--force] [--progress] REGION\n"
		"\n"
		"Format REGION (a file, created when missing, or a devdax device)\n"
		"as a pinfs filesystem.\n"
		"\n"
		"  -s, --size SIZE   region size, e.g. 64M, 1G, 1T (at least 16M, a\n"
		"                    multiple of 4K); required when REGION is missing,\n"
		"                    else the file keeps its size\n"
		"  -i, --inodes N    number of inodes (default: one per 16 KiB)\n"
		"  -F, --force       overwrite an existing pinfs region (never a mounted one)\n"
		"      --progress    show progress even when stderr is not a terminal\n"
		"  -h, --help        show this help\n");
}

struct progress {
	const char *region;
	int last_pct;
	bool shown;
};

static void show_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;
	int pct = total ? (int)(done * 100 / total) : 100;

	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	p->shown = true;
	fprintf(stderr, "\rpinfs mkfs: formatting %s: %3d%%", p->region, pct);
	fflush(stderr);
}

static void print_summary(const char *region)
{
	struct store *st = NULL;
	struct store_info info;
	const char *why = NULL;
	char sz[32];

	if (store_open(region, STORE_OPEN_READONLY, &st, &why)) {
		cli_err("mkfs", "warning: %s: formatted but cannot reopen: %s",
			region, why ? why : "unknown reason");
		return;
	}
	store_get_info(st, &info);
	printf("pinfs mkfs: %s: %s, %llu blocks of %llu bytes, %llu inodes, "
	       "granularity %s\n",
	       region, size_format(info.region_size, sz, sizeof(sz)),
	       (unsigned long long)info.total_blocks,
	       (unsigned long long)info.block_size,
	       (unsigned long long)info.total_inodes, info.granularity);
	store_close(&st);
}

/*
 * Why store_mkfs refused REGION with EINVAL, in the words mount and fsck
 * use (a devdax device or an existing file too small, a character device
 * that is not devdax), or NULL when the region itself looks fine.
 */
static const char *einval_reason(const char *region)
{
	struct region *rg;
	const char *why = NULL;
	uint64_t size;

	if (region_open(region, REGION_READONLY, 0, &rg, &why))
		return why;
	size = region_size(rg);
	region_close(&rg);
	if (size < STORE_MIN_REGION_SIZE)
		return "region is smaller than the pinfs minimum (16 MiB)";
	if (size % STORE_BLOCK_SIZE)
		return "region size is not a multiple of 4 KiB";
	return NULL;
}

static int check_size(uint64_t size)
{
	char min[32];

	if (size < STORE_MIN_REGION_SIZE) {
		cli_err("mkfs", "size %llu is too small (minimum %s)",
			(unsigned long long)size,
			size_format(STORE_MIN_REGION_SIZE, min, sizeof(min)));
		return -EINVAL;
	}
	if (size % STORE_BLOCK_SIZE) {
		cli_err("mkfs", "size %llu is not a multiple of 4K",
			(unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

int cmd_mkfs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "inodes", required_argument, NULL, 'i' },
		{ "force", no_argument, NULL, 'F' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_mkfs_opts mo = { 0 };
	struct progress prog = { .last_pct = -1 };
	bool want_progress = isatty(STDERR_FILENO);
	const char *region;
	struct stat sb;
	char mnt[4096];
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:i:Fh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (size_parse(optarg, &mo.size) || mo.size == 0) {
				cli_err("mkfs", "bad size '%s' (e.g. 64M, 1G, 1T)",
					optarg);
				return CLI_USAGE;
			}
			if (check_size(mo.size))
				return CLI_USAGE;
			break;
		case 'i':
			if (num_parse(optarg, UINT32_MAX, &mo.inodes) ||
			    mo.inodes == 0) {
				cli_err("mkfs", "bad inode count '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 'F':
			mo.flags |= STORE_MKFS_FORCE;
			break;
		case 'P':
			want_progress = true;
			break;
		case 'h':
			mkfs_usage(stdout);
			return CLI_OK;
		case ':':
			cli_err("mkfs", "option '%s' needs a value",
				argv[optind - 1]);
			return CLI_USAGE;
		default:
			cli_err("mkfs", "unknown option '%s' (try --help)",
				argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("mkfs", optind >= argc ? "missing REGION (try --help)"
					      : "too many arguments (try --help)");
		return CLI_USAGE;
	}
	region = argv[optind];
	if (stat(region, &sb)) {
		if (errno != ENOENT) {
			cli_err("mkfs", "%s: %s", region, strerror(errno));
			return CLI_FAIL;
		}
		if (!mo.size) {
			cli_err("mkfs", "%s does not exist; give --size to create it",
				region);
			return CLI_USAGE;
		}
	} else if (S_ISDIR(sb.st_mode)) {
		cli_err("mkfs", "%s is a directory", region);
		return CLI_FAIL;
	}
	/* --force or not: formatting under a live daemon destroys the
	 * filesystem it serves */
	if (mtab_region_mounted(region, mnt, sizeof(mnt))) {
		cli_err("mkfs", "cannot format %s: it is mounted on %s; "
				"unmount it first", region, mnt);
		return CLI_FAIL;
	}
	if (want_progress) {
		prog.region = region;
		mo.progress = show_progress;
		mo.progress_arg = &prog;
	}
	ret = store_mkfs(region, &mo);
	if (prog.shown)
		fputc('\n', stderr);
	if (ret == -EEXIST) {
		cli_err("mkfs", "%s already holds a pinfs filesystem; "
				"use --force to overwrite it", region);
		return CLI_FAIL;
	}
	if (ret == -EINVAL && !mo.size) {
		const char *why = einval_reason(region);

		if (why) {
			cli_err("mkfs", "cannot format %s: %s", region, why);
			return CLI_FAIL;
		}
	}
	if (ret) {
		cli_err("mkfs", "cannot format %s: %s", region, strerror(-ret));
		return CLI_FAIL;
	}
	print_summary(region);
	return CLI_OK;
}
