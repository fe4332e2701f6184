/* SPDX-License-Identifier: MIT */
/*
 * test_abi.c - every ioctl decoder of the pin layer against one table of
 * malformed inputs: wrong ABI version, unknown flag bits, each reserved
 * word, pad, "in: 0" fields, ranges that overflow or pass 2^63.  Each
 * case starts from a request that succeeds (checked too), changes one or
 * two fields and expects its errno; nothing may change meanwhile (same
 * pins, same lease).  Regression G1: GETLEASE accepted any garbage.
 */
#include "pin_fixture.h"

#include <stddef.h>

enum ioc {
	I_SETLEASE, I_GETLEASE, I_PIN, I_ATTACH, I_UNPIN, I_BREAKS, I_SYNC,
	I_PINS, I_EXTENTS,
};

static const char *const ioc_name[] = {
	"SETLEASE", "GETLEASE", "PIN", "ATTACH", "UNPIN", "BREAKS", "SYNC",
	"PINS", "EXTENTS",
};

#define F(type, field) offsetof(type, field), sizeof(((type *)0)->field)
#define NOF 0, 0

struct abi_case {
	enum ioc ioc;
	const char *what;
	size_t off1, size1; /* a field to set (size 0: none) */
	uint64_t v1;
	size_t off2, size2;
	uint64_t v2;
	int err;
};

#define L struct pinfs_lease
#define P struct pinfs_pin
#define U struct pinfs_unpin
#define B struct pinfs_breaks
#define S struct pinfs_sync
#define N struct pinfs_pins
#define X struct pinfs_extents
#define CASE1(i, w, T, fld, v, e) { i, w, F(T, fld), v, NOF, 0, e }
#define CASE2(i, w, T, f1, v1, f2, v2, e) \
	{ i, w, F(T, f1), v1, F(T, f2), v2, e }

