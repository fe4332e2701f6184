/* SPDX-License-Identifier: MIT */
/*
 * test_broker.c - the descriptor broker (fusefs/broker.c) against its
 * client (lib/client/broker_client.c), with a fake pin table, real
 * sockets, threads and child processes.  Suite 'unit': needs no mount.
 */
#include "../../fusefs/broker.h"
#include "../../lib/client/broker_client.h"
#include "../../lib/client/broker_wire.h"
#include "../../lib/pin/trace.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REGION_SIZE (64u * 1024u)
#define TIMEOUT_MS 3000

struct fake_pin {
	uint64_t id;
	pid_t pid;
	uid_t uid;
	bool write;
	int err; /* nonzero: lookup returns this */
};

static struct fake_pin pins[16];
static unsigned npins;
static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;
static char region_path[64];
static struct broker *the_broker;

static int fake_lookup(void *arg, uint64_t pin_id, pid_t *pid, uid_t *uid,
		       bool *write)
{
	int r = -ENOENT;

	ck_assert_ptr_eq(arg, &pins);
	pthread_mutex_lock(&pins_lock);
	for (unsigned i = 0; i < npins; i++) {
		if (pins[i].id != pin_id)
			continue;
		r = pins[i].err;
		*pid = pins[i].pid;
		*uid = pins[i].uid;
		*write = pins[i].write;
		break;
	}
	pthread_mutex_unlock(&pins_lock);
	return r;
}

static void add_pin(uint64_t id, pid_t pid, uid_t uid, bool write)
{
	pthread_mutex_lock(&pins_lock);
	ck_assert_uint_lt(npins, 16);
	pins[npins++] = (struct fake_pin){ id, pid, uid, write, 0 };
	pthread_mutex_unlock(&pins_lock);
}

static void setup(void)
{
	char buf[REGION_SIZE];
	int fd;

	snprintf(region_path, sizeof(region_path), "/dev/shm/pinfs-the_broker-%d",
		 (int)getpid());
	fd = open(region_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (int)sizeof(buf));
	close(fd);
	npins = 0;
	ck_assert_int_eq(broker_start(region_path, fake_lookup, &pins, &the_broker),
			 0);
}

static void teardown(void)
{
	broker_stop(&the_broker);
	ck_assert_ptr_null(the_broker);
	unlink(region_path);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(name_is_abstract_and_names_the_daemon)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "@pinfs-%d-", (int)getpid());
	ck_assert_int_eq(strncmp(broker_name(the_broker), prefix, strlen(prefix)), 0);
	ck_assert_uint_eq(strlen(broker_name(the_broker)), strlen(prefix) + 16);
}
END_TEST

