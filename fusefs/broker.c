/* SPDX-License-Identifier: MIT */
/*
 * broker.c - hands the region descriptor to pin holders (see broker.h).
 */
#include "broker.h"

#include "../lib/client/broker_wire.h"
#include "../lib/pin/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct trace_stream {
	pthread_t thread;
	int fd;
	uint64_t cursor;
	bool used;         /* thread started, not yet joined */
	atomic_bool done;  /* thread finished: join it */
	struct broker *b;
};

struct broker {
	char *region_path;
	broker_lookup_fn lookup;
	void *arg;
	int listen_fd;
	int stop_fd; /* eventfd: readable once broker_stop() asks */
	pthread_t thread;
	atomic_uint_fast64_t granted;
	atomic_uint_fast64_t refused;
	char name[64]; /* "@pinfs-<pid>-<hex>" */
	struct pin_trace *_Atomic trace;
	atomic_bool stopping;
	struct trace_stream streams[BROKER_TRACE_MAX]; /* broker thread */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read exactly @len bytes from the nonblocking @fd before @deadline_ms.
 * Returns 0, -EPROTO on EOF before @len bytes, -ETIMEDOUT, -ECANCELED if
 * the broker is stopping, or -errno.
 */
static int read_full(struct broker *b, int fd, void *buf, size_t len,
		     int64_t deadline_ms)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPROTO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;

		int64_t left = deadline_ms - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = b->stop_fd, .events = POLLIN },
		};
		int r = poll(pfd, 2, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents)
			return -ECANCELED;
	}
	return 0;
}

/* Send the status byte, with @region_fd attached when it is >= 0. */
static void send_reply(int fd, uint8_t status, int region_fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &status, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (region_fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &region_fd, sizeof(int));
	}
	/* Nonblocking and MSG_NOSIGNAL: a vanished peer costs nothing. */
	while (sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	       errno == EINTR)
		;
}

/* Thread-group id of @pid, from /proc; 0 if it cannot be read. */
static pid_t tgid_of(pid_t pid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int v;

		if (sscanf(line, "Tgid: %d", &v) == 1) {
			tgid = v;
			break;
		}
	}
	fclose(f);
	return tgid;
}

/* True if the peer process @peer is the holder recorded as @holder. */
static bool same_process(pid_t peer, pid_t holder)
{
	if (peer <= 0 || holder <= 0)
		return false;
	if (peer == holder)
		return true;
	/* The pin layer may have recorded a thread id: compare groups. */
	return tgid_of(holder) == peer;
}

/* Decide a descriptor request; returns the open region fd or -errno. */
static int decide_pin(struct broker *b, const struct broker_req *req,
		      const struct ucred *cred)
{
	pid_t holder_pid = 0;
	uid_t holder_uid = (uid_t)-1;
	bool write = false;
	int r;

	if (req->pin_id == 0)
		return -EPROTO;
	r = b->lookup(b->arg, req->pin_id, &holder_pid, &holder_uid, &write);
	if (r < 0)
		return r;
	if (r > 0)
		return -EIO;
	if (cred->uid != holder_uid || !same_process(cred->pid, holder_pid))
		return -EPERM;

	r = open(b->region_path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (r < 0)
		return -EIO;
	return r;
}

/* ---- trace streams --------------------------------------------------- */

/* Send all of @buf within BROKER_TRACE_SEND_MS; 0 or -errno. */
static int send_all(struct broker *b, int fd, const void *buf, size_t len)
{
	int64_t deadline = now_ms() + BROKER_TRACE_SEND_MS;
	size_t sent = 0;

	while (sent < len) {
		ssize_t n = send(fd, (const char *)buf + sent, len - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int64_t left = deadline - now_ms();
		if (left <= 0 || atomic_load(&b->stopping))
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, left > 200 ? 200 : (int)left) < 0 &&
		    errno != EINTR)
			return -errno;
	}
	return 0;
}

