/* SPDX-License-Identifier: MIT */
/*
 * test_input.c - bad input to every pin ioctl gets a clear error and
 * changes nothing: wrong ABI version, unknown flags, nonzero reserved
 * fields, zero or misaligned or overflowing ranges, ranges past EOF,
 * write pins without write access, other holders' or unknown pin ids;
 * and the per-holder / per-mount limits.  Also the listings (PINS
 * paging, EXTENTS continuation) and the trace ring.
 */
#include "pin_fixture.h"

#include <stdbool.h>

static struct pinfs_pin *new_pin(uint64_t off, uint64_t len)
{
	struct pinfs_pin *p = calloc(1, sizeof(*p));

	p->abi_version = PINFS_ABI_VERSION;
	p->off = off;
	p->len = len;
	return p;
}

START_TEST(test_bad_pin)
{
	struct holder h[1];
	struct pin_caller c, ro;
	struct pinfs_pin *p = new_pin(0, 4096);

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	c = as(&h[0]);
	ro = c;
	ro.flags = 0;
#define EXPECT(field_set, err)                                            \
	do {                                                              \
		free(p);                                                  \
		p = new_pin(0, 4096);                                     \
		field_set;                                                \
		ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, FH, p), err);   \
	} while (0)
	EXPECT(p->abi_version = 0, -EINVAL);
	EXPECT(p->abi_version = 2, -EINVAL);
	EXPECT(p->flags = 1u << 5, -EINVAL);
	EXPECT(p->flags = PINFS_PIN_LEASED, -EINVAL); /* an out flag */
	EXPECT(p->reserved[1] = 1, -EINVAL);
	EXPECT(p->pin_id = 7, -EINVAL);
	EXPECT(p->len = 0, -EINVAL);
	EXPECT(p->off = 100, -EINVAL);
	EXPECT(p->len = 100, -EINVAL);
	EXPECT((p->off = UINT64_MAX - 4095, p->len = 8192), -EINVAL);
	EXPECT(p->off = 1ull << 63, -EINVAL);
	EXPECT(p->len = FILE_SIZE + 4096, -ENXIO);
	EXPECT(p->off = FILE_SIZE, -ENXIO);
#undef EXPECT
	free(p);
	p = new_pin(0, 4096);
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO + 7, FH, p), -ENOENT);
	ck_assert_int_eq(fake_create(st, 1, 0, false), 0); /* the root dir */
	ck_assert_int_eq(pin_ioc_pin(pt, &c, 1, FH, p), -EINVAL);
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, 0, p), -EINVAL);
	p->flags = PINFS_PIN_WRITE;
	ck_assert_int_eq(pin_ioc_pin(pt, &ro, INO, FH, p), -EACCES);
	p->flags = 0;
	ck_assert_int_eq(pin_ioc_pin(pt, &ro, INO, FH, p), 0); /* read pin */
	/* A caller that does not exist. */
	c.tid = 0x7ffffff0;
	p->pin_id = 0;
	ck_assert_int_eq(pin_ioc_pin(pt, &c, INO, FH, p), -ESRCH);
	ck_assert_uint_eq(count_pins(), 1);
	free(p);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_bad_lease_unpin_sync)
{
	struct holder h[2];
	struct pin_caller c;
	struct pinfs_lease l;
	struct pinfs_unpin u;
	struct pinfs_sync s;
	uint64_t id, rid, ino, off, len;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&h[1], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	c = as(&h[0]);
	memset(&l, 0, sizeof(l));
	l.abi_version = PINFS_ABI_VERSION;
	l.type = 3;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.type = PINFS_LEASE_BREAKABLE;
	l.signo = SIGKILL;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.signo = 200;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.signo = 0;
	l.off = 10;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.off = UINT64_MAX - 4095;
	l.len = 8192;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.off = l.len = 0;
	l.flags = 1;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.flags = 0;
	l.reserved[3] = 1;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), -EINVAL);
	l.reserved[3] = 0;
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO, FH, &l), 0);
	/* The same fh on another inode is a daemon bug: refused. */
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO + 1, FH, &l), -ENOENT);
	ck_assert_int_eq(fake_create(st, INO + 1, 4096, true), 0);
	ck_assert_int_eq(pin_ioc_setlease(pt, &c, INO + 1, FH, &l), -EINVAL);

	ck_assert_int_eq(do_pin(&h[0], FH, 0, 8192, PINFS_PIN_WRITE, &id), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 8192, 4096, 0, &rid), 0);
	memset(&u, 0, sizeof(u));
	u.abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_unpin(pt, &c, &u), -EINVAL); /* id 0 */
	u.pin_id = 999;
	ck_assert_int_eq(pin_ioc_unpin(pt, &c, &u), -ENOENT);
	u.pin_id = id;
	u.flags = 4;
	ck_assert_int_eq(pin_ioc_unpin(pt, &c, &u), -EINVAL);
	u.flags = 0;
	u.abi_version = 9;
	ck_assert_int_eq(pin_ioc_unpin(pt, &c, &u), -EINVAL);
	ck_assert_int_eq(do_unpin(&h[1], id), -EPERM); /* not its pin */

	memset(&s, 0, sizeof(s));
	s.abi_version = PINFS_ABI_VERSION;
	s.pin_id = id;
	ck_assert_int_eq(pin_ioc_sync(pt, &c, &s, &ino, &off, &len), 0);
	ck_assert_uint_eq(ino, INO);
	ck_assert_uint_eq(len, 8192);
	s.off = 4096;
	s.len = 8192; /* past the pin */
	ck_assert_int_eq(pin_ioc_sync(pt, &c, &s, &ino, &off, &len), -EINVAL);
	s.off = UINT64_MAX;
	s.len = 2;
	ck_assert_int_eq(pin_ioc_sync(pt, &c, &s, &ino, &off, &len), -EINVAL);
	s.off = 0;
	s.len = 0;
	s.pin_id = rid; /* a read pin */
	ck_assert_int_eq(pin_ioc_sync(pt, &c, &s, &ino, &off, &len), -EINVAL);
	s.pin_id = id;
	c = as(&h[1]);
	ck_assert_int_eq(pin_ioc_sync(pt, &c, &s, &ino, &off, &len), -EPERM);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), -ENOENT); /* twice */
	teardown_all(h, 2);
}
END_TEST