START_TEST(read_pin_gets_read_only_descriptor)
{
	int fd = -1;
	void *p;

	add_pin(11, getpid(), getuid(), false);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 11, TIMEOUT_MS,
					 &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	/* The kernel refuses a writable shared mapping of it. */
	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_eq(p, MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);

	p = mmap(NULL, REGION_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (unsigned i = 0; i < REGION_SIZE; i += 997)
		ck_assert_int_eq(((char *)p)[i], (char)(i * 7 + 3));
	munmap(p, REGION_SIZE);
	close(fd);

	uint64_t granted, refused;
	broker_counts(the_broker, &granted, &refused);
	ck_assert_uint_eq(granted, 1);
	ck_assert_uint_eq(refused, 0);
}
END_TEST

START_TEST(write_pin_gets_writable_descriptor)
{
	int fd = -1, rfd;
	char *p, c = 0;

	add_pin(12, getpid(), getuid(), true);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 12, TIMEOUT_MS,
					 &fd), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	p[4242] = 'Z';
	munmap(p, REGION_SIZE);
	close(fd);

	rfd = open(region_path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(pread(rfd, &c, 1, 4242), 1);
	ck_assert_int_eq(c, 'Z');
	close(rfd);
}
END_TEST

static void *fetch_thread(void *arg)
{
	int fd = -1;
	intptr_t r = cl_broker_fetch(broker_name(the_broker), (uint64_t)(uintptr_t)arg,
				     TIMEOUT_MS, &fd);
	if (r == 0)
		close(fd);
	return (void *)r;
}

START_TEST(other_thread_of_holder_is_the_holder)
{
	pthread_t t;
	void *res;

	add_pin(13, getpid(), getuid(), false);
	ck_assert_int_eq(pthread_create(&t, NULL, fetch_thread,
					(void *)(uintptr_t)13), 0);
	ck_assert_int_eq(pthread_join(t, &res), 0);
	ck_assert_int_eq((int)(intptr_t)res, 0);
}
END_TEST

static int park_pipe[2];
static _Atomic pid_t parked_tid;

static void *park_thread(void *arg)
{
	char c;

	parked_tid = gettid();
	(void)arg;
	(void)!read(park_pipe[0], &c, 1);
	return NULL;
}

START_TEST(holder_recorded_by_thread_id_still_matches)
{
	/* The pin layer may record a thread id (FUSE requests carry thread
	 * ids): the broker compares thread groups. */
	pthread_t t;
	int fd = -1;

	ck_assert_int_eq(pipe2(park_pipe, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, park_thread, NULL), 0);
	for (int i = 0; i < 1000 && !parked_tid; i++)
		usleep(1000);
	ck_assert_int_ne(parked_tid, 0);
	ck_assert_int_ne(parked_tid, getpid());
	add_pin(14, parked_tid, getuid(), false);
	int r = cl_broker_fetch(broker_name(the_broker), 14, TIMEOUT_MS, &fd);
	ck_assert_int_eq(write(park_pipe[1], "x", 1), 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(r, 0);
	close(fd);
}
END_TEST

START_TEST(other_pid_is_refused)
{
	int fd = -1;

	add_pin(21, getppid(), getuid(), true);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 21, TIMEOUT_MS,
					 &fd), -EPERM);
	ck_assert_int_eq(fd, -1);
	/* A dead pid is refused too. */
	add_pin(22, 0x3ffffff, getuid(), true);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 22, TIMEOUT_MS,
					 &fd), -EPERM);
	uint64_t granted, refused;
	broker_counts(the_broker, &granted, &refused);
	ck_assert_uint_eq(granted, 0);
	ck_assert_uint_eq(refused, 2);
}
END_TEST

START_TEST(other_uid_is_refused)
{
	int fd = -1;

	add_pin(23, getpid(), getuid() + 1, false);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 23, TIMEOUT_MS,
					 &fd), -EPERM);
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(unknown_pin_and_lookup_errors)
{
	int fd = -1;

	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 999, TIMEOUT_MS,
					 &fd), -ENOENT);
	add_pin(24, getpid(), getuid(), false);
	pins[npins - 1].err = -EACCES;
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 24, TIMEOUT_MS,
					 &fd), -EACCES);
	ck_assert_int_eq(fd, -1);
	/* Bad arguments never reach the daemon. */
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 0, TIMEOUT_MS,
					 &fd), -EINVAL);
	ck_assert_int_eq(cl_broker_fetch(NULL, 1, TIMEOUT_MS, &fd), -EINVAL);
	ck_assert_int_eq(cl_broker_fetch("@", 1, TIMEOUT_MS, &fd), -EINVAL);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 1, 0, &fd),
			 -EINVAL);
}
END_TEST

START_TEST(missing_region_is_eio)
{
	int fd = -1;

	add_pin(25, getpid(), getuid(), false);
	unlink(region_path);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 25, TIMEOUT_MS,
					 &fd), -EIO);
}
END_TEST

START_TEST(nobody_listening)
{
	int fd = -1;
	char name[64];

	snprintf(name, sizeof(name), "%s-gone", broker_name(the_broker));
	ck_assert_int_eq(cl_broker_fetch(name, 1, TIMEOUT_MS, &fd),
			 -ECONNREFUSED);
}
END_TEST

/* Connect by hand to send arbitrary bytes. */
static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *name = broker_name(the_broker);
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(sa.sun_path + 1, name + 1, n - 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa,
				 (socklen_t)(offsetof(struct sockaddr_un,
						      sun_path) + n)), 0);
	return fd;
}

/* Read the one-byte reply within @ms; returns it, or -1 on EOF/timeout. */
static int raw_reply(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char c;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (read(fd, &c, 1) != 1)
		return -1;
	return c;
}

static void expect_still_serving(void)
{
	int fd = -1;

	add_pin(77, getpid(), getuid(), false);
	ck_assert_int_eq(cl_broker_fetch(broker_name(the_broker), 77, TIMEOUT_MS,
					 &fd), 0);
	close(fd);
}

