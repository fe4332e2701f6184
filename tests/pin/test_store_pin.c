/* SPDX-License-Identifier: MIT */
/*
 * test_store_pin.c - the pin layer over the real store (lib/store) and a
 * region on tmpfs: the gate in store_setattr, a break acknowledged by a
 * holder process, quarantined blocks that a file filling the region never
 * gets, unlink of a pinned file, and the registry across a restart
 * (store closed and reopened) with fsck clean at the end.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "holder.h"
#include "pin.h"

static char dir[64], region[96];
static struct store *st;
static struct pin_table *pt;

static void open_store(void)
{
	const char *why = NULL;
	int rc = store_open(region, STORE_OPEN_NO_RECLAIM, &st, &why);

	ck_assert_msg(rc == 0, "store_open %d %s", rc, why ? why : "");
}

/* Unchecked fixture (runs in the runner): the directory outlives a
 * failed test and is removed here whatever happened. */
static void dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/pinfs-pin-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(region, sizeof(region), "%s/region", dir);
}

static void dir_teardown(void)
{
	unlink(region);
	rmdir(dir);
}

static void setup(void)
{
	struct store_mkfs_opts o = { .size = 32ull << 20,
				     .flags = STORE_MKFS_FORCE };

	unlink(region);
	ck_assert_int_eq(store_mkfs(region, &o), 0);
	open_store();
}

static void cleanup(void)
{
	pin_table_delete(&pt);
	store_close(&st);
	unlink(region);
}

static void mk_table(const char *policy)
{
	struct pin_options o;
	const char *why = NULL;

	pin_options_init(&o);
	o.policy = policy;
	o.lease_break_ms = 5000;
	o.kill_grace_ms = 0;
	ck_assert_int_eq(pin_table_new(st, &o, &pt, &why), 0);
}

static uint64_t mkfile(const char *name, uint64_t size)
{
	struct store_cred cred = { 0, 0 };
	struct store_attr a;
	char *buf = malloc(size);

	memset(buf, 0x5a, size);
	ck_assert_int_eq(store_mknod(st, STORE_ROOT_INO, name, S_IFREG | 0644,
				     0, &cred, &a), 0);
	ck_assert_int_eq(store_write(st, a.ino, buf, size, 0), (ssize_t)size);
	free(buf);
	return a.ino;
}

static int set_size(uint64_t ino, uint64_t size)
{
	struct store_attr in = { .size = size }, out;

	return store_setattr(st, ino, &in, STORE_SET_SIZE, &out);
}

static int pin(const struct holder *h, uint64_t ino, uint64_t fh,
	       uint64_t off, uint64_t len, uint32_t flags, struct pinfs_pin *p)
{
	struct pin_caller c = { .tid = h->pid, .flags = PIN_CALLER_MAY_WRITE };

	memset(p, 0, sizeof(*p));
	p->abi_version = PINFS_ABI_VERSION;
	p->off = off;
	p->len = len;
	p->flags = flags;
	return pin_ioc_pin(pt, &c, ino, fh, p);
}

static void on_done(void *arg, int result)
{
	int *fd = arg;

	if (write(fd[1], &result, sizeof(result)) < 0)
		abort();
}

static int npins(void)
{
	struct pin_caller c = { .tid = getpid() };
	struct pinfs_pins *l = calloc(1, sizeof(*l));
	int n;

	l->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_pins(pt, &c, l), 0);
	n = (int)l->count;
	free(l);
	return n;
}