START_TEST(test_limits)
{
	struct pin_options o;
	struct holder h[2];
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	ck_assert_int_eq(holder_spawn(&h[1], H_ACK, SIGUSR1), 0);
	st = fake_store_new();
	ck_assert_int_eq(fake_create(st, INO, FILE_SIZE, true), 0);
	pin_options_init(&o);
	o.max_pin_bytes_holder = 8 * 4096;
	o.max_pin_bytes_mount = 12 * 4096;
	ck_assert_int_eq(pin_table_new(st, &o, &pt, NULL), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 6 * 4096, 0, &id), 0);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 3 * 4096, 0, NULL), -EDQUOT);
	ck_assert_int_eq(do_pin(&h[0], FH, 0, 2 * 4096, 0, NULL), 0);
	ck_assert_int_eq(do_pin(&h[1], FH + 1, 0, 5 * 4096, 0, NULL), -ENOSPC);
	ck_assert_int_eq(do_pin(&h[1], FH + 1, 0, 4 * 4096, 0, NULL), 0);
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	ck_assert_int_eq(do_pin(&h[1], FH + 1, 0, 4 * 4096, 0, NULL), 0);
	teardown_all(h, 2);
}
END_TEST

START_TEST(test_listings)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_pins *l = calloc(1, sizeof(*l));
	struct pinfs_extents *x = calloc(1, sizeof(*x));
	struct pinfs_pin *p = new_pin(0, 700 * 4096);
	uint64_t id, i, seen = 0, first = 0, last_id = 0;
	char z[4096] = { 0 };

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	/* A file of 700 one-block extents (interleaved with file 3). */
	ck_assert_int_eq(fake_create(st, 4, 0, false), 0);
	ck_assert_int_eq(fake_create(st, 3, 0, false), 0);
	for (i = 0; i < 700; i++) {
		ck_assert_int_eq(store_write(st, 4, z, 4096, i * 4096), 4096);
		ck_assert_int_eq(store_write(st, 3, z, 4096, i * 4096), 4096);
	}
	c = as(&h[0]);
	ck_assert_int_eq(pin_ioc_pin(pt, &c, 4, FH, p), 0);
	ck_assert_uint_eq(p->total, 700);
	ck_assert_uint_eq(p->count, PINFS_EXTENTS_MAX);
	id = p->pin_id;
	x->abi_version = PINFS_ABI_VERSION;
	x->pin_id = id;
	x->first = p->count;
	ck_assert_int_eq(pin_ioc_extents(pt, &c, x), 0);
	ck_assert_uint_eq(x->total, 700);
	ck_assert_uint_eq(x->count, 200);
	ck_assert_uint_eq(x->ext[199].file_off, 699 * 4096);
	ck_assert(x->ext[0].flags & PINFS_EXT_PINNED);
	x->pin_id = 424242;
	ck_assert_int_eq(pin_ioc_extents(pt, &c, x), -ENOENT);
	x->pin_id = id;
	x->flags = 1;
	ck_assert_int_eq(pin_ioc_extents(pt, &c, x), -EINVAL);
	/* 200 more pins; list them in pages. */
	for (i = 0; i < 200; i++)
		ck_assert_int_eq(do_pin(&h[0], FH, 0, 4096, 0, NULL), 0);
	do {
		memset(l, 0, sizeof(*l));
		l->abi_version = PINFS_ABI_VERSION;
		l->first = first;
		ck_assert_int_eq(pin_ioc_pins(pt, &c, l), 0);
		ck_assert_uint_eq(l->total, 201);
		for (i = 0; i < l->count; i++) {
			ck_assert_uint_gt(l->pin[i].pin_id, last_id);
			ck_assert_int_eq(l->pin[i].pid, h[0].pid);
			ck_assert_uint_eq(l->pin[i].state, PINFS_STATE_ACTIVE);
			last_id = l->pin[i].pin_id;
		}
		first += l->count;
		seen += l->count;
	} while (l->count == PINFS_PINS_MAX);
	ck_assert_uint_eq(seen, 201);
	l->reserved[0] = 1;
	ck_assert_int_eq(pin_ioc_pins(pt, &c, l), -EINVAL);
	free(l);
	free(x);
	free(p);
	teardown_all(h, 1);
}
END_TEST