static bool peer_gone(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 &&
	       (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void *trace_thread(void *arg)
{
	struct trace_stream *ts = arg;
	struct broker *b = ts->b;
	struct pin_trace *tr = atomic_load(&b->trace);
	struct pin_trace_event ev[64];
	struct broker_trace_rec rec[64];
	uint8_t ok = 0;

	if (send_all(b, ts->fd, &ok, 1) < 0)
		goto out;
	while (!atomic_load(&b->stopping) && !peer_gone(ts->fd)) {
		uint64_t lost = 0;
		uint32_t n;

		if (pin_trace_wait(tr, ts->cursor, 200) < 0)
			continue;
		n = pin_trace_read(tr, &ts->cursor, ev, 64, &lost);
		for (uint32_t i = 0; i < n; i++) {
			memset(&rec[i], 0, sizeof(rec[i]));
			rec[i].seq = ev[i].seq;
			rec[i].ts_ns = ev[i].ts_ns;
			rec[i].type = ev[i].type;
			rec[i].pid = ev[i].pid;
			rec[i].pin_id = ev[i].pin_id;
			rec[i].ino = ev[i].ino;
			rec[i].off = ev[i].off;
			rec[i].len = ev[i].len;
			rec[i].arg = ev[i].arg;
			rec[i].lost = i == 0 ? lost : 0;
			snprintf(rec[i].name, sizeof(rec[i].name), "%s",
				 pin_trace_name(ev[i].type));
		}
		if (n && send_all(b, ts->fd, rec, n * sizeof(rec[0])) < 0)
			break;
	}
out:
	close(ts->fd);
	atomic_store(&ts->done, true);
	return NULL;
}

/* Join finished streams; then, if @all, every stream (after stopping). */
static void reap_streams(struct broker *b, bool all)
{
	for (int i = 0; i < BROKER_TRACE_MAX; i++) {
		struct trace_stream *ts = &b->streams[i];

		if (ts->used && (all || atomic_load(&ts->done))) {
			pthread_join(ts->thread, NULL);
			ts->used = false;
		}
	}
}

/* Start a stream on a copy of @fd; 0 or -errno (then the caller replies). */
static int start_trace(struct broker *b, int fd, const struct broker_req *req,
		       const struct ucred *cred)
{
	struct pin_trace *tr = atomic_load(&b->trace);
	struct trace_stream *ts = NULL;

	if (req->pin_id != BROKER_TRACE_FROM_NOW &&
	    req->pin_id != BROKER_TRACE_FROM_OLDEST)
		return -EPROTO;
	if (cred->uid != 0 && cred->uid != geteuid())
		return -EPERM;
	if (!tr)
		return -EOPNOTSUPP;
	reap_streams(b, false);
	for (int i = 0; i < BROKER_TRACE_MAX && !ts; i++)
		if (!b->streams[i].used)
			ts = &b->streams[i];
	if (!ts)
		return -EBUSY;
	ts->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (ts->fd < 0)
		return -errno;
	ts->b = b;
	ts->cursor = req->pin_id == BROKER_TRACE_FROM_NOW ? pin_trace_head(tr)
							  : 0;
	atomic_store(&ts->done, false);
	int r = pthread_create(&ts->thread, NULL, trace_thread, ts);
	if (r) {
		close(ts->fd);
		return -r;
	}
	ts->used = true;
	return 0;
}

/* ---- one connection ---------------------------------------------------- */

/* Returns the region fd to send, 1 for a started stream, or -errno. */
static int decide(struct broker *b, int fd)
{
	struct broker_req req;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int r;

	r = read_full(b, fd, &req, sizeof(req),
		      now_ms() + BROKER_REQ_TIMEOUT_MS);
	if (r < 0)
		return r;
	if (req.magic != BROKER_MAGIC ||
	    (req.flags & ~(uint32_t)BROKER_REQ_TRACE))
		return -EPROTO;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return -errno;
	if (req.flags & BROKER_REQ_TRACE) {
		r = start_trace(b, fd, &req, &cred);
		return r < 0 ? r : -EINPROGRESS;
	}
	return decide_pin(b, &req, &cred);
}

static void serve(struct broker *b, int fd)
{
	int r = decide(b, fd);

	/* Count first: the reply lets the peer (and a test) go on. */
	if (r >= 0) {
		atomic_fetch_add(&b->granted, 1);
		send_reply(fd, 0, r);
		close(r);
		return;
	}
	if (r == -ECANCELED || r == -EINPROGRESS)
		return; /* stopping, or the stream thread answers */
	atomic_fetch_add(&b->refused, 1);
	/* errno values fit a byte; anything odd becomes EPROTO. */
	send_reply(fd, (uint8_t)(-r > 0 && -r < 256 ? -r : EPROTO), -1);
}

static void *broker_thread(void *arg)
{
	struct broker *b = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = b->listen_fd, .events = POLLIN },
			{ .fd = b->stop_fd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;

		int fd = accept4(b->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* Out of descriptors: the pending connection stays
			 * readable, so back off instead of spinning. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				poll(&pfd[1], 1, 10);
			continue; /* EAGAIN, ECONNABORTED: go on */
		}
		serve(b, fd);
		close(fd);
	}
	return NULL;
}

/* Bind a fresh abstract name "@pinfs-<pid>-<random>" to @fd. */
static int bind_name(struct broker *b, int fd)
{
	for (int tries = 0; tries < 8; tries++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		uint64_t rnd;

		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(b->name, sizeof(b->name), "@pinfs-%d-%016" PRIx64,
			 (int)getpid(), rnd);
		size_t n = strlen(b->name); /* '@' becomes the leading NUL */
		memcpy(sa.sun_path + 1, b->name + 1, n - 1);
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un,
						      sun_path) + n);
		if (bind(fd, (struct sockaddr *)&sa, len) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}

int broker_start(const char *region_path, broker_lookup_fn lookup, void *arg,
		 struct broker **out)
{
	struct broker *b;
	int r;

	if (!region_path || !*region_path || !lookup || !out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->lookup = lookup;
	b->arg = arg;
	b->region_path = strdup(region_path);
	if (!b->region_path) {
		r = -ENOMEM;
		goto err_free;
	}
	b->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_fd < 0) {
		r = -errno;
		goto err_free;
	}
	b->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
				       SOCK_NONBLOCK, 0);
	if (b->listen_fd < 0) {
		r = -errno;
		goto err_close_stop;
	}
	r = bind_name(b, b->listen_fd);
	if (r < 0)
		goto err_close_listen;
	if (listen(b->listen_fd, 64) < 0) {
		r = -errno;
		goto err_close_listen;
	}
	r = -pthread_create(&b->thread, NULL, broker_thread, b);
	if (r < 0)
		goto err_close_listen;
	*out = b;
	return 0;

err_close_listen:
	close(b->listen_fd);
err_close_stop:
	close(b->stop_fd);
err_free:
	free(b->region_path);
	free(b);
	return r;
}

const char *broker_name(const struct broker *b)
{
	return b->name;
}

void broker_counts(const struct broker *b, uint64_t *granted,
		   uint64_t *refused)
{
	if (granted)
		*granted = atomic_load(&b->granted);
	if (refused)
		*refused = atomic_load(&b->refused);
}

void broker_set_trace(struct broker *b, struct pin_trace *tr)
{
	atomic_store(&b->trace, tr);
}

void broker_stop(struct broker **bp)
{
	struct broker *b = bp ? *bp : NULL;
	uint64_t one = 1;

	if (!b)
		return;
	atomic_store(&b->stopping, true);
	while (write(b->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(b->thread, NULL);
	reap_streams(b, true); /* each notices `stopping` within 200 ms */
	close(b->listen_fd);
	close(b->stop_fd);
	free(b->region_path);
	free(b);
	*bp = NULL;
}