static const struct abi_case cases[] = {
	/* SETLEASE */
	CASE1(I_SETLEASE, "version 0", L, abi_version, 0, -EINVAL),
	CASE1(I_SETLEASE, "version 2", L, abi_version, 2, -EINVAL),
	CASE1(I_SETLEASE, "flags", L, flags, 1, -EINVAL),
	CASE1(I_SETLEASE, "flags IMPLICIT (out)", L, flags,
	      PINFS_LEASE_IMPLICIT, -EINVAL),
	CASE1(I_SETLEASE, "reserved[0]", L, reserved[0], 1, -EINVAL),
	CASE1(I_SETLEASE, "reserved[1]", L, reserved[1], 1, -EINVAL),
	CASE1(I_SETLEASE, "reserved[2]", L, reserved[2], 1, -EINVAL),
	CASE1(I_SETLEASE, "reserved[3]", L, reserved[3], 1ull << 63, -EINVAL),
	CASE1(I_SETLEASE, "type 3", L, type, 3, -EINVAL),
	CASE1(I_SETLEASE, "signo SIGKILL", L, signo, SIGKILL, -EINVAL),
	CASE1(I_SETLEASE, "signo SIGSTOP", L, signo, SIGSTOP, -EINVAL),
	CASE1(I_SETLEASE, "signo 999", L, signo, 999, -EINVAL),
	CASE1(I_SETLEASE, "off unaligned", L, off, 100, -EINVAL),
	CASE1(I_SETLEASE, "len unaligned", L, len, 100, -EINVAL),
	CASE2(I_SETLEASE, "off+len wraps", L, off, UINT64_MAX - 4095, len,
	      8192, -EINVAL),
	CASE1(I_SETLEASE, "off 2^63", L, off, 1ull << 63, -EINVAL),
	CASE2(I_SETLEASE, "off+len past 2^63", L, off, 1ull << 62, len,
	      1ull << 62, -EINVAL),
	/* GETLEASE: all but abi_version is out, so zero on input */
	CASE1(I_GETLEASE, "version 0", L, abi_version, 0, -EINVAL),
	CASE1(I_GETLEASE, "version 2", L, abi_version, 2, -EINVAL),
	CASE1(I_GETLEASE, "reserved[0]", L, reserved[0], 1, -EINVAL),
	CASE1(I_GETLEASE, "reserved[3]", L, reserved[3], 1, -EINVAL),
	CASE1(I_GETLEASE, "type", L, type, 1, -EINVAL),
	CASE1(I_GETLEASE, "off", L, off, 4096, -EINVAL),
	CASE1(I_GETLEASE, "len", L, len, 4096, -EINVAL),
	CASE1(I_GETLEASE, "signo", L, signo, SIGUSR1, -EINVAL),
	CASE1(I_GETLEASE, "flags", L, flags, 1, -EINVAL),
	/* PIN */
	CASE1(I_PIN, "version 0", P, abi_version, 0, -EINVAL),
	CASE1(I_PIN, "version 2", P, abi_version, 2, -EINVAL),
	CASE1(I_PIN, "flags bit 5", P, flags, 1u << 5, -EINVAL),
	CASE1(I_PIN, "flags LEASED (out)", P, flags, PINFS_PIN_LEASED,
	      -EINVAL),
	CASE1(I_PIN, "flags IMPLICIT (out)", P, flags, PINFS_PIN_IMPLICIT,
	      -EINVAL),
	CASE1(I_PIN, "flags RECOVERED (out)", P, flags, PINFS_PIN_RECOVERED,
	      -EINVAL),
	CASE1(I_PIN, "flags bit 31", P, flags, 1u << 31, -EINVAL),
	CASE1(I_PIN, "reserved[0]", P, reserved[0], 1, -EINVAL),
	CASE1(I_PIN, "reserved[1]", P, reserved[1], 1, -EINVAL),
	CASE1(I_PIN, "pin_id (out)", P, pin_id, 7, -EINVAL),
	CASE1(I_PIN, "len 0", P, len, 0, -EINVAL),
	CASE1(I_PIN, "off unaligned", P, off, 100, -EINVAL),
	CASE1(I_PIN, "len unaligned", P, len, 100, -EINVAL),
	CASE2(I_PIN, "off+len wraps", P, off, UINT64_MAX - 4095, len, 8192,
	      -EINVAL),
	CASE1(I_PIN, "off 2^63", P, off, 1ull << 63, -EINVAL),
	CASE2(I_PIN, "off+len past 2^63", P, off, (1ull << 63) - 4096, len,
	      8192, -EINVAL),
	CASE1(I_PIN, "past EOF", P, off, FILE_SIZE, -ENXIO),
	/* ATTACH */
	CASE1(I_ATTACH, "version 0", P, abi_version, 0, -EINVAL),
	CASE1(I_ATTACH, "version 2", P, abi_version, 2, -EINVAL),
	CASE1(I_ATTACH, "flags WRITE", P, flags, PINFS_PIN_WRITE, -EINVAL),
	CASE1(I_ATTACH, "flags RECOVERED", P, flags, PINFS_PIN_RECOVERED,
	      -EINVAL),
	CASE1(I_ATTACH, "reserved[0]", P, reserved[0], 1, -EINVAL),
	CASE1(I_ATTACH, "reserved[1]", P, reserved[1], 1, -EINVAL),
	CASE1(I_ATTACH, "pin_id 0", P, pin_id, 0, -EINVAL),
	CASE1(I_ATTACH, "pin_id unknown", P, pin_id, 1ull << 40, -ENOENT),
	/* UNPIN */
	CASE1(I_UNPIN, "version 0", U, abi_version, 0, -EINVAL),
	CASE1(I_UNPIN, "version 2", U, abi_version, 2, -EINVAL),
	CASE1(I_UNPIN, "flags", U, flags, 1, -EINVAL),
	CASE1(I_UNPIN, "reserved[0]", U, reserved[0], 1, -EINVAL),
	CASE1(I_UNPIN, "reserved[1]", U, reserved[1], 1, -EINVAL),
	CASE1(I_UNPIN, "pin_id 0", U, pin_id, 0, -EINVAL),
	CASE1(I_UNPIN, "pin_id unknown", U, pin_id, 1ull << 40, -ENOENT),
	/* BREAKS */
	CASE1(I_BREAKS, "version 0", B, abi_version, 0, -EINVAL),
	CASE1(I_BREAKS, "version 2", B, abi_version, 2, -EINVAL),
	CASE1(I_BREAKS, "flags", B, flags, 1, -EINVAL),
	CASE1(I_BREAKS, "pad", B, pad, 1, -EINVAL),
	CASE1(I_BREAKS, "reserved[0]", B, reserved[0], 1, -EINVAL),
	CASE1(I_BREAKS, "reserved[1]", B, reserved[1], 1, -EINVAL),
	/* SYNC */
	CASE1(I_SYNC, "version 0", S, abi_version, 0, -EINVAL),
	CASE1(I_SYNC, "version 2", S, abi_version, 2, -EINVAL),
	CASE1(I_SYNC, "flags", S, flags, 1, -EINVAL),
	CASE1(I_SYNC, "reserved[0]", S, reserved[0], 1, -EINVAL),
	CASE1(I_SYNC, "reserved[1]", S, reserved[1], 1, -EINVAL),
	CASE1(I_SYNC, "pin_id 0", S, pin_id, 0, -EINVAL),
	CASE1(I_SYNC, "pin_id unknown", S, pin_id, 1ull << 40, -ENOENT),
	CASE2(I_SYNC, "off+len wraps", S, off, UINT64_MAX - 4095, len, 8192,
	      -EINVAL),
	CASE2(I_SYNC, "len 0 with off", S, off, 4096, len, 0, -EINVAL),
	CASE2(I_SYNC, "past the pin", S, off, 4096, len, 8192, -EINVAL),
	CASE1(I_SYNC, "2^63", S, off, 1ull << 63, -EINVAL),
	/* PINS */
	CASE1(I_PINS, "version 0", N, abi_version, 0, -EINVAL),
	CASE1(I_PINS, "version 2", N, abi_version, 2, -EINVAL),
	CASE1(I_PINS, "flags", N, flags, 1, -EINVAL),
	CASE1(I_PINS, "pad", N, pad, 1, -EINVAL),
	CASE1(I_PINS, "reserved[0]", N, reserved[0], 1, -EINVAL),
	CASE1(I_PINS, "reserved[1]", N, reserved[1], 1, -EINVAL),
	/* EXTENTS by pin id */
	CASE1(I_EXTENTS, "version 0", X, abi_version, 0, -EINVAL),
	CASE1(I_EXTENTS, "version 2", X, abi_version, 2, -EINVAL),
	CASE1(I_EXTENTS, "flags", X, flags, 1, -EINVAL),
	CASE1(I_EXTENTS, "pad", X, pad, 1, -EINVAL),
	CASE1(I_EXTENTS, "reserved[0]", X, reserved[0], 1, -EINVAL),
	CASE1(I_EXTENTS, "reserved[1]", X, reserved[1], 1, -EINVAL),
	CASE1(I_EXTENTS, "pin_id 0 (the daemon's)", X, pin_id, 0, -EINVAL),
	CASE1(I_EXTENTS, "pin_id unknown", X, pin_id, 1ull << 40, -ENOENT),
	CASE2(I_EXTENTS, "off+len wraps", X, off, UINT64_MAX - 10, len, 100,
	      -EINVAL),
	CASE1(I_EXTENTS, "off 2^63", X, off, 1ull << 63, -EINVAL),
	CASE2(I_EXTENTS, "off+len past 2^63", X, off, 1ull << 62, len,
	      1ull << 62, -EINVAL),
};

