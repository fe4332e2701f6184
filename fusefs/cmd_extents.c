/* SPDX-License-Identifier: MIT */
/*
 * cmd_extents.c - `pinfs extents`: a file's extents, like filefrag -v,
 * through PINFS_IOC_EXTENTS (paged with `first` until `total`).
 */
#include "cli.h"

#include "pinfs/ioctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void extents_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs extents FILE [--json]\n"
		"\n"
		"List the extents of FILE (on a pinfs mount): index, file offset,\n"
		"region offset, length (bytes), reference count and flags\n"
		"(unwritten, shared, pinned; last marks the final extent).\n"
		"\n"
		"  -j, --json   print one JSON object instead of a table\n"
		"  -h, --help   show this help\n");
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static const char *const flag_names[] = { "unwritten", "shared", "pinned" };

static void print_flags(uint32_t flags, bool last, bool json)
{
	bool first = true;
	unsigned i;

	for (i = 0; i < 3; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (json)
			printf("%s\"%s\"", first ? "" : ",", flag_names[i]);
		else
			printf("%s%s", first ? "" : ",", flag_names[i]);
		first = false;
	}
	if (last && !json)
		printf("%slast", first ? "" : ",");
}

static void print_extent(const struct pinfs_extent *e, uint64_t idx,
			 bool last, bool json)
{
	if (json) {
		printf("%s\n    {\"index\": %llu, \"file_offset\": %llu, "
		       "\"region_offset\": %llu, \"length\": %llu, "
		       "\"refcount\": %u, \"flags\": [",
		       idx ? "," : "", (unsigned long long)idx,
		       (unsigned long long)e->file_off,
		       (unsigned long long)e->region_off,
		       (unsigned long long)e->len, e->refcount);
		print_flags(e->flags, last, true);
		printf("]}");
		return;
	}
	printf("%5llu: %15llu..%-15llu %15llu..%-15llu %12llu %4u  ",
	       (unsigned long long)idx, (unsigned long long)e->file_off,
	       (unsigned long long)(e->file_off + e->len - 1),
	       (unsigned long long)e->region_off,
	       (unsigned long long)(e->region_off + e->len - 1),
	       (unsigned long long)e->len, e->refcount);
	print_flags(e->flags, last, false);
	putchar('\n');
}

static int list_extents(int fd, const char *file, bool json)
{
	struct pinfs_extents *q = calloc(1, sizeof(*q));
	uint64_t idx = 0, total = 0;
	struct stat sb;
	bool header = false;
	uint32_t i;

	if (!q || fstat(fd, &sb)) {
		free(q);
		return -ENOMEM;
	}
	do {
		memset(q, 0, offsetof(struct pinfs_extents, ext));
		q->abi_version = PINFS_ABI_VERSION;
		q->first = idx;
		if (ioctl(fd, PINFS_IOC_EXTENTS, q) < 0) {
			int err = -errno;

			free(q);
			return err;
		}
		total = q->total;
		if (!header) {
			header = true;
			if (json) {
				printf("{\"file\": ");
				json_string(file);
				printf(", \"size\": %llu, \"total\": %llu, "
				       "\"extents\": [",
				       (unsigned long long)sb.st_size,
				       (unsigned long long)total);
			} else {
				printf("File %s: size %llu bytes, %llu extent%s\n",
				       file, (unsigned long long)sb.st_size,
				       (unsigned long long)total,
				       total == 1 ? "" : "s");
				printf("  ext: %32s %32s %12s %4s  %s\n",
				       "file offset..", "region offset..",
				       "length", "refs", "flags");
			}
		}
		for (i = 0; i < q->count && idx < total; i++, idx++)
			print_extent(&q->ext[i], idx, idx + 1 == total, json);
		/* an empty page before total means the file shrank meanwhile */
	} while (q->count > 0 && idx < total);
	if (json)
		printf("%s]}\n", idx ? "\n  " : "");
	free(q);
	return 0;
}

int cmd_extents(int argc, char **argv)
{
	const char *file;
	int fd;
	bool json;
	int ret;

	ret = cli_parse_json_arg(argc, argv, "FILE", extents_usage, &json,
				 &file);
	if (ret >= 0)
		return ret;
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		cli_err("extents", "%s: %s", file, strerror(errno));
		return CLI_FAIL;
	}
	ret = list_extents(fd, file, json);
	close(fd);
	if (ret == -ENOTTY) {
		cli_err("extents", "%s is not on a pinfs mount", file);
		return CLI_FAIL;
	}
	if (ret) {
		cli_err("extents", "%s: %s", file, strerror(-ret));
		return CLI_FAIL;
	}
	return CLI_OK;
}
