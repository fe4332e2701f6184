/* SPDX-License-Identifier: MIT */
/*
 * cli.c - helpers the subcommands share: --help detection, one-line
 * errors, and the "[--json] ARG" command line of the listing commands.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinfs %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_parse_json_arg(int argc, char **argv, const char *argname,
		       void (*usage_fn)(FILE *out), bool *json, const char **arg)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	int c;

	*json = false;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			usage_fn(stdout);
			return CLI_OK;
		default:
			cli_err(cmd, "unknown option '%s' (try --help)",
				argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err(cmd, "%s %s (try --help)",
			optind >= argc ? "missing" : "too many arguments after",
			argname);
		return CLI_USAGE;
	}
	*arg = argv[optind];
	return -1;
}
