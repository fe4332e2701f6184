/* SPDX-License-Identifier: MIT */
/*
 * cmd_trace.c - `pinfs trace MOUNTPOINT`: stream the pin layer's trace
 * events (lease, pin, conflict, break, ack, expire, SIGBUS, SIGKILL,
 * quarantine, release, ...) as they happen.
 *
 * The daemon names its broker socket in PINFS_IOC_INFO (asked on the
 * mount's root directory); the stream is a BROKER_REQ_TRACE request on
 * that socket (lib/client/broker_wire.h).  Root and the daemon's owner
 * may stream.  Each event is one line (or one JSON object per line),
 * stamped with CLOCK_MONOTONIC seconds like `pinfs hold`.
 */
#include "cli.h"

#include "../lib/client/broker_wire.h"
#include "pinfs/ioctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TRACE_CONNECT_MS 5000

struct trace_opts {
	const char *mnt;
	bool all, json;
	uint64_t count; /* stop after this many events; 0 = never */
	int for_ms;     /* stop after this long; -1 = never */
};

static void trace_usage(FILE *out)
{
	fprintf(out,
		"Usage: pinfs trace MOUNTPOINT [OPTIONS]\n"
		"\n"
		"Stream the pin trace events of the pinfs mount at MOUNTPOINT, one\n"
		"line each: CLOCK_MONOTONIC seconds, event, pin id, holder pid,\n"
		"inode, range and the event's argument.  Root or the daemon's\n"
		"owner only.  Ends on SIGINT, or as the options say.\n"
		"\n"
		"  -a, --all        start with every event the daemon still keeps\n"
		"  -j, --json       one JSON object per line\n"
		"  -n, --count N    exit after N events\n"
		"  -t, --for MS     exit after MS milliseconds\n"
		"  -h, --help       show this help\n");
}

static int trace_parse(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "for", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct trace_opts){ .for_ms = -1 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ajn:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->all = true; break;
		case 'j': o->json = true; break;
		case 'n':
			errno = 0;
			o->count = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' ||
			    o->count == 0) {
				cli_err("trace", "bad --count: '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 't': {
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);

			if (errno || *end || !*optarg || *optarg == '-' ||
			    v > 86400000ull) {
				cli_err("trace", "bad --for: '%s'", optarg);
				return CLI_USAGE;
			}
			o->for_ms = (int)v;
			break;
		}
		case 'h':
			trace_usage(stdout);
			return -1;
		default:
			cli_err("trace", "unknown option '%s'", argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_err("trace", "expected one MOUNTPOINT");
		return CLI_USAGE;
	}
	o->mnt = argv[optind];
	return 0;
}

static int64_t trace_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The broker name of the mount at @mnt, through PINFS_IOC_INFO. */
static int broker_of(const char *mnt, char *name, size_t len)
{
	struct pinfs_info info;
	int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.abi_version = PINFS_ABI_VERSION;
	int r = ioctl(fd, PINFS_IOC_INFO, &info) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	info.broker[sizeof(info.broker) - 1] = '\0';
	if (!info.broker[0])
		return -EOPNOTSUPP;
	snprintf(name, len, "%s", info.broker);
	return 0;
}

/* Connect, ask for the stream, read the status byte; the socket or -errno. */
static int trace_connect(const char *name, bool all)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct broker_req req = { .magic = BROKER_MAGIC,
				  .flags = BROKER_REQ_TRACE,
				  .pin_id = all ? BROKER_TRACE_FROM_OLDEST
						: BROKER_TRACE_FROM_NOW };
	size_t n = strlen(name);
	socklen_t slen;
	uint8_t status;
	int fd, r;

	if (n < 2 || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		slen = (socklen_t)sizeof(sa);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, slen) < 0 ||
	    send(fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
		r = -errno;
		goto err_close;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, TRACE_CONNECT_MS) != 1) {
		r = -ETIMEDOUT;
		goto err_close;
	}
	if (recv(fd, &status, 1, 0) != 1) {
		r = -EPROTO;
		goto err_close;
	}
	if (status) {
		r = -(int)status;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return r;
}

