/* SPDX-License-Identifier: MIT */
/*
 * kill9_writer.c - the load and the check of the kill -9 test.
 *
 *   kill9_writer write  DIR PREFIX LOG [RECORDS_PER_FILE]
 *   kill9_writer verify DIR LOG
 *
 * write: appends fixed-size records (REC_SIZE bytes, deliberately not a
 * multiple of the block size) to DIR/PREFIX.N files, fsyncing (or
 * fdatasyncing) each record and, for a new file, the file and DIR too;
 * only then appends "PREFIX.N SEQ" to LOG (a file off the mount, written
 * with O_APPEND|O_SYNC).  So LOG names exactly the records the filesystem
 * acknowledged as durable.  It runs until a call fails (the daemon was
 * killed: ENOTCONN) or it is killed itself, and exits 0 then.
 *
 * verify: checks that every record LOG names is in its file, whole: magic,
 * file name hash, sequence number and checksum of the payload.  Prints one
 * line per bad record and exits 1 if any, 0 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_SIZE 6007
#define REC_MAGIC 0x39494b4c52455421ull /* "!TERLKI9" */

struct rec_head {
	uint64_t magic;
	uint64_t name_hash;
	uint64_t seq;
	uint64_t sum; /* of the payload */
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

static void make_rec(unsigned char *rec, const char *name, uint64_t seq)
{
	struct rec_head h = { REC_MAGIC, fnv(name, strlen(name), 0xcbf29ce484222325ull),
			      seq, 0 };
	unsigned char *payload = rec + sizeof(h);
	size_t plen = REC_SIZE - sizeof(h);
	uint64_t x = h.name_hash ^ (seq * 0x9E3779B97F4A7C15ull);

	for (size_t i = 0; i < plen; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		payload[i] = (unsigned char)(x >> 56);
	}
	h.sum = fnv(payload, plen, 0xcbf29ce484222325ull);
	memcpy(rec, &h, sizeof(h));
}

static int log_line(int lfd, const char *name, uint64_t seq)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %llu\n", name,
			 (unsigned long long)seq);

	return write(lfd, line, (size_t)n) == n ? 0 : -errno;
}

static int do_write(const char *dir, const char *prefix, const char *log,
		    long per_file)
{
	unsigned char rec[REC_SIZE];
	int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_SYNC, 0644);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (lfd < 0 || dfd < 0) {
		perror("kill9_writer: open log/dir");
		return 2;
	}
	for (long file = 0;; file++) {
		char name[256], path[4200];

		snprintf(name, sizeof(name), "%s.%ld", prefix, file);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0 || fsync(fd) < 0 || fsync(dfd) < 0)
			goto stopped;
		for (long seq = 0; seq < per_file; seq++) {
			make_rec(rec, name, (uint64_t)seq);
			if (pwrite(fd, rec, REC_SIZE, (off_t)seq * REC_SIZE) !=
			    REC_SIZE)
				goto stopped;
			if ((seq % 2 ? fdatasync(fd) : fsync(fd)) < 0)
				goto stopped;
			if (log_line(lfd, name, (uint64_t)seq) < 0) {
				perror("kill9_writer: log");
				return 2;
			}
		}
		close(fd);
	}
stopped:
	fprintf(stderr, "kill9_writer %s: stopped: %s\n", prefix,
		strerror(errno));
	return 0;
}

static int do_verify(const char *dir, const char *log)
{
	FILE *f = fopen(log, "re");
	char name[256], path[4200];
	unsigned long long seq;
	unsigned char want[REC_SIZE], got[REC_SIZE];
	long good = 0, bad = 0;

	if (!f) {
		perror("kill9_writer: open log");
		return 2;
	}
	while (fscanf(f, "%255s %llu", name, &seq) == 2) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		int fd = open(path, O_RDONLY);
		ssize_t n = -1;

		if (fd >= 0) {
			n = pread(fd, got, REC_SIZE, (off_t)seq * REC_SIZE);
			close(fd);
		}
		make_rec(want, name, seq);
		if (n == REC_SIZE && !memcmp(got, want, REC_SIZE)) {
			good++;
			continue;
		}
		bad++;
		if (fd < 0)
			printf("LOST: %s (fsync'd record %llu): open: %s\n", name,
			       seq, strerror(errno));
		else if (n != REC_SIZE)
			printf("LOST: %s record %llu at %lld: read %zd of %d bytes\n",
			       name, seq, (long long)seq * REC_SIZE, n, REC_SIZE);
		else {
			size_t at = 0;

			while (got[at] == want[at])
				at++;
			printf("CORRUPT: %s record %llu: first bad byte at file "
			       "offset %lld (0x%02x, expected 0x%02x)\n", name,
			       seq, (long long)seq * REC_SIZE + (long long)at,
			       got[at], want[at]);
		}
	}
	fclose(f);
	printf("kill9_writer verify %s: %ld fsync'd records intact, %ld bad\n",
	       log, good, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3], argv[4],
				argc > 5 ? atol(argv[5]) : 64);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], argv[3]);
	fprintf(stderr, "usage: kill9_writer write DIR PREFIX LOG "
			"[RECORDS_PER_FILE]\n"
			"       kill9_writer verify DIR LOG\n");
	return 2;
}
