/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the subcommands of the `pinfs` program.
 *
 * main.c holds the command table; each command lives in its own
 * cmd_<name>.c and takes (argc, argv) with argv[0] the command name.
 * Exit statuses: 0 success, 1 failure, 2 usage error (bad option,
 * missing argument: nothing was done); fsck adds 8 "could not check".
 */
#ifndef PINFS_FUSEFS_CLI_H
#define PINFS_FUSEFS_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_FSCK_CANNOT = 8,
};

struct cli_cmd {
	const char *name;
	const char *args;    /* synopsis after the name */
	const char *summary; /* one line for `pinfs --help` */
	int (*run)(int argc, char **argv);
};

int cmd_mkfs(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_extents(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* the pin tools (cmd_hold.c, cmd_pins.c, cmd_trace.c: client owner) */
int cmd_hold(int argc, char **argv);
int cmd_pins(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* argv[0] ends in "mount.fuse.pinfs": mount(8)'s calling convention. */
int mount_helper_main(int argc, char **argv);

/* True when ARG is "--help" or "-h". */
bool cli_is_help(const char *arg);

/* Print "pinfs CMD: MSG" to stderr and, if USAGE, a hint for --help. */
__attribute__((format(printf, 2, 3)))
void cli_err(const char *cmd, const char *fmt, ...);

/*
 * Parse "CMD [--json] [--help] ARG", the command line of the listing
 * commands (extents, status, pins).  Returns -1 when the caller should go
 * on (with *json and *arg set), else the exit status to return at once:
 * CLI_OK after printing USAGE for --help, CLI_USAGE (with a one-line
 * reason) for an unknown option or a missing or extra argument.  ARGNAME
 * names ARG in that reason ("FILE", "MOUNTPOINT").
 */
int cli_parse_json_arg(int argc, char **argv, const char *argname,
		       void (*usage)(FILE *out), bool *json, const char **arg);

#endif /* PINFS_FUSEFS_CLI_H */
