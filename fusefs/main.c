/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `pinfs` program: the command table and dispatch.
 */
#include "cli.h"

#include "pinfs_config.h"

#include <libgen.h>
#include <stdio.h>
#include <string.h>

static const struct cli_cmd commands[] = {
	{ "mkfs", "[--size SIZE] [--force] [--progress] REGION",
	  "format a region", cmd_mkfs },
	{ "mount", "[-f] [-o OPTIONS] REGION MOUNTPOINT",
	  "mount a region (daemonizes unless -f)", cmd_mount },
	{ "fsck", "[--repair] REGION", "check (and repair) a region",
	  cmd_fsck },
	{ "extents", "FILE [--json]",
	  "list the extents of a file on a pinfs mount", cmd_extents },
	{ "status", "MOUNTPOINT [--json]",
	  "show a mount: region, space, pins, broker", cmd_status },
	{ "hold", "[OPTIONS] FILE OFFSET LENGTH",
	  "pin a range and print the events it gets", cmd_hold },
	{ "pins", "MOUNTPOINT [--json]", "list every pin of a mount",
	  cmd_pins },
	{ "trace", "MOUNTPOINT [OPTIONS]", "stream the pin trace events",
	  cmd_trace },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: pinfs COMMAND [ARGS]\n"
		"       pinfs --help | --version\n"
		"\n"
		"pinfs is a FUSE filesystem kept in a persistent-memory region,\n"
		"whose file ranges processes can pin long-term.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-8s %-44s %s\n", commands[i].name,
			commands[i].args, commands[i].summary);
	fprintf(out,
		"\n"
		"Run 'pinfs COMMAND --help' for the options of a command.\n"
		"mount -t fuse.pinfs REGION MOUNTPOINT works through the\n"
		"mount.fuse.pinfs helper; see pinfs(8) and mount.fuse.pinfs(8).\n");
}

int main(int argc, char **argv)
{
	char *base = basename(argv[0]);
	size_t i;

	if (!strcmp(base, "mount.fuse.pinfs"))
		return mount_helper_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (cli_is_help(argv[1])) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pinfs %s\n", PINFS_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pinfs: unknown command '%s' (try 'pinfs --help')\n",
		argv[1]);
	return CLI_USAGE;
}
