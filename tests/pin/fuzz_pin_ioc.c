/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pin_ioc.c - libFuzzer target for the pin layer's ioctl handlers
 * and gate (clang builds only; suite 'slow').  Each input is a script of
 * calls (every pin_ioc_*, release, poll, pin_holder_of and the gate):
 * one byte picks the call, the next bytes fill its struct (ABI
 * version and small ranges forced half the time so that inputs get past
 * the first checks).  The holder is the fuzzer itself, which ignores
 * every signal a break may send; kill_grace is 0.  Any crash, sanitizer
 * report or undocumented error aborts.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_store.h"
#include "pin.h"

#define INO 2u

static struct store *st;
static struct pin_table *pt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup(void)
{
	struct pin_options o;
	int s;

	for (s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV &&
		    s != SIGABRT && s != SIGILL && s != SIGFPE)
			signal(s, SIG_IGN);
	st = fake_store_new();
	if (!st || fake_create(st, INO, 64 * 4096, true))
		abort();
	pin_options_init(&o);
	o.lease_break_ms = 1;
	o.kill_grace_ms = 0;
	if (pin_table_new(st, &o, &pt, NULL))
		abort();
}

static int allowed(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOENT || rc == -EPERM ||
	       rc == -EAGAIN || rc == -ENXIO || rc == -EACCES ||
	       rc == -EDQUOT || rc == -ENOSPC || rc == -ETXTBSY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct pinfs_lease l;
		struct pinfs_pin p;
		struct pinfs_unpin u;
		struct pinfs_breaks b;
		struct pinfs_sync s;
		struct pinfs_pins ps;
		struct pinfs_extents x;
	} a;
	struct pin_caller c = { .tid = getpid(), .flags = PIN_CALLER_MAY_WRITE };
	uint64_t ino, off, len;
	size_t pos = 0, n;
	int rc = 0;

	if (!pt)
		setup();
	while (pos + 2 <= size) {
		uint8_t op = data[pos++] % 13, tame = data[pos++] & 1;
		uint64_t fh = 1 + (op & 1);

		memset(&a, 0, sizeof(a));
		n = size - pos < 128 ? size - pos : 128;
		memcpy(&a, data + pos, n);
		pos += n / 2 + 1; /* inputs overlap: cheap variety */
		if (tame) {
			a.p.abi_version = PINFS_ABI_VERSION;
			a.p.off = (a.p.off % 72) * 4096;
			a.p.len = (a.p.len % 9) * 4096;
			a.p.reserved[0] = a.p.reserved[1] = 0;
			a.p.flags &= 1;
		}
		switch (op) {
		case 0: rc = pin_ioc_setlease(pt, &c, INO, fh, &a.l); break;
		case 1: rc = pin_ioc_getlease(pt, &c, INO, fh, &a.l); break;
		case 2: rc = pin_ioc_pin(pt, &c, INO, fh, &a.p); break;
		case 3: rc = pin_ioc_unpin(pt, &c, &a.u); break;
		case 4: rc = pin_ioc_breaks(pt, &c, &a.b); break;
		case 5: rc = pin_ioc_sync(pt, &c, &a.s, &ino, &off, &len); break;
		case 6: rc = pin_ioc_pins(pt, &c, &a.ps); break;
		case 7: rc = pin_ioc_extents(pt, &c, &a.x); break;
		case 8: rc = pin_ioc_attach(pt, &c, INO, fh, &a.p); break;
		case 9: pin_file_release(pt, fh); break;
		case 10:
			if (pin_file_poll(pt, a.u.pin_id) & ~(uint32_t)POLLPRI)
				abort();
			break;
		case 11: {
			pid_t pid;
			uid_t uid;
			bool w;

			rc = pin_holder_of(pt, a.u.pin_id, &pid, &uid, &w);
			if (!rc && pid != getpid())
				abort();
			break;
		}
		default:
			rc = pin_gate(pt, INO, a.p.off, a.p.len,
				      (enum store_change)(1 + a.p.flags % 6));
			break;
		}
		if (!allowed(rc))
			abort();
	}
	return 0;
}
