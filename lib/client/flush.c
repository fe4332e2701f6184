/* SPDX-License-Identifier: MIT */
/*
 * flush.c - write CPU caches back over a range: pinfs_sync on a devdax
 * region, where msync() is refused (a DAX character device has no fsync
 * method) and the stores sit in the CPU caches until flushed.
 *
 * The instruction is chosen once, by cpuid at run time: CLWB (writes the
 * line back, keeps it cached), else CLFLUSHOPT (writes back and
 * evicts), both followed by one SFENCE; else CLFLUSH, which is ordered
 * by itself.  This is a dozen lines; linking libpmem2 into the holder's
 * library for its persist function would add libpmem2 (and through it
 * libndctl/libdaxctl) to every program that uses libpinfs, and libpmem2
 * can only flush a mapping it made itself (or adopted), not the pin's
 * span of MAP_FIXED pieces.
 */
#include "client.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#define CACHE_LINE 64u

enum flush_kind { FLUSH_UNKNOWN, FLUSH_CLWB, FLUSH_CLFLUSHOPT, FLUSH_CLFLUSH };

static _Atomic int kind = FLUSH_UNKNOWN;

static int pick(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 24))
			return FLUSH_CLWB;
		if (b & (1u << 23))
			return FLUSH_CLFLUSHOPT;
	}
	return FLUSH_CLFLUSH;
}

static int get_kind(void)
{
	int k = atomic_load_explicit(&kind, memory_order_relaxed);

	if (k == FLUSH_UNKNOWN) {
		k = pick();
		atomic_store_explicit(&kind, k, memory_order_relaxed);
	}
	return k;
}

__attribute__((target("clwb"))) static void flush_clwb(uintptr_t p,
							 uintptr_t e)
{
	for (; p < e; p += CACHE_LINE)
		__builtin_ia32_clwb((void *)p);
	__builtin_ia32_sfence();
}

__attribute__((target("clflushopt"))) static void
flush_clflushopt(uintptr_t p, uintptr_t e)
{
	for (; p < e; p += CACHE_LINE)
		__builtin_ia32_clflushopt((void *)p);
	__builtin_ia32_sfence();
}

static void flush_clflush(uintptr_t p, uintptr_t e)
{
	for (; p < e; p += CACHE_LINE)
		__builtin_ia32_clflush((void *)p);
}

const char *cl_flush_method(void)
{
	switch (get_kind()) {
	case FLUSH_CLWB:
		return "clwb";
	case FLUSH_CLFLUSHOPT:
		return "clflushopt";
	default:
		return "clflush";
	}
}

int cl_flush_range(const void *addr, size_t len)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t e = (uintptr_t)addr + len;

	if (!len)
		return 0;
	switch (get_kind()) {
	case FLUSH_CLWB:
		flush_clwb(p, e);
		break;
	case FLUSH_CLFLUSHOPT:
		flush_clflushopt(p, e);
		break;
	default:
		flush_clflush(p, e);
		break;
	}
	return 0;
}
#else
const char *cl_flush_method(void)
{
	return "none";
}

int cl_flush_range(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
	return -ENOTSUP; /* no cache flush for this architecture yet */
}
#endif