START_TEST(test_trace_ring)
{
	struct pin_trace *tr;
	struct pin_trace_event ev[16];
	uint64_t cur = 0, lost = 0, i;
	uint32_t n;

	ck_assert_int_eq(pin_trace_new(&tr), 0);
	ck_assert_int_eq(pin_trace_wait(tr, 0, 10), -ETIMEDOUT);
	for (i = 0; i < PIN_TRACE_RING + 100; i++)
		pin_trace_emit(tr, PIN_TR_PIN, i, 2, 0, 4096, 1, 0);
	ck_assert_int_eq(pin_trace_wait(tr, 0, 10), 0);
	n = pin_trace_read(tr, &cur, ev, 16, &lost);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(lost, 100);
	ck_assert_uint_eq(ev[0].pin_id, 100);
	ck_assert_uint_eq(ev[15].seq, 115);
	ck_assert_uint_eq(cur, 116);
	cur = pin_trace_head(tr);
	ck_assert_uint_eq(pin_trace_read(tr, &cur, ev, 16, &lost), 0);
	ck_assert_uint_eq(lost, 0);
	ck_assert_str_eq(pin_trace_name(PIN_TR_SIGKILL), "sigkill");
	ck_assert_str_eq(pin_trace_name(999), "?");
	pin_trace_delete(&tr);
	ck_assert_ptr_null(tr);
}
END_TEST


/* Random bytes in every field of every call: only documented errors, no
 * crash, and everything taken can be given back. */
static uint64_t r64(unsigned *seed)
{
	return (uint64_t)rand_r(seed) << 33 ^ (uint64_t)rand_r(seed) << 11 ^
	       (uint64_t)rand_r(seed);
}

static void garble(void *buf, size_t n, unsigned *seed)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < n && i < 256; i++)
		b[i] = (uint8_t)rand_r(seed);
}

static bool allowed(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -EPERM ||
	       rc == -EAGAIN || rc == -ENXIO || rc == -EACCES ||
	       rc == -EDQUOT || rc == -ENOSPC;
}