START_TEST(test_break_unlink_restart)
{
	struct holder a, b;
	struct pin_caller ca;
	struct pinfs_lease l = { .abi_version = PINFS_ABI_VERSION,
				 .type = PINFS_LEASE_BREAKABLE,
				 .signo = SIGUSR1 };
	struct pinfs_unpin u = { .abi_version = PINFS_ABI_VERSION };
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	struct store_attr attr;
	struct report r;
	struct pollfd pfd;
	uint64_t ino, handle, held_off;
	int fds[2], res, i;

	ck_assert_int_eq(holder_spawn(&a, H_ACK, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&b, H_CATCH_BUS, SIGUSR1), 0);
	setup();
	mk_table("break");
	ck_assert_int_eq(pipe(fds), 0);
	ino = mkfile("f", 64 * 1024);

	ca = (struct pin_caller){ .tid = a.pid, .flags = PIN_CALLER_MAY_WRITE };
	ck_assert_int_eq(pin_ioc_setlease(pt, &ca, ino, 11, &l), 0);
	ck_assert_int_eq(pin(&a, ino, 11, 0, 32768, PINFS_PIN_WRITE, p), 0);
	ck_assert_uint_ge(p->total, 1);
	ck_assert(store_block_held(st, p->ext[0].region_off));
	u.pin_id = p->pin_id;
	ck_assert_int_eq(set_size(ino, 4096), -EAGAIN);
	ck_assert_int_eq(store_getattr(st, ino, &attr), 0);
	ck_assert_uint_eq(attr.size, 64 * 1024); /* unchanged */
	ck_assert_int_eq(pin_wait(pt, ino, 4096, 60 * 1024,
				  STORE_CHANGE_TRUNCATE, on_done, fds, &handle),
			 0);
	ck_assert_int_eq(holder_report(&a, &r, 2000), 0);
	ck_assert_int_eq(r.signo, SIGUSR1);
	ck_assert_int_eq(pin_ioc_unpin(pt, &ca, &u), 0);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert_int_eq(read(fds[0], &res, sizeof(res)), sizeof(res));
	ck_assert_int_eq(res, 0);
	ck_assert_int_eq(set_size(ino, 4096), 0);
	ck_assert(!store_block_held(st, p->ext[0].region_off + 8192));

	/* B pins without lease, the file loses its name, the daemon goes. */
	ck_assert_int_eq(pin(&b, ino, 12, 0, 4096, PINFS_PIN_WRITE, p), 0);
	held_off = p->ext[0].region_off;
	ck_assert_int_eq(store_unlink(st, STORE_ROOT_INO, "f"), 0);
	ck_assert_int_eq(store_getattr(st, ino, &attr), 0); /* orphan */
	pin_table_delete(&pt);
	store_close(&st);
	open_store();
	mk_table("break");
	ck_assert_int_eq(pin_recover(pt), 1);
	ck_assert(store_block_held(st, held_off));
	ck_assert_int_eq(store_getattr(st, ino, &attr), 0);
	ck_assert_int_eq(npins(), 1);
	/* B dies: its pin ends, the blocks and the orphan are freed. */
	holder_kill(&b);
	for (i = 0; i < 2000 && npins(); i++)
		usleep(1000);
	ck_assert_int_eq(npins(), 0);
	ck_assert(!store_block_held(st, held_off));
	ck_assert_int_eq(store_getattr(st, ino, &attr), -ENOENT);
	pin_table_delete(&pt);
	store_close(&st);
	ck_assert_int_eq(store_fsck(region, 0, NULL, NULL), 0);
	open_store();
	free(p);
	holder_kill(&a);
	cleanup();
}
END_TEST

START_TEST(test_quarantine_never_reused)
{
	struct holder a;
	struct pinfs_pin *p = calloc(1, sizeof(*p));
	struct store_extent *e = calloc(4096, sizeof(*e));
	struct pin_caller ca;
	struct pinfs_unpin u = { .abi_version = PINFS_ABI_VERSION };
	struct store_cred cred = { 0, 0 };
	struct store_attr attr;
	uint64_t ino, ino2, off = 0, pa, pb, total = 0;
	char *buf = calloc(1, 1 << 20);
	ssize_t w;
	int n, i, overlap = 0;

	ck_assert_int_eq(holder_spawn(&a, H_ACK, SIGUSR1), 0);
	setup();
	mk_table("quarantine");
	ino = mkfile("q", 256 * 1024);
	ck_assert_int_eq(pin(&a, ino, 21, 0, 256 * 1024, PINFS_PIN_WRITE, p),
			 0);
	pa = p->ext[0].region_off;
	pb = pa + p->ext[0].len;
	ck_assert_int_eq(set_size(ino, 0), 0); /* proceeds at once */
	ck_assert(store_block_held(st, pa));
	/* Another file takes every free block it can. */
	ck_assert_int_eq(store_mknod(st, STORE_ROOT_INO, "fill", S_IFREG | 0644,
				     0, &cred, &attr), 0);
	ino2 = attr.ino;
	do {
		w = store_write(st, ino2, buf, 1 << 20, off);
		if (w > 0)
			off += (uint64_t)w;
	} while (w > 0);
	ck_assert_int_eq((int)w, -ENOSPC);
	n = store_extents(st, ino2, 0, off, 0, e, 4096, &total);
	ck_assert_int_ge(n, 1);
	for (i = 0; i < n; i++)
		overlap += e[i].region_off < pb && e[i].region_off + e[i].len > pa;
	ck_assert_int_eq(overlap, 0);
	/* Held blocks in no file are a consistent state for fsck, and
	 * stay held across a restart while the holder lives. */
	pin_table_delete(&pt);
	store_close(&st);
	ck_assert_int_eq(store_fsck(region, 0, NULL, NULL), 0);
	open_store();
	mk_table("quarantine");
	ck_assert_int_eq(pin_recover(pt), 1);
	ck_assert(store_block_held(st, pa));
	ca = (struct pin_caller){ .tid = a.pid };
	u.pin_id = p->pin_id;
	ck_assert_int_eq(pin_ioc_unpin(pt, &ca, &u), 0);
	ck_assert(!store_block_held(st, pa));
	pin_table_delete(&pt);
	store_close(&st);
	ck_assert_int_eq(store_fsck(region, 0, NULL, NULL), 0);
	open_store();
	free(buf);
	free(e);
	free(p);
	holder_kill(&a);
	cleanup();
}
END_TEST

static Suite *store_pin_suite(void)
{
	Suite *s = suite_create("store_pin");
	TCase *tc = tcase_create("real_store");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_break_unlink_restart);
	tcase_add_test(tc, test_quarantine_never_reused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_pin_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