static union {
	struct pinfs_lease l;
	struct pinfs_pin p;
	struct pinfs_unpin u;
	struct pinfs_breaks b;
	struct pinfs_sync s;
	struct pinfs_pins n;
	struct pinfs_extents x;
} buf;

static struct holder hs[1];
static uint64_t pin_id; /* a write pin of [0, 4096), leased, through FH */

/* A request of kind I that succeeds. */
static void baseline(enum ioc i)
{
	memset(&buf, 0, sizeof(buf));
	buf.l.abi_version = PINFS_ABI_VERSION; /* first word of every one */
	switch (i) {
	case I_SETLEASE:
		buf.l.type = PINFS_LEASE_BREAKABLE;
		buf.l.signo = SIGUSR1;
		break;
	case I_PIN:
		buf.p.len = 4096;
		buf.p.off = 4096;
		break;
	case I_ATTACH:
		buf.p.pin_id = pin_id;
		break;
	case I_UNPIN:
		buf.u.pin_id = pin_id;
		break;
	case I_SYNC:
		buf.s.pin_id = pin_id;
		buf.s.len = 4096;
		break;
	case I_EXTENTS:
		buf.x.pin_id = pin_id;
		break;
	default:
		break;
	}
}

static void set_field(size_t off, size_t size, uint64_t v)
{
	char *b = (char *)&buf + off;

	if (size == 4) {
		uint32_t w = (uint32_t)v;

		memcpy(b, &w, 4);
	} else if (size == 8) {
		memcpy(b, &v, 8);
	} else {
		ck_assert_msg(size == 0, "field of size %zu", size);
	}
}