START_TEST(garbage_request_gets_error_byte)
{
	struct broker_req req = { .magic = 0xdeadbeef, .pin_id = 77 };
	int fd = raw_connect();

	add_pin(78, getpid(), getuid(), false);
	ck_assert_int_eq(write(fd, &req, sizeof(req)), (int)sizeof(req));
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EPROTO);
	close(fd);

	/* Unknown flags are refused as well. */
	req = (struct broker_req){ .magic = BROKER_MAGIC, .flags = 1,
				   .pin_id = 78 };
	fd = raw_connect();
	ck_assert_int_eq(write(fd, &req, sizeof(req)), (int)sizeof(req));
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EPROTO);
	close(fd);
	expect_still_serving();
}
END_TEST

START_TEST(short_request_gets_error_byte)
{
	int fd = raw_connect();

	ck_assert_int_eq(write(fd, "PFB", 3), 3);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EPROTO);
	close(fd);
	expect_still_serving();
}
END_TEST

START_TEST(silent_peer_times_out)
{
	int fd = raw_connect();
	int64_t t0 = now_ms();

	ck_assert_int_eq(raw_reply(fd, BROKER_REQ_TIMEOUT_MS + 2000),
			 ETIMEDOUT);
	ck_assert_int_ge(now_ms() - t0, BROKER_REQ_TIMEOUT_MS - 50);
	close(fd);
	expect_still_serving();
}
END_TEST

START_TEST(peer_that_vanishes_costs_nothing)
{
	/* Request sent, connection closed before the reply: the daemon's
	 * sendmsg must not raise SIGPIPE or fail the next request. */
	struct broker_req req = { .magic = BROKER_MAGIC, .pin_id = 79 };

	add_pin(79, getpid(), getuid(), false);
	for (int i = 0; i < 20; i++) {
		int fd = raw_connect();

		ck_assert_int_eq(write(fd, &req, sizeof(req)),
				 (int)sizeof(req));
		close(fd);
	}
	expect_still_serving();
}
END_TEST

START_TEST(stop_with_a_connection_in_hand_is_prompt)
{
	int fd = raw_connect();
	int64_t t0;

	usleep(50 * 1000); /* let the broker accept and wait on it */
	t0 = now_ms();
	broker_stop(&the_broker);
	ck_assert_int_lt(now_ms() - t0, BROKER_REQ_TIMEOUT_MS / 2);
	ck_assert_int_eq(raw_reply(fd, 500), -1);
	close(fd);
	broker_stop(&the_broker); /* NULL-safe */
}
END_TEST

START_TEST(start_rejects_bad_arguments)
{
	struct broker *b = (struct broker *)&b;

	ck_assert_int_eq(broker_start(NULL, fake_lookup, NULL, &b), -EINVAL);
	ck_assert_int_eq(broker_start("", fake_lookup, NULL, &b), -EINVAL);
	ck_assert_int_eq(broker_start(region_path, NULL, NULL, &b), -EINVAL);
	ck_assert_int_eq(broker_start(region_path, fake_lookup, NULL, NULL),
			 -EINVAL);
	ck_assert_ptr_eq(b, (struct broker *)&b);
}
END_TEST

/*
 * Child processes: the holder is another process.  The child waits for
 * the go byte (sent once its pin is registered), fetches, and exits with
 * 0 (granted, read-only), 100 + errno (refused) or 99 (other failure).
 */
static int child_fetch(int go_fd, uint64_t pin_id, uid_t as_uid)
{
	char go;
	int fd = -1, r;

	if (as_uid != (uid_t)-1 && setuid(as_uid) != 0)
		return 99;
	if (read(go_fd, &go, 1) != 1)
		return 99;
	r = cl_broker_fetch(broker_name(the_broker), pin_id, TIMEOUT_MS, &fd);
	if (r < 0)
		return 100 - r;
	r = (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY ? 0 : 99;
	close(fd);
	return r;
}

/* Run child_fetch in a child whose pin is {child pid, @pin_uid}. */
static int run_child(uint64_t pin_id, uid_t pin_uid, uid_t as_uid)
{
	int go[2], status = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(go[1]);
		alarm(10);
		_exit(child_fetch(go[0], pin_id, as_uid));
	}
	close(go[0]);
	add_pin(pin_id, pid, pin_uid, false);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);

	for (int i = 0; i < 1000; i++) { /* 10 s at most */
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (i == 999) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("child did not finish");
		}
		usleep(10 * 1000);
	}
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(child_holder_gets_descriptor)
{
	ck_assert_int_eq(run_child(31, getuid(), (uid_t)-1), 0);
}
END_TEST

