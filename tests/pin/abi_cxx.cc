// SPDX-License-Identifier: MIT
// abi_cxx.cc - the public headers compile as C++ (g++ -fsyntax-only):
// ioctl.h's size checks use static_assert there, not _Static_assert.
#include <pinfs/ioctl.h>
#include <pinfs/pinfs.h>
#include <pinfs/policy.h>

static_assert(sizeof(struct pinfs_pin) == 64 + 32 * PINFS_EXTENTS_MAX,
	      "the C++ view of the ABI has the C sizes");
static_assert(PINFS_IOC_PIN != 0, "ioctl numbers are constants");

int main()
{
	struct pinfs_lease l = {};

	l.abi_version = PINFS_ABI_VERSION;
	return l.type;
}