static int call(enum ioc i)
{
	struct pin_caller c = as(&hs[0]);
	uint64_t ino, off, len;

	switch (i) {
	case I_SETLEASE:
		return pin_ioc_setlease(pt, &c, INO, FH, &buf.l);
	case I_GETLEASE:
		return pin_ioc_getlease(pt, &c, INO, FH, &buf.l);
	case I_PIN:
		return pin_ioc_pin(pt, &c, INO, FH + 1, &buf.p);
	case I_ATTACH:
		return pin_ioc_attach(pt, &c, INO, FH, &buf.p);
	case I_UNPIN:
		return pin_ioc_unpin(pt, &c, &buf.u);
	case I_BREAKS:
		return pin_ioc_breaks(pt, &c, &buf.b);
	case I_SYNC:
		return pin_ioc_sync(pt, &c, &buf.s, &ino, &off, &len);
	case I_PINS:
		return pin_ioc_pins(pt, &c, &buf.n);
	case I_EXTENTS:
		return pin_ioc_extents(pt, &c, &buf.x);
	}
	return -ENOSYS;
}

/* The lease of FH, as GETLEASE tells it. */
static void lease_of_fh(struct pinfs_lease *out)
{
	struct pin_caller c = as(&hs[0]);

	memset(out, 0, sizeof(*out));
	out->abi_version = PINFS_ABI_VERSION;
	ck_assert_int_eq(pin_ioc_getlease(pt, &c, INO, FH, out), 0);
}

START_TEST(g1_every_decoder_rejects_malformed)
{
	struct pinfs_lease l0, l1;
	size_t k;
	int rc;

	ck_assert_int_eq(holder_spawn(&hs[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&hs[0], FH, PINFS_LEASE_BREAKABLE, 0, 0,
				  SIGUSR2), 0);
	ck_assert_int_eq(do_pin(&hs[0], FH, 0, 4096, PINFS_PIN_WRITE, &pin_id),
			 0);
	lease_of_fh(&l0);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct abi_case *t = &cases[k];

		baseline(t->ioc);
		set_field(t->off1, t->size1, t->v1);
		set_field(t->off2, t->size2, t->v2);
		rc = call(t->ioc);
		ck_assert_msg(rc == t->err, "%s %s: %d (%s), want %d (%s)",
			      ioc_name[t->ioc], t->what, rc, strerror(-rc),
			      t->err, strerror(-t->err));
		/* nothing changed */
		ck_assert_uint_eq(count_pins(), 1);
		lease_of_fh(&l1);
		ck_assert_msg(!memcmp(&l0, &l1, sizeof(l0)),
			      "%s %s changed the lease", ioc_name[t->ioc],
			      t->what);
	}
	/* Each baseline succeeds (so every case above failed for its own
	 * field); UNPIN last, it ends the pin. */
	for (k = I_SETLEASE; k <= I_EXTENTS; k++) {
		uint64_t id = 0;

		if (k == I_UNPIN)
			continue;
		baseline((enum ioc)k);
		rc = call((enum ioc)k);
		ck_assert_msg(rc == 0, "%s baseline: %d", ioc_name[k], rc);
		if (k == I_PIN) {
			id = buf.p.pin_id;
			ck_assert_int_eq(do_unpin(&hs[0], id), 0);
		}
	}
	baseline(I_UNPIN);
	ck_assert_int_eq(call(I_UNPIN), 0);
	ck_assert_uint_eq(count_pins(), 0);
	teardown_all(hs, 1);
}
END_TEST

/* G1: GETLEASE with a nonzero reserved word (what tests/revoke's
 * test_input sends) fails; clean, it answers the lease. */
START_TEST(g1_getlease_reserved_regression)
{
	ck_assert_int_eq(holder_spawn(&hs[0], H_ACK, SIGUSR1), 0);
	mk_table("break", 5000, 0, 0);
	ck_assert_int_eq(do_lease(&hs[0], FH, PINFS_LEASE_UNBREAKABLE, 0, 0,
				  SIGUSR2), 0);
	baseline(I_GETLEASE);
	buf.l.reserved[0] = 1;
	ck_assert_int_eq(call(I_GETLEASE), -EINVAL);
	baseline(I_GETLEASE);
	ck_assert_int_eq(call(I_GETLEASE), 0);
	ck_assert_uint_eq(buf.l.type, PINFS_LEASE_UNBREAKABLE);
	ck_assert_uint_eq(buf.l.signo, SIGUSR2);
	ck_assert_uint_eq(buf.l.abi_version, PINFS_ABI_VERSION);
	teardown_all(hs, 1);
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("decoders");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, g1_every_decoder_rejects_malformed);
	tcase_add_test(tc, g1_getlease_reserved_regression);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