static void print_event(const struct broker_trace_rec *e, bool json)
{
	char name[BROKER_TRACE_NAME_LEN + 1];

	memcpy(name, e->name, BROKER_TRACE_NAME_LEN);
	name[BROKER_TRACE_NAME_LEN] = '\0';
	for (char *p = name; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			*p = '?';
	if (e->lost && !json)
		printf("(%" PRIu64 " events lost)\n", e->lost);
	if (json) {
		printf("{\"seq\": %" PRIu64 ", \"ts\": %" PRIu64 ".%06" PRIu64
		       ", \"event\": \"%s\", \"pin\": %" PRIu64 ", \"pid\": %d"
		       ", \"ino\": %" PRIu64 ", \"off\": %" PRIu64
		       ", \"len\": %" PRIu64 ", \"arg\": %" PRId64
		       ", \"lost\": %" PRIu64 "}\n",
		       e->seq, e->ts_ns / 1000000000u,
		       (e->ts_ns % 1000000000u) / 1000u, name, e->pin_id,
		       e->pid, e->ino, e->off, e->len, e->arg, e->lost);
		return;
	}
	printf("%" PRIu64 ".%06" PRIu64 " %-12s pin=%" PRIu64 " pid=%d ino=%"
	       PRIu64 " off=%" PRIu64 " len=%" PRIu64 " arg=%" PRId64 "\n",
	       e->ts_ns / 1000000000u, (e->ts_ns % 1000000000u) / 1000u, name,
	       e->pin_id, e->pid, e->ino, e->off, e->len, e->arg);
}

static int trace_stream(const struct trace_opts *o, int fd)
{
	int64_t end = o->for_ms >= 0 ? trace_now_ms() + o->for_ms : -1;
	struct broker_trace_rec rec;
	size_t have = 0;
	uint64_t seen = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout = -1;

		if (end >= 0) {
			int64_t left = end - trace_now_ms();

			if (left <= 0)
				return CLI_OK;
			timeout = (int)left;
		}
		int r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR) {
			cli_err("trace", "poll: %s", strerror(errno));
			return CLI_FAIL;
		}
		if (r <= 0)
			continue;
		ssize_t n = recv(fd, (char *)&rec + have, sizeof(rec) - have, 0);
		if (n == 0) {
			cli_err("trace", "the daemon closed the stream");
			return CLI_FAIL;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cli_err("trace", "recv: %s", strerror(errno));
			return CLI_FAIL;
		}
		have += (size_t)n;
		if (have < sizeof(rec))
			continue;
		have = 0;
		print_event(&rec, o->json);
		if (o->count && ++seen >= o->count)
			return CLI_OK;
	}
}

int cmd_trace(int argc, char **argv); /* listed in cli.h by its owner */

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	char name[PINFS_BROKER_NAME_MAX + 1];
	int r = trace_parse(argc, argv, &o), fd;

	if (r < 0)
		return CLI_OK; /* --help */
	if (r > 0)
		return r;
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = broker_of(o.mnt, name, sizeof(name));
	if (r < 0) {
		cli_err("trace", "%s: %s", o.mnt,
			r == -ENOTTY ? "not a pinfs mount"
			: r == -EOPNOTSUPP ? "the daemon runs no broker"
			: strerror(-r));
		return CLI_FAIL;
	}
	fd = trace_connect(name, o.all);
	if (fd < 0) {
		cli_err("trace", "%s: %s", o.mnt,
			fd == -EPERM ? "only root or the mount's owner may trace"
			: fd == -EOPNOTSUPP ? "the daemon has no trace ring"
			: fd == -EBUSY ? "too many trace streams"
			: strerror(-fd));
		return CLI_FAIL;
	}
	r = trace_stream(&o, fd);
	close(fd);
	return r;
}