START_TEST(child_with_other_uid)
{
	if (geteuid() != 0)
		return; /* needs root to change uid; covered by other_uid */
	/* Pin recorded for uid 0 but the process runs as nobody. */
	ck_assert_int_eq(run_child(32, 0, 65534), 100 + EPERM);
	/* Recorded for nobody and run as nobody: granted. */
	ck_assert_int_eq(run_child(33, 65534, 65534), 0);
}
END_TEST

START_TEST(parent_cannot_take_a_childs_pin)
{
	int fd = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	add_pin(34, pid, getuid(), true);
	int r = cl_broker_fetch(broker_name(the_broker), 34, TIMEOUT_MS, &fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(r, -EPERM);
}
END_TEST

/* ---- trace streams ------------------------------------------------------ */

static int trace_request(uint64_t from)
{
	struct broker_req req = { .magic = BROKER_MAGIC,
				  .flags = BROKER_REQ_TRACE, .pin_id = from };
	int fd = raw_connect();

	ck_assert_int_eq(write(fd, &req, sizeof(req)), (int)sizeof(req));
	return fd;
}

/* Read one record within @ms; false on timeout or EOF. */
static bool read_rec(int fd, struct broker_trace_rec *rec, int ms)
{
	size_t have = 0;
	int64_t end = now_ms() + ms;

	while (have < sizeof(*rec)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return false;
		ssize_t n = read(fd, (char *)rec + have, sizeof(*rec) - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
	}
	return true;
}

START_TEST(trace_without_ring_is_eopnotsupp)
{
	int fd = trace_request(BROKER_TRACE_FROM_NOW);

	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EOPNOTSUPP);
	close(fd);
}
END_TEST

START_TEST(trace_streams_old_and_new_events)
{
	struct pin_trace *tr = NULL;
	struct broker_trace_rec rec;
	int fd;

	ck_assert_int_eq(pin_trace_new(&tr), 0);
	pin_trace_emit(tr, PIN_TR_PIN, 5, 100, 0, 8192, 1234, 1);
	pin_trace_emit(tr, PIN_TR_BREAK, 5, 100, 4096, 4096, 1234, SIGIO);
	broker_set_trace(the_broker, tr);

	fd = trace_request(BROKER_TRACE_FROM_OLDEST);
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), 0);
	ck_assert(read_rec(fd, &rec, TIMEOUT_MS));
	ck_assert_str_eq(rec.name, "pin");
	ck_assert_uint_eq(rec.seq, 0);
	ck_assert_uint_eq(rec.pin_id, 5);
	ck_assert_uint_eq(rec.ino, 100);
	ck_assert_uint_eq(rec.len, 8192);
	ck_assert_int_eq(rec.pid, 1234);
	ck_assert_uint_eq(rec.type, PIN_TR_PIN);
	ck_assert(read_rec(fd, &rec, TIMEOUT_MS));
	ck_assert_str_eq(rec.name, "break");
	ck_assert_int_eq(rec.arg, SIGIO);
	ck_assert_uint_eq(rec.off, 4096);
	/* Nothing more until something happens; then it streams. */
	ck_assert(!read_rec(fd, &rec, 100));
	pin_trace_emit(tr, PIN_TR_ACK, 5, 100, 0, 8192, 1234, 0);
	ck_assert(read_rec(fd, &rec, TIMEOUT_MS));
	ck_assert_str_eq(rec.name, "ack");
	ck_assert_uint_eq(rec.seq, 2);

	/* FROM_NOW skips what is kept. */
	int fd2 = trace_request(BROKER_TRACE_FROM_NOW);
	ck_assert_int_eq(raw_reply(fd2, TIMEOUT_MS), 0);
	ck_assert(!read_rec(fd2, &rec, 100));
	pin_trace_emit(tr, PIN_TR_RELEASE, 5, 100, 0, 8192, 1234, 0);
	ck_assert(read_rec(fd2, &rec, TIMEOUT_MS));
	ck_assert_str_eq(rec.name, "release");
	ck_assert(read_rec(fd, &rec, TIMEOUT_MS));
	ck_assert_str_eq(rec.name, "release");
	close(fd);
	close(fd2);

	/* Closed streams free their slots: more than BROKER_TRACE_MAX
	 * streams one after the other all work. */
	for (int i = 0; i < BROKER_TRACE_MAX + 4; i++) {
		int r = EBUSY;

		/* A stream notices its peer left within 200 ms. */
		for (int tries = 0; tries < 100 && r == EBUSY; tries++) {
			fd = trace_request(BROKER_TRACE_FROM_NOW);
			r = raw_reply(fd, TIMEOUT_MS);
			close(fd);
			if (r == EBUSY)
				usleep(50 * 1000);
		}
		ck_assert_int_eq(r, 0);
	}
	broker_stop(&the_broker);
	pin_trace_delete(&tr);
}
END_TEST