START_TEST(test_garbage)
{
	struct holder h[1];
	struct pin_caller c;
	union {
		struct pinfs_lease l;
		struct pinfs_pin p;
		struct pinfs_unpin u;
		struct pinfs_breaks b;
		struct pinfs_sync s;
		struct pinfs_pins ps;
		struct pinfs_extents x;
	} *a = calloc(1, sizeof(*a));
	uint64_t ids[64], ino, off, len;
	unsigned seed = 4242, nids = 0, i, bad = 0, ok = 0;
	int rc;

	ck_assert_int_eq(holder_spawn(&h[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	c = as(&h[0]);
	for (i = 0; i < 20000; i++) {
		unsigned op = (unsigned)rand_r(&seed) % 8;
		uint64_t fh = 1 + (uint64_t)rand_r(&seed) % 3;

		memset(a, 0, sizeof(*a));
		garble(a, sizeof(*a), &seed);
		/* Often enough valid-looking to get past the first checks. */
		if (rand_r(&seed) % 4) {
			a->p.abi_version = PINFS_ABI_VERSION;
			if (op == 1 || op == 7) { /* pin, attach */
				a->p.flags &= (rand_r(&seed) % 2) ? 1 : 0;
				memset(a->p.reserved, 0, sizeof(a->p.reserved));
				a->p.off = (r64(&seed) % 80) * 4096;
				a->p.len = (r64(&seed) % 8) * 4096;
				a->p.pin_id = op == 7 && nids ? ids[0] : 0;
			}
		}
		switch (op) {
		case 0:
			if (a->l.abi_version == PINFS_ABI_VERSION) {
				a->l.type %= 3;
				a->l.flags = 0;
				memset(a->l.reserved, 0, sizeof(a->l.reserved));
				a->l.off = (r64(&seed) % 80) * 4096;
				a->l.len = (r64(&seed) % 8) * 4096;
				a->l.signo %= 70;
			}
			rc = pin_ioc_setlease(pt, &c, INO, fh, &a->l);
			break;
		case 1:
			rc = pin_ioc_pin(pt, &c, INO, fh, &a->p);
			if (!rc && nids < 64)
				ids[nids++] = a->p.pin_id;
			else if (!rc) {
				struct pinfs_unpin u = {
					.abi_version = PINFS_ABI_VERSION,
					.pin_id = a->p.pin_id };
				ck_assert_int_eq(pin_ioc_unpin(pt, &c, &u), 0);
			}
			break;
		case 2:
			if (nids && rand_r(&seed) % 2) {
				memset(&a->u, 0, sizeof(a->u));
				a->u.abi_version = PINFS_ABI_VERSION;
				a->u.pin_id = ids[--nids];
			}
			rc = pin_ioc_unpin(pt, &c, &a->u);
			break;
		case 3:
			rc = pin_ioc_breaks(pt, &c, &a->b);
			break;
		case 4:
			rc = pin_ioc_sync(pt, &c, &a->s, &ino, &off, &len);
			break;
		case 5:
			rc = pin_ioc_pins(pt, &c, &a->ps);
			break;
		case 6:
			rc = pin_ioc_extents(pt, &c, &a->x);
			break;
		default:
			rc = pin_ioc_attach(pt, &c, INO, fh, &a->p);
			break;
		}
		bad += !allowed(rc);
		ok += rc == 0;
		if (!allowed(rc))
			fprintf(stderr, "op %u: %d\n", op, rc);
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(ok, 1000);
	while (nids) {
		struct pinfs_unpin u = { .abi_version = PINFS_ABI_VERSION,
					 .pin_id = ids[--nids] };

		rc = pin_ioc_unpin(pt, &c, &u);
		ck_assert(rc == 0 || rc == -ENOENT);
	}
	for (i = 1; i <= 3; i++)
		pin_file_release(pt, i);
	ck_assert_uint_eq(count_pins(), 0);
	ck_assert_uint_eq(fake_held_blocks(st), 0);
	ck_assert_int_eq(fake_truncate(st, INO, 0), 0);
	free(a);
	teardown_all(h, 1);
}
END_TEST


START_TEST(test_thread_of_holder)
{
	struct holder h[1];
	struct pin_caller c;
	struct pinfs_pins *l = calloc(1, sizeof(*l));
	struct holder t;
	uint64_t id;

	ck_assert_int_eq(holder_spawn(&h[0], H_THREADED, SIGUSR1), 0);
	ck_assert_int_gt(h[0].tid2, 0);
	ck_assert_int_ne(h[0].tid2, h[0].pid);
	mk_table("break", 5000, 0, 0);
	/* A pin from the second thread belongs to the process. */
	t = h[0];
	t.pid = h[0].tid2;
	ck_assert_int_eq(do_pin(&t, FH, 0, 4096, 0, &id), 0);
	c = as(&h[0]);
	l->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_pins(pt, &c, l), 0);
	ck_assert_uint_eq(l->count, 1);
	ck_assert_int_eq(l->pin[0].pid, h[0].pid);
	ck_assert_int_eq(do_pin(&t, FH, 4096, 4096, 0, NULL), 0); /* again */
	/* Either thread may unpin it. */
	ck_assert_int_eq(do_unpin(&h[0], id), 0);
	free(l);
	teardown_all(h, 1);
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("bad_input");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_pin);
	tcase_add_test(tc, test_bad_lease_unpin_sync);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_thread_of_holder);
	suite_add_tcase(s, tc);
	tc = tcase_create("listings");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_listings);
	tcase_add_test(tc, test_trace_ring);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(input_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
