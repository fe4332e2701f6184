/* SPDX-License-Identifier: MIT */
/*
 * cmd_pins.c - `pinfs pins MOUNTPOINT [--json]`: every pin of a mount.
 *
 * PINFS_IOC_PINS on the mount's root directory, paged with `first` until
 * `total`; for each pin its extent count through PINFS_IOC_EXTENTS with
 * the pin id.  Columns: pin id, holder pid and command, uid, inode,
 * range, mode and flags, state, extents, age, time to the break deadline.
 */
#include "cli.h"

#include "pinfs/ioctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static void pins_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs pins MOUNTPOINT [--json]\n"
		"\n"
		"List every pin on the pinfs mount at MOUNTPOINT: id, holder pid\n"
		"and command, uid, inode, byte range, mode (read/write) and flags\n"
		"(leased, implicit lease, recovered after a restart), state\n"
		"(active, breaking, revoked, quarantined), extents, age and the\n"
		"time left to the break deadline (negative: overdue).\n"
		"\n"
		"  -j, --json   print one JSON object instead of a table\n"
		"  -h, --help   show this help\n");
}

static const char *pin_state_name(uint32_t s)
{
	static const char *const names[] = { "unknown", "active", "breaking",
					     "revoked", "quarantined" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static const char *pin_reason_name(uint32_t r)
{
	static const char *const names[] = { "none", "truncate", "punch",
					     "zero-range", "cow", "clone-dest",
					     "move" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

static void pins_json_string(const char *s, size_t max)
{
	putchar('"');
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Extent count of a pin; -errno when the daemon cannot say. */
static int64_t pin_extent_count(int fd, uint64_t pin_id,
				struct pinfs_extents *x)
{
	memset(x, 0, sizeof(*x)); /* all of it: the kernel copies it in */
	x->abi_version = PINFS_ABI_VERSION;
	x->pin_id = pin_id;
	if (ioctl(fd, PINFS_IOC_EXTENTS, x) < 0)
		return -errno;
	return (int64_t)x->total;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_pin(const struct pinfs_pin_entry *p, int64_t next,
		      uint64_t now, bool json, bool first)
{
	char comm[PINFS_COMM_LEN + 1];
	double age = (double)p->age_ns / 1e9;
	double left = p->deadline_ns
		? ((double)p->deadline_ns - (double)now) / 1e6 : 0;
	const char *mode = (p->flags & PINFS_PIN_WRITE) ? "write" : "read";

	memcpy(comm, p->comm, PINFS_COMM_LEN);
	comm[PINFS_COMM_LEN] = '\0';
	if (json) {
		printf("%s\n    {\"id\": %" PRIu64 ", \"pid\": %u, \"comm\": ",
		       first ? "" : ",", p->pin_id, p->pid);
		pins_json_string(comm, PINFS_COMM_LEN);
		printf(", \"uid\": %u, \"ino\": %" PRIu64 ", \"offset\": %" PRIu64
		       ", \"length\": %" PRIu64 ", \"mode\": \"%s\", "
		       "\"leased\": %s, \"implicit_lease\": %s, "
		       "\"recovered\": %s, \"state\": \"%s\", "
		       "\"last_break\": \"%s\", \"extents\": ",
		       p->uid, p->ino, p->off, p->len, mode,
		       (p->flags & PINFS_PIN_LEASED) ? "true" : "false",
		       (p->flags & PINFS_PIN_IMPLICIT) ? "true" : "false",
		       (p->flags & PINFS_PIN_RECOVERED) ? "true" : "false",
		       pin_state_name(p->state), pin_reason_name(p->reason));
		if (next >= 0)
			printf("%" PRId64, next);
		else
			printf("null");
		printf(", \"age_s\": %.3f, \"deadline_in_ms\": ", age);
		if (p->deadline_ns)
			printf("%.3f}", left);
		else
			printf("null}");
		return;
	}
	char flags[48];
	snprintf(flags, sizeof(flags), "%s%s%s%s", mode,
		 (p->flags & PINFS_PIN_LEASED) ? ",leased" : "",
		 (p->flags & PINFS_PIN_IMPLICIT) ? ",implicit" : "",
		 (p->flags & PINFS_PIN_RECOVERED) ? ",recovered" : "");
	char ext[24], dl[32];
	if (next >= 0)
		snprintf(ext, sizeof(ext), "%" PRId64, next);
	else
		snprintf(ext, sizeof(ext), "-");
	if (p->deadline_ns)
		snprintf(dl, sizeof(dl), "%.1fms", left);
	else
		snprintf(dl, sizeof(dl), "-");
	printf("%6" PRIu64 " %7u %-16s %5u %8" PRIu64 " %12" PRIu64
	       " %12" PRIu64 " %-22s %-11s %7s %9.1fs %10s\n",
	       p->pin_id, p->pid, comm, p->uid, p->ino, p->off, p->len, flags,
	       pin_state_name(p->state), ext, age, dl);
}

static int pins_list(const char *mnt, bool json)
{
	struct pinfs_pins *pins = NULL;
	struct pinfs_extents *x = NULL;
	uint64_t first = 0, shown = 0, now;
	int fd, ret = CLI_FAIL;

	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		cli_err("pins", "%s: %s", mnt, strerror(errno));
		return CLI_FAIL;
	}
	pins = malloc(sizeof(*pins));
	x = malloc(sizeof(*x));
	if (!pins || !x) {
		cli_err("pins", "out of memory");
		goto out;
	}
	now = mono_ns();
	for (;;) {
		memset(pins, 0, sizeof(*pins)); /* the kernel copies it all in */
		pins->abi_version = PINFS_ABI_VERSION;
		pins->first = first;
		if (ioctl(fd, PINFS_IOC_PINS, pins) < 0) {
			cli_err("pins", "%s: %s", mnt,
				errno == ENOTTY ? "not a pinfs mount"
						: strerror(errno));
			goto out;
		}
		if (pins->count > PINFS_PINS_MAX) {
			cli_err("pins", "%s: daemon returned %u entries", mnt,
				pins->count);
			goto out;
		}
		if (first == 0) {
			if (json)
				printf("{\"mount\": ");
			if (json) {
				pins_json_string(mnt, 4096);
				printf(", \"total\": %" PRIu64 ", \"pins\": [",
				       pins->total);
			} else {
				printf("%6s %7s %-16s %5s %8s %12s %12s %-22s "
				       "%-11s %7s %10s %10s\n", "ID", "PID",
				       "COMMAND", "UID", "INO", "OFFSET",
				       "LENGTH", "MODE", "STATE", "EXTENTS",
				       "AGE", "DEADLINE");
			}
		}
		for (uint32_t i = 0; i < pins->count; i++) {
			const struct pinfs_pin_entry *p = &pins->pin[i];

			print_pin(p, pin_extent_count(fd, p->pin_id, x), now,
				  json, shown == 0);
			shown++;
		}
		first += pins->count;
		if (pins->count == 0 || first >= pins->total)
			break;
	}
	if (json)
		printf("%s]}\n", shown ? "\n  " : "");
	else if (shown == 0)
		printf("(no pins)\n");
	ret = CLI_OK;
out:
	free(x);
	free(pins);
	close(fd);
	return ret;
}

int cmd_pins(int argc, char **argv); /* listed in cli.h by its owner */

int cmd_pins(int argc, char **argv)
{
	const char *mnt = NULL;
	bool json;
	int ret;

	ret = cli_parse_json_arg(argc, argv, "MOUNTPOINT", pins_usage, &json,
				 &mnt);
	if (ret >= 0)
		return ret;
	return pins_list(mnt, json);
}
