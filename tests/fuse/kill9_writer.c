/* SPDX-License-Identifier: MIT */
/*
 * kill9_writer.c - the load and the check of the kill -9 test.
 *
 *   kill9_writer write  DIR PREFIX LOG [RECORDS_PER_FILE]
 *   kill9_writer verify DIR LOG
 *   kill9_writer churn  DIR PREFIX LOG
 *   kill9_writer verify-churn DIR PREFIX LOG
 *
 * write: appends fixed-size records (REC_SIZE bytes, deliberately not a
 * multiple of the block size) to DIR/PREFIX.N files, fsyncing (or
 * fdatasyncing) each record and, for a new file, the file and DIR too;
 * only then appends "PREFIX.N SEQ" to LOG (a file off the mount, written
 * with O_APPEND|O_SYNC).  So LOG names exactly the records the filesystem
 * acknowledged as durable.  It runs until a call fails (the daemon was
 * killed: ENOTCONN), it is killed itself, or it wrote MAX_FILES files, and
 * exits 0 then.
 *
 * verify: checks that every record LOG names is in its file, whole: magic,
 * file name hash, sequence number and checksum of the payload.  Prints one
 * line per bad record and exits 1 if any, 0 otherwise.
 *
 * churn: metadata under load, and the atomic-replace pattern: writes
 * record SEQ to a temp file, fsyncs it, renames it over DIR/PREFIX.target,
 * fsyncs DIR, logs SEQ; between replacements it also creates, links,
 * renames, truncates and unlinks scratch files and makes and removes a
 * directory, so the kill lands in every kind of metadata change.
 * verify-churn: PREFIX.target exists and holds one whole record whose
 * sequence number is at least the last one logged (rename is atomic and
 * an fsync'd replacement is durable).
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_SIZE 6007
/* Files one writer makes before it stops by itself: bounds the data a
 * round leaves behind (2 writers x 48 files x 40 records x 6007 bytes,
 * about 23 MB), so 20 rounds fit the 1 GiB region of kill9-long however
 * fast the machine is. */
#define MAX_FILES 48
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
	for (long file = 0; file < MAX_FILES; file++) {
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
	fprintf(stderr, "kill9_writer %s: wrote %d files, stopping\n", prefix,
		MAX_FILES);
	return 0;
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

static int do_churn(const char *dir, const char *prefix, const char *log)
{
	unsigned char rec[REC_SIZE];
	char target[4200], tmp[4200], a[4200], b[4200], d[4200], name[300];
	int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_SYNC, 0644);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (lfd < 0 || dfd < 0) {
		perror("kill9_writer: open log/dir");
		return 2;
	}
	snprintf(name, sizeof(name), "%s.target", prefix);
	snprintf(target, sizeof(target), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, prefix);
	snprintf(a, sizeof(a), "%s/%s.a", dir, prefix);
	snprintf(b, sizeof(b), "%s/%s.b", dir, prefix);
	snprintf(d, sizeof(d), "%s/%s.d", dir, prefix);
	for (uint64_t seq = 0;; seq++) {
		int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0644);

		make_rec(rec, name, seq);
		if (fd < 0 || pwrite(fd, rec, REC_SIZE, 0) != REC_SIZE ||
		    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, target) < 0 ||
		    fsync(dfd) < 0)
			goto stopped;
		if (log_line(lfd, name, seq) < 0) {
			perror("kill9_writer: log");
			return 2;
		}
		/* Scratch metadata churn; errors other than a dead mount are
		 * part of the game (ENOENT after a previous round). */
		fd = open(a, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			goto stopped;
		if (pwrite(fd, rec, REC_SIZE, (off_t)(seq % 7) * 4096) < 0 ||
		    ftruncate(fd, (off_t)(seq % 5) * 3000) < 0) {
			close(fd);
			goto stopped;
		}
		close(fd);
		if ((link(a, b) < 0 && errno != EEXIST) ||
		    (rename(b, d) < 0 && errno != EISDIR && errno != ENOENT) ||
		    (seq % 3 == 0 && unlink(a) < 0 && errno != ENOENT) ||
		    (unlink(d) < 0 && errno != ENOENT && errno != EISDIR) ||
		    (mkdir(d, 0755) < 0 && errno != EEXIST) ||
		    (seq % 2 && rmdir(d) < 0 && errno != ENOENT))
			goto stopped;
	}
stopped:
	fprintf(stderr, "kill9_writer churn %s: stopped: %s\n", prefix,
		strerror(errno));
	return 0;
}

static int do_verify_churn(const char *dir, const char *prefix,
			   const char *log)
{
	FILE *f = fopen(log, "re");
	char name[300], logged[300], path[4200];
	unsigned long long seq, last = 0;
	bool any = false;
	unsigned char got[REC_SIZE + 1], want[REC_SIZE];

	if (!f) {
		perror("kill9_writer: open log");
		return 2;
	}
	while (fscanf(f, "%299s %llu", logged, &seq) == 2) {
		last = seq;
		any = true;
	}
	fclose(f);
	if (!any) {
		printf("kill9_writer verify-churn: nothing logged\n");
		return 0;
	}
	snprintf(name, sizeof(name), "%s.target", prefix);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("LOST: %s after replacement %llu was fsync'd: %s\n", name,
		       last, strerror(errno));
		return 1;
	}
	ssize_t n = pread(fd, got, sizeof(got), 0);
	close(fd);
	if (n != REC_SIZE) {
		printf("TORN: %s is %zd bytes, a record is %d\n", name, n,
		       REC_SIZE);
		return 1;
	}
	struct rec_head h;
	memcpy(&h, got, sizeof(h));
	make_rec(want, name, h.seq);
	if (h.magic != REC_MAGIC || memcmp(got, want, REC_SIZE)) {
		printf("CORRUPT: %s holds no whole record\n", name);
		return 1;
	}
	if (h.seq < last) {
		printf("STALE: %s holds replacement %llu, but %llu was "
		       "fsync'd and renamed over it\n", name,
		       (unsigned long long)h.seq, last);
		return 1;
	}
	printf("kill9_writer verify-churn %s: replacement %llu (logged %llu) "
	       "whole\n", name, (unsigned long long)h.seq, last);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "churn"))
		return do_churn(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "verify-churn"))
		return do_verify_churn(argv[2], argv[3], argv[4]);
	if (argc >= 5 && !strcmp(argv[1], "write"))
		return do_write(argv[2], argv[3], argv[4],
				argc > 5 ? atol(argv[5]) : 64);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], argv[3]);
	fprintf(stderr, "usage: kill9_writer write DIR PREFIX LOG "
			"[RECORDS_PER_FILE]\n"
			"       kill9_writer verify DIR LOG\n"
			"       kill9_writer churn DIR PREFIX LOG\n"
			"       kill9_writer verify-churn DIR PREFIX LOG\n");
	return 2;
}
