/* SPDX-License-Identifier: MIT */
/*
 * broker_client.c - fetch the region descriptor for a pin (broker_wire.h).
 */
#include "broker_client.h"

#include "broker_wire.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_name(const char *name, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	size_t n = strnlen(name, sizeof(sa.sun_path) + 1);
	socklen_t len;
	int fd;

	if (n < 2 || n > sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0'; /* abstract: no trailing NUL */
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		if (n == sizeof(sa.sun_path))
			return -EINVAL; /* no room for the NUL */
		len = (socklen_t)sizeof(sa);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Receive the status byte and at most one descriptor. */
static int recv_reply(int fd, int *fd_out)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	uint8_t status = 0;
	struct iovec iov = { .iov_base = &status, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	int got = -1, extra = 0;
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -EPROTO;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int v;

			memcpy(&v, CMSG_DATA(c) + i * sizeof(int), sizeof(v));
			if (got < 0) {
				got = v;
			} else {
				close(v);
				extra = 1;
			}
		}
	}
	if (status != 0 || extra || (msg.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		return status != 0 ? -(int)status : -EPROTO;
	}
	if (got < 0)
		return -EPROTO;
	*fd_out = got;
	return 0;
}

int cl_broker_fetch(const char *name, uint64_t pin_id, int timeout_ms,
		    int *fd_out)
{
	struct broker_req req = { .magic = BROKER_MAGIC, .pin_id = pin_id };
	size_t sent = 0;
	int fd, r;

	if (!name || pin_id == 0 || !fd_out || timeout_ms <= 0)
		return -EINVAL;
	fd = connect_name(name, timeout_ms);
	if (fd < 0)
		return fd;
	while (sent < sizeof(req)) {
		ssize_t n = send(fd, (char *)&req + sent, sizeof(req) - sent,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out_close;
		}
		sent += (size_t)n;
	}
	r = recv_reply(fd, fd_out);
out_close:
	close(fd);
	return r;
}