START_TEST(trace_limits_and_bad_requests)
{
	struct pin_trace *tr = NULL;
	int fds[BROKER_TRACE_MAX], fd;

	ck_assert_int_eq(pin_trace_new(&tr), 0);
	broker_set_trace(the_broker, tr);
	for (int i = 0; i < BROKER_TRACE_MAX; i++) {
		fds[i] = trace_request(BROKER_TRACE_FROM_NOW);
		ck_assert_int_eq(raw_reply(fds[i], TIMEOUT_MS), 0);
	}
	fd = trace_request(BROKER_TRACE_FROM_NOW);
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EBUSY);
	close(fd);
	fd = trace_request(7);
	ck_assert_int_eq(raw_reply(fd, TIMEOUT_MS), EPROTO);
	close(fd);
	expect_still_serving();

	/* Stopping with live streams is prompt and joins them. */
	int64_t t0 = now_ms();
	broker_stop(&the_broker);
	ck_assert_int_lt(now_ms() - t0, 1500);
	for (int i = 0; i < BROKER_TRACE_MAX; i++) {
		struct broker_trace_rec rec;

		ck_assert(!read_rec(fds[i], &rec, 500)); /* EOF */
		close(fds[i]);
	}
	pin_trace_delete(&tr);
}
END_TEST

static int child_trace(int go_fd)
{
	char go;

	if (setuid(65534) != 0 || read(go_fd, &go, 1) != 1)
		return 99;
	int fd = trace_request(BROKER_TRACE_FROM_NOW);
	int r = raw_reply(fd, TIMEOUT_MS);
	close(fd);
	return r;
}

START_TEST(trace_needs_root_or_owner)
{
	struct pin_trace *tr = NULL;
	int go[2], st;
	pid_t pid;

	if (geteuid() != 0)
		return; /* the broker's own uid is always allowed */
	ck_assert_int_eq(pin_trace_new(&tr), 0);
	broker_set_trace(the_broker, tr);
	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		alarm(10);
		_exit(child_trace(go[0]));
	}
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), EPERM);
	close(go[0]);
	close(go[1]);
	broker_stop(&the_broker);
	pin_trace_delete(&tr);
}
END_TEST

static Suite *broker_suite(void)
{
	Suite *s = suite_create("broker");
	TCase *tc;

#define ADD(name)                                                        \
	do {                                                             \
		tc = tcase_create(#name);                                \
		tcase_add_checked_fixture(tc, setup, teardown);          \
		tcase_set_timeout(tc, 15);                               \
		tcase_add_test(tc, name);                                \
		suite_add_tcase(s, tc);                                  \
	} while (0)
	ADD(name_is_abstract_and_names_the_daemon);
	ADD(read_pin_gets_read_only_descriptor);
	ADD(write_pin_gets_writable_descriptor);
	ADD(other_thread_of_holder_is_the_holder);
	ADD(holder_recorded_by_thread_id_still_matches);
	ADD(other_pid_is_refused);
	ADD(other_uid_is_refused);
	ADD(unknown_pin_and_lookup_errors);
	ADD(missing_region_is_eio);
	ADD(nobody_listening);
	ADD(garbage_request_gets_error_byte);
	ADD(short_request_gets_error_byte);
	ADD(silent_peer_times_out);
	ADD(peer_that_vanishes_costs_nothing);
	ADD(stop_with_a_connection_in_hand_is_prompt);
	ADD(start_rejects_bad_arguments);
	ADD(child_holder_gets_descriptor);
	ADD(child_with_other_uid);
	ADD(parent_cannot_take_a_childs_pin);
	ADD(trace_without_ring_is_eopnotsupp);
	ADD(trace_streams_old_and_new_events);
	ADD(trace_limits_and_bad_requests);
	ADD(trace_needs_root_or_owner);
#undef ADD
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(broker_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
