/* SPDX-License-Identifier: MIT */
/*
 * cmd_fsck.c - `pinfs fsck`: check, and optionally repair, a region.
 */
#include "cli.h"
#include "mtab.h"
#include "store.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fsck_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs fsck [--repair] REGION\n"
		"\n"
		"Check every structure of the (unmounted) region REGION and print\n"
		"each problem found, one per line.\n"
		"\n"
		"  -r, --repair   fix the problems found\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 clean; 1 problems found (and fixed, with --repair);\n"
		"8 the region could not be checked (the reason is printed);\n"
		"2 usage error.\n");
}

/* The store's report lines, kept until we know whether they are
 * problems (printed one per line) or why it could not check (one line). */
struct report {
	char **lines;
	size_t n, cap;
	bool oom;
};

static void report_line(void *arg, const char *line)
{
	struct report *r = arg;
	char **lines;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		lines = realloc(r->lines, cap * sizeof(*lines));
		if (!lines) {
			r->oom = true;
			return;
		}
		r->lines = lines;
		r->cap = cap;
	}
	r->lines[r->n] = strdup(line);
	if (r->lines[r->n])
		r->n++;
	else
		r->oom = true;
}

static void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
}

int cmd_fsck(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report rep = { 0 };
	uint32_t flags = 0;
	char mnt[PATH_MAX];
	size_t i;
	const char *region;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "rh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			flags |= STORE_FSCK_REPAIR;
			break;
		case 'h':
			fsck_usage(stdout);
			return CLI_OK;
		default:
			cli_err("fsck", "unknown option '%s' (try --help)",
				argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("fsck", optind >= argc ? "missing REGION (try --help)"
					      : "too many arguments (try --help)");
		return CLI_USAGE;
	}
	region = argv[optind];
	if (mtab_region_mounted(region, mnt, sizeof(mnt))) {
		cli_err("fsck", "cannot check %s: it is mounted on %s; "
				"unmount it first", region, mnt);
		return CLI_FSCK_CANNOT;
	}
	ret = store_fsck(region, flags, report_line, &rep);
	if (ret < 0) {
		/* the store's reason, else the errno: one line */
		cli_err("fsck", "cannot check %s: %s", region,
			rep.n ? rep.lines[rep.n - 1] : strerror(-ret));
		report_free(&rep);
		return CLI_FSCK_CANNOT;
	}
	for (i = 0; i < rep.n; i++)
		printf("%s: %s\n", region, rep.lines[i]);
	if (rep.oom)
		printf("%s: (some problem lines lost: out of memory)\n", region);
	report_free(&rep);
	if (ret == 0) {
		printf("%s: clean\n", region);
		return CLI_OK;
	}
	printf("%s: %d problem%s found%s\n", region, ret, ret == 1 ? "" : "s",
	       (flags & STORE_FSCK_REPAIR) ? " and repaired" : "");
	return CLI_FAIL;
}
